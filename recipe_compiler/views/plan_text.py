"""Output formats of `recipe plan`: table, json (the contract in docs/plan.md), csv."""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Any

import numpy as np

from .._text import aligned, epoch_text
from ..schedule.timeline import Timeline, modifier_rows


def _num(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def _list(a: np.ndarray) -> list[float | None]:
    out: list[float | None] = a.tolist()
    if np.isnan(a).any():
        out = [None if v != v else v for v in out]
    return out


def as_dict(t: Timeline) -> dict[str, Any]:
    return {
        "max_epochs": t.max_epochs,
        "steps_per_epoch": t.steps_per_epoch,
        "total_steps": t.total_steps,
        "grad_accum": t.grad_accum,
        "modifiers": list(modifier_rows(t)),
        "phases": [
            {
                "name": p.name,
                "start_epoch": p.start_epoch,
                "end_epoch": p.end_epoch,
                "start_step": p.start_step,
                "end_step": p.end_step,
            }
            for p in t.phases
        ],
        "steps": {
            "lr": _list(t.lr[0]),
            "sparsity": {str(i): _list(s) for i, s in sorted(t.sparsity.items())},
        },
    }


def as_json(t: Timeline) -> str:
    return json.dumps(as_dict(t), separators=(",", ":"), allow_nan=False) + "\n"


def as_csv(t: Timeline) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    groups = t.lr.shape[0]
    lr_cols = ["lr"] if groups == 1 else [f"lr_group{g}" for g in range(groups)]
    sp = sorted(t.sparsity)
    w.writerow(
        ["step", "epoch", *lr_cols, "weight_decay", *[f"sparsity_{i}" for i in sp]]
    )
    cols = (
        [t.lr[g] for g in range(groups)]
        + [t.weight_decay]
        + [t.sparsity[i] for i in sp]
    )
    for k in range(t.total_steps):
        w.writerow(
            [k, repr(float(t.epochs[k]))]
            + ["" if c[k] != c[k] else repr(float(c[k])) for c in cols]
        )
    return buf.getvalue()


def _what(p: Any, t: Timeline) -> str:
    m = p.model
    kind = type(m).__name__
    if p.sparsity is not None and len(p.sparsity):
        return (
            f"sparsity {p.sparsity[0]:.4g} -> {p.sparsity[-1]:.4g} "
            f"({getattr(m, 'inter_func', '')})"
        )
    if kind == "SetLearningRateModifier":
        return f"LR = {m.learning_rate:g}"
    if kind == "LearningRateFunctionModifier":
        return f"LR {m.lr_func} {m.init_lr:g} -> {m.final_lr:g}"
    if kind == "LearningRateModifier":
        return f"LR {m.lr_class} from {m.init_lr:g}"
    if kind == "SetWeightDecayModifier":
        return f"weight decay = {m.weight_decay:g}"
    if kind == "EpochRangeModifier":
        return "training length"
    if kind in ("QuantizationModifier", "LegacyQuantizationModifier"):
        parts = ["QAT"]
        if m.freeze_bn_stats_epoch is not None:
            parts.append(f"BN freeze @{epoch_text(m.freeze_bn_stats_epoch)}")
        if m.disable_quantization_observer_epoch is not None:
            parts.append(
                f"observers off @{epoch_text(m.disable_quantization_observer_epoch)}"
            )
        return ", ".join(parts)
    if kind == "ConstantPruningModifier":
        return "holds sparsity"
    return ""


def short(x: float | None) -> str:
    """A planned value as people write it: `0.001`, not the float32 LR torch held
    (`0.0010000000884101265`); six significant digits."""
    return "unset" if x is None or x != x else f"{float(x):.6g}"


def as_table(t: Timeline, name: str) -> str:
    epochs = t.total_steps / t.steps_per_epoch
    rows = [("#", "modifier", "epochs", "steps", "updates", "what")]
    for p in t.modifiers:
        m = p.model
        a = "-" if p.start_step is None else str(p.start_step)
        b = "(none)" if p.end_step is None else str(p.end_step)
        rows.append(
            (
                str(p.index),
                p.type,
                f"{epoch_text(m.start)} -> {epoch_text(m.end)}",
                f"{a} -> {b}",
                "" if p.update_steps is None else f"{len(p.update_steps):,}",
                "  ".join(
                    x for x in (_what(p, t), p.crash and f"CRASH: {p.crash}") if x
                ),
            )
        )
    lines = [
        f"{name}: {t.total_steps:,} steps = {epoch_text(epochs)} epochs "
        f"x {t.steps_per_epoch} steps/epoch (max_epochs {t.max_epochs})",
        "",
        *aligned(rows, right=(0, 4)),
    ]
    if t.phases:
        phase_rows = [
            (
                ph.name,
                f"epochs {epoch_text(ph.start_epoch)} -> {epoch_text(ph.end_epoch)}",
                f"steps {ph.start_step} -> {ph.end_step}",
            )
            for ph in t.phases
        ]
        lines += ["", "phases:", *("  " + r for r in aligned(phase_rows))]
    tail = _after_schedule(t)
    if tail:
        lines += ["", tail]
    final_lr = t.lr[0][-1] if t.total_steps else float("nan")
    lines += ["", f"final LR {short(_num(final_lr))}"]
    for i, s in sorted(t.sparsity.items()):
        value = _num(s[-1]) if len(s) else None
        lines.append(f"final target sparsity of modifier {i}: {short(value)}")
    return "\n".join(lines) + "\n"


def _after_schedule(t: Timeline) -> str | None:
    """The steps SparseML trains after every modifier has ended: `max_epochs` rounds
    a fractional last end up to a whole epoch."""
    events = [
        (x, k)
        for p in t.modifiers
        for x, k in ((p.model.start, p.start_step), (p.model.end, p.end_step))
        if x >= 0
    ]
    if not events:
        return None
    last, last_step = max(events, key=lambda e: e[0])
    if last_step is None or last_step >= t.total_steps - 1:
        return None
    n = t.total_steps - 1 - last_step
    return (
        f"after the last end (epoch {epoch_text(last)}, step {last_step}) SparseML "
        f"trains {n:,} more steps to max_epochs {t.max_epochs} with the final LR "
        "and sparsity"
    )
