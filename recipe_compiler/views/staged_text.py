"""`recipe show` of a staged recipe read as llm-compressor reads it: each stage in
file order with its modifiers (group, line, fields as written: llm-compressor
evaluates nothing), numbered in the order oneshot applies them."""

from __future__ import annotations

from typing import Any

from ..dialects.llmcompressor.reader import Read


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


def _value(v: Any) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, list) and all(isinstance(x, str) for x in v):
        return "[" + ", ".join(v) + "]"
    return repr(v) if not isinstance(v, dict) else str(v)
