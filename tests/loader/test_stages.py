"""The loader's stages, each called alone: parse tree, layout, variables, validate.

Each stage is a function over plain data; none writes into the parse tree.
"""

from __future__ import annotations

import dataclasses

import pytest
import yaml

from recipe_compiler.loader import layout, overrides, source, variables, yamltree
from recipe_compiler.loader.overrides import OverrideError
from recipe_compiler.loader.recipe import from_source, load
from recipe_compiler.loader.source import Limits
from recipe_compiler.loader.validate import validate
from recipe_compiler.loader.variables import NO_VALUES


def tree(text: str) -> yamltree.Parsed:
    return yamltree.parse(source.from_text(text, "r.yaml", "yaml"))


STAGED = """\
num_epochs: 10
stage_a:
  lr: 0.1
  end: eval(num_epochs)
  sub_modifiers:
    - !EpochRangeModifier
      start_epoch: 0
      end_epoch: eval(end)
stage_b:
  b_modifiers:
    - !SetLearningRateModifier
      start_epoch: 0
      learning_rate: eval(num_epochs / 100)
"""


def test_nodes_are_frozen_and_containers_read_only():
    root = tree("a: 1\nb: [1, 2]\n").root
    with pytest.raises(dataclasses.FrozenInstanceError):
        root.line = 3
    with pytest.raises(TypeError):
        root.value["c"] = root.value["a"]
    assert isinstance(root.value["b"].value, tuple)
    assert root.plain() == {"a": 1, "b": [1, 2]}


def test_alias_counts_are_kept_beside_the_tree():
    parsed = tree("x: &x 3\nm: &m {a: *x}\nn: *m\no: *x\n")
    x = parsed.root.value["x"]
    # *x is built three times: once in m, once in n's copy of m, once as o
    assert parsed.aliases[x.anchor] == 3
    assert parsed.root.value["o"].via_alias and not x.via_alias


@pytest.mark.parametrize(
    ("text", "shape", "staged", "flat"),
    [
        ("", "empty", False, False),
        ("- !EpochRangeModifier {}\n", "bare-list", False, False),
        ("!EpochRangeModifier {end_epoch: 3}\n", "single", False, False),
        ("modifiers:\n  - !EpochRangeModifier {}\n", "mapping", False, True),
        (STAGED, "staged", True, False),
        (STAGED + "modifiers: []\n", "staged", True, True),
    ],
)
def test_layout_reads_the_shape_only(text, shape, staged, flat):
    got = layout.read(tree(text).root, "r.yaml")
    assert (got.shape, got.staged, got.flat) == (shape, staged, flat)
    assert bool(got.problems) == (shape in ("empty", "bare-list"))


def test_layout_collects_modifiers_per_stage_and_names_misplaced_lists():
    root = tree(STAGED + "stage_c:\n  x_modifiers: []\n").root
    shape = layout.read(root, "r.yaml")
    found = layout.collect(root, shape, "r.yaml")
    assert [(p.index, p.node.tag, p.group, p.stage) for p in found.placements] == [
        (0, "EpochRangeModifier", "sub_modifiers", "stage_a"),
        (1, "SetLearningRateModifier", "b_modifiers", "stage_b"),
    ]
    assert dict(found.per_stage) == {"stage_a": 1, "stage_b": 1, "stage_c": 0}
    (empty,) = layout.missing(root, shape, found, "r.yaml")
    assert empty.code == "RC106" and "stage 'stage_c'" in empty.message
    assert empty.severity == "error"  # several stages: SparseML's max() crashes

    root = tree("modifiers: []\nmods:\n  - !EpochRangeModifier {}\n").root
    found = layout.collect(root, layout.read(root, "r.yaml"), "r.yaml")
    assert [p.code for p in found.problems] == ["RC107"]


def test_variables_evaluate_returns_values_and_leaves_the_tree_alone():
    parsed = tree(STAGED)
    root = parsed.root
    before = root.plain()
    values = variables.evaluate(
        root, layout.read(root, "r.yaml"), parsed.aliases, Limits(), "r.yaml"
    )
    assert root.plain() == before  # nothing written into the tree
    end = values.stage_variables["stage_a"]["end"]
    assert (end.value, end.expression, end.numeric) == (10, "num_epochs", True)
    stage_a = root.value["stage_a"].value["sub_modifiers"].value[0]
    node = stage_a.value["end_epoch"]
    assert node.value == "eval(end)"
    assert (values.value(node), values.expression(node)) == (10, "end")
    lr = root.value["stage_b"].value["b_modifiers"].value[0].value["learning_rate"]
    assert values.value(lr) == 0.1 and values.plain(stage_a)["end_epoch"] == 10
    assert values.variables["num_epochs"].used_by == ["end", "stage_b.b_modifiers"]
    assert values.problems == ()


def test_a_stage_expression_over_a_global_is_refused_as_sparseml_does():
    text = "n: 4\ns:\n  m: eval(n * 2)\n  s_modifiers:\n    - !EpochRangeModifier {}\n"
    parsed = tree(text)
    values = variables.evaluate(
        parsed.root,
        layout.read(parsed.root, "r.yaml"),
        parsed.aliases,
        Limits(),
        "r.yaml",
    )
    (p,) = values.problems
    assert (p.code, p.line) == ("RC401", 3) and "global variable 'n'" in p.message


def test_overrides_copy_the_tree_and_refuse_unknown_names():
    root = tree("n: 2\nmodifiers:\n  - !EpochRangeModifier {end_epoch: eval(n)}\n").root
    view = overrides.apply(root, {"n": 5}, staged=False)
    assert view is not root and view.value["n"].value == 5
    assert root.value["n"].value == 2  # the file as written
    assert view.value["modifiers"] is root.value["modifiers"]  # untouched parts shared
    assert overrides.apply(root, {}, staged=False) is root
    with pytest.raises(OverrideError, match="did you mean 'n'"):
        overrides.apply(root, {"N": 1}, staged=False)


def test_validate_types_the_placed_modifiers_and_checks_every_tag():
    text = (
        "modifiers:\n  - !EpochRangeModifier {start_epoch: 0, end_epoch: 2}\n"
        "extra: {inner: !GMPruningModifier {bogus: 1}}\n"
    )
    root = tree(text).root
    shape = layout.read(root, "r.yaml")
    found = layout.collect(root, shape, "r.yaml")
    entries, problems = validate(root, found.placements, NO_VALUES, "r.yaml")
    assert [(e.tag, e.model.end_epoch) for e in entries] == [("EpochRangeModifier", 2)]
    # the stray tag is not scheduled but SparseML still constructs it
    assert "RC102" in {p.code for p in problems} and {p.line for p in problems} == {3}


def test_recipe_root_is_the_file_as_written_with_overrides():
    text = (
        "n: 2\nmodifiers:\n"
        "  - !EpochRangeModifier {start_epoch: 0, end_epoch: eval(n)}\n"
    )
    recipe = from_source(source.from_text(text, "r.yaml", "yaml"), {"n": 7})
    assert recipe.root.plain()["n"] == 2
    assert recipe.modifiers[0].model.end_epoch == 7
    assert recipe.variables["n"].value == 7


def test_an_override_keeps_where_the_variable_is_written():
    """The overridden variable is still the one in the file: its position, its span
    (compile edits it there) and its aliases (so RC402 knows it is used)."""
    text = "end: &end 10\nmodifiers:\n  - !EpochRangeModifier {start_epoch: 0, end_epoch: *end}\n"
    src = source.from_text(text, "r.yaml", "yaml")
    plain = from_source(src)
    recipe = from_source(src, {"end": 7})
    var, before = recipe.variables["end"], plain.variables["end"]
    assert (var.value, var.node.span, var.aliases) == (7, before.node.span, 1)
    # SparseML's override does not reach the alias: the modifier keeps 10
    assert recipe.modifiers[0].model.end_epoch == 10
    from recipe_compiler.linter.engine import lint_recipe

    assert [p.code for p in lint_recipe(recipe).problems] == []


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ("\u00a0\u00a0- !EpochRangeModifier", "U+00A0 (no-break space)"),
        ("  \u2013 !EpochRangeModifier", "U+2013 (en dash), not '-'"),
        ("  \u2212 !EpochRangeModifier", "U+2212 (minus sign), not '-'"),
    ],
)
def test_look_alike_spaces_and_dashes_are_named_at_their_line(line, said):
    """Pasted from a web page: PyYAML fails a line later about something else;
    the problem names the character where it is, with what to write."""
    text = f"modifiers:\n{line}\n    start_epoch: 0\n    end_epoch: 3\n"
    with pytest.raises(yaml.YAMLError):  # SparseML's parser refuses it
        yaml.compose(text, Loader=yaml.SafeLoader)
    (p,) = load(text, text=True).problems
    assert (p.code, p.line) == ("RC001", 2) and said in p.message
    assert "space" in (p.hint or "") or "hyphen" in (p.hint or "")
