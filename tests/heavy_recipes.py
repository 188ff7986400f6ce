"""Long per-layer recipes as SparseML's transformer recipes are written: one
`!GMPruningModifier` a weight matrix (BERT's query, key, value, attention output,
intermediate and output of every layer), each with one `params` entry, variables
and `eval(...)` for the schedule, `update_frequency` 0.01 or 0.05 over 10-30
epochs. The benchmarks time lint and the language server on them; the schedule
parity tests replay them in SparseML."""

from __future__ import annotations

import random

MATRICES = (
    "attention.self.query",
    "attention.self.key",
    "attention.self.value",
    "attention.output.dense",
    "intermediate.dense",
    "output.dense",
)


def per_layer_recipe(
    modifiers: int = 72,
    update_frequency: float = 0.01,
    epochs: float = 20.0,
    seed: int | None = None,
) -> str:
    """A BERT-style per-layer GMP recipe of `modifiers` pruning modifiers. With a
    `seed`, some modifiers get their own final sparsity, start or end (as recipes
    that prune embeddings or the last layers differently do)."""
    rng = random.Random(seed)
    start, end = round(epochs * 0.1, 2), round(epochs * 0.6, 2)
    lines = [
        "version: 1.1.0",
        "",
        f"num_epochs: {epochs:g}",
        f"pruning_start_epoch: {start:g}",
        f"pruning_end_epoch: {end:g}",
        f"update_frequency: {update_frequency:g}",
        "init_sparsity: 0.0",
        "final_sparsity: 0.9",
        "",
        "training_modifiers:",
        "  - !EpochRangeModifier",
        "    start_epoch: 0.0",
        "    end_epoch: eval(num_epochs)",
        "",
        "  - !LearningRateFunctionModifier",
        "    start_epoch: eval(pruning_end_epoch)",
        "    end_epoch: eval(num_epochs)",
        "    lr_func: linear",
        "    init_lr: 5e-5",
        "    final_lr: 0.0",
        "",
        "pruning_modifiers:",
    ]
    for i in range(modifiers):
        layer, matrix = divmod(i, len(MATRICES))
        name = f"bert.encoder.layer.{layer}.{MATRICES[matrix]}.weight"
        final = "eval(final_sparsity)"
        first, last = "eval(pruning_start_epoch)", "eval(pruning_end_epoch)"
        if seed is not None and rng.random() < 0.2:
            final = f"{rng.choice((0.8, 0.85, 0.95))}"
        if seed is not None and rng.random() < 0.1:
            first = f"eval(pruning_start_epoch + {rng.choice((0.5, 1))})"
        if seed is not None and rng.random() < 0.1:
            last = f"{round(end - rng.choice((1, 2.5)), 2):g}"
        lines += [
            "  - !GMPruningModifier",
            "    params:",
            f"      - re:{name}",
            "    init_sparsity: eval(init_sparsity)",
            f"    final_sparsity: {final}",
            f"    start_epoch: {first}",
            f"    end_epoch: {last}",
            "    update_frequency: eval(update_frequency)",
            "    inter_func: cubic",
            "    mask_type: unstructured",
            "    leave_enabled: True",
            "",
        ]
    return "\n".join(lines)


def heavy_set() -> dict[str, str]:
    """The benchmarks' group: 24-96 modifiers, frequency 0.01 and 0.05, 10-30
    epochs, uniform and varied schedules; name -> text."""
    out = {}
    for n, freq, epochs, seed in (
        (24, 0.05, 10, None),
        (48, 0.01, 20, 1),
        (72, 0.01, 20, None),
        (72, 0.05, 30, 2),
        (96, 0.01, 30, 3),
    ):
        out[
            f"per-layer-{n}x-f{freq:g}-e{epochs}{'' if seed is None else '-varied'}"
        ] = per_layer_recipe(n, freq, epochs, seed)
    return out
