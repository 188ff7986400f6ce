"""A modifier's remembered validation outcome is the outcome.

`validate` remembers what each modifier gave (its model, deferred problems and
problems) by its text, position, values, scope and the recipe's length, so the
editor's next keystroke finds the modifiers it did not touch. Here a recipe is
edited as a user edits it (a digit typed and deleted, a value made invalid, a line
added above, a modifier's text moved) and after every edit the recipe read with
the memo warm equals the recipe read with it empty; the hits are counted so the
comparison is never vacuous.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

from recipe_compiler.loader import validate
from recipe_compiler.loader.recipe import Recipe, from_source
from recipe_compiler.loader.source import from_text
from tests.fuzzing import CORPUS_TEXTS
from tests.heavy_recipes import per_layer_recipe

ROOT = Path(__file__).resolve().parents[2]
TEXTS = [
    *((p.name, p.read_text()) for p in sorted((ROOT / "recipes").glob("*.*"))),
    ("heavy.yaml", per_layer_recipe(12, 0.01, 20, seed=4)),
    *((f"corpus{i}.yaml", t) for i, t in enumerate(CORPUS_TEXTS[::9])),
]
NUMBER = re.compile(r"(?<=: )-?\d+(\.\d+)?(?=[ \t]*(#|$))", re.M)


def _edits(text: str, rng: random.Random) -> list[str]:
    """Keystrokes on numbers (some making a value invalid), reverted ones, a
    comment line inserted above everything, the last modifier duplicated."""
    out, current = [], text
    for _ in range(30):
        spots = [m.span() for m in NUMBER.finditer(current)]
        if not spots:
            break
        a, b = rng.choice(spots)
        kind = rng.randrange(4)
        if kind == 0:
            typed = current[:b] + str(rng.randrange(10)) + current[b:]
            out += [typed, current]  # typed, then deleted again
        elif kind == 1:
            current = current[:a] + "-" + current[a:]  # often below -1: invalid
            out.append(current)
        elif kind == 2:
            current = current[: b - 1] + str(rng.randrange(10)) + current[b:]
            out.append(current)
        else:
            current = "# a line that moves every position\n" + current
            out.append(current)
    return out


def _read(text: str, name: str) -> Recipe:
    kind = "md" if name.endswith(".md") else "yaml"
    return from_source(from_text(text, name, kind), remember=True)


def _seen(r: Recipe) -> tuple:
    return (
        [(e.index, e.tag, e.fields, e.deferred) for e in r.modifiers],
        [None if e.model is None else e.model.model_dump() for e in r.modifiers],
        [type(e.model) for e in r.modifiers],
        sorted(r.problems),
        [(p.severity, p.message, p.hint) for p in sorted(r.problems)],
    )


def test_a_remembered_outcome_is_the_outcome(monkeypatch):
    calls = {"outcome": 0, "build": 0}
    real_outcome, real_build = validate._outcome, validate._build

    def outcome(*args, **kwargs):
        calls["outcome"] += 1
        return real_outcome(*args, **kwargs)

    def build(*args, **kwargs):
        calls["build"] += 1
        return real_build(*args, **kwargs)

    monkeypatch.setattr(validate, "_outcome", outcome)
    monkeypatch.setattr(validate, "_build", build)
    rng = random.Random(3)
    hits = looked = 0
    for name, text in TEXTS:
        for edited in _edits(text, rng):
            before = dict(calls)
            warm = _read(edited, name)
            looked += calls["outcome"] - before["outcome"]
            hits += (calls["outcome"] - before["outcome"]) - (
                calls["build"] - before["build"]
            )
            validate._OUTCOMES.clear()
            cold = _read(edited, name)  # computed afresh, and remembered
            assert _seen(warm) == _seen(cold), (name, edited)
    assert looked >= 2000 and hits >= 500, (looked, hits)
