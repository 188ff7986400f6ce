"""The deploy folder `recipe run` writes and `recipe serve` on it: DeepSparse's own
server answering uploads with what the runner's PyTorch model answers."""

from __future__ import annotations

import importlib.util
import io
import json
import os
import queue
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from recipe_compiler.deploy.files import processing as packaged

ROOT = Path(__file__).resolve().parents[2]
from PIL import Image  # noqa: E402


def load_processing(folder: Path, **config):
    """The deploy folder's processing.py as DeepSparse loads it (by path); with
    `config`, a copy in `folder` with that deploy.json."""
    if config:
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(packaged.__file__), folder / "processing.py")
        (folder / "deploy.json").write_text(json.dumps(config))
    spec = importlib.util.spec_from_file_location(
        f"processing_{abs(hash(str(folder)))}", folder / "processing.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def big_png_header(w: int, h: int) -> bytes:
    """A PNG that says it is w x h and holds almost nothing: a decompression bomb
    if a decoder believed it."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(tag + data))
        return struct.pack(">I", len(data)) + tag + data + crc

    header = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


# ---- processing, without a model -------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    h0=st.integers(16, 300),
    w0=st.integers(16, 300),
    size=st.tuples(st.sampled_from([32, 64, 96, 128]), st.sampled_from([32, 64, 128])),
    box=st.tuples(*[st.floats(0.05, 0.95)] * 4),
)
def test_a_box_letterboxed_and_scaled_back_lands_where_it_was(h0, w0, size, box):
    """A rectangle drawn on an image of any shape, letterboxed to the model's size:
    its extent there, scaled back by scale_boxes, is the drawn one within a pixel
    of the letterboxed image (YOLOv5's letterbox and scale_boxes are inverses)."""
    gain = min(size[0] / h0, size[1] / w0)
    assume(h0 * gain >= 8 and w0 * gain >= 8)  # room for a rectangle once resized
    least = int(np.ceil(4 / gain))  # 4 pixels once letterboxed
    xa, xb = sorted((box[0] * w0, box[2] * w0))
    ya, yb = sorted((box[1] * h0, box[3] * h0))
    x0, y0 = min(int(xa), w0 - least), min(int(ya), h0 - least)
    x1, y1 = max(x0 + least, int(xb)), max(y0 + least, int(yb))
    img = Image.new("RGB", (w0, h0), (0, 0, 0))
    img.paste((255, 255, 255), (x0, y0, x1, y1))
    boxed = np.asarray(packaged.letterbox(img, size))
    assert boxed.shape == (size[0], size[1], 3)
    grey = boxed[:, :, 0].astype(int)
    # the padding is YOLOv5's grey 114 and the resized image is centred
    nw = round(w0 * gain)
    assert (
        abs((size[1] - nw) / 2 - np.argmax((grey != 114).any(0))) <= 1 or nw == size[1]
    )
    ys, xs = np.nonzero(grey > 127)  # more than half covered
    assert len(xs), "the rectangle survives the resize"
    found = np.array([[xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]], float)
    back = packaged.scale_boxes(found, size, (h0, w0))[0]
    tol = 1.5 / gain + 1  # a letterboxed pixel, in the original's pixels, + rounding
    assert np.all(np.abs(back - [x0, y0, x1, y1]) <= tol), (back, (x0, y0, x1, y1))


def _reference_nms(pred, conf, iou, max_det):
    """YOLOv5's non_max_suppression(multi_label=False) written out plainly: each
    row's best class, per class greedy suppression of IoU > iou, best first."""
    rows = []
    for r in pred:
        if r[4] <= conf:
            continue
        scores = r[5:] * r[4]
        c = int(np.argmax(scores))
        if scores[c] > conf:
            x, y, w, h = r[:4]
            rows.append(
                (float(scores[c]), c, [x - w / 2, y - h / 2, x + w / 2, y + h / 2])
            )
    order = sorted(range(len(rows)), key=lambda i: -rows[i][0])  # stable
    kept = []
    for i in order:
        s, c, b = rows[i]
        if len(kept) == max_det:
            break
        if all(
            c != kc or packaged.box_iou(np.array([b]), np.array([kb]))[0, 0] <= iou
            for _, kc, kb in kept
        ):
            kept.append((s, c, b))
    return kept


@settings(max_examples=120, deadline=None)
@given(
    n=st.integers(0, 40),
    nc=st.integers(1, 4),
    seed=st.integers(0, 2**31 - 1),
    conf=st.sampled_from([0.1, 0.25, 0.5]),
    iou=st.sampled_from([0.3, 0.45, 0.7]),
    max_det=st.sampled_from([3, 1000]),
)
def test_nms_is_yolov5s_detect_nms(n, nc, seed, conf, iou, max_det):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 64, (n, 2))
    wh = rng.uniform(2, 30, (n, 2))
    pred = np.concatenate((xy, wh, rng.uniform(0, 1, (n, 1 + nc))), 1).astype(
        np.float32
    )
    got = packaged.nms(pred, conf, iou, max_det)
    want = _reference_nms(pred, conf, iou, max_det)
    assert len(got) == len(want)
    for row, (s, c, b) in zip(got, want, strict=True):
        assert row[5] == c and row[4] == pytest.approx(s, rel=1e-6)
        assert np.allclose(row[:4], b, atol=1e-4)


def test_images_are_refused_with_a_reason_before_their_pixels_are_decoded(tmp_path):
    p = load_processing(
        tmp_path / "d",
        kind="yolo",
        input_size=[64, 64],
        max_bytes=200_000,
        max_pixels=1_000_000,
        max_images=3,
    )
    good = png(Image.new("RGB", (40, 30), (10, 200, 30)))
    assert p.decode(good).size == (40, 30)
    cases = {
        b"": (400, "empty"),
        b"hello, world": (400, "not an image"),
        good[: len(good) // 2]: (400, "truncated"),
        big_png_header(1200, 1000): (413, "max_pixels"),
        good + b"\0" * 200_000: (413, "max_bytes"),
    }
    for data, (status, words) in cases.items():
        with pytest.raises(p.BadImage) as e:
            p.decode(data)
        assert e.value.status == status and words in str(e.value), str(e.value)
    # served, the same refusals are HTTP errors the client sees
    from fastapi import HTTPException

    with pytest.raises(HTTPException) as e:
        p.Input.from_files([io.BytesIO(good), io.BytesIO(b"junk")], from_server=True)
    assert e.value.status_code == 400 and "file 2" in e.value.detail
    with pytest.raises(HTTPException) as e:
        p.Input.from_files([io.BytesIO(good)] * 4, from_server=True)
    assert e.value.status_code == 413
    # in Python they are errors with the same message
    with pytest.raises(p.BadImage, match="file 1: the file is empty"):
        p.Input.from_files([io.BytesIO(b"")])
    arrays = p.Input(images=[np.zeros((5, 5)), np.zeros((5, 5, 3), np.uint8)])
    (x,), context = p.preprocess(arrays)
    assert x.shape == (2, 3, 64, 64) and x.dtype == np.float32
    assert context["shapes"] == [(5, 5), (5, 5)]
    with pytest.raises(p.BadImage, match="shape"):
        p.preprocess(p.Input(images=[np.zeros((5, 5, 7))]))


def test_yolo_preprocess_is_yolov5s_letterbox_in_0_1_nchw(tmp_path):
    p = load_processing(tmp_path / "d", kind="yolo", input_size=[64, 96])
    img = Image.new("RGB", (50, 100), (255, 0, 0))  # tall: padded left and right
    (x,), ctx = p.preprocess(p.Input(images=[img]))
    assert x.shape == (1, 3, 64, 96)
    assert x[0, :, 32, 48].tolist() == [1.0, 0.0, 0.0]  # the image, centred
    assert np.allclose(x[0, :, 32, 2], 114 / 255)  # the padding
    assert ctx["conf"] == 0.25 and ctx["iou"] == 0.45 and ctx["max_det"] == 1000
    # deploy.json's thresholds are what uploads get
    q = load_processing(
        tmp_path / "e", kind="yolo", input_size=[64, 64], conf_thres=0.1
    )
    assert q.Input(images=[img]).conf_thres == 0.1


# ---- runs, deploy folders and the server -----------------------------------------


@pytest.fixture(scope="module")
def server_deps():
    missing = [
        m
        for m in ("fastapi", "uvicorn", "multipart", "deepsparse", "requests")
        if importlib.util.find_spec(m) is None
    ]
    if missing:  # pragma: no cover - depends on the machine
        if os.environ.get("RECIPE_REQUIRE_RUNNER") or os.environ.get("CI"):
            pytest.fail(f"the server dependencies are required here: {missing}")
        pytest.skip(f"missing {missing}")


@pytest.fixture(scope="module")
def yolo_run(tmp_path_factory, sparseml, server_deps):
    """yolov5n at 64x64, pruned to 50% then QAT: a sparse INT8 deploy folder."""
    from recipe_compiler.runner.args import RunArgs
    from recipe_compiler.runner.train import run

    out = tmp_path_factory.mktemp("yolo")
    cwd = os.getcwd()
    os.chdir(out)  # sparseml's logs
    try:
        lines = []
        run(
            RunArgs(
                str(ROOT / "tests" / "data" / "yolov5n-gmp-qat-tiny.yaml"),
                str(out / "run"),
                model_name="yolov5n",
                dense_epochs=8,
                batch_size=16,
            ),
            progress=lines.append,
        )
    finally:
        os.chdir(cwd)
    assert any("deploy folder" in line and "recipe serve" in line for line in lines)
    return out / "run"


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory, sparseml, server_deps):
    """digits-cnn under the GMP recipe, rescaled short: an FP32 sparse model."""
    from recipe_compiler.runner.args import RunArgs
    from recipe_compiler.runner.train import run

    out = tmp_path_factory.mktemp("digits")
    cwd = os.getcwd()
    os.chdir(out)
    try:
        run(
            RunArgs(
                str(ROOT / "recipes" / "digits-gmp.yaml"),
                str(out / "run"),
                model_name="digits-cnn",
                dense_epochs=4,
                rescale_to=4,
            ),
            progress=lambda _: None,
        )
    finally:
        os.chdir(cwd)
    return out / "run"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    """`recipe serve` as a user starts it, in a child process; its stderr lines."""

    def __init__(self, folder: Path, *options: str):
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "recipe_compiler.cli",
                "serve",
                str(folder),
                "--port",
                str(self.port),
                *options,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stderr:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float = 240) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                if self.process.poll() is not None and self.lines.empty():
                    break
                continue
            self.seen.append(line)
            if text in line:
                return line
        raise AssertionError(f"no {text!r} from recipe serve: {self.seen[-20:]}")

    def url(self, route: str) -> str:
        return f"http://127.0.0.1:{self.port}{route}"

    def children(self):
        import psutil

        return psutil.Process(self.process.pid).children(recursive=True)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(30)
        finally:
            if self.process.poll() is None:  # pragma: no cover - a failed test
                self.process.kill()
                self.process.wait()
            self.process.stdout.close()


def generated_images(n: int, seed: int) -> list[bytes]:
    """Shapes on noise as the training data, some resized off-square so the
    letterbox pads them, as PNG files."""
    from recipe_compiler.runner.zoo.detection import Shapes

    data = Shapes(n, 64, seed=seed)
    sizes = [(64, 64), (96, 64), (50, 80), (128, 128), (70, 40)]
    out = []
    for i in range(n):
        a = (data.images[i].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
        img = Image.fromarray(a)
        size = sizes[i % len(sizes)]
        out.append(
            png(
                img if size == (64, 64) else img.resize(size, Image.Resampling.BILINEAR)
            )
        )
    return out


def torch_answers(run_dir: Path, files: list[bytes]):
    """The runner's PyTorch model on the same files through the same processing."""
    import torch

    from recipe_compiler.runner.trained import load

    p = load_processing(run_dir / "deploy")
    model = load(run_dir)
    x, context = p.preprocess(p.Input(images=[p.decode(f) for f in files]))
    with torch.no_grad():
        out = model(torch.from_numpy(x[0])).numpy()
    return p.postprocess([out], **context)


def twins(got, want, clear=0.3, margin=0.05, iou=0.45):
    """Every detection either side scoring `clear` or more (well above the 0.1 it
    was served at, so INT8's shifts cannot drop its twin under it) has a twin on
    the other side: the same label, IoU > `iou` (what NMS takes for the same
    object: the two engines may keep neighbouring boxes of a cluster), a score
    within `margin`. The IoU of each detection with its twin."""
    from recipe_compiler.deploy.files.processing import box_iou

    found = []
    for image in range(len(want.boxes)):
        sides = (
            (got["boxes"][image], got["scores"][image], got["labels"][image]),
            (want.boxes[image], want.scores[image], want.labels[image]),
        )
        for (boxes, scores, labels), (oboxes, oscores, olabels) in (sides, sides[::-1]):
            for b, s, lab in zip(boxes, scores, labels, strict=True):
                if s < clear:
                    continue
                near = [
                    (box_iou(np.array([b]), np.array([ob]))[0, 0], os_)
                    for ob, os_, ol in zip(oboxes, oscores, olabels, strict=True)
                    if ol == lab and abs(os_ - s) <= margin
                ]
                best = max((v for v, _ in near), default=0.0)
                assert best > iou, (image, b, s, lab, oboxes, oscores, olabels)
                found.append(best)
    return np.array(found)


@pytest.mark.runner
def test_a_yolo_run_writes_a_deploy_folder_deepsparse_serves(sparseml, yolo_run):
    deploy = yolo_run / "deploy"
    assert sorted(p.name for p in deploy.iterdir()) == [
        "deploy.json",
        "model.onnx",
        "processing.py",
        "server.yaml",
        "serving_task.py",
    ]
    assert (deploy / "model.onnx").read_bytes() == (
        yolo_run / "model.onnx"
    ).read_bytes()
    # made as mkdir makes a folder (the staging folder's 0700 is not kept)
    umask = os.umask(0)
    os.umask(umask)
    assert deploy.stat().st_mode & 0o777 == 0o777 & ~umask
    config = json.loads((deploy / "deploy.json").read_text())
    assert config["kind"] == "yolo" and config["input_size"] == [64, 64]
    assert config["class_names"][:2] == ["red rectangle", "red ellipse"]
    import yaml
    from deepsparse.server.config import ServerConfig

    server = ServerConfig(**yaml.safe_load((deploy / "server.yaml").read_text()))
    (endpoint,) = server.endpoints
    assert endpoint.name == "yolo" and endpoint.model == "model.onnx"


@pytest.mark.runner
def test_the_served_int8_model_is_pytorchs_within_int8_rounding(sparseml, yolo_run):
    """The tolerance the box comparison below allows, measured where it arises:
    DeepSparse's INT8 engine against torch's fake quantization on the same input."""
    import torch
    from deepsparse import Engine

    from recipe_compiler.runner.trained import load

    p = load_processing(yolo_run / "deploy")
    files = generated_images(6, seed=3)
    (x,), _ = p.preprocess(p.Input(images=[p.decode(f) for f in files]))
    engine = Engine(str(yolo_run / "deploy" / "model.onnx"), batch_size=1)
    got = np.concatenate([engine([x[i : i + 1]])[0] for i in range(len(x))])
    with torch.no_grad():
        want = load(yolo_run)(torch.from_numpy(x)).numpy()
    diff = np.abs(got - want)
    # pixels (boxes) and probabilities: the box columns carry the large values
    assert np.median(diff[..., 4:]) < 0.01 and np.median(diff[..., :4]) < 0.5
    assert diff.max() < 0.05 * np.abs(want).max()


@pytest.mark.runner
def test_recipe_serve_answers_uploads_with_the_boxes_pytorch_finds(
    sparseml, yolo_run, tmp_path
):
    # a lower threshold than detect.py's 0.25 so that a tiny model has boxes to
    # compare; set where a deployment sets it (uploads carry no options)
    config_path = yolo_run / "deploy" / "deploy.json"
    config = json.loads(config_path.read_text())
    config_path.write_text(json.dumps({**config, "conf_thres": 0.1}))
    import requests

    files = generated_images(15, seed=11)
    want = torch_answers(yolo_run, files)
    served = Served(yolo_run, "--max-request-mb", "1")
    try:
        served.wait_for("ready: ")
        before = served.children()
        assert before, "the server runs in a child process"
        assert requests.get(served.url("/v2/models/yolo/ready")).json() == {
            "status": "OK"
        }
        route = served.url("/v2/models/yolo/infer/from_files")
        answer = requests.post(
            route,
            files=[
                ("request", (f"{i}.png", f, "image/png")) for i, f in enumerate(files)
            ],
        )
        assert answer.status_code == 200, answer.text
        got = answer.json()
        assert set(got) >= {"boxes", "scores", "labels"} and len(got["boxes"]) == 15
        matched = twins(got, want)
        assert len(matched) >= 10, f"only {len(matched)} detections to compare"
        assert np.median(matched) >= 0.9  # most are the same box to a pixel

        bad = {
            "not an image": [("request", ("a.png", b"hello", "image/png"))],
            "an empty file": [("request", ("a.png", b"", "image/png"))],
            "a truncated PNG": [
                ("request", ("a.png", files[0][: len(files[0]) // 2], "image/png"))
            ],
            "a huge image": [
                ("request", ("a.png", big_png_header(9000, 9000), "image/png"))
            ],
        }
        for what, upload in bad.items():
            r = requests.post(route, files=upload)
            assert 400 <= r.status_code < 500 and r.json()["detail"], (what, r.text)
        assert requests.post(route).status_code == 422  # an empty body: no files
        r = requests.post(
            route, files=[("request", ("a.png", b"\0" * (2 << 20), "image/png"))]
        )
        assert r.status_code == 413 and "larger than the 1 MiB" in r.json()["detail"]
        infer = served.url("/v2/models/yolo/infer")
        assert requests.post(infer, data=b"").status_code == 400  # not JSON
        r = requests.post(infer, json={"images": ["/etc/passwd"]})
        assert r.status_code == 422 and "does not read paths" in r.text
        # still serving, the same answer
        again = requests.post(
            route, files=[("request", ("x.png", files[1], "image/png"))]
        )
        assert again.status_code == 200
        assert again.json()["boxes"][0] == got["boxes"][1]
    finally:
        code = served.stop()
    assert code == 0
    served.wait_for("stopped")
    assert not [p for p in before if p.is_running()], "a process was left behind"


@pytest.mark.runner
def test_digits_served_in_fp32_are_pytorchs_answers(sparseml, digits_run):
    import requests
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    files = [
        png(Image.fromarray(np.round(x[i].reshape(8, 8) * 255 / 16).astype(np.uint8)))
        for i in range(0, 1700, 85)
    ]
    want = torch_answers(digits_run, files)
    served = Served(digits_run)
    try:
        served.wait_for("ready: ")
        r = requests.post(
            served.url("/v2/models/digits/infer/from_files"),
            files=[
                ("request", (f"{i}.png", f, "image/png")) for i, f in enumerate(files)
            ],
        )
        assert r.status_code == 200, r.text
        got = r.json()
        assert got["labels"] == want.labels
        assert np.allclose(got["probabilities"], want.probabilities, atol=1e-4)
        assert np.mean(np.array(got["labels"]) == y[0:1700:85]) > 0.8
    finally:
        assert served.stop() == 0


@pytest.mark.runner
def test_the_python_api_runs_the_deploy_folder_in_deepsparse(sparseml, digits_run):
    """README's snippet: DeepSparse's custom task with the folder's processing."""
    from deepsparse import Pipeline

    deploy = digits_run / "deploy"
    sys.path.insert(0, str(deploy))
    try:
        import processing
    finally:
        sys.path.remove(str(deploy))
        sys.modules.pop("processing", None)
    pipeline = Pipeline.create(
        task="custom",
        model_path=str(deploy / "model.onnx"),
        processing_file=str(deploy / "processing.py"),
    )
    from sklearn.datasets import load_digits

    x, _ = load_digits(return_X_y=True)
    paths = []
    for i in range(3):
        path = digits_run / f"digit{i}.png"
        Image.fromarray(np.round(x[i].reshape(8, 8) * 255 / 16).astype(np.uint8)).save(
            path
        )
        paths.append(str(path))
    out = pipeline(processing.Input(images=paths))
    want = torch_answers(digits_run, [Path(p).read_bytes() for p in paths])
    assert out.labels == want.labels


@pytest.mark.runner
def test_serve_refuses_clearly(sparseml, digits_run, tmp_path):
    from click.testing import CliRunner

    from recipe_compiler.cli import main

    r = CliRunner().invoke(main, ["serve", str(tmp_path)])
    assert r.exit_code == 1 and "no deploy/server.yaml" in r.output
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = CliRunner().invoke(main, ["serve", str(digits_run), "--port", str(port)])
    assert r.exit_code == 1 and f"port {port} on 127.0.0.1 is in use" in r.output
    assert "Traceback" not in r.output


def test_serve_names_what_is_missing(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from recipe_compiler.cli import main
    from recipe_compiler.deploy import serve

    monkeypatch.setitem(serve.NEEDS, "no_such_module_here", "no-such-package")
    (tmp_path / "deploy").mkdir()
    r = CliRunner().invoke(main, ["serve", str(tmp_path)])
    assert r.exit_code == 1
    assert r.output.strip() == (
        "recipe serve: DeepSparse's server needs no-such-package: "
        "pip install 'recipe-compiler[runner]'"
    )


def test_the_deploy_files_import_nothing_of_ours():
    """A deploy folder runs where DeepSparse alone is installed: its files import
    the standard library, numpy, Pillow, pydantic, and fastapi or deepsparse."""
    import ast

    allowed = {"numpy", "PIL", "pydantic", "fastapi", "deepsparse"}
    for name in ("processing.py", "task.py"):
        tree = ast.parse((Path(packaged.__file__).parent / name).read_text())
        imported = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom):  # `.x`: nothing beside it to find
                imported.add("." * node.level + (node.module or "").split(".")[0])
        assert imported, name
        foreign = imported - allowed - set(sys.stdlib_module_names)
        assert not foreign, (name, foreign)
