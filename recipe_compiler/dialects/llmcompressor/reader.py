"""A recipe as llm-compressor 0.14 reads it: its modifiers in the order oneshot
applies them, what it refuses at load and what it silently ignores.

`Recipe.create_instance(path)` (llmcompressor/recipe/recipe.py) loads the YAML and
walks it in `from_dict`, in file order: every top-level key ending `_stage` whose
value is a mapping is a stage (the last one names the recipe's stage); in it, every
key ending `_modifiers` whose value is a mapping is a group; in it, every key is a
modifier class name and its value the keyword arguments the class is built with
(`ModifierFactory.create(name, group=..., **body)`). Nothing else is read: no
`eval(...)`, no `stages:`, no flat list of modifiers, and a misspelled key loads
as a recipe without the part it names. The first exception stops the load; after
the walk, `args` must be a mapping and an AWQModifier must be followed by a
modifier that quantizes. This walk goes on past a refusal (each later one is what
the engine raises once the earlier are fixed: lint reports them all); `refused`
is the first, the engine's.

This module is the walk (`read`), with each part's position; the fields of each
modifier are validated against the engine's models elsewhere. Each `Finding` is an
error (the exception the engine raises there, its message first line as the
engine words it) or a warning (a part the engine ignores).
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping
from typing import Any

from ...loader.yamltree import Node
from ..field_types import wrong_types
from . import schemes, sparsity
from .registry import registry

# the keyword arguments `ModifierFactory.create` takes itself: a body that gives
# one again is a TypeError
_CREATE_KEYWORDS = ("type_", "allow_registered", "allow_experimental", "group")
_CREATE = "llmcompressor.modifiers.factory.ModifierFactory.create"


@dataclasses.dataclass(frozen=True)
class Written:
    """One modifier, as `from_dict` creates it."""

    name: str  # the class name written
    stage: str  # the stage key without `_stage`, as the engine names it
    group: str  # the group key without `_modifiers`
    node: Node  # its body
    line: int  # where its name is written
    column: int


@dataclasses.dataclass(frozen=True)
class Finding:
    """What the engine does with a part of the file: raises (`error`: "Type:
    message" as it words it, at `step`: "load", or "oneshot" where only the
    model shows it) or ignores it (`error` None)."""

    kind: str
    line: int
    column: int
    message: str
    hint: str | None = None
    error: str | None = None
    step: str = "load"


@dataclasses.dataclass(frozen=True)
class Read:
    modifiers: tuple[Written, ...]  # in the order oneshot applies them
    stage: str  # the recipe's stage: the last stage read, else "default"
    findings: tuple[Finding, ...]

    @property
    def refused(self) -> Finding | None:
        """The error the engine raises: the first, in the order it walks."""
        return next((f for f in self.findings if f.error is not None), None)


def _type(value: Any) -> str:
    return type(value).__name__


def read(root: Node | None) -> Read:
    """The walk of `from_dict` over the positioned tree (None: an empty file)."""
    walk = _Walk()
    if root is None or root.kind != "map":
        value = None if root is None else root.plain()
        line, column = (1, 1) if root is None else (root.line, root.column)
        walk.refuse(
            "not-a-mapping",
            line,
            column,
            f"the recipe is {'empty' if root is None else 'not a mapping'}: "
            "llm-compressor reads stages from a mapping at the top",
            f"AttributeError: '{_type(value)}' object has no attribute 'get'",
            "write stages at the top level: `quant_stage:` → `quant_modifiers:` → "
            "`QuantizationModifier: {...}`",
        )
        return walk.done()
    for key, value in root.value.items():
        line, column = root.key_position(key)
        if not isinstance(key, str):
            walk.refuse(
                "key-not-a-string",
                line,
                column,
                f"the top-level key {key!r} is not a string",
                f"AttributeError: '{_type(key)}' object has no attribute 'endswith'",
                "quote it, or give the stage a name ending in '_stage'",
            )
            continue
        if key == "args":
            walk.args = value
            continue
        if not key.endswith("_stage"):
            walk.ignored_top(key, value, line, column)
            continue
        if value.kind != "map":
            walk.ignore(
                "ignored-stage",
                line,
                column,
                f"'{key}' is not a mapping, so llm-compressor reads no stage from it",
                "give the stage a mapping of modifier groups: "
                f"`{key}:` → `quant_modifiers:` → `QuantizationModifier: {{...}}`",
            )
            continue
        walk.stage = key.replace("_stage", "")
        walk.stage_body(key, value)
    walk.finish(root)
    return walk.done()


class _Walk:
    """The state of `from_dict`'s loop: what it created, what it found."""

    def __init__(self) -> None:
        self.modifiers: list[Written] = []
        self.findings: list[Finding] = []
        self.stage = "default"
        self.args: Node | None = None

    def done(self) -> Read:
        return Read(tuple(self.modifiers), self.stage, tuple(self.findings))

    def refuse(
        self,
        kind: str,
        line: int,
        column: int,
        message: str,
        error: str,
        hint: str | None = None,
    ) -> None:
        self.findings.append(Finding(kind, line, column, message, hint, error))

    def ignore(
        self, kind: str, line: int, column: int, message: str, hint: str | None
    ) -> None:
        self.findings.append(Finding(kind, line, column, message, hint))

    def ignored_top(self, key: str, value: Node, line: int, column: int) -> None:
        """A top-level key the engine skips: said when it looks like a stage or a
        group of modifiers (a typo, `stages:`, a flat recipe); other keys (a
        version, metadata) are the author's own."""
        low = key.lower()
        if "stag" in low:  # quant_stag, quant-stage, quantStage, stages
            stem = low.split("stag")[0].rstrip("_-")
            guess = difflib.get_close_matches(key, [f"{stem}_stage"], 1, 0.6)
            self.ignore(
                "ignored-stage",
                line,
                column,
                f"'{key}' does not end in '_stage', so llm-compressor ignores it "
                "and all it holds",
                f"did you mean '{guess[0]}'?"
                if guess and key != "stages"
                else "write each stage at the top level as `<name>_stage:` "
                "(llm-compressor does not read `stages:`)",
            )
        elif low.endswith("modifiers") or _holds_modifiers(value):
            self.ignore(
                "ignored-group",
                line,
                column,
                f"'{key}' is not inside a stage: llm-compressor reads modifiers only "
                "from `<name>_modifiers:` groups inside `<name>_stage:` mappings, "
                "and ignores this one",
                f"put it inside a stage: `quant_stage:` → `{key}:`"
                if low.endswith("_modifiers")
                else "name it `<name>_stage:` with `<name>_modifiers:` groups inside",
            )

    def stage_body(self, stage_key: str, body: Node) -> None:
        """The groups of one stage."""
        for key, value in body.value.items():
            line, column = body.key_position(key)
            if not isinstance(key, str):
                self.refuse(
                    "key-not-a-string",
                    line,
                    column,
                    f"the key {key!r} in '{stage_key}' is not a string",
                    f"AttributeError: '{_type(key)}' object has no attribute "
                    "'endswith'",
                    "name the group `<name>_modifiers`",
                )
                continue
            if key == "run_type":
                self.ignore(
                    "run-type-ignored",
                    line,
                    column,
                    "llm-compressor ignores run_type (oneshot applies every stage; "
                    "SparseML's sparseml.core read it)",
                    "remove it, or run the stage with the entry point you mean "
                    "(oneshot or train)",
                )
                continue
            if not key.endswith("_modifiers") or value.kind != "map":
                self.ignore(
                    "ignored-group",
                    line,
                    column,
                    (
                        f"'{key}' is a list: llm-compressor reads a group only as a "
                        "mapping of modifier names, and ignores this one"
                    )
                    if key.endswith("_modifiers") and value.kind == "seq"
                    else f"'{key}' in '{stage_key}' is not a `<name>_modifiers:` "
                    "mapping, so llm-compressor ignores it",
                    "write `<name>_modifiers:` with each modifier as "
                    "`ModifierName: {...}` below it",
                )
                continue
            group = key.replace("_modifiers", "")
            self.group(stage_key, group, value)

    def group(self, stage_key: str, group: str, body: Node) -> None:
        """The modifiers of one group; one the engine refuses is said and the
        walk goes on (each later refusal is the one the engine raises once the
        earlier ones are fixed), as lint reports every error it can."""
        known = registry().modifiers
        for name, value in body.value.items():
            line, column = body.key_position(name)
            if value.kind != "map":
                plain = value.plain()
                self.refuse(
                    "body-not-a-mapping",
                    line,
                    column,
                    f"{name}'s arguments are "
                    + (
                        "empty" if plain is None else f"a {_type(plain)}, not a mapping"
                    ),
                    f"AttributeError: '{_type(plain)}' object has no attribute 'get'",
                    f"write `{name}: {{}}` for the defaults, or its fields below it",
                )
                continue
            given = [k for k in value.value if k in _CREATE_KEYWORDS]
            if given:
                key_line, key_column = value.key_position(given[0])
                self.refuse(
                    "factory-keyword",
                    key_line,
                    key_column,
                    f"'{given[0]}' is an argument llm-compressor's ModifierFactory "
                    "passes itself (the group is the `<name>_modifiers` key)",
                    f"TypeError: {_CREATE}() got multiple values for keyword "
                    f"argument '{given[0]}'",
                    f"remove '{given[0]}'",
                )
                continue
            odd = [k for k in value.value if not isinstance(k, str)]
            if odd:
                key_line, key_column = value.key_position(odd[0])
                self.refuse(
                    "field-not-a-string",
                    key_line,
                    key_column,
                    f"the field {odd[0]!r} of {name} is not a string",
                    "TypeError: keywords must be strings",
                    "quote it, or use the field's name",
                )
                continue
            cls = known.get(name) if isinstance(name, str) else None
            if cls is None:
                guess = difflib.get_close_matches(str(name), list(known), 1, 0.6)
                self.refuse(
                    "unknown-modifier",
                    line,
                    column,
                    f"llm-compressor 0.14 has no modifier {name!r}",
                    f"ValueError: No modifier of type '{name}' found.",
                    f"did you mean {guess[0]}?"
                    if guess
                    else "modifiers of llm-compressor 0.14: "
                    + ", ".join(n for n in known if not known[n].abstract),
                )
                continue
            if cls.abstract:
                methods = cls.abstract
                self.refuse(
                    "abstract-modifier",
                    line,
                    column,
                    f"{name} is the base class of llm-compressor's modifiers, not one "
                    "to apply",
                    f"TypeError: Can't instantiate abstract class {name} with abstract "
                    f"method{'s' if len(methods) > 1 else ''} {', '.join(methods)}",
                    "name the modifier you mean (QuantizationModifier, GPTQModifier, "
                    "...)",
                )
                continue
            self.fields(name, cls.fields, value, line, column)
            self.modifiers.append(
                Written(
                    name, stage_key.replace("_stage", ""), group, value, line, column
                )
            )

    def fields(
        self,
        name: str,
        fields: Mapping[str, Mapping[str, Any]],
        body: Node,
        line: int,
        column: int,
    ) -> bool:
        """The fields the model forbids (every llm-compressor modifier forbids
        extra ones) and the required ones missing: one ValidationError at the
        modifier's creation, counting them all; False when there is one."""
        unknown = [k for k in body.value if k not in fields]
        missing = [f for f, info in fields.items() if info["required"]]
        missing = [f for f in missing if f not in body.value]
        values = {k: v.plain() for k, v in body.value.items()}
        wrong = wrong_types(("llm-compressor", name), fields, values)
        scheme = _unknown_scheme(fields, body)
        nested, kind = schemes.check(name, values), "invalid-scheme"
        if not nested.checked:
            nested, kind = sparsity.check(name, values), "refused-value"
        count = len(unknown) + len(missing) + len(wrong) + (scheme is not None)
        count += len(nested.errors)
        if nested.raw is not None:
            raw = nested.raw
            self.nested_finding(kind, name, body, raw.path, raw.error, None)
        if not count and nested.raw is None:
            after = schemes.resolved(name, values)
            if after is None:
                after, kind = sparsity.resolved(name, values), "refused-value"
            if after is None:
                return True
            count, nested = 1, dataclasses.replace(nested, errors=(after,))
        plural = "s" * (count != 1)
        error = f"ValidationError: {count} validation error{plural} for {name}"
        for found in nested.errors:
            self.nested_finding(kind, name, body, found.path, error, found.message)
        names = [f for f in fields if not f.endswith("_")]
        for key in unknown:
            key_line, key_column = body.key_position(key)
            guess = difflib.get_close_matches(key, names, 1, 0.6)
            self.findings.append(
                Finding(
                    "unknown-field",
                    key_line,
                    key_column,
                    f"{name} has no field '{key}' in llm-compressor 0.14 (its models "
                    "forbid fields they do not define)",
                    _other_dialect(name, key)
                    or (
                        f"did you mean '{guess[0]}'?"
                        if guess
                        else f"fields of {name}: " + ", ".join(names)
                    ),
                    error,
                )
            )
        said: dict[str, str] = {}
        for field, message in wrong:
            said.setdefault(field, message)  # a union's first member's words
        for field, message in said.items():
            node = body.value[field]
            self.findings.append(
                Finding(
                    "wrong-type",
                    node.line,
                    node.column,
                    f"{name} {field}: {message}",
                    "the type llm-compressor 0.14 takes: "
                    + str(fields[field]["annotation"]),
                    error,
                )
            )
        if scheme is not None:
            written, node = scheme
            presets = registry().presets
            guess = difflib.get_close_matches(written.upper(), list(presets), 1, 0.6)
            self.findings.append(
                Finding(
                    "unknown-scheme",
                    node.line,
                    node.column,
                    f"{name} scheme: '{written}' is no preset scheme of "
                    f"compressed-tensors {registry().versions['compressed-tensors']} "
                    '(llm-compressor: "`scheme` must either be a preset scheme name '
                    'or a dictionary of preset scheme names")',
                    _scheme_hint(written, guess, list(presets)),
                    error,
                )
            )
        for field in missing:
            self.findings.append(
                Finding(
                    "missing-field",
                    line,
                    column,
                    f"{name} requires '{field}'",
                    f"add '{field}: ...' to {name}",
                    error,
                )
            )
        return False

    def nested_finding(
        self,
        kind: str,
        name: str,
        body: Node,
        path: tuple[Any, ...],
        error: str,
        message: str | None,
    ) -> None:
        """An error a validator of the engine's own finds (in a quantization
        scheme: `config_groups`, `kv_cache_scheme`; SparseGPT's profile), at the
        deepest node of its path the file holds; `message`: pydantic's, else
        the escaping exception's own."""
        node, where = body, [str(p) for p in path]
        line, column = body.line, body.column
        for part in path:
            child = node.get(part) if node.kind == "map" else None
            if child is None:
                break
            line, column = child.line, child.column
            if message == _EXTRA and part == path[-1]:
                line, column = node.key_position(part)  # (a field not to write)
            node = child
        said = message if message is not None else error
        self.findings.append(
            Finding(
                kind,
                line,
                column,
                f"{name} {'.'.join(where)}: {said}",
                _SCHEME_HINT if kind == "invalid-scheme" else _PROFILE_HINT,
                error,
            )
        )

    def finish(self, root: Node) -> None:
        """What `Recipe(...)` checks once every modifier is built."""
        args = self.args
        if args is not None and args.kind != "map":
            line, column = root.key_position("args")
            self.refuse(
                "args-not-a-mapping",
                line,
                column,
                "args must be a mapping (llm-compressor keeps it, and evaluates "
                "nothing with it)",
                "ValidationError: 1 validation error for Recipe",
                "remove args: llm-compressor reads no variables",
            )
            return
        for i, m in enumerate(self.modifiers):
            cls = registry().modifiers[m.name]
            if cls.awq and not any(
                registry().modifiers[n.name].quantizes for n in self.modifiers[i + 1 :]
            ):
                self.refuse(
                    "awq-alone",
                    m.line,
                    m.column,
                    "AWQModifier only smooths: llm-compressor requires a modifier "
                    "that quantizes after it",
                    "ValidationError: 1 validation error for Recipe",
                    "add a QuantizationModifier (or GPTQModifier) after it, in this "
                    "stage or a later one",
                )
                return
        refused = any(f.error is not None for f in self.findings)
        if not self.modifiers and not refused:  # (a refused recipe does not load)
            self.ignore(
                "no-modifiers",
                1,
                1,
                "llm-compressor reads no modifier from this recipe: it loads, and "
                "oneshot changes nothing",
                "write `<name>_stage:` → `<name>_modifiers:` → `ModifierName: {...}`",
            )


_EXTRA = "Extra inputs are not permitted"
_PROFILE_HINT = (
    "OWL sparsity takes `sparsity_profile: owl` with `owl_m` and `owl_lmbda`; "
    '`mask_structure` is "N:M" ("2:4", "0:0" for unstructured)'
)
_SCHEME_HINT = (
    "a group is `{targets: [Linear], weights: {num_bits: 4, strategy: group, "
    "group_size: 128}}`; `recipe rule RC717` lists what compressed-tensors checks"
)


def _unknown_scheme(
    fields: Mapping[str, Mapping[str, Any]], body: Node
) -> tuple[str, Node] | None:
    """The scheme name the quantizing modifiers' `scheme` validator refuses (its
    own check, before the type's: a string or a mapping's keys must be preset
    names, in any case), with where it is written."""
    node = body.value.get("scheme")
    if node is None or "before" not in fields.get("scheme", {}).get("validators", []):
        return None
    presets = registry().presets
    if node.kind == "scalar" and isinstance(node.value, str):
        return None if node.value.upper() in presets else (node.value, node)
    if node.kind == "map":
        for key in node.value:
            if isinstance(key, str) and key.upper() not in presets:
                return key, _at(node.value[key], *node.key_position(key))
    return None


def _scheme_hint(written: str, guess: list[str], presets: list[str]) -> str:
    if written in ("weights", "input_activations", "output_activations", "targets"):
        return (
            "a mapping under `scheme` maps preset names to targets "
            "(`scheme: {W4A16: [Linear]}`); quantization arguments go under "
            "`config_groups: {group_0: {targets: [Linear], weights: {...}}}`"
        )
    return f"did you mean {guess[0]}?" if guess else "presets: " + ", ".join(presets)


def _other_dialect(name: str, field: str) -> str | None:
    """Where the field is SparseML 1.8's (sparseml.core's modifier of that name
    takes it): the recipe may be written for SparseML."""
    from ..sparsemlcore.registry import registry as core

    cls = core().modifiers.get(name)
    if cls is None or field not in cls.fields or field.endswith("_"):
        return None
    return (
        f"'{field}' is a field of SparseML 1.8's {name} (sparseml.core): if the "
        "recipe is SparseML's, lint it with --dialect sparseml-core; for "
        "llm-compressor, use its fields"
    )


def _at(node: Node, line: int, column: int) -> Node:
    """`node` placed where its key is written (a problem about a key)."""
    return dataclasses.replace(node, line=line, column=column)


def _holds_modifiers(value: Node) -> bool:
    """A mapping with a `*_modifiers` key, or keyed by modifier class names."""
    if value.kind != "map":
        return False
    known = registry().modifiers
    return any(
        isinstance(k, str) and (k.endswith("_modifiers") or k in known)
        for k in value.value
    )
