"""A recipe's problems as llm-compressor 0.14 would meet them: what its YAML
reader finds (the text as YAML, shared with every dialect) and what the engine's
walk refuses or ignores (`reader`), each at the line it is written."""

from __future__ import annotations

from ...loader import codes
from ...loader.recipe import Recipe
from ...model.llm.tree import LLM
from ...problems import Problem
from .reader import read

# what the text is as YAML, before any engine reads it: the same in every dialect
YAML_CODES = frozenset({"RC000", "RC001", "RC008", "RC009", "RC010"})

CODE = {
    "not-a-mapping": "RC701",
    "key-not-a-string": "RC702",
    "field-not-a-string": "RC702",
    "body-not-a-mapping": "RC703",
    "factory-keyword": "RC704",
    "unknown-modifier": "RC705",
    "abstract-modifier": "RC706",
    "args-not-a-mapping": "RC707",
    "awq-alone": "RC708",
    "ignored-stage": "RC709",
    "ignored-group": "RC710",
    "run-type-ignored": "RC711",
    "no-modifiers": "RC712",
    "unknown-field": "RC713",
    "missing-field": "RC714",
    "wrong-type": "RC715",
    "unknown-scheme": "RC716",
    "invalid-scheme": "RC717",
    "refused-value": "RC718",
    "target-matches-nothing": "RC750",
    "ignore-matches-nothing": "RC751",
    "group-does-not-fit": "RC752",
    "mapping-fails": "RC753",
    "mapping-matches-nothing": "RC754",
    "gate-quantized": "RC755",
    "mask-fails": "RC756",
    "mask-does-not-fit": "RC757",
    "actorder-without-groups": "RC758",
    "kv-cache-applies-to-nothing": "RC759",
    "head-or-embedding-quantized": "RC760",
    "kv-cache-fails": "RC761",
}


def problems(recipe: Recipe, llm: LLM | None = None) -> list[Problem]:
    """The YAML's own problems, then the walk's (none where the YAML failed),
    then, with an LLM and no error at load, what the recipe does to its modules."""
    out = [p for p in recipe.problems if p.code in YAML_CODES]
    if any(p.severity == "error" for p in out):
        return out
    walked = read(recipe.root)
    found = list(walked.findings)
    if llm is not None and walked.refused is None:
        from .with_model import findings

        found += findings(walked.modifiers, llm)
    for f in found:
        said = f.message
        if f.error is not None:
            where = "at load" if f.step == "load" else f"in {f.step}"
            said += f'; llm-compressor fails {where} with "{f.error}"'
        out.append(
            codes.make(CODE[f.kind], recipe.path, f.line, f.column, said, f.hint)
        )
    return out
