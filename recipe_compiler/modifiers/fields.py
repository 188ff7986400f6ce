"""The unit of each modifier field that holds a number of epochs, an update
frequency (in epochs) or a learning rate, by its path in the modifier.

One table for everything that treats a field by its unit: `recipe rescale` scales
the epochs (and, if asked, the frequencies) and rewrites the LRs, `--flatten`
scales them in a plain recipe, and the language server's hover shows each epoch's
step.
"""

from __future__ import annotations

FIELD_UNITS = {
    "start_epoch": "epoch",
    "end_epoch": "epoch",
    "freeze_bn_stats_epoch": "epoch",
    "disable_quantization_observer_epoch": "epoch",
    "cycle_epochs": "epoch",
    "update_epochs": "epoch",
    "lr_kwargs.step_size": "epoch",
    "lr_kwargs.milestones": "epoch",
    "lr_kwargs.cycle_epochs": "epoch",
    "update_frequency": "frequency",
    "learning_rate": "lr",
    "init_lr": "lr",
    "final_lr": "lr",
}
