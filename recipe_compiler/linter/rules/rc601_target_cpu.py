"""What the recipe's sparsity and precision bought on the target CPU (`--target-cpu`).

`recipe lint --target-cpu FILE` (a `sweep.json` of `recipe sweep`) or `auto` (the
sweep in `sweep/` here or in a parent folder, measured on this machine's CPU) says,
once per recipe, how fast the measured variant nearest to the recipe (its highest
final sparsity, its mask, INT8 if it has a QuantizationModifier) ran relative to
dense FP32 in onnxruntime, and which variant was the fastest. On a CPU without
VNNI, where DeepSparse says INT8 is emulated, INT8 with block-4 sparsity can still
be the fastest: the sweep measures it rather than reading an ISA table. Without a
sweep for this CPU the finding says what DeepSparse says of it and how to measure.

Passes: any recipe linted without `--target-cpu`.
Fails: `--target-cpu sweep.json`: the recipe's 95% block-4 + INT8 ran at 2.63x.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ...hardware.measured import Measured, beyond_noise
from ...loader.recipe import Recipe
from ...modifiers import is_gradual, is_qat
from ...problems import Severity
from ..context import Context
from ._base import Finding

CODE = "RC601"
NAME = "target-cpu"
SEVERITY = Severity.INFO
NEEDS = ("target",)


def made(recipe: Recipe) -> tuple[float, str, bool, tuple[int, int]]:
    """(highest final sparsity, mask, INT8, where to report) of what the recipe
    makes: block4 if any pruning modifier masks in blocks of 4."""
    sparsity, mask, int8 = 0.0, "unstructured", False
    at: tuple[int, int] | None = None
    for e, m in recipe.models:
        if is_qat(m):
            int8 = True
            at = at or (e.line, e.column)
        elif is_gradual(m):
            final = _highest(getattr(m, "final_sparsity", 0.0))
            if final > sparsity:
                sparsity = final
            if _block4(getattr(m, "mask_type", None)):
                mask = "block4"
            at = at or (e.line, e.column)
    return sparsity, mask, int8, at or (1, 1)


def _highest(value: Any) -> float:
    if isinstance(value, dict):  # {sparsity: [params]}
        keys = [k for k in value if isinstance(k, int | float)]
        return float(max(keys)) if keys else 0.0
    return float(value) if isinstance(value, int | float) else 0.0


def _block4(mask: Any) -> bool:
    return mask == "block4" or (isinstance(mask, list) and list(mask) == [1, 4])


def describe(sparsity: float, mask: str, int8: bool) -> str:
    """As `recipe sweep` names its variants: `95% block-4 + INT8`, `dense FP32`."""
    if not sparsity:
        return f"dense {'INT8' if int8 else 'FP32'}"
    kind = "block-4" if mask == "block4" else "unstructured"
    return f"{sparsity:.0%} {kind} {'+ INT8' if int8 else 'FP32'}"


def _ratios(v: Measured) -> str:
    parts = [f"{r:.2f}x in {engine}" for engine, r in sorted(v.ratio.items())]
    return " and ".join(parts)


def check(ctx: Context) -> Iterator[Finding]:
    recipe, target = ctx.recipe, ctx.target
    sparsity, mask, int8, (line, col) = made(recipe)
    mine = describe(sparsity, mask, int8)
    cpu = target.cpu.describe()
    near = target.nearest(sparsity, mask, int8)
    best = target.fastest
    if near is None or best is None:
        how = (
            "DeepSparse runs INT8 natively here (VNNI)"
            if target.cpu.vnni
            else "DeepSparse emulates INT8 here (no VNNI)"
        )
        yield Finding(
            line,
            col,
            f"no recipe sweep measured on {cpu} was found (sweep/sweep.json here or "
            f"above): {how}, yet what this recipe's {mine} buys on this CPU is "
            "measured, not read from an ISA table",
            "run `recipe sweep --model M` (it writes sweep/sweep.json) and lint "
            "again, or give --target-cpu FILE",
        )
        return
    fast, engine, ratio = best
    exact = describe(near.sparsity, near.mask, near.int8) == mine
    which = f"{near.name}" if exact else f"the nearest measured variant, {near.name},"
    of = f" of {target.model}" if target.model else ""
    hint = None
    noise = ""
    if fast is not near:
        mine_best = max(near.ratio, key=lambda e: near.ratio[e])
        if beyond_noise(fast.range_of(engine), near.range_of(mine_best)):
            hint = (
                f"the fastest variant here is {fast.name}: "
                f"recipe new --from-sweep {target.path} starts a recipe with its "
                "mask and precision"
            )
        else:  # their ranges over the sweep's rounds overlap: no advice on noise
            noise = f", within the noise of {near.name} in {mine_best}"
    yield Finding(
        line,
        col,
        f"on {cpu} (recipe sweep{of}, {target.path}): this recipe makes {mine}; "
        f"{which} ran at {_ratios(near)} (over dense FP32 in onnxruntime); the "
        f"fastest was {fast.name} in {engine} at {ratio:.2f}x{noise}",
        hint,
    )
