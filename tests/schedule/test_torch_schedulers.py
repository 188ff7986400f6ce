"""LearningRateModifier's lr_kwargs as torch 2.13 takes them: our table of the
arguments each scheduler accepts (after SparseML's `corrected_lr_info` rewrite)
is torch's own signature, so a key lint calls unknown really is a TypeError."""

from __future__ import annotations

import inspect

from recipe_compiler.modifiers.training import LR_CLASSES, TORCH_KWARGS

# what SparseML writes into lr_kwargs before calling torch, and what it renames
SET_BY_SPARSEML = {"ExponentialLR": {"step_size"}}
RENAMED = {"CosineAnnealingWarmRestarts": {"lr_min": "eta_min", "cycle_epochs": "T_0"}}
TORCH_CLASS = {"ExponentialLR": "StepLR"}


def test_every_lr_class_has_its_torch_arguments(sparseml):
    from torch.optim import lr_scheduler

    assert set(TORCH_KWARGS) == set(LR_CLASSES)
    for name, ours in TORCH_KWARGS.items():
        cls = getattr(lr_scheduler, TORCH_CLASS.get(name, name))
        torch_args = set(inspect.signature(cls.__init__).parameters) - {
            "self",
            "optimizer",
        }
        renamed = RENAMED.get(name, {})
        written = {renamed.get(k, k) for k in ours}
        assert written == torch_args, name
        assert set(LR_CLASSES[name]) <= set(ours) | SET_BY_SPARSEML.get(name, set())
