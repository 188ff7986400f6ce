"""A recipe's problems as SparseML 1.8's sparseml.core would meet them: what its
YAML reader finds (the text as YAML, shared with every dialect) and what the
engine's walk refuses (at load or build) or ignores (`reader`), each at the line
it is written."""

from __future__ import annotations

from ...loader import codes
from ...loader.recipe import Recipe
from ...problems import Problem
from ..llmcompressor.lint import YAML_CODES
from .reader import read

CODE = {
    "not-a-mapping": "RC720",
    "key-not-a-string": "RC721",
    "modifiers-outside-a-stage": "RC722",
    "stage-not-a-mapping": "RC723",
    "group-not-a-mapping": "RC724",
    "stage-field": "RC725",
    "modifier-entry": "RC726",
    "empty-arguments": "RC727",
    "eval-fails": "RC728",
    "start-end-not-a-number": "RC729",
    "unknown-modifier": "RC730",
    "factory-keyword": "RC731",
    "missing-field": "RC732",
    "wrong-type": "RC733",
    "unknown-scheme": "RC734",
    "ignored-stage": "RC740",
    "ignored-stage-key": "RC741",
    "stage-key-no-effect": "RC742",
    "ignored-field": "RC743",
    "state-field": "RC744",
    "no-modifiers": "RC745",
}
STEP = {"load": "at load (Recipe.create_instance)", "build": "building the session"}


def problems(recipe: Recipe) -> list[Problem]:
    """The YAML's own problems, then the walk's (none where the YAML failed)."""
    out = [p for p in recipe.problems if p.code in YAML_CODES]
    if any(p.severity == "error" for p in out):
        return out
    walked = read(recipe.root)
    for f in walked.findings:
        said = f.message
        if f.error is not None and f.step is not None:
            said += f'; SparseML 1.8 fails {STEP[f.step]} with "{f.error}"'
        out.append(
            codes.make(CODE[f.kind], recipe.path, f.line, f.column, said, f.hint)
        )
    return out
