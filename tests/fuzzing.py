"""Generators of hostile and recipe-like input, and the checks every input must pass.

Shared by `tests/loader/test_fuzz.py` (a few hundred inputs in CI) and `benchmarks/fuzz.py`
(ten thousand and more, with timings).
"""

from __future__ import annotations

import contextlib
import random
import re
from pathlib import Path

from hypothesis import strategies as st

from recipe_compiler.edit.rescale import RescaleError, rescale
from recipe_compiler.linter.engine import lint_recipe
from recipe_compiler.loader import source
from recipe_compiler.loader.recipe import OverrideError, from_source
from recipe_compiler.modifiers import REGISTRY
from recipe_compiler.schedule.clock import ScheduleError
from recipe_compiler.schedule.timeline import plan

CORPUS = Path(__file__).resolve().parent / "data" / "corpus" / "sparseml"
CORPUS_TEXTS = sorted(p.read_text() for p in CORPUS.iterdir())
FIELDS = [
    "start_epoch",
    "end_epoch",
    "update_frequency",
    "init_sparsity",
    "final_sparsity",
    "params",
    "learning_rate",
    "init_lr",
    "final_lr",
    "lr_func",
    "lr_class",
    "lr_kwargs",
    "inter_func",
    "mask_type",
    "weight_decay",
    "bogus",
]
SCALARS = [
    "0",
    "1",
    "-1",
    "-2",
    "0.5",
    "30",
    "1e-5",
    "1.0e-5",
    ".nan",
    ".inf",
    "-.inf",
    "yes",
    "no",
    "null",
    "~",
    "''",
    '"x"',
    "__ALL_PRUNABLE__",
    "cubic",
    "cosine",
    "0x1F",
    "017",
    "1_000",
    "1:30",
    "2001-12-14",
    "[0.5, 0.8]",
    "{a: 1}",
    "eval(n)",
    "eval(n * 2)",
    "eval(-n)",
    "eval(n / 0)",
    "eval(10**10**10)",
    "eval(__import__('os'))",
    "eval(m + )",
    " eval(n)",
    "!!python/object:os.system {}",
    "*a",
    "&a 3",
    "!GMPruningModifier {}",
    "'---'",
    "+++",
]
TAGS = [*REGISTRY, "GMPruningModifer", "pytorch.GMPruningModifier", "Foo"]


@st.composite
def recipe_like(draw) -> str:
    """Block YAML built from recipe vocabulary: plausible, often wrong."""
    lines = []
    for i in range(draw(st.integers(0, 3))):
        lines.append(
            f"{draw(st.sampled_from(['n', 'm', 'num_epochs', 'lr', f'v{i}']))}: "
            f"{draw(st.sampled_from(SCALARS))}"
        )
    key = draw(
        st.sampled_from(["modifiers", "training_modifiers", "modifers", "stage"])
    )
    lines.append(f"{key}:")
    indent = draw(st.sampled_from(["  ", "    ", "\t"]))
    for _ in range(draw(st.integers(0, 4))):
        marker = draw(st.sampled_from(["- ", "- ", "- ", ""]))
        lines.append(f"{indent}{marker}!{draw(st.sampled_from(TAGS))}")
        for field in draw(st.lists(st.sampled_from(FIELDS), max_size=7)):
            lines.append(f"{indent}    {field}: {draw(st.sampled_from(SCALARS))}")
    text = "\n".join(lines) + draw(st.sampled_from(["\n", "", "\r\n"]))
    if draw(st.booleans()):
        text = (
            f"{draw(st.sampled_from(['', '<!-- c -->', ' ']))}---\n{text}---\n# body\n"
        )
    return text


@st.composite
def mutated_corpus(draw) -> str:
    """A real recipe with lines deleted, repeated, swapped or cut, and bytes changed."""
    text = draw(st.sampled_from(CORPUS_TEXTS))
    rng = random.Random(draw(st.integers(0, 2**32)))
    lines = text.split("\n")
    for _ in range(draw(st.integers(1, 6))):
        op = rng.choice(["delete", "repeat", "swap", "char", "token", "indent", "cut"])
        i = rng.randrange(len(lines)) if lines else 0
        if not lines:
            break
        if op == "delete":
            del lines[i]
        elif op == "repeat":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "char":
            pos = rng.randrange(len(lines[i]) + 1)
            lines[i] = (
                lines[i][:pos] + rng.choice(":-[]{}!&*#'\"\t%@`|>") + lines[i][pos:]
            )
        elif op == "token":
            lines[i] = lines[i].rsplit(":", 1)[0] + ": " + rng.choice(SCALARS)
        elif op == "indent":
            lines[i] = rng.choice(["", " ", "      "]) + lines[i].lstrip()
        else:
            lines = lines[:i]
    return "\n".join(lines)


def check(text: str, name: str = "fuzz.md") -> int:
    """Everything a recipe goes through; returns the number of problems."""
    kind = "md" if name.endswith(".md") else "yaml"
    problems = _lint(text, name, kind)
    assert problems == _lint(text, name, kind), "lint is not deterministic"
    # YAML's line breaks: a lone CR (old Mac files) and NEL/LS/PS count too
    lines = re.split(r"\r\n|[\r\n\x85\u2028\u2029]", text.replace("\ufeff", "", 1))
    for p in problems:
        assert 1 <= p.line <= len(lines) + 1, (p, len(lines))
        width = len(lines[p.line - 1]) if p.line <= len(lines) else 0
        assert 1 <= p.column <= width + 2, (p, width)
    recipe = from_source(source.from_text(text, name, kind))
    if recipe.ok:
        with contextlib.suppress(ScheduleError):
            plan(recipe, 3)
        with contextlib.suppress(RescaleError):
            rescale(recipe, 45)
    return len(problems)


def check_bytes(data: bytes) -> None:
    recipe = from_source(source.from_bytes(data, "fuzz.yaml", "yaml"))
    lint_recipe(recipe)


def _lint(text: str, name: str, kind: str) -> list:
    try:
        return lint_recipe(from_source(source.from_text(text, name, kind))).problems
    except OverrideError:  # pragma: no cover - no overrides are given
        raise
