"""Retarget a sparseml.core recipe's train stages to another training length.

The 90-epoch rule as `recipe rescale` applies it to legacy recipes: a recipe
written for M dense epochs moves to N by scaling every epoch-valued field by N/M.
In a staged recipe those are the fields of modifiers in stages that run as
`train` (`Stage.runs_as`): `start`, `end` and QuantizationModifier's observer and
BN-freeze epochs. A oneshot stage applies once and has no epochs; `update` is not
read by SparseML 1.8's schedulers, so nothing else moves.

A field written as a number is scaled where it is written. A field written as
`eval(...)` is scaled by scaling the top-level args it is computed from, which
must be numbers used by epoch fields of train stages alone (an arg that also
feeds `final_sparsity` cannot move), and the expression must scale with them
(`eval(warm + 2)` does not: 2 stays): otherwise a RescaleError says which arg or
field and what to write instead. YAML anchors are edited where they are defined,
and only when every alias of them is an epoch. Every other byte of the file stays
as it was; the result is read again and each field compared with what it should
be, with SparseML's own evaluation of args.
"""

from __future__ import annotations

import ast
import dataclasses
import math
from collections.abc import Iterator, Mapping
from typing import Any

from ..dialects.sparsemlcore.evaluate import (
    PATTERN,
    UNKNOWN,
    EvalError,
    eval_args,
    eval_obj,
)
from ..dialects.sparsemlcore.reader import Read, read
from ..loader.recipe import Recipe
from ..loader.yamltree import Node
from .rescale import (
    DECIMALS,
    RULE_BASE_EPOCHS,
    RescaleError,
    Result,
    declared_base,
    header,
)
from .spans import Edit, apply, number_text

EPOCH_FIELDS = frozenset(
    ("start", "end", "disable_quantization_observer_epoch", "freeze_bn_stats_epoch")
)
_TOLERANCE = 1e-9


@dataclasses.dataclass(frozen=True)
class _Site:
    """An epoch field of a modifier in a train stage."""

    stage: str
    modifier: str
    field: str
    node: Node

    def __str__(self) -> str:
        return (
            f"{self.modifier} {self.field} (line {self.node.line}, stage "
            f"'{self.stage}')"
        )


def rescale_core(
    recipe: Recipe,
    epochs: float,
    *,
    from_epochs: float | None = None,
    round_to: float | None = None,
) -> Result:
    """Rescale the train stages of sparseml.core `recipe` to `epochs`; the new
    file text, or RescaleError."""
    if epochs <= 0:
        raise RescaleError("--epochs must be positive")
    base = from_epochs or declared_base(recipe) or RULE_BASE_EPOCHS
    factor = epochs / base
    text = recipe.source.text
    before = read(recipe.root)
    if before.refused is not None:
        raise RescaleError(
            "the recipe has errors; run `recipe lint` and fix them first"
        )
    sites = list(_sites(before))
    if not sites:
        raise RescaleError(
            "no modifier of a train stage has an epoch to scale (oneshot stages "
            "apply once, with no schedule): nothing to rescale"
        )
    if factor == 1:
        return Result(text, base, epochs, [], [])
    root = recipe.root
    assert root is not None  # (a recipe with stages has a top-level mapping)
    args = _arg_nodes(root, before)
    scaled_args = _scaled_args(root, sites, args, before.args)
    new_args = {
        name: _rounded(before.args[name] * factor, round_to) for name in scaled_args
    }
    targets: dict[int, tuple[Node, float]] = {}  # anchor -> its node, new value
    for name, value in new_args.items():
        targets[args[name].anchor] = (args[name], value)
    old_values = eval_args(before.args)
    exact = eval_args({**before.args, **{n: before.args[n] * factor for n in new_args}})
    values = eval_args({**before.args, **new_args})
    expected: dict[int, float] = {}  # id(site node) -> the value it must have
    for site in sites:
        old = _value(site.node.plain(), old_values)
        if site.node.kind == "scalar" and _is_number(site.node.value):
            new = old if old < 0 else _rounded(old * factor, round_to)
            if new != old:
                _claim(targets, site, new)
            expected[id(site)] = new
            continue
        scaled = _value(site.node.plain(), exact)  # before rounding
        want = old if old < 0 else old * factor
        if abs(scaled - want) > _TOLERANCE * max(1.0, abs(want)):
            raise RescaleError(_not_scaling(site, old, scaled, want), "variable")
        expected[id(site)] = _value(site.node.plain(), values)
    _shared(root, targets, sites, set(scaled_args), args)
    edits = [
        Edit(n.span[0], n.span[1], number_text(v, text[n.span[0] : n.span[1]]))
        for n, v in targets.values()
    ]
    out = header(recipe, apply(text, edits), base, epochs, factor, None)
    _verify(recipe, out, before, sites, expected)
    notes = [
        f"{name}: {_num(before.args[name])} -> {_num(v)}"
        for name, v in new_args.items()
    ]
    return Result(out, base, epochs, edits, notes)


def _sites(found: Read) -> Iterator[_Site]:
    for stage in found.stages:
        if stage.runs_as != "train":
            continue
        for entry in stage.modifiers:
            if entry.node.kind != "map":
                continue
            for key, node in entry.node.value.items():
                if key in EPOCH_FIELDS and node.plain() is not None:
                    yield _Site(stage.name, str(entry.name), key, node)


def _arg_nodes(root: Node, found: Read) -> dict[str, Node]:
    return {k: v for k, v in root.value.items() if k in found.args}


def _names(value: Any) -> set[str]:
    """The names the `eval(...)` expressions in a value read (in strings, mapping
    values and list items, as the engine evaluates them)."""
    if isinstance(value, dict):
        return set().union(*(_names(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_names(v) for v in value))
    if not isinstance(value, str):
        return set()
    out: set[str] = set()
    for match in PATTERN.finditer(value):
        try:
            tree = ast.parse(match.group(1).lstrip(" \t"), mode="eval")
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        out |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    return out


def _scaled_args(
    root: Node,
    sites: list[_Site],
    args: Mapping[str, Node],
    values: Mapping[str, Any],
) -> list[str]:
    """The number args the epoch fields are computed from (through other args
    too); RescaleError for one that something other than an epoch reads."""
    reads = {name: _names(node.plain()) & set(args) for name, node in args.items()}

    def roots(names: set[str]) -> set[str]:
        seen: set[str] = set()
        todo = list(names & set(args))
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                todo.extend(reads[name] - seen)
        return seen

    epoch_ids = {id(s.node) for s in sites}
    wanted: set[str] = set()
    for site in sites:
        wanted |= roots(_names(site.node.plain()))
    numbers = [n for n in args if n in wanted and _is_number(values.get(n))]
    if not numbers:
        return []
    users = _users(root, args, epoch_ids)
    for name in numbers:
        other = next((u for u, names in users if name in roots(names)), None)
        if other is not None:
            raise RescaleError(
                f"the arg '{name}' (line {args[name].line}) gives an epoch of a "
                f"train stage and also {other}, which must not scale: give the "
                "epoch its own arg",
                "variable",
            )
    return numbers


def _users(
    root: Node, args: Mapping[str, Node], epoch_ids: set[int]
) -> list[tuple[str, set[str]]]:
    """What reads args other than the epoch fields of train stages: every other
    value under a stage (modifier fields of any stage, oneshot epochs)."""
    out: list[tuple[str, set[str]]] = []
    for key, node in root.value.items():
        if key in args:
            continue
        for sub in node.walk():
            if id(sub) in epoch_ids or sub.kind != "scalar":
                continue
            names = _names(sub.value)
            if names:
                out.append((f"the value at line {sub.line} (in '{key}')", names))
    return out


def _claim(targets: dict[int, tuple[Node, float]], site: _Site, new: float) -> None:
    node = site.node
    held = targets.get(node.anchor)
    if held is not None and held[1] != new:
        raise RescaleError(f"{site}: its anchor is scaled twice")
    targets[node.anchor] = (node, new)


def _shared(
    root: Node,
    targets: Mapping[int, tuple[Node, float]],
    sites: list[_Site],
    scaled_args: set[str],
    args: Mapping[str, Node],
) -> None:
    """A YAML anchor edited for an epoch must not be aliased by anything else."""
    allowed = {id(s.node) for s in sites} | {id(args[n]) for n in scaled_args}
    for node in root.walk():
        if node.anchor in targets and id(node) not in allowed:
            first = targets[node.anchor][0]
            raise RescaleError(
                f"the YAML anchor at line {first.line} gives an epoch and also the "
                f"value at line {node.line}, which must not scale: write the "
                "epoch as its own number",
                "variable",
            )


def _verify(
    recipe: Recipe,
    text: str,
    before: Read,
    sites: list[_Site],
    expected: Mapping[int, float],
) -> None:
    """The written text, read again: each epoch field has its new value, every
    other modifier field the value it had."""
    after = read(recipe.edited(text).root)
    old_args = eval_args(before.args)
    new_args = eval_args(after.args)
    by_node = {id(s.node): s for s in sites}
    for old_entry, new_entry in zip(before.modifiers, after.modifiers, strict=True):
        for key, node in old_entry.node.value.items():
            new_node = new_entry.node.value[key]
            site = by_node.get(id(node))
            new = eval_obj(new_node.plain(), new_args)
            if site is not None:
                want: Any = expected[id(site)]
                ok = abs(_number(new) - want) <= _TOLERANCE * max(1.0, abs(want))
            else:
                want = eval_obj(node.plain(), old_args)
                ok = new == want or (new is UNKNOWN and want is UNKNOWN)
            if not ok:
                raise AssertionError(
                    f"rescaled {old_entry.name} {key} is {new!r}, not {want!r}"
                )


def _value(plain: Any, args: Mapping[str, Any]) -> float:
    try:
        value = eval_obj(plain, args)
    except EvalError as exc:  # (lint refused the recipe before)
        raise RescaleError(str(exc)) from None
    return _number(value)


def _number(value: Any) -> float:
    if value is UNKNOWN or not _is_number(value):
        raise RescaleError(
            f"an epoch is {value!r}, which is not computed here: write it as a number"
        )
    return float(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _rounded(value: float, round_to: float | None) -> float:
    if round_to:
        snapped = round(value / round_to) * round_to
        return round(snapped, 10)
    return round(value, DECIMALS)


def _not_scaling(site: _Site, old: float, new: float, want: float) -> str:
    return (
        f"{site} is {_num(old)}; scaling its args makes it {_num(new)}, not "
        f"{_num(want)}: a number inside its eval(...) does not scale. Put that "
        "number in an arg of its own"
    )


def _num(value: float) -> str:
    return f"{value:g}" if math.isfinite(value) else str(value)
