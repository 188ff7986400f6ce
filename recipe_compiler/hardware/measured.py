"""`recipe lint --target-cpu`: what a `recipe sweep` measured, as lint reads it.

A sweep (`DIR/sweep.json`) holds, for one CPU, the speed of every variant (dense
FP32 and INT8, unstructured and block-4 sparsity) relative to dense FP32 in
onnxruntime. Lint tells a recipe's author what the recipe's own sparsity and
precision bought there, and which variant was fastest. `auto` takes the sweep in
`sweep/` (the sweep's default folder) of the current folder or a parent, if it was
measured on this machine's CPU; without one, lint says what is known of the CPU
and how to measure. Pure: reads JSON, never imports the runner.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from .cpu import CPU, detect

MAX_SWEEP_BYTES = 10 * 2**20


class TargetError(Exception):
    """The sweep file cannot be used: the message names it and says why."""


def ratio_range(rates: list[float], base: list[float]) -> tuple[float, float]:
    """The interquartile range of a row's speed over the baseline's, paired round
    by round (the rounds are interleaved, so a slow moment of the machine slows
    both): what noise makes of the ratio. One round: that ratio, twice."""
    ratios = sorted(r / b for r, b in zip(rates, base, strict=False) if b > 0)
    if not ratios:
        return 0.0, 0.0
    n = len(ratios)
    return ratios[(n - 1) // 4], ratios[n - 1 - (n - 1) // 4]


def beyond_noise(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """Whether range `a` is faster than `b` by more than their noise (no overlap)."""
    return a[0] > b[1]


@dataclasses.dataclass(frozen=True)
class Measured:
    name: str
    sparsity: float
    mask: str  # "unstructured" | "block4"
    int8: bool
    ratio: dict[str, float]  # engine -> items/s over dense FP32 in onnxruntime
    # engine -> interquartile range of that ratio over the sweep's rounds
    spread: dict[str, tuple[float, float]] = dataclasses.field(default_factory=dict)

    def range_of(self, engine: str) -> tuple[float, float]:
        r = self.ratio[engine]
        return self.spread.get(engine, (r, r))


@dataclasses.dataclass(frozen=True)
class Target:
    """A sweep's figures (`path`), or, with none, only the CPU (`variants` empty)."""

    cpu: CPU
    path: str | None = None
    variants: tuple[Measured, ...] = ()
    model: str = ""

    @property
    def fastest(self) -> tuple[Measured, str, float] | None:
        """(variant, engine, ratio) of the fastest measured row."""
        rows = [(v, e, r) for v in self.variants for e, r in v.ratio.items()]
        return max(rows, key=lambda row: row[2]) if rows else None

    def nearest(self, sparsity: float, mask: str, int8: bool) -> Measured | None:
        """The measured variant closest to a recipe's sparsity, mask and precision:
        the same precision and mask family first, then the nearest sparsity."""
        if not self.variants:
            return None

        def distance(v: Measured) -> tuple[int, int, float]:
            same_mask = v.mask == mask or (not v.sparsity and not sparsity)
            return (v.int8 != int8, not same_mask, abs(v.sparsity - sparsity))

        return min(self.variants, key=distance)


def load(path: str | Path) -> Target:
    """A `sweep.json`; TargetError (naming the file) if it is not one."""
    p = Path(path)
    try:
        if p.stat().st_size > MAX_SWEEP_BYTES:
            raise TargetError(f"{p}: larger than {MAX_SWEEP_BYTES:,} bytes")
        doc = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise TargetError(f"{p}: cannot read it ({exc})") from None
    except json.JSONDecodeError as exc:
        raise TargetError(
            f"{p}:{exc.lineno}:{exc.colno}: not JSON ({exc.msg}); give the "
            "sweep.json that recipe sweep wrote"
        ) from None
    try:
        return _parse(doc, str(p))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise TargetError(
            f"{p}: not a recipe sweep result ({type(exc).__name__}: {exc}); give "
            "the sweep.json that recipe sweep wrote"
        ) from None


def _parse(doc: Any, path: str) -> Target:
    cpu = CPU.from_dict(doc["cpu"])
    ratios: dict[str, dict[str, float]] = {}
    spreads: dict[str, dict[str, tuple[float, float]]] = {}
    for row in doc["rows"]:
        ratio = float(row["vs_dense_fp32_onnxruntime"])
        if not ratio > 0:
            raise ValueError(f"a ratio of {ratio}")
        ratios.setdefault(str(row["model"]), {})[str(row["engine"])] = ratio
        lo, hi = row.get("vs_dense_fp32_onnxruntime_range", (ratio, ratio))
        spreads.setdefault(str(row["model"]), {})[str(row["engine"])] = (
            float(lo),
            float(hi),
        )
    variants = tuple(
        Measured(
            str(v["name"]),
            float(v["sparsity"]),
            str(v["mask"]),
            bool(v["int8"]),
            ratios[str(v["name"])],
            spreads[str(v["name"])],
        )
        for v in doc["variants"]
    )
    if not variants:
        raise ValueError("no variants")
    return Target(cpu, path, variants, str(doc.get("model", "")))


def auto(start: str | Path = ".", cpu: CPU | None = None) -> Target:
    """The sweep in `sweep/sweep.json` of `start` or a parent that was measured on
    this CPU (model and ISA), else a Target of this CPU alone."""
    here = cpu or detect()
    folder = Path(start).resolve()
    for d in (folder, *folder.parents):
        candidate = d / "sweep" / "sweep.json"
        if not candidate.is_file():
            continue
        try:
            found = load(candidate)
        except TargetError:
            continue
        if (found.cpu.model, found.cpu.isa) == (here.model, here.isa):
            return found
    return Target(here)


def from_option(spec: str) -> Target:
    """`--target-cpu auto|FILE`."""
    return auto() if spec == "auto" else load(spec)
