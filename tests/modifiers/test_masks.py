"""modifiers/masks.py against SparseML's own masks: a per-parameter target that
`check_targets` lets be is one `ModuleParamPruningMask.update_param_masks` takes,
and one it calls an error raises there, on generated targets, mask types, params
and global pruning."""

from __future__ import annotations

import types

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic_core import PydanticCustomError

from recipe_compiler.modifiers.masks import _targets, check_targets

_NUMBERS = st.sampled_from([0.0, 0.5, 0.505, 0.3, 0.75, 1.5, -0.1, 1, 0, True])
_ELEMENTS = st.one_of(
    st.just(0.0), _NUMBERS, st.sampled_from([None, "x", float("nan")])
)  # 0: an N:M mask takes all-zero targets (no pruning)
_TARGETS = st.one_of(
    st.lists(_ELEMENTS, max_size=4),
    st.dictionaries(
        st.one_of(_NUMBERS, st.sampled_from(["a", "b"])), _NUMBERS, max_size=4
    ),
    st.text(alphabet="ab0.5", max_size=4),
)
_MASKS = st.sampled_from(["unstructured", "block4", "2:4", "tensorrt"])


def _sparseml_raises(target: object, n: int, mask_type: str, global_: bool) -> bool:
    import torch
    from sparseml.pytorch.sparsification.pruning.mask_creator import (
        get_mask_creator_default,
    )
    from sparseml.pytorch.sparsification.pruning.mask_params import (
        ModuleParamPruningMask,
    )
    from sparseml.pytorch.sparsification.pruning.modifier_pruning_magnitude import (
        MagnitudePruningParamsScorer,
    )

    torch.manual_seed(0)
    layers = [torch.nn.Linear(16, 16) for _ in range(n)]
    masks = ModuleParamPruningMask(
        layers,
        mask_creator=get_mask_creator_default(mask_type),
        scorer=MagnitudePruningParamsScorer([layer.weight for layer in layers]),
        layer_names=[f"l{i}" for i in range(n)],
        global_sparsity=global_,
    )
    # what the modifiers hand over: the recipe's value, a fresh copy each step
    given = list(target) if isinstance(target, list) else target
    try:
        masks.update_param_masks(target=given)
    except Exception:
        return True
    return False


def _ours_raises(target: object, n: int, mask_type: str, global_: bool) -> bool:
    try:
        value = _targets(target)
        m = types.SimpleNamespace(
            params=[f"l{i}.weight" for i in range(n)],
            mask_type=mask_type,
            global_sparsity=global_,
            backward_sparsity=value,
        )
        check_targets(m, "backward_sparsity")  # type: ignore[arg-type]
    except PydanticCustomError:
        return True
    return False


@pytest.mark.parametrize(
    ("target", "mask_type", "global_", "raises"),
    [
        ([0.2, 0.3], "unstructured", False, False),
        ([0.2, 0.3], "unstructured", True, True),  # global needs one sparsity
        ([0.2], "unstructured", False, True),  # one per parameter
        ([0.5], "2:4", False, False),  # N:M never indexes its targets
        ([0.5, 0.3], "2:4", False, True),  # off the N:M ratio
        ([0.0, 0], "2:4", False, False),  # all 0: no pruning
        ("ab", "2:4", False, False),  # a string passes N:M unchecked
        ("ab", "unstructured", False, True),
        ({0.2: 1, 0.3: 2}, "unstructured", True, True),  # target[0]: KeyError
        ({0.2: 1, 0.3: 2}, "unstructured", False, False),  # the keys are the list
    ],
)
def test_known_targets(sparseml, target, mask_type, global_, raises):
    assert _sparseml_raises(target, 2, mask_type, global_) is raises
    assert _ours_raises(target, 2, mask_type, global_) is raises


@settings(max_examples=300, deadline=None)
@given(_TARGETS, st.integers(1, 3), _MASKS, st.booleans())
def test_generated_targets_match_sparseml(sparseml, target, n, mask_type, global_):
    assert _ours_raises(target, n, mask_type, global_) == _sparseml_raises(
        target, n, mask_type, global_
    ), (target, n, mask_type, global_)
