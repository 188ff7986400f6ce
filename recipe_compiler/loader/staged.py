"""Staged recipes of SparseML's `sparseml.core` and of llm-compressor: recognised.

Both write a recipe as stages of modifier groups of untagged modifiers
(`quant_stage:` → `quant_modifiers:` → `GPTQModifier: {...}`). SparseML 1.8's legacy
loader, the one `recipe-compiler` reads recipes as, finds no modifiers in such a
file (it loads, and training runs unmodified: RC110). `lint`, `show`, `diff` and
`compile` read it as its own engine does (`dialects/`); every other command that
would plan, write or run one names what the file is and stops, instead of reading
an empty recipe.
"""

from __future__ import annotations

import dataclasses

from .yamltree import Node


@dataclasses.dataclass(frozen=True)
class StagedForm:
    """Where the first untagged modifier of a staged recipe is written."""

    stage: str
    group: str
    modifier: str
    line: int
    column: int

    def describe(self) -> str:
        """One sentence: the format, an example from the file, who reads it."""
        return (
            f"a staged recipe ('{self.stage}' → '{self.group}' → "
            f"'{self.modifier}', line {self.line}), the format of SparseML's "
            "sparseml.core framework and of llm-compressor; `recipe lint`, `show`, "
            "`diff` and `compile` read it as its engine does, and this command reads "
            "SparseML's legacy recipes ('- !GMPruningModifier' list items) only, so "
            "far"
        )


def staged_form(root: Node | None) -> StagedForm | None:
    """The first `stage → *_modifiers → ModifierName` written, or None when the
    recipe holds no untagged modifier group."""
    if root is None or root.kind != "map":
        return None
    for stage, body in root.value.items():
        if not isinstance(stage, str) or body.kind != "map" or body.tag is not None:
            continue
        for group, modifiers in body.value.items():
            if not (isinstance(group, str) and group.endswith("modifiers")):
                continue
            if modifiers.kind != "map" or modifiers.tag is not None:
                continue
            for name in modifiers.value:
                if isinstance(name, str) and name[:1].isupper():
                    line, column = modifiers.key_position(name)
                    return StagedForm(stage, group, name, line, column)
    return None
