"""What oneshot did against what `recipe show --model` predicted, module by
module: which modifier gave it a scheme and which scheme (weight bits, strategy,
group size; input activations' bits, strategy, group size: the fields
`tests/llm/test_applied_oracle.py` holds the prediction to), which modifier
pruned it and to what, and whether its weight is as sparse as that. Any
difference is a finding: the prediction, and so every check built on it, was
wrong for this model, and the report says where. Pure data in, data out."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

# (the prediction's key, the engine's side, its key)
_FIELDS = (
    ("weight_bits", "weights", "num_bits"),
    ("strategy", "weights", "strategy"),
    ("group_size", "weights", "group_size"),
    ("input_bits", "input_activations", "num_bits"),
    ("input_strategy", "input_activations", "strategy"),
    ("input_group_size", "input_activations", "group_size"),
)
ZERO_TOLERANCE = 0.01  # SparseGPT prunes by blocks of columns: a fraction, rounded


@dataclasses.dataclass(frozen=True)
class Applied:
    """What oneshot did (`engine.applied` reads it off the model): the modifiers
    in order (class names), and per module the scheme it holds, which modifier
    gave it, what it was pruned to (modifier, level) and its weight's zeros."""

    modifiers: list[str]
    schemes: dict[str, dict[str, Any]]  # module -> {weights, input_activations}
    given: dict[str, int]
    pruned: dict[str, tuple[int, float]]
    zeros: dict[str, float]  # every Linear/Embedding -> fraction of weight zero


@dataclasses.dataclass(frozen=True)
class Compared:
    rows: list[dict[str, Any]]  # one per module either side names
    findings: list[str]  # every difference, one line each
    per_modifier: list[dict[str, Any]]  # what each modifier did, in order


def compare(
    predicted: Mapping[str, Any] | None,
    lines: Sequence[int | None],
    done: Applied,
) -> Compared:
    """`lines`: the recipe line each of `done.modifiers` is written at."""
    expected = {r["name"]: r for r in (predicted or {}).get("modules", [])}
    names = list(expected) + sorted(
        n for n in set(done.pruned) | set(done.zeros) if n not in expected
    )  # (zeros: every Linear and Embedding, what the prediction covers)
    rows, findings = [], []
    for name in names:
        want = expected.get(name)
        got = _observed(name, lines, done)
        said = _differences(name, want, got) if predicted is not None else []
        findings += said
        rows.append(
            {"name": name, "predicted": want, "observed": got, "agrees": not said}
        )
    per_modifier = []
    for index, label in enumerate(done.modifiers):
        schemed = [n for n, i in done.given.items() if i == index and n in done.zeros]
        cut = [n for n, (i, _) in done.pruned.items() if i == index]
        per_modifier.append(
            {
                "modifier": label,
                "line": lines[index] if index < len(lines) else None,
                "schemed": schemed,
                "pruned": cut,
            }
        )
    return Compared(rows, findings, per_modifier)


def _observed(name: str, lines: Sequence[int | None], done: Applied) -> dict[str, Any]:
    scheme = done.schemes.get(name) or {}
    weights = scheme.get("weights") or {}
    inputs = scheme.get("input_activations") or {}
    by = done.given.get(name)
    cut = done.pruned.get(name)
    modifiers = done.modifiers
    return {
        "modifier": modifiers[by] if by is not None and name in done.schemes else None,
        "modifier_line": lines[by] if by is not None and by < len(lines) else None,
        "weight_bits": weights.get("num_bits"),
        "weight_type": weights.get("type"),
        "strategy": weights.get("strategy"),
        "group_size": weights.get("group_size"),
        "input_bits": inputs.get("num_bits"),
        "input_strategy": inputs.get("strategy"),
        "input_group_size": inputs.get("group_size"),
        "input_dynamic": inputs.get("dynamic"),
        "sparsity": cut[1] if cut else None,
        "pruned_by": modifiers[cut[0]] if cut else None,
        "zeros": done.zeros.get(name),
    }


def _differences(
    name: str, want: Mapping[str, Any] | None, got: Mapping[str, Any]
) -> list[str]:
    out = []
    want = want or {}
    if want.get("modifier") != got["modifier"]:
        gave = f"one from {got['modifier']}" if got["modifier"] else "none"
        out.append(
            f"{name}: predicted a scheme from "
            f"{want.get('modifier') or 'no modifier'}, oneshot gave {gave}"
        )
    elif got["modifier"] is not None:
        for key, _, _ in _FIELDS:
            if want.get(key) != got[key]:
                out.append(
                    f"{name}: predicted {key} {want.get(key)}, oneshot gave {got[key]}"
                )
    predicted_level = want.get("sparsity")
    if (want.get("pruned_by") or None) != got["pruned_by"]:
        by = got["pruned_by"] or "none"
        out.append(
            f"{name}: predicted pruning by {want.get('pruned_by') or 'no modifier'}, "
            f"oneshot pruned it by {by}"
        )
    elif got["pruned_by"] is not None:
        level = got["sparsity"]
        if (
            isinstance(predicted_level, int | float)
            and abs(predicted_level - level) > 1e-9
        ):
            out.append(
                f"{name}: predicted sparsity {predicted_level:g}, oneshot pruned it "
                f"to {level:g}"
            )
        zeros = got["zeros"]
        if zeros is not None and zeros < level - ZERO_TOLERANCE:
            out.append(
                f"{name}: pruned to {level:g}, but only {zeros:.3f} of its weight "
                "is zero"
            )
    return out
