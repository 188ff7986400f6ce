"""The `Sample yaml` of every SparseML 1.8 modifier's docstring, as recipes.

Each is extracted from the installed package (recipes nobody here wrote), put
under `modifiers:` and run through SparseML (tests/sml_verdict.py) and our lint:
no error unless SparseML itself fails on it. Where SparseML fails only because a
sample names what a real model, machine or data loader has (module names such as
`bert.encoder.layer.2`, a `fuse_module` method, CUDA devices), lint cannot know it
and gives no error; those samples are listed with the failure SparseML gives, so
that a change in either side shows.
"""

from __future__ import annotations

import textwrap

import pytest

from recipe_compiler.modifiers import REGISTRY
from tests.conftest import lint_text
from tests.sml_verdict import verdict

pytestmark = pytest.mark.filterwarnings(
    "ignore::pytest.PytestUnraisableExceptionWarning"
)

# tag -> (SparseML's verdict, what of the model or machine the sample assumes)
NEEDS_THE_MODEL = {
    "LayerPruningModifier": ("initialize: AttributeError", "no attribute 'bert'"),
    "MFACPruningModifier": ("step 0: IndexError", "list index out of range"),  # cuda:0
    "QuantizationModifier": ("initialize: ValueError", "fuse_module"),
    "StructuredPruningModifier": ("initialize: ValueError", "param.1.name"),
}


def sample(tag: str) -> str | None:
    """The docstring's `Sample yaml` block as a one-modifier recipe."""
    import sparseml.pytorch.sparsification as sps

    lines = (getattr(sps, tag).__doc__ or "").split("\n")
    starts = [i for i, line in enumerate(lines) if "Sample yaml" in line]
    if not starts:
        return None
    block = []
    for line in lines[starts[0] + 1 :]:
        if not line.strip().startswith("|"):
            break
        block.append(line.strip()[1:])
    body = textwrap.dedent("\n".join(block)).strip("\n")
    return "modifiers:\n" + textwrap.indent(body, "    ").replace("    !", "  - !", 1)


def test_every_tag_but_one_has_a_sample(sparseml):
    assert [t for t in sorted(REGISTRY) if sample(t) is None] == [
        "GradualParamModifier"
    ]


@pytest.mark.parametrize("tag", sorted(set(REGISTRY) - {"GradualParamModifier"}))
def test_sample_errors_only_where_sparseml_fails(sparseml, tag):
    text = sample(tag)
    assert text is not None
    got = verdict(text, "recipe.yaml", 4)
    _, problems = lint_text(text, "recipe.yaml", steps_per_epoch=4)
    errors = [p.code for p in problems if p.severity == "error"]
    if tag in NEEDS_THE_MODEL:
        stage, why = NEEDS_THE_MODEL[tag]
        assert (str(got), why in got.message) == (stage, True), got.message
        assert errors == []
        return
    assert bool(errors) == (not got.ran), (errors, str(got), got.message)
    if errors:  # a typo in SparseML's own docstring, or a sample that is no recipe
        assert got.stage == "load"
