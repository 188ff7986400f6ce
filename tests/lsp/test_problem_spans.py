"""A problem's range in the editor: the key, value or tag written where it starts.

`Analysis.problem_span` descends the tree to the node at a problem's position
instead of walking every node (the walk was most of a heavy recipe's publish).
The walk stays here as the reference: at every position a problem can start
(each key, scalar and tag, and positions between them) both give one range.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recipe_compiler.lsp.analysis import Analysis, Settings, analyse
from recipe_compiler.problems import Problem, Severity
from tests.fuzzing import CORPUS
from tests.heavy_recipes import per_layer_recipe

ROOT = Path(__file__).resolve().parents[2]
TEXTS = {
    **{p.name: p.read_text() for p in sorted((ROOT / "recipes").glob("*.*"))},
    "heavy.yaml": per_layer_recipe(12, 0.01, 20, seed=4),
    "merge.yaml": (
        "base: &b {start_epoch: 1, end_epoch: 3}\nmodifiers:\n"
        "  - !GMPruningModifier\n    <<: *b\n    params: [a]\n"
        "  - !EpochRangeModifier\n    <<: {end_epoch: 4}\n    start_epoch: 0\n"
        "  - !EpochRangeModifier\n"
    ),
    **{p.name: p.read_text() for p in sorted(CORPUS.iterdir())[::3]},
}


def reference_ends(a: Analysis) -> dict[int, int]:
    """The walk `problem_span` used to do: first match in document order."""
    out: dict[int, int] = {}
    root = a.recipe.root
    for n in [] if root is None else root.walk():
        if n.via_alias:
            continue
        s0, s1 = n.span
        if n.kind == "scalar" and s1 > s0:
            out.setdefault(a.offset(n.line, n.column), s1)
        if n.tag is not None and n.tag_line:
            start = a.offset(n.tag_line, n.tag_column)
            out.setdefault(start, start + 1 + len(n.tag))
        for key, (line, col) in n.keys.items():
            start = a.offset(line, col)
            width = len(str(key))
            if a.text[start : start + width] == str(key):
                out.setdefault(start, start + width)
    return out


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_the_descent_finds_what_the_walk_found(name):
    text = TEXTS[name]
    a = analyse(text, name, Settings())
    ends = reference_ends(a)
    rng = random.Random(name)
    spots = sorted(set(ends) | {rng.randrange(len(text) + 1) for _ in range(200)})
    for at in spots:
        line, col = a.position(at)
        probe = Problem(name, line, col, "RC000", Severity.ERROR, "probe")
        assert a._end_at(at) == ends.get(at), (at, text[at : at + 20])
        start, end = a.problem_span(probe)
        assert start == at and end >= start
    assert len(ends) >= 3 or a.recipe.root is None


def test_the_texts_mostly_parse():
    """(A text that does not parse has no tree: nothing to descend.)"""
    parsed = [n for n, t in TEXTS.items() if analyse(t, n, Settings()).recipe.root]
    assert len(parsed) >= len(TEXTS) - 3


def test_spans_kept_across_an_edit_are_the_spans_of_the_new_text():
    """The server keeps the previous analysis's spans for problems away from an
    edit (`Analysis.inherited`): at every probed position of the new text, the
    kept span equals the one computed afresh. Edits are typed into values and
    comments (where `reparse` patches the tree) and anywhere else; counted so the
    check is never vacuous."""
    from tests.loader.test_reparse import PIECES

    rng = random.Random(7)
    kept = 0
    patched = 0
    for name, text in list(TEXTS.items())[:14]:
        before = analyse(text, name, Settings())
        if before.recipe.root is None:
            continue
        spots = sorted(set(reference_ends(before)))
        values = [
            m.end() for m in re.finditer(r"(?<=: )\S[^\n#]*?(?=\s*(#|$))", text, re.M)
        ]
        comments = [m.end() for m in re.finditer(r" #[^\n]*", text)]
        for _ in range(25):
            if values and rng.random() < 0.6:
                at = rng.choice(values) - rng.randrange(2)
            elif comments and rng.random() < 0.5:
                at = rng.choice(comments) - rng.randrange(3)
            else:
                at = rng.randrange(len(text) + 1)
            cut = min(len(text), at + rng.randrange(3))
            new = (
                text[:at]
                + "".join(rng.choices(PIECES, k=rng.randrange(3)))
                + text[cut:]
            )
            for (
                at_old
            ) in spots:  # the previous analysis's spans, as a publish fills them
                line, col = before.position(at_old)
                before.problem_span(
                    Problem(name, line, col, "RC000", Severity.ERROR, "")
                )
            after = analyse(new, name, Settings(), before)
            fresh = analyse(new, name, Settings())
            patched += after.inherited is not None
            for line, col in before._spans:
                if line > new.count("\n") + 1:
                    continue
                probe = Problem(name, line, col, "RC000", Severity.ERROR, "")
                kept += after._inherited_span((line, col)) is not None
                assert after.problem_span(probe) == fresh.problem_span(probe), (
                    name,
                    line,
                    col,
                    text[at - 10 : at + 10],
                    new[at - 10 : at + 10],
                )
    print(patched, kept)
    assert patched >= 100 and kept >= 2000, (patched, kept)


@settings(max_examples=1500, deadline=None)
@given(
    st.lists(
        st.sampled_from(["a", "\n", "\r", "\r\n", " ", "\x85", "\u2028", "\v", "é"]),
        max_size=14,
    )
)
def test_line_starts_are_where_yaml_lines_start(pieces):
    """LF, CRLF and CR end a line (str.splitlines breaks at more: the fast path
    is taken only without those)."""
    text = "".join(pieces)
    want = [0] + [m.end() for m in re.finditer(r"\r\n|\n|\r", text)]
    assert Analysis(text, None, (), None)._line_starts == want
