"""Where `--model` comes from: a built-in model's table, an ONNX file, or the
runner's `pkg.module:factory` protocol, dispatched by the spec's form.

The built-in tables and ONNX files are read without torch; a factory builds the
user's torch model (`model/torch.py`, which needs the runner extra).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from .network import (
    MAX_TABLE_BYTES,
    TABLES,
    Network,
    NetworkError,
    builtin_names,
    network_from_dict,
)


@cache
def load_network(spec: str) -> Network:
    """The network `--model` names: a built-in model's name, an ONNX file (read
    with onnx alone), or `pkg.module:factory` (the runner's factory protocol; it
    needs the runner extra)."""
    path = TABLES / f"{spec}.json"
    if spec in builtin_names():
        with path.open("rb") as f:
            data = f.read(MAX_TABLE_BYTES + 1)
        return network_from_dict(json.loads(data))
    from .onnx import is_onnx_path, onnx_network

    if is_onnx_path(spec):
        return onnx_network(spec)
    if ":" in spec and not Path(spec).exists():
        return _factory(spec)
    if Path(spec).is_dir():
        raise NetworkError(f"--model {spec}: a folder, not a model file")
    raise NetworkError(
        f"--model {spec}: not a built-in model (one of "
        + ", ".join(builtin_names())
        + "), an ONNX file nor a pkg.module:factory"
    )


def _factory(spec: str) -> Network:
    try:
        from .torch import factory_network
    except ImportError as exc:
        raise NetworkError(
            f"--model {spec}: a factory needs the runner extra (torch, sparseml): "
            f"pip install 'recipe-compiler[runner]' ({exc})"
        ) from None
    try:
        return factory_network(spec)
    except KeyError as exc:  # call_factory: no such module, attribute or part
        raise NetworkError(f"--model {exc.args[0]}") from None
    except Exception as exc:  # the user's code: say what it raised, in one line
        first = str(exc).splitlines()[0][:200] if str(exc) else ""
        raise NetworkError(
            f"--model {spec}: the factory failed: {type(exc).__name__}: {first}"
        ) from None
