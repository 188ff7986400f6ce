"""Every name a recipe gives to part of the model outside pruning `params`, and how
SparseML 1.8 looks each one up (`--model`).

Each field has its own lookup, read from the engine and proven by tests/linter/rules
cases (RC501, RC504, RC505) that run SparseML on the model:

- SetParam / TrainableParams / GradualParam `params`: as pruning `params`, but only
  `__ALL__` is a token; with `params_strict` (the default) initialize raises
  RuntimeError for an entry that matches nothing, without it the entry does nothing.
- LayerPruningModifier `layers`: `get_layer` walks attributes: a missing module is
  AttributeError at initialize; a parameter is swapped for Identity when the
  modifier starts, a TypeError at that step.
- QuantizationModifier `ignore` and `scheme_overrides` keys: a name prefix or a
  class name of a module after fusion; with `strict` (the default) ValueError when
  QAT starts (initialize for a start at or before epoch 0), else nothing.
- legacy QuantizationModifier `submodules`: exact module names, RuntimeError at
  initialize; `exclude_module_types`: class names, a missing one does nothing.
- PerLayerDistillationModifier `student_layer_names` (or the teacher's names when
  only those are given, as SparseML copies them): exact module names; a missing one
  is skipped at initialize and fails the first distilling step (KeyError for the
  first name, AssertionError otherwise). The teacher's own names are not checked:
  the teacher is usually another model.
- LayerThinningModifier `param_group_dependency_map`: every parameter of a group
  (the comma-separated keys) is looked up exactly, a KeyError when it thins (an
  update epoch, or when the manager finalizes); missing dependencies are skipped.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from ..loader.recipe import Entry, Recipe
from ..loader.yamltree import Node
from .network import Network, fused
from .params import ALL, ALL_PRUNABLE, flat, nearest, resolve_params

PARAM_TAGS = frozenset(
    ("SetParamModifier", "TrainableParamsModifier", "GradualParamModifier")
)
# what `module.named_parameters()` has that our tables leave out: buffers are not
# parameters, but `get_layer` reaches them
_BUFFERS = ("running_mean", "running_var", "num_batches_tracked")


@dataclasses.dataclass(frozen=True)
class Reference:
    """One name that matches nothing on the model."""

    tag: str
    field: str
    entry: str
    line: int
    column: int
    fails: str | None  # SparseML's failure ("initialize: RuntimeError"), or None
    # when it lets the name do nothing
    effect: str  # what SparseML does with it, for the message
    hint: str | None = None


def references(recipe: Recipe, net: Network) -> Iterator[Reference]:
    """The names in `recipe` that `net` lacks, in file order per modifier."""
    end = recipe.max_epochs
    for e, m in recipe.models:
        if net.parameters_only and e.tag not in _BY_PARAMETER:
            continue  # an ONNX file: no parameter-less modules, no class names
        yield from _CHECKS.get(e.tag, _none)(e, m, net, end)


def _none(e: Entry, m: Any, net: Network, end: float) -> Iterator[Reference]:
    return iter(())


def items(e: Entry, field: str, count: int) -> list[tuple[int, int]]:
    """Where each of `count` entries of a list field is written (the field, else the
    tag, where the list is not written item by item)."""
    node = e.node.get(field) if e.node.kind == "map" else None
    at = (node.line, node.column) if node is not None else (e.line, e.column)
    return _item_positions(node, count, at)


def keys(e: Entry, field: str) -> dict[str, tuple[int, int]]:
    """Where each key of a mapping field is written."""
    node = e.node.get(field) if e.node.kind == "map" else None
    if node is None or node.kind != "map":
        return {}
    return {str(k): node.key_position(k) for k in node.value}


def _params(e: Entry, m: Any, net: Network, end: float) -> Iterator[Reference]:
    entries = flat(getattr(m, "params", None))
    if not entries or getattr(m, "params_strict", True):
        return  # strict: RC501 reports it, as SparseML raises the same error
    found = resolve_params(entries, net, prunable_token=False)
    at = items(e, "params", len(entries))
    for i in sorted(found.missing):
        yield Reference(
            e.tag,
            "params",
            entries[i],
            *at[i],
            None,
            "with params_strict: false SparseML skips it silently",
        )


def _layers(e: Entry, m: Any, net: Network, end: float) -> Iterator[Reference]:
    entries = flat(getattr(m, "layers", None)) or []
    if ALL in entries or ALL_PRUNABLE in entries:
        return
    modules = _mods(net)
    at = items(e, "layers", len(entries))
    for i, name in enumerate(entries):
        if name in modules:
            continue
        parent, _, attr = name.rpartition(".")
        owner = modules.get(parent)
        params = [p for p, _ in owner.params] if owner else []
        if owner is not None and (attr in params or attr in _BUFFERS):
            if m.start < end:
                yield Reference(
                    e.tag,
                    "layers",
                    name,
                    *at[i],
                    "step: TypeError",
                    "it names a parameter, not a module: SparseML swaps it for "
                    "an Identity when the modifier starts, a TypeError",
                    f"name the module: {parent}",
                )
            continue
        yield Reference(
            e.tag,
            "layers",
            name,
            *at[i],
            "initialize: AttributeError",
            "SparseML's get_layer raises AttributeError at initialize",
            _deepest(name, modules),
        )


def _deepest(name: str, modules: dict[str, Any]) -> str | None:
    parts = name.split(".")
    for k in range(len(parts) - 1, 0, -1):
        prefix = ".".join(parts[:k])
        if prefix in modules:
            kids = sorted(
                {
                    n[len(prefix) + 1 :].split(".")[0]
                    for n in modules
                    if n.startswith(prefix + ".")
                },
                key=lambda s: (len(s), s),
            )
            has = ", ".join(kids[:8]) if kids else "no submodules"
            return f"{prefix} is a {modules[prefix].type} with {has}"
    return None


def _qat(e: Entry, m: Any, net: Network, end: float) -> Iterator[Reference]:
    if hasattr(m, "submodules"):
        yield from _legacy(e, m, net, end)
        return
    fuse = m.model_fuse_fn_name
    if fuse not in (None, "conv_bn_relus", "no_fuse"):
        return  # the model's own fusion: its names and types are unknown here
    seen = fused(net) if fuse != "no_fuse" else net
    if m.start >= end:
        return  # QAT never starts, and nothing is looked up
    stage = "initialize" if m.start <= 0 else "step"
    when = "at initialize" if stage == "initialize" else f"at epoch {m.start:g}"
    ignore = m.ignore if isinstance(m.ignore, list) else []
    overrides = m.scheme_overrides or {}
    where = keys(e, "scheme_overrides")
    at = items(e, "ignore", len(ignore))
    named: list[tuple[str, str, tuple[int, int]]] = [
        ("scheme_overrides", str(k), where.get(str(k), (e.line, e.column)))
        for k in overrides
    ] + [("ignore", str(n), at[i]) for i, n in enumerate(ignore) if isinstance(n, str)]
    for field, name, pos in named:
        if qat_finds(name, seen):
            continue
        hint = _types_hint(name, seen)
        if m.strict:
            yield Reference(
                e.tag,
                field,
                name,
                *pos,
                f"{stage}: ValueError",
                f"SparseML raises ValueError when QAT starts ({when})",
                hint,
            )
        else:
            yield Reference(
                e.tag,
                field,
                name,
                *pos,
                None,
                "with strict: false SparseML skips it silently",
                hint,
            )


def qat_finds(name: str, net: Network) -> bool:
    """`_validate_set_module_schemes`: a module whose name starts with `name`, or
    whose class is named `name` (net as QAT sees it: `fused` by default)."""
    return any(x.name.startswith(name) or x.type == name for x in net.modules)


def _types_hint(name: str, net: Network) -> str:
    types = sorted({x.type for x in net.modules})
    close = nearest(name, types + [x.name for x in net.modules if x.name])
    near = f"; nearest: {', '.join(close)}" if close else ""
    return (
        "an entry matches a module name prefix or a class name after SparseML's "
        f"conv-bn-relu fusion (types here: {', '.join(types[:10])}){near}"
    )


def _legacy(e: Entry, m: Any, net: Network, end: float) -> Iterator[Reference]:
    names = {x.name for x in net.modules}
    subs = m.submodules or []
    at = items(e, "submodules", len(subs))
    for i, name in enumerate(subs):
        bare = name[len("module.") :] if name.startswith("module.") else name
        if name in names:
            continue
        close = nearest(name, sorted(names - {""}))
        hint = (
            f"drop 'module.': {bare}"
            if bare in names
            else f"nearest: {', '.join(close)}"
            if close
            else None
        )
        yield Reference(
            e.tag,
            "submodules",
            name,
            *at[i],
            "initialize: RuntimeError",
            'SparseML raises RuntimeError("Could not find all provided submodules '
            'to quantize") at initialize',
            hint,
        )
    if m.start >= end:
        return
    types = {x.type for x in fused(net).modules}
    excluded = m.exclude_module_types or []
    at = items(e, "exclude_module_types", len(excluded))
    for i, kind in enumerate(excluded):
        if kind not in types:
            yield Reference(
                e.tag,
                "exclude_module_types",
                kind,
                *at[i],
                None,
                "no module has that class, so it excludes nothing",
                f"class names here: {', '.join(sorted(types)[:10])}",
            )


def _distill(e: Entry, m: Any, net: Network, end: float) -> Iterator[Reference]:
    student = m.student_layer_names
    field = "student_layer_names"
    if student is None and m.teacher_layer_names is not None:
        student, field = m.teacher_layer_names, "teacher_layer_names"
    if not student or not m.start < end:
        return
    modules = _mods(net)
    at = items(e, field, len(student))
    first_missing = student[0] not in modules
    for i, name in enumerate(student):
        if name in modules or (first_missing and i):
            continue  # a missing first name already fails the step
        error = "KeyError" if first_missing else "AssertionError"
        close = nearest(name, sorted(set(modules) - {""}))
        yield Reference(
            e.tag,
            field,
            name,
            *at[i],
            f"step: {error}",
            f"SparseML skips it at initialize and the first step that distills "
            f"fails ({error})",
            f"nearest: {', '.join(close)}" if close else _deepest(name, modules),
        )


def _mods(net: Network) -> dict[str, Any]:
    return {x.name: x for x in net.modules}


def _thinning(e: Entry, m: Any, net: Network, end: float) -> Iterator[Reference]:
    groups = m.param_group_dependency_map or {}
    where = keys(e, "param_group_dependency_map")
    node = e.node.get("param_group_dependency_map") if e.node.kind == "map" else None
    params = net.params
    updates = [u for u in (m.update_epochs or []) if u < end]
    for key, deps in groups.items():
        pos = where.get(key, (e.line, e.column))
        for name in key.split(","):
            if name in params:
                continue
            close = nearest(name, params)
            yield Reference(
                e.tag,
                "param_group_dependency_map",
                name,
                *pos,
                "step: KeyError" if updates else None,
                "SparseML raises KeyError when it thins"
                + (
                    f" (epoch {updates[0]:g})"
                    if updates
                    else ", when the manager is finalized after training"
                ),
                f"nearest: {', '.join(close)}" if close else None,
            )
        dep_node = node.get(key) if node is not None and node.kind == "map" else None
        at = _item_positions(dep_node, len(deps), pos)
        for i, dep in enumerate(deps):
            if dep not in params:
                yield Reference(
                    e.tag,
                    "param_group_dependency_map",
                    dep,
                    *at[i],
                    None,
                    "SparseML skips a dependency it does not find, so it is not "
                    "thinned",
                    None,
                )


def _item_positions(
    node: Node | None, count: int, default: tuple[int, int]
) -> list[tuple[int, int]]:
    if node is not None and node.kind == "seq" and len(node.value) == count:
        return [(n.line, n.column) for n in node.value]
    return [default] * count


_BY_PARAMETER = PARAM_TAGS | {"LayerThinningModifier"}
_CHECKS = {
    **dict.fromkeys(PARAM_TAGS, _params),
    "LayerPruningModifier": _layers,
    "QuantizationModifier": _qat,
    "PerLayerDistillationModifier": _distill,
    "LayerThinningModifier": _thinning,
}
