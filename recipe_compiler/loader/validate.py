"""Modifiers as SparseML builds them: tagged nodes and their values → pydantic models.

PyYAML constructs a tag wherever it sits, so every tagged node is validated, not
only the ones SparseML then schedules. Every validation error becomes a Problem at
the position of the field (or the tag), with SparseML's own words and a hint.
"""

from __future__ import annotations

import dataclasses
import math
import threading
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from ..modifiers import REGISTRY, RENAMED, Modifier, did_you_mean, model_for
from ..problems import Problem, Severity
from . import codes
from .expressions import names_in
from .layout import Placement
from .variables import Values
from .yamltree import Node


@dataclasses.dataclass(frozen=True)
class Entry:
    """One modifier as written: where it is, what it says, what it became."""

    index: int
    tag: str
    node: Node
    group: str
    stage: str | None
    fields: dict[str, Any]  # the values SparseML passes, eval(...) evaluated
    model: Modifier | None = None
    # errors SparseML raises only once this modifier acts, where `model` holds
    # those fields at their defaults: whether it acts depends on the steps per
    # epoch, so the lint decides (`lint.deferred`)
    deferred: tuple[Problem, ...] = ()

    @property
    def line(self) -> int:
        return self.node.tag_line or self.node.line

    @property
    def column(self) -> int:
        return self.node.tag_column or self.node.column

    def field_position(self, name: str, value: bool = True) -> tuple[int, int]:
        """Where a field is written: its value (or key), else the tag."""
        node = self.node.get(name) if self.node.kind == "map" else None
        if node is None:
            return self.line, self.column
        if value and not node.via_alias:
            return node.line, node.column
        return self.node.key_position(name)


def validate(
    root: Node,
    placements: Iterable[Placement],
    values: Values,
    path: str,
    text: str | None = None,
) -> tuple[list[Entry], list[Problem]]:
    """The recipe's modifiers, typed, and the problems of every tagged node.

    `text`: the file's text, given by the editor's reads of a tree without
    aliases (each modifier's outcome is then a function of its own text, position
    and values, and is remembered for the next keystroke: `_outcome`)."""
    listed = {p.node: p for p in placements}
    entries: dict[Node, Entry] = {}
    problems: list[Problem] = []
    written: list[Entry] = []
    for node in root.walk():
        if node.tag is None:
            continue
        place = listed.get(node) or Placement(-1, node, "", None)
        fields = (
            {k: values.plain(v) for k, v in node.value.items()}
            if node.kind == "map"
            else {}
        )
        written.append(
            Entry(place.index, node.tag, node, place.group, place.stage, fields)
        )
    length = _max_epochs(e for e in written if e.index >= 0)
    scopes: dict[str | None, tuple[str, ...]] = {}
    for entry in written:
        if text is None:
            model, deferred = _build(entry, values, path, problems, length)
        else:
            if entry.stage not in scopes:
                scopes[entry.stage] = tuple(values.scope(entry.stage))
            model, deferred, found = _outcome(
                entry, values, path, length, text, scopes[entry.stage]
            )
            problems.extend(found)
        if entry.index >= 0:
            entries[entry.node] = dataclasses.replace(
                entry, model=model, deferred=deferred
            )
    return [entries[p.node] for p in listed.values()], problems


def _epochs(e: Entry) -> tuple[float, float]:
    """The start and end SparseML's `BaseScheduled` makes of what is written."""
    cls = model_for(e.tag, e.fields)
    if cls is None:
        return -1.0, -1.0
    out = []
    for name in ("start_epoch", "end_epoch"):
        info = cls.model_fields.get(name)
        value: Any = e.fields.get(name, None if info is None else info.default)
        if name == "end_epoch" and cls.END_FORCED:
            value = -1.0
        try:
            out.append(float(value))
        except (TypeError, ValueError):
            out.append(-1.0)
    return out[0], out[1]


def _max_epochs(written: Iterable[Entry]) -> float:
    """`BaseManager.max_epochs` over every listed modifier, valid or not."""
    vals = [
        math.ceil(x) for e in written for x in _epochs(e) if x > -1 and math.isfinite(x)
    ]
    return max(vals) if vals else -1


def never_starts(start: float, max_epochs: float) -> bool:
    """SparseML never reaches this start in a training of `max_epochs`: NaN,
    between -1 and 0, or at the end of training (for any steps per epoch)."""
    if start <= -1.0:  # -1 starts at once; below, SparseML refuses at load (RC202)
        return False
    return start != start or start < 0 or start >= max_epochs


def _build(
    e: Entry, values: Values, path: str, problems: list[Problem], length: float
) -> tuple[Modifier | None, tuple[Problem, ...]]:
    """The model, and the errors SparseML raises only once it acts (deferred)."""
    if values.any_failed and any(values.failed(n) for n in e.node.walk()):
        return None, ()  # an eval(...) in it already failed with a problem
    cls = model_for(e.tag, e.fields)
    if cls is None:
        problems.append(_unknown_tag(e, path))
        return None, ()
    try:
        return cls.model_validate(e.fields), ()
    except ValidationError as exc:
        idle = _idle(e, cls, length)
        found = [
            _eval_hint(p, e, values) for p in _schema_problems(e, cls, exc, path, idle)
        ]
        if not all(_on_start(err) for err in exc.errors()):
            problems.extend(found)  # SparseML fails at load
            return None, ()
        model, more = _at_defaults(e, cls, exc, path, idle)
        if model is None or idle:
            problems.extend(found + more)
            return model, ()
        return model, (*found, *more)


# What validating one modifier gives (its model, deferred problems and problems)
# is a function of its text, where it is, its values and the recipe's length. The
# editor validates every modifier again on each keystroke, and a keystroke leaves
# most modifiers as they were: those outcomes are found here (a bounded memo).
_OUTCOMES: dict[Any, tuple[Modifier | None, tuple[Problem, ...], tuple[Problem, ...]]]
_OUTCOMES = {}
_OUTCOMES_KEPT = 4096
_EVICTING = threading.Lock()


def _outcome(
    e: Entry,
    values: Values,
    path: str,
    length: float,
    text: str,
    scope: tuple[str, ...],
) -> tuple[Modifier | None, tuple[Problem, ...], tuple[Problem, ...]]:
    """`_build`, once per modifier text, position, values, scope and length."""
    fields = _frozen(e.fields)
    node = e.node
    failed = values.any_failed and any(values.failed(n) for n in node.walk())
    if fields is None or failed:
        found: list[Problem] = []
        model, deferred = _build(e, values, path, found, length)
        return model, deferred, tuple(found)
    key = (
        path,
        e.tag,
        e.index >= 0,
        e.stage,
        length,
        node.line,
        node.column,
        node.tag_line,
        node.tag_column,
        text[node.span[0] : node.span[1]],
        fields,
        scope,
    )
    done = _OUTCOMES.get(key)
    if done is None:
        found = []
        model, deferred = _build(e, values, path, found, length)
        done = model, deferred, tuple(found)
        with _EVICTING:  # the server analyses documents in worker threads
            if len(_OUTCOMES) >= _OUTCOMES_KEPT:
                del _OUTCOMES[next(iter(_OUTCOMES))]  # the oldest
            _OUTCOMES[key] = done
    return done


def _frozen(value: Any) -> Any:
    """A hashable stand-in for plain YAML values that tells types apart (1, 1.0
    and True are equal keys in a dict, but not one value to pydantic); None for
    anything else."""
    kind = type(value)
    if kind is dict:
        items = []
        for k, v in value.items():
            fk, fv = _frozen(k), _frozen(v)
            if fk is None or fv is None:
                return None
            items.append((fk, fv))
        return dict, tuple(items)
    if kind is list:
        out = [_frozen(v) for v in value]
        return None if any(v is None for v in out) else (list, tuple(out))
    if kind in (str, int, float, bool) or value is None:
        return kind, value
    return None


def _eval_hint(p: Problem, e: Entry, values: Values) -> Problem:
    """`end_epoch: num_pruning_epochs` is the string, not the variable: SparseML
    evaluates only what is inside eval(...). Said where every name is defined."""
    if p.code != "RC104" or e.node.kind != "map":
        return p
    scope = values.scope(e.stage)
    for node in e.node.value.values():
        if (node.line, node.column) != (p.line, p.column) or node.kind != "scalar":
            continue
        text = node.value
        if not isinstance(text, str) or values.expression(node) is not None:
            return p
        names = names_in(text)
        if names and all(n in scope for n in names):
            return p.replace(
                hint=f"write eval({text.strip()}): SparseML reads a variable only "
                "inside eval(...), and takes the bare name as text"
            )
    return p


def _on_start(err: Any) -> bool:
    return bool((err.get("ctx") or {}).get("on_start"))


def _idle(e: Entry, cls: type[Modifier], length: float) -> str | None:
    """Why SparseML never runs this modifier's step code at any steps per epoch,
    or None."""
    if e.index < 0:
        return "is not in a modifiers list SparseML schedules"
    start, end = _epochs(e)
    if never_starts(start, length):
        return f"never starts (start_epoch {start:g})"
    if cls.ACTS_INSIDE_WINDOW and start >= 0 and end == start:
        return f"never acts (it ends where it starts, at epoch {start:g})"
    return None


def _at_defaults(
    e: Entry, cls: type[Modifier], exc: ValidationError, path: str, idle: str | None
) -> tuple[Modifier | None, list[Problem]]:
    """The modifier with the values SparseML fails on only once it acts put back
    to their defaults (0 where there is none), and what else it fails on then:
    at load (its schedule, say), or late too where the first values hid it."""
    fields = dict(e.fields)
    more: list[Problem] = []  # late failures the first ones hid
    for again in range(3):
        late = [_field_of(err) for err in exc.errors() if _on_start(err)]
        if len(late) < len(exc.errors()):
            found = _schema_problems(e, cls, exc, path)
            return None, [p for p in found if p.severity is Severity.ERROR]
        if again:
            more.extend(_schema_problems(e, cls, exc, path, idle))
        for name in late:
            info = cls.model_fields.get(name)
            fields[name] = 0.0 if info is None or info.is_required() else info.default
        try:
            return cls.model_validate(fields), more
        except ValidationError as exc_again:
            exc = exc_again
    return None, more


def _field_of(err: Any) -> str:
    loc = err["loc"]
    return str(loc[0]) if loc else (err.get("ctx") or {}).get("field", "")


def _unknown_tag(e: Entry, path: str) -> Problem:
    tag = e.tag
    if "." in tag:
        prefix, _, name = tag.partition(".")
        if name in REGISTRY:
            return codes.make(
                "RC101",
                path,
                e.line,
                e.column,
                f"!{tag}: SparseML does not accept the framework prefix "
                f"'{prefix}.' in a recipe",
                f"write !{name}",
            )
    guess = RENAMED.get(tag) or did_you_mean(tag, REGISTRY, cutoff=0.5)
    return codes.make(
        "RC101",
        path,
        e.line,
        e.column,
        f'!{tag} is not a SparseML 1.8 modifier; SparseML fails with "could not '
        f"determine a constructor for the tag '!pytorch.{tag}'\"",
        f"did you mean !{guess}?"
        if guess
        else "see `recipe schema` for the modifiers SparseML 1.8 knows",
    )


def _schema_problems(
    e: Entry,
    cls: type[Modifier],
    exc: ValidationError,
    path: str,
    idle: str | None = None,
) -> Iterable[Problem]:
    """One Problem a field: the deepest of pydantic's errors on it. Where SparseML
    fails only once the modifier starts and it never starts (`idle`), a warning."""
    by_field: dict[str, Any] = {}
    # a key that is not a string: RC012 says so where it is written (and the other
    # members of a union then fail too, on what is no mistake)
    keyed = {str(err["loc"][0]) for err in exc.errors() if "[key]" in err["loc"]}
    for err in exc.errors():
        loc = err["loc"]
        if (loc and not isinstance(loc[0], str)) or (loc and str(loc[0]) in keyed):
            continue
        field = str(loc[0]) if loc else (err.get("ctx") or {}).get("field", "")
        prev = by_field.get(field)
        if prev is None or len(err["loc"]) > len(prev["loc"]):
            by_field[field] = err
    name = cls.__name__ if cls.__name__ == cls.TAG else f"{cls.TAG} (legacy form)"
    choices = [f for f in cls.model_fields if f != "log_types"]
    missing = {f for f, err in by_field.items() if err["type"] == "missing"}
    # a misspelled required field: one error, the unknown name with its guess
    # (Python refuses the unexpected keyword before it counts missing ones)
    typos = {
        f: guess
        for f, err in by_field.items()
        if err["type"] == "extra_forbidden"
        and (guess := did_you_mean(f, choices)) in missing
    }
    for field, err in by_field.items():
        etype = err["type"]
        if etype == "missing" and field in typos.values():
            continue
        if etype == "missing":
            yield codes.make(
                "RC103",
                path,
                e.line,
                e.column,
                f"!{e.tag} is missing the required field '{field}'; SparseML "
                f'fails with "__init__() missing 1 required positional argument: '
                f"'{field}'\"",
                f"add '{field}: ...' to this modifier",
            )
        elif etype == "extra_forbidden":
            guess = did_you_mean(field, choices)
            also = f" (and the required '{guess}' is missing)" if field in typos else ""
            yield codes.make(
                "RC102",
                path,
                *e.field_position(field, value=False),
                f"!{e.tag} has no field '{field}'{also}; SparseML fails with "
                f"\"__init__() got an unexpected keyword argument '{field}'\""
                + _legacy_why(e, cls, field),
                f"did you mean '{guess}'?"
                if guess
                else _legacy_hint(e, cls, field)
                or f"fields of {name}: " + ", ".join(choices),
            )
        else:
            code = (
                etype
                if etype.startswith("RC")
                else ("RC105" if etype in ("literal_error", "enum") else "RC104")
            )
            where = _locate(e, err["loc"]) if err["loc"] else e.field_position(field)
            msg = err["msg"]
            prefix = "" if msg.startswith(field) else f"{field}: "
            problem = codes.make(
                code,
                path,
                *where,
                f"!{e.tag} {prefix}{msg}".strip(),
                (err.get("ctx") or {}).get("hint") or _HINTS.get(code),
            )
            if idle and _on_start(err):
                problem = problem.replace(
                    severity=Severity.WARNING,
                    message=f"{problem.message}; but this modifier {idle}, so "
                    "SparseML never reads the value",
                )
            yield problem


def _legacy_why(e: Entry, cls: type[Modifier], field: str) -> str:
    """Why a QuantizationModifier field is unknown: a legacy-only field chose the
    legacy class, which lacks the new form's fields (`scheme`, `ignore`, ...)."""
    from ..modifiers.quantization import LEGACY_ONLY, QuantizationModifier

    if cls.__name__ == cls.TAG or field not in QuantizationModifier.model_fields:
        return ""
    chosen = [k for k in e.fields if k in LEGACY_ONLY]
    if not chosen:
        return ""
    line, _ = e.field_position(chosen[0], value=False)
    return (
        f"; '{chosen[0]}' (line {line}) is a field only the legacy "
        "QuantizationModifier has, so SparseML builds the legacy one, and it has "
        f"no '{field}'"
    )


def _legacy_hint(e: Entry, cls: type[Modifier], field: str) -> str | None:
    from ..modifiers.quantization import LEGACY_ONLY

    if not _legacy_why(e, cls, field):
        return None
    chosen = ", ".join(f"'{k}'" for k in e.fields if k in LEGACY_ONLY)
    return (
        f"for the new form, remove {chosen} (it quantizes the whole model; "
        f"'ignore' lists module types or names to skip); for the legacy form, "
        f"remove '{field}'"
    )


def _locate(e: Entry, loc: tuple[Any, ...]) -> tuple[int, int]:
    """The position of the deepest node along pydantic's `loc` (aliases: the last
    position written in the modifier)."""
    node = e.node
    pos = (e.line, e.column)
    for part in loc:
        nxt = None
        if (node.kind == "map" and part in node.value) or (
            node.kind == "seq" and isinstance(part, int) and part < len(node.value)
        ):
            nxt = node.value[part]
        if nxt is None:
            continue
        node = nxt
        pos = (node.line, node.column) if not node.via_alias else pos
    return pos


_HINTS = {
    "RC202": "epochs are -1 (unset) or at least 0",
    "RC203": "remove end_epoch: QAT runs until training ends",
    "RC204": "use -1 (every step) or a positive number of epochs",
    "RC301": "sparsities are fractions: init_sparsity in [0, 1], "
    "final_sparsity in (0, 1)",
    "RC302": "learning rates are in (0, 1]",
}
