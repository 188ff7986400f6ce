"""A recipe's problems as SparseML 1.8's sparseml.core would meet them: what its
YAML reader finds (the text as YAML, shared with every dialect) and what the
engine's walk refuses (at load or build) or ignores (`reader`), each at the line
it is written."""

from __future__ import annotations

import math

from ...loader import codes
from ...loader.recipe import Recipe
from ...problems import Problem
from ..llmcompressor.lint import YAML_CODES
from .reader import Read, read
from .schedule import crash, length

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


def problems(recipe: Recipe, steps_per_epoch: int = 100) -> list[Problem]:
    """The YAML's own problems, then the walk's (none where the YAML failed),
    then a train stage's steps that raise (where it builds), at
    `steps_per_epoch`."""
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
    if walked.refused is None:
        out += _crashes(recipe, walked, steps_per_epoch)
    return out


def _crashes(recipe: Recipe, walked: Read, spe: int) -> list[Problem]:
    """RC735: a step of a train stage (its run_type, written or inferred from its
    name as the finetune runner does) that raises, replayed as its session runs
    it from epoch 0."""
    out = []
    for stage in walked.stages:
        if stage.runs_as != "train":
            continue
        steps = math.ceil(length([m.args or {} for m in stage.modifiers]) * spe)
        for m in stage.modifiers:
            found = crash(str(m.name), m.args or {}, spe, steps)
            if found is None:
                continue
            node = m.node.value.get(found.field) if m.node.kind == "map" else None
            line, column = (node.line, node.column) if node else (m.line, m.column)
            where = "the first step" if found.step == 0 else f"step {found.step}"
            out.append(
                codes.make(
                    "RC735",
                    recipe.path,
                    line,
                    column,
                    f"{m.name} in the train stage '{stage.name}': {found.why}; "
                    f"SparseML 1.8 fails at {where} of training ({spe} steps an "
                    f'epoch) with "{found.error}"',
                    "give it an end"
                    if found.field == "start"
                    else "use cubic (an odd exponent) or linear",
                )
            )
    return out
