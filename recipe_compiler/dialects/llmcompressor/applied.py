"""Which modules of an LLM each quantizing modifier gives a scheme, as llm-
compressor 0.14's oneshot does (held to oneshot's own result on tiny models:
tests/llm/test_applied_oracle.py).

The modifier's config is resolved as `QuantizationMixin.resolve_quantization_config`
does: a preset `scheme` (a name, or names mapped to targets) with `targets`, else
`config_groups`, else one group of `targets` without weights or activations; then
compressed-tensors' `apply_quantization_config`: every group's targets in order
(a later group's same target string replaces an earlier one), the modules a
target matches and no `ignore` entry does (`match_named_modules`), each taking
the scheme of its most specific matching target (`match_targets`: full names,
then `re:` patterns, then classes), Linear and Embedding modules only. A later
modifier re-applies its own on the modules it matches.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from ...loader.yamltree import Node
from ...model.llm.match import match_named_modules, match_targets
from ...model.llm.tree import LLM, LLMModule
from . import schemes
from .reader import Written
from .registry import registry

_QUANTIZED_KINDS = ("Linear", "Embedding")


class NotPredicted(ValueError):
    """What the modifier does cannot be computed here; the message says why."""


@dataclasses.dataclass(frozen=True)
class Group:
    """One resolved config group: its targets and what it quantizes."""

    name: str  # the preset's name, or the config group's key
    targets: tuple[str, ...]
    weights: Mapping[str, Any] | None
    input_activations: Mapping[str, Any] | None
    output_activations: Mapping[str, Any] | None
    node: Node | None  # where its targets are written (None: the default)


@dataclasses.dataclass(frozen=True)
class Resolved:
    """A quantizing modifier's config as the engine resolves it."""

    modifier: Written
    index: int  # in the recipe's flattened order
    groups: tuple[Group, ...]
    ignore: tuple[str, ...]
    ignore_node: Node | None


@dataclasses.dataclass(frozen=True)
class Given:
    """A module and the scheme a modifier gives it."""

    module: LLMModule
    resolved: Resolved
    group: Group


def resolve(index: int, written: Written) -> Resolved | None:
    """The config of a quantizing modifier (None for another modifier)."""
    cls = registry().modifiers.get(written.name)
    if cls is None or not cls.quantizes or written.node.kind != "map":
        return None
    values = written.node.plain()
    body = written.node
    targets = _strings(values.get("targets", cls.fields["targets"]["default"]))
    ignore = tuple(_strings(values.get("ignore", [])))
    scheme = values.get("scheme")
    groups: list[Group] = []
    if scheme is not None:
        mapping = {scheme: targets} if isinstance(scheme, str) else scheme
        scheme_node = body.get("scheme")
        for key, group_targets in mapping.items():
            preset = registry().presets.get(str(key).upper())
            if preset is None:
                raise NotPredicted(f"scheme {key!r} is no preset")
            at = body.get("targets") if isinstance(scheme, str) else scheme_node
            groups.append(
                Group(
                    str(key).upper(),
                    tuple(_strings(group_targets)),
                    preset.get("weights"),
                    preset.get("input_activations"),
                    preset.get("output_activations"),
                    at,
                )
            )
    elif values.get("config_groups"):
        cg_node = body.get("config_groups")
        for key, group in values["config_groups"].items():
            errors, checked = schemes.model(
                "QuantizationScheme",
                group,
                (),
                dict.fromkeys(schemes.PARTS, "QuantizationArgs"),
            )
            if errors or checked is None:
                raise NotPredicted(f"config group {key!r} does not validate")
            gnode = cg_node.get(key) if cg_node is not None else None
            groups.append(
                Group(
                    str(key),
                    tuple(checked["targets"]),
                    checked["weights"],
                    checked["input_activations"],
                    checked["output_activations"],
                    gnode.get("targets") if gnode is not None else None,
                )
            )
    else:
        groups.append(
            Group("(no scheme)", tuple(targets), None, None, None, body.get("targets"))
        )
    return Resolved(written, index, tuple(groups), ignore, body.get("ignore"))


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise NotPredicted(f"targets {value!r} are not strings")


def given(resolved: Resolved, llm: LLM) -> list[Given]:
    """The modules the modifier gives a scheme, in `named_modules()` order."""
    by_target: dict[str, Group] = {}
    for group in resolved.groups:
        for target in group.targets:
            by_target[target] = group
    matched, _ = match_named_modules(llm, list(by_target), resolved.ignore)
    out = []
    for module in matched:
        if not any(kind in module.mro for kind in _QUANTIZED_KINDS):
            continue
        first = match_targets(module.name, module, by_target)[0]
        out.append(Given(module, resolved, by_target[first]))
    return out


def applied(modifiers: Sequence[Written], llm: LLM) -> dict[str, Given]:
    """Each module's scheme after every quantizing modifier has applied its own
    (the last one to match a module wins)."""
    out: dict[str, Given] = {}
    for index, written in enumerate(modifiers):
        resolved = resolve(index, written)
        if resolved is None:
            continue
        for g in given(resolved, llm):
            out[g.module.name] = g
    return out


# what SparseGPT and Wanda prune inside each target layer (`PRUNABLE_LAYER_TYPES`)
PRUNABLE = ("Linear", "Conv1d", "Conv2d", "Conv3d")
SPARSIFYING = ("SparseGPTModifier", "WandaPruningModifier")


@dataclasses.dataclass(frozen=True)
class Pruned:
    """A module a sparsity modifier prunes, and to what."""

    module: LLMModule
    modifier: Written
    sparsity: float | str  # "owl": inferred from activations at oneshot
    matched_as: str  # the name its ignore list was matched against


def sparsified(modifiers: Sequence[Written], llm: LLM) -> dict[str, Pruned]:
    """The modules SparseGPT and Wanda prune, as `SparsityModifierBase` picks
    them: each module its `targets` match is a target layer (`Linear` by
    default: each Linear its own), every prunable module in that layer's
    subtree (the layer itself included) is pruned unless `ignore` matches it by
    class or by the name `<layer>.<relative name>` (the layer itself: its name
    and a dot, which a plain name in `ignore` never equals), Embeddings never;
    a list of sparsities goes by target layer. The last modifier wins."""
    out: dict[str, Pruned] = {}
    for written in modifiers:
        if written.name not in SPARSIFYING or written.node.kind != "map":
            continue
        values = written.node.plain()
        ignore = _strings(values.get("ignore", []))
        sparsity = values.get("sparsity")
        if str(values.get("sparsity_profile", "")).lower() == "owl":
            sparsity = "owl"
        for index, name, module in candidates(written, llm):
            level = sparsity[index] if isinstance(sparsity, list) else sparsity
            if not isinstance(level, int | float | str) or isinstance(level, bool):
                raise NotPredicted(f"sparsity {sparsity!r}")
            if match_targets(name, module, ignore) or "Embedding" in module.mro:
                continue
            out[module.name] = Pruned(module, written, level, name)
    return out


def candidates(written: Written, llm: LLM) -> list[tuple[int, str, LLMModule]]:
    """(its target layer's index, the name `ignore` is matched against, the
    module) of every prunable module in each target layer of a SparseGPT or
    Wanda modifier, in order."""
    values = written.node.plain()
    cls = registry().modifiers[written.name]
    targets = _strings(values.get("targets", cls.fields["targets"]["default"]))
    layers, _ = match_named_modules(llm, targets)
    out = []
    for index, layer in enumerate(layers):
        for module in _subtree(llm, layer):
            if any(kind in module.mro for kind in PRUNABLE):
                rel = module.name[len(layer.name) + 1 :] if module is not layer else ""
                out.append((index, f"{layer.name}.{rel}", module))
    return out


def _subtree(llm: LLM, layer: LLMModule) -> list[LLMModule]:
    prefix = layer.name + "." if layer.name else ""
    return [m for m in llm.modules if m is layer or m.name.startswith(prefix)]
