"""The lint rules, one module each, in an explicit registry keyed by code.

The registry says, for each code, its module, its name and what it needs beyond
the recipe (as the module's `NAME` and `NEEDS` do; a test holds them equal), so
that a lint without `--model` or `--target-cpu` never imports the rules that need
them, nor the model and hardware modules they read: a rule module is imported the
first time it is asked for.

May import: what the linter may (`schedule/`, `model/`, `hardware/`, `loader/`,
`modifiers/`, the ground floor) and `_base`/`_replay` beside them.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from types import ModuleType

from ..context import Need

# code -> (module, name, needs)
TABLE: dict[str, tuple[str, str, tuple[Need, ...]]] = {
    "RC205": ("rc205_gmp_zero_window", "pruning-zero-window", ()),
    "RC206": ("rc206_end_epoch_minus_one", "end-epoch-minus-one", ()),
    "RC207": ("rc207_update_frequency", "pruning-update-frequency", ()),
    "RC208": ("rc208_final_sparsity_not_applied", "final-sparsity-not-applied", ()),
    "RC209": ("rc209_starts_after_training", "starts-after-training", ()),
    "RC210": ("rc210_ignored_field", "ignored-field", ()),
    "RC211": ("rc211_milestones", "milestones-outside-window", ()),
    "RC220": ("rc220_runtime_crash", "runtime-crash", ("replay",)),
    "RC221": ("rc221_lr_conflict", "lr-conflict", ("replay",)),
    "RC222": ("rc222_pruning_into_qat", "pruning-into-qat", ("replay",)),
    "RC224": ("rc224_qat_markers", "qat-markers-at-start", ("replay",)),
    "RC225": ("rc225_epoch_range_early", "epoch-range-ends-early", ()),
    "RC226": ("rc226_update_drift", "update-drift", ("replay",)),
    "RC227": ("rc227_lr_end_off_grid", "lr-end-off-grid", ("replay",)),
    "RC228": ("rc228_pruning_overlap", "pruning-overlap", ()),
    "RC229": ("rc229_nan_epoch", "nan-epoch", ()),
    "RC230": (
        "rc230_qat_marker_after_training",
        "qat-marker-after-training",
        ("replay",),
    ),
    "RC303": ("rc303_init_above_final", "init-above-final", ()),
    "RC304": ("rc304_typographic_quotes", "typographic-quotes", ()),
    "RC402": ("rc402_unused_variable", "unused-variable", ()),
    "RC501": ("rc501_params_not_found", "params-not-found", ("network",)),
    "RC502": ("rc502_regex_takes_the_ends", "regex-takes-the-ends", ("network",)),
    "RC503": ("rc503_ignored_beside_token", "ignored-beside-token", ("network",)),
    "RC504": ("rc504_names_not_found", "names-not-found", ("network",)),
    "RC505": ("rc505_name_does_nothing", "name-does-nothing", ("network",)),
    "RC506": ("rc506_value_shape", "value-shape", ("network",)),
    "RC507": ("rc507_mask_does_not_fit", "mask-does-not-fit", ("network",)),
    "RC508": ("rc508_block4_partial", "block4-partial", ("network",)),
    "RC509": ("rc509_pruned_twice", "pruned-twice", ("network",)),
    "RC510": (
        "rc510_left_out_of_all_prunable",
        "left-out-of-all-prunable",
        ("network",),
    ),
    "RC601": ("rc601_target_cpu", "target-cpu", ("target",)),
}
NAMES: dict[str, str] = {name: code for code, (_, name, _) in TABLE.items()}


class _Rules(Mapping[str, ModuleType]):
    """code -> rule module, each imported on first use."""

    def __getitem__(self, code: str) -> ModuleType:
        module, _, _ = TABLE[code]
        return importlib.import_module(f"{__name__}.{module}")

    def __iter__(self) -> Iterator[str]:
        return iter(TABLE)

    def __len__(self) -> int:
        return len(TABLE)

    def needs(self, code: str) -> tuple[Need, ...]:
        """What the rule reads beyond the recipe, without importing it."""
        return TABLE[code][2]


RULES = _Rules()
