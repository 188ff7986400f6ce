"""A recipe as SparseML 1.8's `sparseml.core` reads it: its stages and modifiers,
what it refuses and where, and what it silently ignores.

What a session does before training, in the engine's order (core/recipe/):
**load** (`Recipe.create_instance`: `remap_stages` walks the top level, then each
stage is validated: `remap_modifiers` walks its groups, pydantic checks its
fields and each modifier entry), **build**: evaluate (`check_compile_recipe`:
every top-level arg, then each modifier's arguments, stage by stage, and the
start/end shift) and create (`create_modifier(Framework.pytorch)`: each
modifier by name through `ModifierFactory`, validated by its class). Every
other top-level key silently becomes an arg, unknown stage keys and modifier
fields are dropped. The walk goes on past a refusal (lint reports every error);
`refused` is the one the engine raises: at load, the first (in the engine's
order, `Finding.rank`) of the exceptions that stop it at once (KeyError,
AttributeError, TypeError, which pydantic does not wrap, and a `stages:` that is
no mapping, asserted in the recipe's own validator), else the ValidationError
pydantic collects from the stages; at build, the first.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping
from typing import Any

from ...loader.yamltree import Node
from ..field_types import wrong_types
from .evaluate import UNKNOWN, EvalError, eval_args, eval_obj
from .registry import registry
from .schemes import emulated, strategy_errors

_STEPS = ("load", "build")
_CREATE_KEYWORDS = ("type_", "framework", "allow_registered", "allow_experimental")
_CREATE = "sparseml.core.factory.ModifierFactory.create"
# fields of earlier SparseML versions that 1.8 drops, and what it reads instead
_RENAMED = {
    "percdamp": "SparseML 1.8 calls it 'dampening_frac'",
    "prunen": 'SparseML 1.8 takes N:M as `mask_structure: "2:4"`',
    "prunem": 'SparseML 1.8 takes N:M as `mask_structure: "2:4"`',
    "quantize": "in SparseML 1.8 a GPTQModifier or QuantizationModifier quantizes",
}
_BOOL_WORDS = {"0", "off", "f", "false", "n", "no", "1", "on", "t", "true", "y", "yes"}


@dataclasses.dataclass(frozen=True)
class Written:
    """One modifier entry, as the stage holds it."""

    name: Any  # the class name written (a key: not always a string)
    stage: str  # the stage's group (its key without `_stage`)
    group: str  # the `<group>_modifiers` key without `_modifiers`
    node: Node  # its arguments
    line: int  # where its name is written
    column: int
    args: Mapping[str, Any] | None = None  # as evaluated, where the build got there


@dataclasses.dataclass(frozen=True)
class Stage:
    name: str
    run_type: str | None  # as written (the engine's finetune runner reads it)
    line: int
    column: int
    modifiers: tuple[Written, ...]

    @property
    def runs_as(self) -> str | None:
        """Its run_type as written, else what `RecipeStage.infer_run_type` makes
        of its name ("train" first, then "oneshot"; None: the finetune runner
        needs one)."""
        if self.run_type:
            return self.run_type
        return next((kind for kind in ("train", "oneshot") if kind in self.name), None)


@dataclasses.dataclass(frozen=True)
class Finding:
    """What the engine does with a part of the file: raises (`error`, "Type:
    message" as it words it, at `step`) or ignores it (`error` None)."""

    kind: str
    line: int
    column: int
    message: str
    hint: str | None = None
    error: str | None = None
    step: str | None = None  # "load" | "build"
    raw: bool = False  # at load: an exception that stops the load at once
    rank: tuple[int, ...] = ()  # at load: when the engine meets it


@dataclasses.dataclass(frozen=True)
class Read:
    stages: tuple[Stage, ...]
    args: Mapping[str, Any]  # the recipe's args as written (every other top key)
    findings: tuple[Finding, ...]

    @property
    def modifiers(self) -> tuple[Written, ...]:
        return tuple(m for s in self.stages for m in s.modifiers)

    @property
    def refused(self) -> Finding | None:
        """The error the engine raises."""
        errors = [f for f in self.findings if f.error is not None]
        loading = sorted((f for f in errors if f.step == "load"), key=lambda f: f.rank)
        if loading:
            return next((f for f in loading if f.raw), loading[0])
        return next((f for f in errors if f.step == "build"), None)


def _type(value: Any) -> str:
    return type(value).__name__


class _Walk:
    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self.rank: tuple[int, ...] = ()  # the stage being validated, at load

    def refuse(
        self,
        kind: str,
        where: tuple[int, int],
        message: str,
        error: str,
        hint: str | None = None,
        *,
        step: str = "load",
        raw: bool = False,
        rank: tuple[int, ...] = (),
    ) -> None:
        line, column = where
        if not rank and step == "load":
            rank = (*self.rank, len(self.findings))
        self.findings.append(
            Finding(kind, line, column, message, hint, error, step, raw, rank)
        )

    def ignore(
        self, kind: str, where: tuple[int, int], message: str, hint: str | None
    ) -> None:
        self.findings.append(Finding(kind, where[0], where[1], message, hint))


def read(root: Node | None, overrides: Mapping[str, Any] | None = None) -> Read:
    """The engine's walk over the positioned tree (None: an empty file);
    `overrides`: the session's `recipe_args`, which replace or add args."""
    walk = _Walk()
    if root is None or root.kind != "map":
        _not_a_mapping(walk, root)
        return Read((), {}, tuple(walk.findings))
    # `remap_stages`, in its order: (0) a truthy `modifiers:`, (1) every key
    # (`endswith`) and each `<group>_modifiers` (`.items()`), (2) `stages:`,
    # (3) each `<name>_stage`; then (4) each stage validated, in stage order
    stages_found: list[tuple[Any, Node, tuple[int, int], str]] = []
    args: dict[str, Any] = {}
    default_stage: tuple[int, int] | None = None  # top-level modifiers: stage 0
    flat = root.value.get("modifiers")
    if flat is not None and _truthy(flat):
        at = root.key_position("modifiers")
        stages_node = root.value.get("stages")
        if stages_node is None or stages_node.kind != "map":
            walk.refuse(
                "modifiers-outside-a-stage",
                at,
                "a top-level 'modifiers:' key: SparseML 1.8's parser looks its "
                "modifiers up under 'stages' and fails",
                "KeyError: 'stages'"
                if stages_node is None
                else f"AttributeError: '{_type(stages_node.plain())}' object has no "
                "attribute 'items'",
                "put modifiers in a stage: `train_stage:` → `pruning_modifiers:`",
                raw=True,
                rank=(0,),
            )
        elif stages_node.value:  # its stages are read as modifiers, then fail
            default_stage = at
        else:
            walk.ignore(
                "ignored-stage",
                at,
                "'modifiers' is outside any stage and `stages:` is empty: SparseML "
                "1.8 reads its modifiers from 'stages' (none) and drops the key",
                "put modifiers in a stage: `train_stage:` → `pruning_modifiers:`",
            )
    for i, (key, value) in enumerate(root.value.items()):
        at = root.key_position(key)
        if not isinstance(key, str):
            walk.refuse(
                "key-not-a-string",
                at,
                f"the top-level key {key!r} is not a string",
                f"AttributeError: '{_type(key)}' object has no attribute 'endswith'",
                "quote it, or name the stage `<name>_stage`",
                raw=True,
                rank=(1, i),
            )
            continue
        if key.endswith("_modifiers"):
            if value.kind != "map":
                walk.refuse(
                    "group-not-a-mapping",
                    at,
                    f"'{key}' is a {_kind(value)}, not a mapping of modifiers",
                    f"AttributeError: '{_type(value.plain())}' object has no "
                    "attribute 'items'",
                    "modifiers go in stages: `<name>_stage:` → `<group>_modifiers:` "
                    "→ `ModifierName: {...}`",
                    raw=True,
                    rank=(1, i),
                )
            elif value.value:
                default_stage = default_stage or at
            continue
        if key == "modifiers" and _truthy(value):
            continue
        if key == "stages" and _truthy(value):
            if value.kind != "map":
                walk.refuse(
                    "stage-not-a-mapping",
                    at,
                    "`stages:` is not a mapping of stages",
                    "ValidationError: 1 validation error for Recipe",
                    "write `stages:` → `<name>:` → `<group>_modifiers:` ...",
                    raw=True,
                    rank=(2,),
                )
                continue
            for j, (name, body) in enumerate(value.value.items()):
                if body.kind != "map":
                    walk.refuse(
                        "stage-not-a-mapping",
                        value.key_position(name),
                        f"the stage {name!r} is a {_kind(body)}, not a mapping",
                        "ValidationError: 1 validation error for Recipe",
                        "give the stage its `<group>_modifiers:` mappings",
                        raw=True,
                        rank=(2, j),
                    )
                    break
                stages_found.append((name, body, value.key_position(name), "stages"))
            continue
        if key.endswith("_stage"):
            if value.kind != "map":
                walk.refuse(
                    "stage-not-a-mapping",
                    at,
                    f"'{key}' is a {_kind(value)}, not a mapping",
                    f"TypeError: {_assignment(value.plain())}",
                    "give the stage its `<group>_modifiers:` mappings",
                    raw=True,
                    rank=(3, i),
                )
                continue
            stages_found.append((key.rsplit("_stage", 1)[0], value, at, key))
            continue
        args[key] = value
        _ignored_top(walk, key, value, at)
    if default_stage is not None:
        walk.refuse(
            "modifiers-outside-a-stage",
            default_stage,
            "modifiers outside any stage: SparseML 1.8 gathers them into a "
            "'default' stage whose parser looks them up under 'stages' and fails",
            "KeyError: 'stages'",
            "put them in a stage: `train_stage:` → `pruning_modifiers:`",
            raw=True,
            rank=(4, 0),
        )
    first = 1 if default_stage is not None else 0
    stages = [
        _stage(walk, *found, index=first + n)
        for n, found in enumerate(_ordered(stages_found))
    ]
    stages_t = tuple(stages)
    plain_args = {k: v.plain() for k, v in args.items()} | dict(overrides or {})
    if not any(f.step == "load" for f in walk.findings if f.error):
        stages_t = _build(walk, stages_t, plain_args, args)
    if not any(f.error for f in walk.findings) and not any(
        s.modifiers for s in stages_t
    ):
        walk.ignore(
            "no-modifiers",
            (1, 1),
            "SparseML 1.8 reads no modifier from this recipe: it loads, and the "
            "session changes nothing",
            "write `<name>_stage:` → `<group>_modifiers:` → `ModifierName: {...}`",
        )
    return Read(stages_t, plain_args, tuple(walk.findings))


def _ordered(found: list[tuple[Any, Node, tuple[int, int], str]]) -> list:
    """`stages:` entries first, then `<name>_stage` keys in file order."""
    return [f for f in found if f[3] == "stages"] + [
        f for f in found if f[3] != "stages"
    ]


def _truthy(node: Node) -> bool:
    return bool(node.plain())


def _kind(node: Node) -> str:
    plain = node.plain()
    return "empty value" if plain is None else _type(plain)


def _assignment(value: Any) -> str:
    """TypeError of `value["group"] = ...`."""
    if isinstance(value, list):
        return "list indices must be integers or slices, not str"
    return f"'{_type(value)}' object does not support item assignment"


def _not_a_mapping(walk: _Walk, root: Node | None) -> None:
    value = None if root is None else root.plain()
    where = (1, 1) if root is None else (root.line, root.column)
    if isinstance(value, list | str):
        if isinstance(value, str) and "modifiers" in value:
            error = "TypeError: string indices must be integers, not 'str'"
        else:
            error = f"AttributeError: '{_type(value)}' object has no attribute 'items'"
    else:
        error = f"TypeError: argument of type '{_type(value)}' is not iterable"
    walk.refuse(
        "not-a-mapping",
        where,
        f"the recipe is {'empty' if root is None else 'not a mapping'}: SparseML "
        "1.8 reads stages from a mapping at the top",
        error,
        "write stages at the top level: `oneshot_stage:` → `obcq_modifiers:` → "
        "`SparseGPTModifier: {...}`",
        raw=True,
    )


def _ignored_top(walk: _Walk, key: str, value: Node, at: tuple[int, int]) -> None:
    """A top-level key the engine keeps as an arg: said when it looks like a
    stage (a typo leaves the recipe without it) or holds groups of modifiers."""
    low = key.lower()
    holds = value.kind == "map" and any(
        isinstance(k, str) and k.endswith("_modifiers") for k in value.value
    )
    if "stag" in low or holds:
        stem = low.split("stag")[0].rstrip("_-") if "stag" in low else low
        guess = f"{stem or key}_stage"
        walk.ignore(
            "ignored-stage",
            at,
            f"'{key}' does not end in '_stage', so SparseML 1.8 keeps it as a "
            "recipe arg and reads no stage from it",
            f"did you mean '{guess}'?"
            if key != "stages"
            else "give `stages:` a mapping of stages, or write `<name>_stage:` keys",
        )


def _stage(
    walk: _Walk, name: Any, body: Node, at: tuple[int, int], key: str, *, index: int
) -> Stage:
    """`RecipeStage` validated: its groups (`remap_modifiers`), then its fields
    and each modifier entry (collected into one ValidationError)."""
    run_type: str | None = None
    entries: list[Written] = []
    raw = False
    walk.rank = (4, index)
    modifiers_key = body.value.get("modifiers")
    if modifiers_key is not None and _truthy(modifiers_key):
        walk.refuse(
            "modifiers-outside-a-stage",
            body.key_position("modifiers"),
            f"a key named exactly 'modifiers' in '{key}': SparseML 1.8's parser looks "
            "its modifiers up under 'stages' and fails",
            "KeyError: 'stages'",
            "name the group `<group>_modifiers`, e.g. `pruning_modifiers`",
            raw=True,
        )
        raw = True
    for gkey, gvalue in body.value.items():
        where = body.key_position(gkey)
        if not isinstance(gkey, str):
            if not raw:
                walk.refuse(
                    "key-not-a-string",
                    where,
                    f"the key {gkey!r} in '{key}' is not a string",
                    f"AttributeError: '{_type(gkey)}' object has no attribute "
                    "'endswith'",
                    "name the group `<group>_modifiers`",
                    raw=True,
                )
                raw = True
            continue
        if gkey.endswith("_modifiers"):
            if gvalue.kind != "map":
                if not raw:
                    walk.refuse(
                        "group-not-a-mapping",
                        where,
                        f"'{gkey}' is a {_kind(gvalue)}: SparseML 1.8 reads a group "
                        "only as a mapping of modifier names",
                        f"AttributeError: '{_type(gvalue.plain())}' object has no "
                        "attribute 'items'",
                        "write each modifier as `ModifierName: {...}` under it, "
                        "without `- `",
                        raw=True,
                    )
                    raw = True
                continue
            group = gkey.rsplit("_modifiers", 1)[0]
            for mname, margs in gvalue.value.items():
                line, column = gvalue.key_position(mname)
                entries.append(Written(mname, str(name), group, margs, line, column))
            continue
        if gkey in ("modifiers", "group"):
            continue  # (falsy `modifiers:` and `group:` are overwritten)
        if gkey == "run_type":
            run_type = _run_type(walk, gvalue, where)
            continue
        if gkey in ("enabled", "exclude_default"):
            _flag(walk, gkey, gvalue, where)
            continue
        if gkey in ("args", "args_evaluated"):
            if gvalue.plain() is not None:
                walk.refuse(
                    "stage-field",
                    where,
                    f"'{gkey}' in a stage: SparseML 1.8 takes stage args only from "
                    "code, never from the recipe",
                    "ValidationError: 1 validation error for Recipe",
                    "write args at the top level of the recipe",
                )
            continue
        _ignored_stage_key(walk, key, gkey, where)
    if not isinstance(name, str):
        walk.refuse(
            "key-not-a-string",
            at,
            f"the stage name {name!r} is not a string",
            "ValidationError: 1 validation error for Recipe",
            "quote it",
        )
    for entry in entries:
        _entry(walk, entry)
    return Stage(str(name), run_type, at[0], at[1], tuple(entries))


def _run_type(walk: _Walk, node: Node, where: tuple[int, int]) -> str | None:
    value = node.plain()
    if value is None:
        return None
    if value not in ("train", "oneshot"):
        walk.refuse(
            "stage-field",
            (node.line, node.column),
            f"run_type {value!r}: SparseML 1.8 takes 'train' or 'oneshot'",
            "ValidationError: 1 validation error for Recipe",
            "write `run_type: oneshot` or `run_type: train` (lower case)",
        )
        return None
    return str(value)


def _flag(walk: _Walk, key: str, node: Node, where: tuple[int, int]) -> None:
    """`enabled`/`exclude_default`: pydantic bools, which nothing reads."""
    value = node.plain()
    ok = (
        isinstance(value, bool)
        or (isinstance(value, int | float) and value in (0, 1))
        or (isinstance(value, str) and value.lower() in _BOOL_WORDS)
    )
    if not ok:
        walk.refuse(
            "stage-field",
            (node.line, node.column),
            f"{key} {value!r} is not a boolean",
            "ValidationError: 1 validation error for Recipe",
            f"remove it: SparseML 1.8 never reads '{key}'",
        )
        return
    walk.ignore(
        "stage-key-no-effect",
        where,
        f"'{key}' has no effect: SparseML 1.8 validates it and never reads it"
        + (" (the stage still runs)" if key == "enabled" else ""),
        "remove it; to skip a stage, remove the stage or pick stages when running",
    )


def _ignored_stage_key(
    walk: _Walk, stage_key: str, key: str, where: tuple[int, int]
) -> None:
    known = ["run_type", "enabled", "exclude_default"]
    guess = difflib.get_close_matches(key, known, 1, 0.7)
    if not guess and "modif" in key.lower():
        guess = [
            key.rsplit("_", 1)[0] + "_modifiers" if "_" in key else f"{key}_modifiers"
        ]
    walk.ignore(
        "ignored-stage-key",
        where,
        f"'{key}' in '{stage_key}' is neither a `<group>_modifiers` group nor a stage "
        "key, so SparseML 1.8 ignores it",
        f"did you mean '{guess[0]}'?"
        if guess
        else "stage keys: `<group>_modifiers`, run_type",
    )


def _entry(walk: _Walk, entry: Written) -> None:
    """`RecipeModifier`'s own checks at load."""
    where = (entry.line, entry.column)
    if not isinstance(entry.name, str):
        walk.refuse(
            "modifier-entry",
            where,
            f"the modifier name {entry.name!r} is not a string",
            "ValidationError: 1 validation error for Recipe",
            "name the modifier's class, e.g. SparseGPTModifier",
        )
    elif entry.name == "group":
        walk.refuse(
            "modifier-entry",
            where,
            "a modifier named 'group' collides with the key SparseML 1.8 adds to "
            "every entry",
            "ValidationError: 1 validation error for Recipe",
            "name the modifier's class, e.g. SparseGPTModifier",
        )
    node = entry.node
    if node.kind == "map":
        odd = [k for k in node.value if not isinstance(k, str)]
        if odd:
            walk.refuse(
                "modifier-entry",
                node.key_position(odd[0]),
                f"the field {odd[0]!r} of {entry.name} is not a string",
                "ValidationError: 1 validation error for Recipe",
                "quote it, or use the field's name",
            )
    elif node.plain() is not None:
        walk.refuse(
            "modifier-entry",
            (node.line, node.column),
            f"{entry.name}'s arguments are a {_kind(node)}, not a mapping",
            "ValidationError: 1 validation error for Recipe",
            f"write its fields below it: `{entry.name}:` → `targets: [...]`",
        )


def _build(
    walk: _Walk,
    stages: tuple[Stage, ...],
    args: dict[str, Any],
    nodes: Mapping[str, Node],
) -> tuple[Stage, ...]:
    """`check_compile_recipe` (every arg, then each modifier's arguments and the
    start/end shift) and `create_modifier` (each class by name, validated)."""
    try:
        evaluated = eval_args(args)
    except EvalError as exc:
        name = _failing_arg(args)
        node = nodes.get(name) if name is not None else None
        at, col = (node.line, node.column) if node is not None else (1, 1)
        walk.refuse(
            "eval-fails",
            (at, col),
            f"evaluating the recipe's args fails: {exc.message}"
            + (f" (in '{name}')" if name else ""),
            f"{exc.kind}: {exc.message}",
            "SparseML 1.8 evaluates every top-level arg, used or not; "
            "eval(...) takes no parentheses inside",
            step="build",
        )
        return stages
    built: list[Stage] = []
    failed = False
    for stage in stages:
        entries = []
        for entry in stage.modifiers:
            values = _evaluated(walk, entry, evaluated) if not failed else None
            failed = failed or values is None
            entries.append(dataclasses.replace(entry, args=values))
        built.append(dataclasses.replace(stage, modifiers=tuple(entries)))
    for stage in built:
        for entry in stage.modifiers:
            _dropped(walk, entry)
            if not failed:
                _create(walk, entry)
    return tuple(built)


def _failing_arg(args: Mapping[str, Any]) -> str | None:
    """The arg to point at when evaluating the args fails: the first whose
    removal lets the rest evaluate, else the first that holds an eval(...)."""
    evaluated = [k for k, v in args.items() if isinstance(v, str) and "eval(" in v]
    for key in evaluated:
        try:
            eval_args({k: v for k, v in args.items() if k != key})
        except EvalError:
            continue
        return key
    return evaluated[0] if evaluated else None


def _evaluated(
    walk: _Walk, entry: Written, args: Mapping[str, Any]
) -> dict[str, Any] | None:
    """The modifier's arguments as `RecipeModifier.evaluate` leaves them (None:
    it raises)."""
    node = entry.node
    plain = node.plain()
    if not plain:
        walk.refuse(
            "empty-arguments",
            (entry.line, entry.column),
            f"{entry.name} has no arguments: SparseML 1.8 refuses a modifier "
            "without any when it evaluates the recipe",
            "ValueError: args must be set before evaluating",
            "give it its fields (a `start: -1` at least, for a oneshot modifier)",
            step="build",
        )
        return None
    out: dict[str, Any] = {}
    for key, value in plain.items():
        try:
            out[key] = eval_obj(value, args)
        except EvalError as exc:
            where = node.value[key]
            walk.refuse(
                "eval-fails",
                (where.line, where.column),
                f"{entry.name} {key}: evaluating {value!r} fails: {exc.message}",
                f"{exc.kind}: {exc.message}",
                "eval(...) takes an expression without parentheses over the "
                "recipe's args and math",
                step="build",
            )
            return None
    for key in ("start", "end"):
        value = out.get(key)
        if value is None or value is UNKNOWN or isinstance(value, bool | int | float):
            continue
        error = (
            'can only concatenate str (not "int") to str'
            if isinstance(value, str)
            else "'int' object is not iterable"
            if isinstance(value, list)
            else f"unsupported operand type(s) for +=: '{_type(value)}' and 'int'"
        )
        where = node.value[key]
        walk.refuse(
            "start-end-not-a-number",
            (where.line, where.column),
            f"{entry.name} {key} is {value!r}, not a number: SparseML 1.8 shifts "
            "start and end by adding to them",
            f"TypeError: {error}",
            f"write {key} as a number (an epoch; -1 for a oneshot modifier)",
            step="build",
        )
        return None
    return out


def _create(walk: _Walk, entry: Written) -> None:
    """`ModifierFactory.create(name, framework=..., **args)`: the class by name,
    then validated by pydantic (extra fields ignored)."""
    known = registry().modifiers
    where = (entry.line, entry.column)
    values = entry.args or {}
    given = [k for k in values if k in _CREATE_KEYWORDS]
    if given:
        walk.refuse(
            "factory-keyword",
            entry.node.key_position(given[0]),
            f"'{given[0]}' is an argument SparseML 1.8's ModifierFactory passes itself",
            f"TypeError: {_CREATE}() got multiple values for keyword argument "
            f"'{given[0]}'",
            f"remove '{given[0]}'",
            step="build",
        )
        return
    cls = known.get(entry.name) if isinstance(entry.name, str) else None
    if cls is None:
        guess = difflib.get_close_matches(str(entry.name), list(known), 1, 0.6)
        walk.refuse(
            "unknown-modifier",
            where,
            f"SparseML 1.8's sparseml.core has no modifier {entry.name!r}",
            f"ValueError: No modifier of type '{entry.name}' found.",
            f"did you mean {guess[0]}?"
            if guess
            else "its modifiers: " + ", ".join(n for n in known if n != "Modifier"),
            step="build",
        )
        return
    _fields(walk, entry, cls.name, cls.class_name, cls.fields, values)
    _scheme_alias(walk, entry, cls.name, values)


def _dropped(walk: _Walk, entry: Written) -> None:
    """The fields the modifier's class does not define (pydantic drops them) and
    those that are its own state: said whether or not the build gets there."""
    cls = registry().modifiers.get(entry.name) if isinstance(entry.name, str) else None
    if cls is None or entry.node.kind != "map":
        return
    name, fields = cls.name, cls.fields
    values = {k: None for k in entry.node.value if isinstance(k, str)}
    node = entry.node
    known = [f for f in fields if not f.endswith("_")]
    for key in values:
        if key in fields or key.startswith("_"):
            if key.endswith("_") and key in fields:
                walk.ignore(
                    "state-field",
                    node.key_position(key),
                    f"{name} {key} is the modifier's own state: SparseML 1.8 takes it "
                    "from the recipe (`initialized_: true` skips the modifier)",
                    f"remove '{key}'",
                )
            continue
        guess = difflib.get_close_matches(key, known, 1, 0.6)
        walk.ignore(
            "ignored-field",
            node.key_position(key),
            f"{name} has no field '{key}': SparseML 1.8 drops it silently",
            _RENAMED.get(key)
            or _other_dialect(name, key)
            or (
                f"did you mean '{guess[0]}'?"
                if guess
                else f"fields of {name}: " + ", ".join(known)
            ),
        )


def _fields(
    walk: _Walk,
    entry: Written,
    name: str,
    class_name: str,
    fields: Mapping[str, Mapping[str, Any]],
    values: Mapping[str, Any],
) -> None:
    """Missing required fields and wrong types: one ValidationError titled with
    the class the factory built (unknown fields are `_dropped`)."""
    node = entry.node
    checked = {k: v for k, v in values.items() if v is not UNKNOWN}
    typed = {  # nested models whose own validators are emulated: checked too
        f: {**info, "plain": True} if emulated(info) else info
        for f, info in fields.items()
    }
    wrong = wrong_types(("sparseml-core", name), typed, checked)
    for f, info in fields.items():
        if f in checked and emulated(info):
            wrong += [(f, said) for said in strategy_errors(checked[f])]
    scheme = values.get("scheme")
    loadable = isinstance(scheme, str | dict | type(None))
    if name == "LegacyQuantizationModifier" and "scheme" in checked and not loadable:
        # QuantizationSchemeLoadable: a QuantizationScheme, a mapping or a
        # string (an alias); pydantic counts one error for each
        wrong += [("scheme", "Input should be a valid dictionary or string")] * 3
    missing = [f for f, info in fields.items() if info["required"] and f not in values]
    count = len(wrong) + len(missing)
    if not count:
        return
    plural = "s" * (count != 1)
    error = f"ValidationError: {count} validation error{plural} for {class_name}"
    said: dict[str, str] = {}
    for field, message in wrong:
        said.setdefault(field, message)
    for field, message in said.items():
        at = node.value[field]
        walk.refuse(
            "wrong-type",
            (at.line, at.column),
            f"{name} {field}: {message}",
            error,
            "the type SparseML 1.8 takes: " + str(fields[field]["annotation"]),
            step="build",
        )
    for field in missing:
        walk.refuse(
            "missing-field",
            (entry.line, entry.column),
            f"{name} requires '{field}'",
            error,
            f"add '{field}: ...' to {name}",
            step="build",
        )


def _other_dialect(name: str, field: str) -> str | None:
    """Where the field is llm-compressor's (its modifier of that name takes it):
    the recipe may be written for llm-compressor."""
    from ..llmcompressor.registry import registry as llmc

    cls = llmc().modifiers.get(name)
    if cls is None or field not in cls.fields:
        return None
    return (
        f"'{field}' is a field of llm-compressor's {name}: if the recipe is for "
        "llm-compressor, lint it with --dialect llm-compressor"
    )


def _scheme_alias(
    walk: _Walk, entry: Written, name: str, values: Mapping[str, Any]
) -> None:
    """LegacyQuantizationModifier's `__init__` loads its scheme: a string must be
    one of QuantizationScheme's aliases."""
    scheme = values.get("scheme")
    if name != "LegacyQuantizationModifier" or not isinstance(scheme, str):
        return
    aliases = registry().legacy_scheme_aliases
    if scheme in aliases:
        return
    at = entry.node.value["scheme"]
    walk.refuse(
        "unknown-scheme",
        (at.line, at.column),
        f"LegacyQuantizationModifier scheme: '{scheme}' is no scheme alias",
        f"ValueError: Unrecognized QuantizationScheme string alias {scheme}. "
        f"Valid strings: {list(aliases)}",
        "aliases: " + ", ".join(aliases),
        step="build",
    )
