"""The reader's walk is SparseML 1.8's sparseml.core, on generated recipes.

Recipes of every shape its load and build decide on (tests/sparseml_core/generate.py:
stages, `stages:`, groups, keys, entries, args and eval(...), fields valid and
mutated): the engine and `reader.read` must agree on whether each loads, whether
it builds, and on the exception the engine raises (at load, the one that stops it
first; at build, the first modifier's). The counts of each outcome are checked so
that no branch goes untested.
"""

from __future__ import annotations

import collections

from recipe_compiler.dialects.sparsemlcore.reader import read
from recipe_compiler.loader import yamltree
from recipe_compiler.loader.source import from_text
from tests.sparseml_core.generate import recipes


def agree(texts: list[str], verdicts: list[dict]) -> collections.Counter[str]:
    """The outcomes, each checked against the engine's verdict."""
    outcomes: collections.Counter[str] = collections.Counter()
    for text, got in zip(texts, verdicts, strict=True):
        ours = read(yamltree.parse(from_text(text, "r.yaml", "yaml")).root)
        refused = ours.refused
        loads = refused is None or refused.step != "load"
        assert (loads, refused is None) == (got["loads"], got["builds"]), (
            text,
            got,
            refused,
        )
        if refused is None:
            assert [m.name for m in ours.modifiers] == [
                n.removesuffix("PyTorch") for n in got["modifiers"]
            ], text
            outcomes["builds" if got["modifiers"] else "builds empty"] += 1
        else:
            kind = got["error"].split(":")[0]
            assert refused.error.split(":")[0] == kind, (
                text,
                got["error"],
                refused.error,
            )
            outcomes[f"{refused.step} {refused.kind}"] += 1
    return outcomes


def test_the_walk_is_the_engines(core):
    texts = recipes(600, seed=35)
    outcomes = agree(texts, core([(f"r{i}.yaml", t) for i, t in enumerate(texts)]))
    print(dict(outcomes))
    for kind in (
        "builds",
        "load not-a-mapping",
        "load key-not-a-string",
        "load modifiers-outside-a-stage",
        "load stage-not-a-mapping",
        "load group-not-a-mapping",
        "load stage-field",
        "load modifier-entry",
        "build eval-fails",
        "build empty-arguments",
        "build start-end-not-a-number",
        "build unknown-modifier",
        "build factory-keyword",
        "build missing-field",
        "build wrong-type",
    ):
        assert outcomes[kind] >= 2, (kind, dict(outcomes))
