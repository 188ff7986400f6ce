"""`DIR/deploy/`: a run's model with what DeepSparse's Pipeline and Server need.

    model.onnx        the export (`DIR/model.onnx`)
    processing.py     pre- and post-processing for DeepSparse's `custom` task
    serving_task.py   the task server.yaml names: DeepSparse's custom pipeline
                      with processing.py's schemas (so `/infer/from_files` exists)
    deploy.json       what processing.py reads: kind, input size, classes, limits
    server.yaml       `cd DIR/deploy && deepsparse.server --config_file server.yaml`

Written for the models whose inputs we know (YOLOv5 on images, digits-cnn on 8x8
digits); a `pkg.module:factory` model gets none. The folder can be moved as a
whole: every path in it is relative to it.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from ..fileio import write_atomic

FILES = Path(__file__).resolve().parent / "files"
# YOLOv5 detect.py's, what the server applies to uploads (which carry no options)
YOLO_DEFAULTS = {"conf_thres": 0.25, "iou_thres": 0.45, "max_det": 1000}
# bounds on what one request can make the server decode
LIMITS = {"max_bytes": 32 << 20, "max_pixels": 40_000_000, "max_images": 64}


def task_of(model_name: str) -> str | None:
    """Which processing serves `model_name`: "yolo", "digits", or none."""
    if model_name.startswith("yolov5"):
        return "yolo"
    if model_name == "digits-cnn":
        return "digits"
    return None


def input_size(onnx_path: str | Path) -> tuple[int, int]:
    """(height, width) of the model's image input, from the ONNX graph."""
    import onnx

    model = onnx.load(str(onnx_path), load_external_data=False)
    inits = {i.name for i in model.graph.initializer}
    for value in model.graph.input:
        if value.name in inits:
            continue
        dims = [d.dim_value for d in value.type.tensor_type.shape.dim]
        if len(dims) == 4 and dims[2] > 0 and dims[3] > 0:
            return dims[2], dims[3]
    raise ValueError(f"{onnx_path}: no NCHW image input with a static size")


def server_yaml(name: str, batch_size: int = 1) -> str:
    return f"""\
# DeepSparse's server for this folder, one endpoint named {name}:
#   cd into this folder, then: deepsparse.server --config_file server.yaml
#   (or `recipe serve` on the run folder: the same server, a bounded request size)
# Routes: GET /v2/models/{name}/ready, POST /v2/models/{name}/infer/from_files
# (image files as the form field `request`), POST /v2/models/{name}/infer (JSON).
# The task is imported from serving_task.py: DeepSparse's custom pipeline with
# processing.py's schemas (a YAML `task: custom` cannot carry them).
endpoints:
  - name: {name}
    task: import:serving_task.py
    model: model.onnx
    batch_size: {batch_size}
    logging_config:  # 4 lines of timings a request on stdout when enabled
      prediction_latency:
        enable: false
"""


def write(
    out_dir: Path,
    model_name: str,
    onnx_path: str | Path,
    class_names: list[str] | None = None,
    batch_size: int = 1,
) -> Path | None:
    """Write `out_dir/deploy/` for `onnx_path` (none for a model we cannot serve);
    each file atomically, the folder replaced whole on a rerun."""
    kind = task_of(model_name)
    if kind is None:
        return None
    folder = out_dir / "deploy"
    staging = Path(tempfile.mkdtemp(dir=out_dir, prefix=".deploy."))
    umask = os.umask(0)
    os.umask(umask)
    staging.chmod(0o777 & ~umask)  # mkdtemp's is 0700: a folder made as mkdir's
    try:
        shutil.copyfile(onnx_path, staging / "model.onnx")
        shutil.copyfile(FILES / "processing.py", staging / "processing.py")
        shutil.copyfile(FILES / "task.py", staging / "serving_task.py")
        config: dict[str, Any] = {
            "kind": kind,
            "model": model_name,
            "input_size": list(input_size(onnx_path)),
            "class_names": list(class_names or []),
            **(YOLO_DEFAULTS if kind == "yolo" else {}),
            **LIMITS,
        }
        write_atomic(staging / "deploy.json", json.dumps(config, indent=2) + "\n")
        write_atomic(staging / "server.yaml", server_yaml(kind, batch_size))
        if folder.exists():
            old = out_dir / f".deploy.old.{os.getpid()}"
            folder.rename(old)
            staging.rename(folder)
            shutil.rmtree(old)
        else:
            staging.rename(folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return folder
