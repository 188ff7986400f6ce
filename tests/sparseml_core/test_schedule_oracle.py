"""A sparseml.core train stage step by step (dialects/sparsemlcore/schedule.py)
is what SparseML 1.8 does: the engine trains a two-layer model through generated
recipes (tests/sparseml_core/drive.py: its session and the events its trainer
sends) and every modifier's started, ended and sparsity after every step must be
ours, exactly (the same float arithmetic)."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys

import yaml

from recipe_compiler.dialects.sparsemlcore.reader import read
from recipe_compiler.dialects.sparsemlcore.schedule import replay
from recipe_compiler.loader import yamltree
from recipe_compiler.loader.source import from_text
from tests.conftest import ROOT

DRIVE = ROOT / "tests" / "sparseml_core" / "drive.py"
SCHEDULERS = [
    ("cubic", {}),
    ("linear", {}),
    ("polynomial_decay", {}),
    ("polynomial_decay", {"exponent": 4}),
    ("polynomial", {"exponent": 3}),
    ("multi_step", {"steps": [[0.5, 0.3], [1.25, 0.6]]}),
]


def _epoch(rng: random.Random, spe: int) -> float | int | None:
    kind = rng.random()
    if kind < 0.1:
        return None
    if kind < 0.15:
        return -1
    if kind < 0.6:
        return rng.randint(0, 3 * spe) / spe  # on the step grid
    return round(rng.uniform(0, 3), rng.choice([1, 2, 3]))  # off it


def case(rng: random.Random) -> dict:
    spe = rng.randint(1, 6)
    name, extra = rng.choice(SCHEDULERS)
    magnitude = {
        "targets": ["re:0.weight"],
        "init_sparsity": rng.choice([0.0, 0.05, 0.3]),
        "final_sparsity": rng.choice([0.5, 0.8, 0.9]),
        "start": _epoch(rng, spe),
        "end": _epoch(rng, spe),
        "update": rng.choice([0.5, 1, 0.25]),
        "update_scheduler": name,
        "scheduler_args": extra,
    }
    constant = {
        "targets": ["re:2.weight"],
        "start": _epoch(rng, spe),
        "end": _epoch(rng, spe),
    }
    group = {"MagnitudePruningModifier": magnitude, "ConstantPruningModifier": constant}
    if rng.random() < 0.3:
        group = dict(reversed(list(group.items())))
    recipe = {"train_stage": {"pruning_modifiers": group}}
    return {
        "recipe": yaml.safe_dump(recipe, sort_keys=False),
        "steps_per_epoch": spe,
        "steps": 4 * spe,
    }


def test_the_schedule_is_the_engines(core):
    rng = random.Random(35)
    cases = [case(rng) for _ in range(60)]
    done = subprocess.run(
        [sys.executable, str(DRIVE)],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "NM_DISABLE_ANALYTICS": "1", "PYTHONWARNINGS": "ignore"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    started = ended = changed = crashed = 0
    for c, result in zip(cases, json.loads(done.stdout), strict=True):
        engine = result["steps"]  # (up to the step that raised, if one did)
        crashed += result["error"] is not None
        walked = read(yamltree.parse(from_text(c["recipe"], "r.yaml", "yaml")).root)
        assert walked.refused is None, walked.refused
        modifiers = [(m.name, m.args) for m in walked.stages[0].modifiers]
        ours = replay(modifiers, c["steps_per_epoch"], c["steps"])
        if result["error"] is None:
            assert len(engine) == len(ours)
        for k, (theirs, mine) in enumerate(
            zip(engine, ours[: len(engine)], strict=True)
        ):
            got = [[s.started, s.ended, s.sparsity] for s in mine]
            assert got == theirs, (c["recipe"], c["steps_per_epoch"], k, got, theirs)
        started += any(s[0] for step in engine for s in step)
        ended += any(s[1] for step in engine for s in step)
        changed += (
            len({s[0][2] for s in engine}) > 2 or len({s[1][2] for s in engine}) > 2
        )
    assert min(started, ended, changed) >= 10, (started, ended, changed)
    print(f"{crashed} of {len(cases)} crashed in a step")
