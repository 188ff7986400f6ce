"""`recipe show` of a staged recipe: as llm-compressor reads it (each stage in
file order with its modifiers: group, line, fields as written, since
llm-compressor evaluates nothing; numbered in the order oneshot applies them), or
as SparseML 1.8's sparseml.core reads it (stages in the engine's order with their
run_type, each modifier's fields as evaluated, with the start and end the session
reads)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..dialects.llmcompressor.reader import Read
from ..dialects.sparsemlcore import reader as core


def llmc_table(path: str, why: str, walked: Read) -> str:
    lines = [
        f"{path}: {len(walked.modifiers)} modifiers, read as llm-compressor 0.14 "
        f"({why}); oneshot applies them in this order"
    ]
    width = max((len(m.name) for m in walked.modifiers), default=8)
    stage = None
    for i, m in enumerate(walked.modifiers, start=1):
        if m.stage != stage:
            stage = m.stage
            lines.append(f"  stage '{stage}'")
        fields = ", ".join(f"{k}={_value(v)}" for k, v in m.node.plain().items())
        lines.append(
            f"  {i:>3}  {m.name:<{width}}  group {m.group:<10} line {m.line:<4} "
            f"{fields}"
        )
    lines.append(f"  the recipe's stage: '{walked.stage}'")
    return "\n".join(lines) + "\n"


def core_table(path: str, why: str, walked: core.Read) -> str:
    """The stages and modifiers a sparseml.core session builds; fields as the
    engine evaluates them where it gets there (as written otherwise)."""
    lines = [
        f"{path}: {len(walked.modifiers)} modifiers in {len(walked.stages)} "
        f"stages, read as SparseML 1.8's sparseml.core ({why})"
    ]
    width = max((len(str(m.name)) for m in walked.modifiers), default=8)
    for stage in walked.stages:
        run = stage.run_type or (
            f"{stage.runs_as} (from its name)"
            if stage.runs_as
            else "none (the finetune runner needs one)"
        )
        lines.append(f"  stage '{stage.name}' (line {stage.line}), run_type {run}")
        for i, m in enumerate(stage.modifiers):
            values = m.args if m.args is not None else m.node.plain() or {}
            window = _window(values)
            fields = ", ".join(
                f"{k}={_value(v)}"
                for k, v in values.items()
                if k not in ("start", "end")
            )
            lines.append(
                f"  {i:>3}  {m.name!s:<{width}}  group {m.group:<10} line {m.line:<4} "
                f"{window:<14} {fields}"
            )
    if walked.args:
        lines.append(
            "  args: " + ", ".join(f"{k}={_value(v)}" for k, v in walked.args.items())
        )
    return "\n".join(lines) + "\n"


def _window(values: Mapping[str, Any]) -> str:
    """`start..end` as the session reads them: a start below 0 (or none) runs
    the modifier in oneshot only."""
    start, end = values.get("start"), values.get("end")
    if not isinstance(start, int | float) or isinstance(start, bool) or start < 0:
        return "oneshot"
    if not isinstance(end, int | float) or isinstance(end, bool) or end < 0:
        return f"epoch {start:g}.."
    return f"epochs {start:g}..{end:g}"


def _value(v: Any) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, list) and all(isinstance(x, str) for x in v):
        return "[" + ", ".join(v) + "]"
    return repr(v) if not isinstance(v, dict) else str(v)
