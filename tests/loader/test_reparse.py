"""An edit applied to the previous tree reads as the full parse of the new text.

`reparse` is the language server's shortcut past composing a heavy recipe again on
every keystroke. Whenever it returns a tree, that tree (positions, spans, values
and their types) must be exactly the one `parse` builds from the new text; the
edits here are generated where it is most likely to be wrong (inside and at the
edges of values, with YAML's indicators, quotes, line breaks) and counted, so the
comparison is never vacuous.
"""

from __future__ import annotations

import collections
import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recipe_compiler.loader import source, yamltree
from recipe_compiler.loader.reparse import reparse
from tests.fuzzing import CORPUS_TEXTS
from tests.heavy_recipes import per_layer_recipe
from tests.loader.test_yaml_parsers import dump

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = {p.name: p.read_text() for p in sorted((ROOT / "recipes").glob("*.*"))}
FLOW = (
    "a: [1, 2.5, x]\nb: {c: 3, d: re:x.*}\nm:\n  - !GMPruningModifier\n"
    "    params: [re:a, 'b']\n    end_epoch: 2 # two\n    start_epoch:   1\n"
)
TEXTS = [
    *BUNDLED.items(),
    ("heavy.yaml", per_layer_recipe(12, 0.01, 20, seed=4)),
    ("flow.yaml", FLOW),
    ("crlf.yaml", FLOW.replace("\n", "\r\n")),
    (
        "comments.yaml",
        "# top 1\na: 5 # five\n'k #1': 2  # 'q'\n? x #2\n: 3\nb: |\n  l #3\nc: 4\n",
    ),
    ("alias.yaml", "x: &a 5\nm:\n  - !GMPruningModifier\n    end_epoch: *a\n"),
    *((f"corpus{i}.yaml", t) for i, t in enumerate(CORPUS_TEXTS[:12])),
]
# what a user types: digits, letters, YAML's indicators, quotes, breaks
PIECES = [*"0123456789.e-+_:x #,[]{}'\"*&!|>?()/", "\n", "\r\n", "  ", ": ", " #c"]


def _kind(name: str) -> str:
    return "md" if name.endswith(".md") else "yaml"


def check(name: str, old: str, new: str) -> bool:
    """Whether `reparse` took the edit; when it did, its tree is the full parse's."""
    before = source.from_text(old, name, _kind(name))
    after = source.from_text(new, name, _kind(name))
    got = reparse(before, yamltree.parse(before), after)
    if got is None:
        return False
    full = yamltree.parse(after)
    assert dump(got.root) == dump(full.root), (old, new)
    assert full.problems == [] and got.problems == []
    assert dict(got.aliases) == dict(full.aliases) or not any(full.aliases.values())
    return True


@st.composite
def edits(draw) -> tuple[str, str, str]:
    """A recipe and the same recipe with one range replaced; the range is drawn
    around a value (where typing happens) three times in four."""
    name, text = draw(st.sampled_from(TEXTS))
    values = [m.span(1) for m in re.finditer(r"(?<=: )(\S[^\n#]*?)\s*$", text, re.M)]
    if values and draw(st.integers(0, 3)):
        a, b = draw(st.sampled_from(values))
        start = draw(st.integers(max(a - 1, 0), b + 1))
    else:
        start = draw(st.integers(0, len(text)))
    end = min(len(text), start + draw(st.integers(0, 3)))
    typed = "".join(draw(st.lists(st.sampled_from(PIECES), max_size=3)))
    return name, text, text[:start] + typed + text[end:]


def test_every_reparsed_tree_is_the_full_parse():
    taken: collections.Counter[str] = collections.Counter()

    @settings(
        max_examples=600,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(edits())
    def run(edit: tuple[str, str, str]) -> None:
        name, old, new = edit
        taken["reparsed" if check(name, old, new) else "parsed again"] += 1

    run()
    print(dict(taken))
    assert taken["reparsed"] >= 100, taken
    assert taken["parsed again"] >= 100, taken


def test_typing_a_number_or_a_name_takes_the_shortcut():
    """Each digit change of every number, and a letter typed into a params name,
    in every bundled and a generated heavy recipe (the editor's common case)."""
    names = 0
    for name, text in TEXTS[: len(BUNDLED) + 1]:
        spots = [m.end() - 1 for m in re.finditer(r"(?<=: )\d+(\.\d+)?\b", text)]
        assert spots, name
        for at in spots:
            digit = str((int(text[at]) + 3) % 10)
            assert check(name, text, text[:at] + digit + text[at + 1 :]), (name, at)
            assert check(name, text, text[:at] + digit + "5" + text[at + 1 :])
            assert check(name, text, text[:at] + text[at + 1 :]) or text[at - 1] == " "
        for m in re.finditer(r"(?<=- )re:\S+$", text, re.M):
            assert check(name, text, text[: m.end()] + "x" + text[m.end() :]), name
            names += 1
    assert names >= 12


def test_what_it_does_not_take():
    base = "a: 5\nb: [1, 2]\nc: 'q'\nd: !!str 7\ne: &x 1\nf: 2\n"
    for old, new in [
        ("a: 5", "a: 5 # c"),  # a comment typed after the value
        ("a: 5", "a: 5: 6"),  # a key
        ("a: 5", "a: '5"),  # a quote
        ("a: 5", "a: 5\n  x"),  # a new line
        ("b: [1, 2]", "b: [1, 23]"),  # in a flow list: the line goes on after it
        ("c: 'q'", "c: 'qq'"),  # quoted
        ("d: !!str 7", "d: !!str 8"),  # tagged
        ("f: 2", "f: 3"),  # the text holds an anchor... and no alias: still taken
    ]:
        text = base.replace(old, new)
        before = source.from_text(base, "r.yaml", "yaml")
        after = source.from_text(text, "r.yaml", "yaml")
        got = reparse(before, yamltree.parse(before), after)
        if old == "f: 2":
            assert got is not None
        else:
            assert got is None, new
