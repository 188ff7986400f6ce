"""A finished run's model back in torch, as `recipe run` left it.

The recipe's structure (QAT's fake quantization, masks) is applied to the model
built from its definition, then `DIR/model.pt` is loaded into it: what the run
exported, for comparing a deployment's answers with PyTorch's.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from .. import torch_compat
from .errors import RunError

torch_compat.apply()

import torch  # noqa: E402
from torch import nn  # noqa: E402

from .zoo.models import MODELS  # noqa: E402


def load(run_dir: str | Path) -> nn.Module:
    """The model `recipe run -o run_dir` trained, in eval mode."""
    from sparseml.pytorch.optim import ScheduledModifierManager

    base = Path(run_dir)
    try:
        name = json.loads((base / "report.json").read_text(encoding="utf-8"))["model"]
        recipe = next(p for p in sorted(base.glob("recipe.*")))
    except (OSError, ValueError, KeyError, StopIteration) as exc:
        raise RunError(f"{base} is not a finished run ({exc})") from None
    if name not in MODELS:
        raise RunError(f"{base}: model {name!r} is not a built-in one")
    if name.startswith("yolov5"):
        deployed = json.loads((base / "deploy" / "deploy.json").read_text("utf-8"))
        model = MODELS[name](len(deployed["class_names"]))
    else:
        model = MODELS[name]()
    manager = ScheduledModifierManager.from_yaml(str(recipe))
    torch_compat.prepare_manager(manager, model)
    manager.apply_structure(model, epoch=math.inf)
    model.load_state_dict(torch.load(base / "model.pt", weights_only=True))
    return model.eval()
