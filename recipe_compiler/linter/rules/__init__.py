"""The lint rules, one module each, in an explicit registry keyed by code.

May import: what the linter may (`schedule/`, `model/`, `hardware/`, `loader/`,
`modifiers/`, the ground floor) and `_base`/`_replay` beside them.
"""

from __future__ import annotations

from types import ModuleType

from . import (
    rc205_gmp_zero_window,
    rc206_end_epoch_minus_one,
    rc207_update_frequency,
    rc208_final_sparsity_not_applied,
    rc209_starts_after_training,
    rc210_ignored_field,
    rc211_milestones,
    rc220_runtime_crash,
    rc221_lr_conflict,
    rc222_pruning_into_qat,
    rc224_qat_markers,
    rc225_epoch_range_early,
    rc226_update_drift,
    rc227_lr_end_off_grid,
    rc228_pruning_overlap,
    rc229_nan_epoch,
    rc230_qat_marker_after_training,
    rc303_init_above_final,
    rc402_unused_variable,
    rc501_params_not_found,
    rc502_regex_takes_the_ends,
    rc503_ignored_beside_token,
    rc504_names_not_found,
    rc505_name_does_nothing,
    rc506_value_shape,
    rc507_mask_does_not_fit,
    rc508_block4_partial,
    rc509_pruned_twice,
    rc510_left_out_of_all_prunable,
    rc601_target_cpu,
)

RULES: dict[str, ModuleType] = {
    m.CODE: m
    for m in (
        rc205_gmp_zero_window,
        rc206_end_epoch_minus_one,
        rc207_update_frequency,
        rc208_final_sparsity_not_applied,
        rc209_starts_after_training,
        rc210_ignored_field,
        rc211_milestones,
        rc220_runtime_crash,
        rc221_lr_conflict,
        rc222_pruning_into_qat,
        rc224_qat_markers,
        rc225_epoch_range_early,
        rc226_update_drift,
        rc227_lr_end_off_grid,
        rc228_pruning_overlap,
        rc229_nan_epoch,
        rc230_qat_marker_after_training,
        rc303_init_above_final,
        rc402_unused_variable,
        rc501_params_not_found,
        rc502_regex_takes_the_ends,
        rc503_ignored_beside_token,
        rc504_names_not_found,
        rc505_name_does_nothing,
        rc506_value_shape,
        rc507_mask_does_not_fit,
        rc508_block4_partial,
        rc509_pruned_twice,
        rc510_left_out_of_all_prunable,
        rc601_target_cpu,
    )
}
NAMES: dict[str, str] = {m.NAME: code for code, m in RULES.items()}
