"""The DeepSparse task `server.yaml` names (`task: import:serving_task.py`).

DeepSparse's `custom` task takes its input and output schemas as Python classes,
which a YAML config cannot hold; without an input schema that has `from_files`,
DeepSparse's server adds no `/infer/from_files` route. So this module registers
DeepSparse's own `CustomTaskPipeline` under `TASK`, with this folder's schemas and
processing (processing.py beside it), the way DeepSparse's `import:` tasks are
made. Served, the pipeline refuses image paths (a request must not make the server
read its own files) and answers an input it cannot take with a 4xx.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from deepsparse.legacy.pipeline import Pipeline
from deepsparse.pipelines.custom_pipeline import CustomTaskPipeline
from fastapi import HTTPException
from pydantic import ValidationError

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location(
    "recipe_deploy_processing", HERE / "processing.py"
)
assert _spec is not None and _spec.loader is not None
processing = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(processing)

TASK = f"recipe_compiler_{processing.config()['kind']}"


@Pipeline.register(task=TASK)
class ServedPipeline(CustomTaskPipeline):
    """DeepSparse's custom pipeline with this folder's schemas and processing;
    a relative model path is taken relative to this folder."""

    def __init__(self, model_path: str, **kwargs: Any):
        path = Path(model_path)
        if not path.is_absolute() and not path.exists():
            model_path = str(HERE / path)
        super().__init__(
            model_path,
            input_schema=processing.Input,
            output_schema=processing.Output,
            process_inputs_fn=processing.preprocess,
            process_outputs_fn=processing.postprocess,
            **kwargs,
        )

    def parse_inputs(self, *args: Any, **kwargs: Any) -> Any:
        try:
            inputs = super().parse_inputs(*args, **kwargs)
        except ValidationError as exc:
            detail = [{"loc": e["loc"], "msg": e["msg"]} for e in exc.errors()]
            raise HTTPException(status_code=422, detail=detail) from None
        except (TypeError, ValueError) as exc:
            raise HTTPException(status_code=422, detail=str(exc)) from None
        images = inputs.images
        listed = images if isinstance(images, list | tuple) else [images]
        if any(isinstance(i, str | Path) for i in listed):
            raise HTTPException(
                status_code=422,
                detail="images are uploaded (POST files to .../infer/from_files) "
                "or sent as pixel arrays; the server does not read paths",
            )
        return inputs

    def process_inputs(self, inputs: Any) -> Any:
        try:
            return super().process_inputs(inputs)
        except processing.BadImage as exc:
            raise HTTPException(status_code=exc.status, detail=str(exc)) from None
