"""Small fixes that make sparseml 1.8 run on torch 2.13, applied before sparseml loads.

The runner's compat module, on the ground floor (standard library at import;
torch only inside `apply`) because more than the runner loads sparseml: reading a
`--model pkg.module:factory` network (`model/torch.py`) and `recipe doctor`.

Each fix is needed for one documented reason and is tested on its own
(`tests/runner/test_runner.py`):

1. `torch.onnx.export` defaults to the dynamo exporter in torch 2.13, which needs
   onnxscript (not installed, and not what sparseml's exporter expects): the wrapper
   passes `dynamo=False` unless the caller chose.
2. sparseml's QAT sets an attribute on torch's `QConfig`
   (`qconfig.quantization_scheme = scheme`), and torch 2.13's `QConfig` is a
   namedtuple with `__slots__ = ()`, which refuses it (AttributeError). A subclass
   without `__slots__` has a `__dict__`; it replaces `QConfig` where sparseml looks it
   up (`torch.quantization`, `torch.ao.quantization` and its `qconfig` module), and is
   still a `QConfig` for every isinstance check in torch.
3. sparseml needs `NM_DISABLE_ANALYTICS=1` so that nothing reaches the network.
   Its `import pkg_resources` makes setuptools 80 warn that the API is deprecated
   (pinned below 81, where it still exists); that one warning is silenced, as it
   says nothing a user of the runner can act on.

4. Real models need more than torch patches; `prepare_manager` does it on the loaded
   manager: SparseML wraps each quantized module in a QuantWrapper that quantizes its
   input, which breaks modules whose input is a list (YOLO's Concat and Detect), so
   their class names are added to every QuantizationModifier's `ignore`. (Layer
   fusion must see the model in train mode: the runner calls `modify` on a model in
   `train()`.)

`apply()` is idempotent; `applied()` tells whether it ran.
"""

from __future__ import annotations

import functools
import os
import warnings
from typing import Any

_APPLIED = False

# one line each, for `recipe doctor`; the docstring says why
FIXES = (
    "torch.onnx.export runs the TorchScript exporter (dynamo=False), the one "
    "sparseml's exporter expects",
    "torch's QConfig gets a __dict__, so sparseml's QAT can tag it with its scheme",
    "NM_DISABLE_ANALYTICS=1 before sparseml and deepsparse load; setuptools' "
    "pkg_resources deprecation warning silenced",
    "QuantizationModifier ignores Concat and Detect (their input is a list), "
    "added to every loaded recipe's manager",
)


def apply() -> None:
    """Patch torch for sparseml 1.8. Call before importing sparseml."""
    global _APPLIED
    if _APPLIED:
        return
    os.environ.setdefault("NM_DISABLE_ANALYTICS", "1")
    warnings.filterwarnings(
        "ignore", message="pkg_resources is deprecated", category=UserWarning
    )
    import torch
    import torch.ao.quantization as ao_quantization
    import torch.ao.quantization.qconfig as qconfig_module
    import torch.onnx

    original_export = torch.onnx.export

    @functools.wraps(original_export)
    def export(*args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("dynamo", False)
        return original_export(*args, **kwargs)

    torch.onnx.export = export

    base = qconfig_module.QConfig

    class QConfig(base):  # type: ignore[misc, valid-type]
        """torch's QConfig with a __dict__, so sparseml can tag it with its scheme."""

    QConfig.__name__ = QConfig.__qualname__ = "QConfig"
    for module in (qconfig_module, ao_quantization, torch.quantization):
        module.QConfig = QConfig  # type: ignore[attr-defined]
    _APPLIED = True


def applied() -> bool:
    return _APPLIED


LIST_INPUT_MODULES = ("Concat", "Detect")  # their forward takes a list of tensors


def prepare_manager(manager: Any, model: Any) -> list[str]:
    """Make a loaded manager safe for `model`; returns what it changed, for the log."""
    present = {type(m).__name__ for m in model.modules()}
    wanted = [name for name in LIST_INPUT_MODULES if name in present]
    changes = []
    for mod in manager.iter_modifiers():
        if type(mod).__name__ == "QuantizationModifier" and hasattr(mod, "ignore"):
            missing = [n for n in wanted if n not in (mod.ignore or [])]
            if missing:
                mod.ignore = [*(mod.ignore or []), *missing]
                changes.append(
                    f"QuantizationModifier ignores {', '.join(missing)} "
                    "(their input is a list)"
                )
    return changes
