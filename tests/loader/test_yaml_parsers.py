"""libyaml reads what SparseML's parser reads.

`yamltree` composes with libyaml (PyYAML's C parser) where it agrees with PyYAML's
pure-Python parser, the one SparseML's `yaml.safe_load` runs, and with the pure
parser otherwise. These tests hold it to that: on generated and mutated recipes the
tree, its positions and its problems are exactly those of the pure parser alone.
"""

from __future__ import annotations

import collections

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recipe_compiler.loader import source, yamltree
from tests.fuzzing import mutated_corpus, recipe_like

# the characters YAML's syntax turns on, and those where the two parsers part ways
SYMBOLS = [
    *"ab:- \n\t#&*!'\"[]{},?|>%@`0123456789.e+~\\",
    *["\r\n", "\r", "é", "😀", "---", "...", "!!str ", "!!int ", "&a ", "*a", "<<: "],
    *["!Foo ", "!<tag:yaml.org,2002:str> ", "%YAML 1.1\n", "\x85", "\u2028", "\ufeff"],
]
TEXTS = st.one_of(
    recipe_like(),
    mutated_corpus(),
    st.lists(st.sampled_from(SYMBOLS), max_size=60).map("".join),
)


def dump(node: yamltree.Node | None) -> object:
    """Everything a later stage can read from a tree, positions included."""
    if node is None:
        return None
    head = (
        node.kind,
        node.tag,
        node.line,
        node.column,
        node.tag_line,
        node.tag_column,
        node.span,
        node.quoted,
        node.via_alias,
    )
    if node.kind == "map":
        return head, [(k, node.keys[k], dump(v)) for k, v in node.value.items()]
    if node.kind == "seq":
        return head, [dump(v) for v in node.value]
    return head, type(node.value).__name__, repr(node.value)


def parsed(text: str) -> object:
    result = yamltree.parse(source.from_text(text, "r.yaml", "yaml"))
    return dump(result.root), [p.to_dict() for p in result.problems]


def pure(text: str, monkeypatch: pytest.MonkeyPatch) -> object:
    with monkeypatch.context() as m:
        m.setattr(yamltree, "libyaml_agrees", lambda _text: False)
        return parsed(text)


def test_the_fast_path_reads_as_the_pure_parser():
    """Both paths run for every text, and a healthy share of the texts takes the
    libyaml path (counted), so the comparison is never vacuous."""
    paths: collections.Counter[str] = collections.Counter()
    mp = pytest.MonkeyPatch()

    @settings(
        max_examples=400,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(TEXTS)
    def check(text: str) -> None:
        fast = yamltree.libyaml_agrees(text)
        if fast:
            try:
                yaml.compose(text, Loader=yaml.CSafeLoader)
                paths["libyaml reads it"] += 1
            except yaml.YAMLError:
                paths["libyaml refuses, pure decides"] += 1
        else:
            paths["pure parser only"] += 1
        assert parsed(text) == pure(text, mp)

    check()
    print(dict(paths))
    assert paths["libyaml reads it"] >= 100, paths
    assert paths["pure parser only"] >= 20, paths


@pytest.mark.parametrize(
    ("text", "libyaml"),
    [
        ("a: 1\t# tab before a comment\n", "reads it"),
        ("a: [1,\t2]\n", "reads it"),
        ("a: |#\n  x\n", "reads it"),
        ("a: !\n", "null vs str"),
        ("a:\n", "line after the end"),
        ("\ufeffa: 1\n", "index without the BOM"),
        ("a: 1\u2028b: 2\n", "lines"),
    ],
)
def test_where_libyaml_differs_the_pure_parser_decides(text, libyaml, monkeypatch):
    """The divergences the differential fuzzing found, each read as SparseML
    reads it."""
    try:
        expected: object = ("ok", yaml.safe_load(text))
    except yaml.YAMLError:
        expected = "refused"
    result = yamltree.parse(source.from_text(text, "r.yaml", "yaml"))
    got = (
        "refused"
        if any(p.code == "RC001" for p in result.problems)
        else ("ok", result.root.plain() if result.root else None)
    )
    assert got == expected
    assert parsed(text) == pure(text, monkeypatch)


def test_a_duplicate_anchor_is_refused_as_pyyaml_does():
    text = "a: &x 1\nb: &x 2\n"
    with pytest.raises(yaml.YAMLError, match="found duplicate anchor"):
        yaml.safe_load(text)
    (problem,) = yamltree.parse(source.from_text(text, "r.yaml", "yaml")).problems
    assert (problem.code, problem.line, problem.column) == ("RC001", 2, 4)
    assert problem.message == (
        'the anchor &x is defined a second time here; SparseML fails with "found '
        'duplicate anchor"'
    )


@pytest.mark.parametrize("text", ["a: !!int\n", "a: !!float ''\n", "a: !!int _\n"])
def test_an_empty_explicit_number_is_a_problem_not_a_crash(text):
    """PyYAML's constructors fail on these (IndexError or ValueError), so SparseML
    cannot load the recipe."""
    with pytest.raises((IndexError, ValueError)):
        yaml.safe_load(text)
    (problem,) = yamltree.parse(source.from_text(text, "r.yaml", "yaml")).problems
    assert (problem.code, problem.line, problem.column) == ("RC001", 1, 4)
    assert problem.message.startswith("cannot read ")


def test_every_built_node_has_exactly_the_dataclass_fields():
    """The builder sets a node's fields in one step (`yamltree.node_from`), bypassing
    the frozen class's `__init__`: a field added to `Node` must be set there too."""
    import dataclasses

    names = {f.name for f in dataclasses.fields(yamltree.Node)}
    text = "a: &x 1\nb: *x\nm:\n  - !GMPruningModifier\n    params: ['q']\n  - !Foo\n"
    root = yamltree.parse(source.from_text(text, "r.yaml", "yaml")).root
    assert root is not None
    nodes = list(root.walk())
    assert len(nodes) >= 8
    for node in nodes:
        assert set(vars(node)) == names
        assert dataclasses.replace(node).span == node.span


SCALAR_TEXTS = st.one_of(
    st.text(alphabet="~nNyYtTfFoOsS-+.0123456789:_eExXbBaiIlLu ", max_size=7),
    st.sampled_from(["null", "Yes", "off", ".inf", "-.NaN", "1:30", "0x1F", "1e5"]),
    st.sampled_from(["yes", "No", "ON", "true", "False", "n", "y", "~", "NULL"]),
    st.floats(allow_nan=False).map(repr),  # 1e-05 is a str in YAML 1.1
    st.floats(-1e4, 1e4).map(lambda x: f"{x:.3f}"),
    st.integers(-(10**6), 10**6).map(str),
)


def test_plain_scalars_resolve_as_pyyaml_constructs_them():
    """Our resolution (dispatched on the first character) is SafeLoader's, on
    texts PyYAML reads as one plain scalar (counted: most are)."""
    compared = collections.Counter()

    @settings(max_examples=1500, deadline=None)
    @given(SCALAR_TEXTS)
    def check(text: str) -> None:
        try:
            loaded = yaml.safe_load(f"a: {text}\n")
        except (yaml.YAMLError, ValueError, IndexError):
            compared["not one scalar"] += 1
            return
        value = loaded.get("a") if isinstance(loaded, dict) else None
        if not isinstance(loaded, dict) or not isinstance(
            value, str | int | float | bool | type(None)
        ):
            compared["not one scalar"] += 1  # a mapping, a timestamp
            return
        got = yamltree.plain_scalar(text.strip())
        assert type(got) is type(value), (text, got, value)
        assert got == value or got != got, (text, got, value)
        compared[type(value).__name__] += 1

    check()
    assert sum(v for k, v in compared.items() if k != "not one scalar") >= 800
    # (each distinct text is drawn once: the bools and nulls are few)
    assert all(compared[t] >= 10 for t in ("int", "float", "str")), compared
    assert compared["bool"] >= 5 and compared["NoneType"] >= 3, compared
