"""`DIR/checkpoint.pt`: what a run needs to resume after its last finished epoch.

The model, the optimizer, the random generators, the epoch and the hash of the
recipe text (under the recipe SparseML's manager state too), written atomically so
a kill leaves the last one. `phase` says which loop wrote it: "dense" (its
`dense_epoch` of `dense_epochs`) or "recipe" (its `epoch`; a checkpoint without
`phase` predates dense checkpoints and is a recipe one).
"""

from __future__ import annotations

import hashlib
import os
import random
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .errors import RunError

CHECKPOINT = "checkpoint.pt"


class CheckpointError(RunError):
    """A checkpoint that cannot be resumed from; the message says why."""


def recipe_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def save(out_dir: Path, recipe_text: str, state: dict[str, Any]) -> None:
    """torch.save to a temporary file, fsync, rename: a kill leaves the last one."""
    state = {**state, "recipe_sha256": recipe_hash(recipe_text), "format": 1}
    fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=".checkpoint.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(state, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, out_dir / CHECKPOINT)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load(out_dir: Path) -> dict[str, Any]:
    path = out_dir / CHECKPOINT
    if not path.exists():
        raise CheckpointError(f"nothing to resume: {path} does not exist")
    try:
        state = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # a truncated or corrupt file: say so, never guess
        raise CheckpointError(
            f"{path} is corrupt or partial ({type(exc).__name__}); it cannot be "
            "resumed: start the run again"
        ) from None
    if not isinstance(state, dict) or state.get("format") != 1 or "epoch" not in state:
        raise CheckpointError(f"{path} is not a recipe-compiler checkpoint")
    return state


def phase(state: dict[str, Any] | None) -> str | None:
    """Which loop wrote the checkpoint: "dense" or "recipe" (None: no checkpoint)."""
    if state is None:
        return None
    return "dense" if state.get("phase") == "dense" else "recipe"


def check_recipe(out_dir: Path, state: dict[str, Any], text: str) -> None:
    """Refuse to resume under another recipe text than the run started with."""
    if state.get("recipe_sha256") != recipe_hash(text):
        raise CheckpointError(
            f"{out_dir / CHECKPOINT} was written for another version of the recipe: "
            "resuming would change the schedule mid-run"
        )


def interrupted(folder: str) -> str:
    """What to do after Ctrl-C: resume from the last checkpoint, if there is one."""
    saved = Path(folder) / CHECKPOINT
    if saved.exists():
        return (
            f"interrupted; the last finished epoch is saved in {saved}: resume with "
            f"--resume {folder}"
        )
    return (
        "interrupted before the first epoch ended; nothing was saved to resume: "
        "start the run again"
    )


def rng_state(loader: Any) -> dict[str, Any]:
    """Every random generator a resumed epoch must continue from."""
    return {
        "torch": torch.get_rng_state(),
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "loader": loader.generator.get_state() if loader.generator else None,
    }


def set_rng_state(state: dict[str, Any], loader: Any) -> None:
    torch.set_rng_state(state["torch"])
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    if loader.generator is not None and state["loader"] is not None:
        loader.generator.set_state(state["loader"])


def load_weights(model: torch.nn.Module, path: str) -> None:
    """A state dict saved with `torch.save(model.state_dict(), path)`, or the model
    of one of our checkpoints; raises CheckpointError when it does not fit."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise CheckpointError(
            f"{path}: cannot load weights ({type(exc).__name__}: {exc})"
        ) from None
    if (
        isinstance(state, dict)
        and "model" in state
        and isinstance(state["model"], dict)
    ):
        state = state["model"]  # a checkpoint of ours
    try:
        model.load_state_dict(state)
    except (RuntimeError, TypeError) as exc:
        first = str(exc).strip().splitlines()[0]
        raise CheckpointError(f"{path} does not fit the model: {first}") from None
