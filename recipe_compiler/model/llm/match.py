"""Which modules a target names, exactly as compressed-tensors matches them
(`compressed_tensors/utils/match.py` of the version llm-compressor 0.14 pins):
a plain string equals a module's full name or the name of a class in its MRO
(`Linear` also names vLLM's `LinearBase`); `re:` is `re.match` of the rest
against the full name, anchored at its start only; `ignore` is matched the same
way. A module matches when a target does and no ignore entry does.

Patterns come from the recipe: one whose backtracking could explode (a
repetition of something that itself repeats or branches) is not run
(`Unsafe`), nor one with more than a few repetitions in a row (each multiplies
what a name that does not match costs); neither is one Python's `re` refuses
(`re.error`, which the engine raises when it matches).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence

from .tree import LLM, LLMModule

MAX_PATTERN = 2000  # characters of one pattern run
MAX_REPEATS = 6  # `*`, `+`, `{` in one pattern: each multiplies what a miss costs


class Unsafe(ValueError):
    """A pattern that is not run here; the message says why."""


@functools.lru_cache(maxsize=4096)
def _compiled(pattern: str) -> re.Pattern[str]:
    if len(pattern) > MAX_PATTERN:
        raise Unsafe(f"longer than {MAX_PATTERN} characters")
    try:
        compiled = re.compile(pattern)
    except (re.error, RecursionError, OverflowError) as exc:
        raise Unsafe(f"not a regular expression Python takes: {exc}") from None
    if _explosive(pattern):
        raise Unsafe("a repetition of a repetition or of alternatives backtracks badly")
    if pattern.count("*") + pattern.count("+") + pattern.count("{") > MAX_REPEATS:
        raise Unsafe(f"more than {MAX_REPEATS} repetitions backtrack badly")
    return compiled


def _explosive(pattern: str) -> bool:
    """Whether a repeat (more than once) holds a repeat or a branch."""
    try:
        from re import _constants as c  # type: ignore[attr-defined]
        from re import _parser as p  # type: ignore[attr-defined]
    except ImportError:  # pragma: no cover - another Python: judge nothing risky
        return True
    repeats = {c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)}

    def walk(items: Iterable[tuple[object, object]], inside: bool) -> bool:
        for op, av in items:
            if op in repeats:
                high, sub = av[1], av[2]  # type: ignore[index]
                many = high is c.MAXREPEAT or high > 1
                if inside and many:
                    return True
                if walk(sub, inside or many):
                    return True
            elif op is c.BRANCH:
                if inside:
                    return True
                if any(walk(s, inside) for s in av[1]):  # type: ignore[index]
                    return True
            elif op is c.SUBPATTERN:
                if walk(av[3], inside):  # type: ignore[index]
                    return True
            elif op in (c.ASSERT, c.ASSERT_NOT):
                if walk(av[1], inside):  # type: ignore[index]
                    return True
            elif op is c.GROUPREF_EXISTS:
                return True
        return False

    return walk(p.parse(pattern), False)


def match_name(name: str, target: str) -> bool:
    """`match_name`: `re:` by `re.match`, else equality; Unsafe where the
    pattern is not run."""
    if target.startswith("re:"):
        return _compiled(target[3:]).match(name) is not None
    return target == name


def match_class(module: LLMModule, target: str) -> bool:
    return target in module.mro or (target == "Linear" and "LinearBase" in module.mro)


def is_match(
    name: str,
    module: LLMModule,
    targets: str | Iterable[str],
    ignore: str | Iterable[str] = (),
) -> bool:
    targets = [targets] if isinstance(targets, str) else list(targets)
    ignore = [ignore] if isinstance(ignore, str) else list(ignore)
    return any(
        match_name(name, t) or match_class(module, t) for t in targets
    ) and not any(match_name(name, i) or match_class(module, i) for i in ignore)


def match_targets(name: str, module: LLMModule, targets: Iterable[str]) -> list[str]:
    """The targets that match, most specific first: names (plain before `re:`,
    each sorted), then classes."""
    ordered = sorted(targets, key=lambda t: ("re:" in t, t))
    out = [t for t in ordered if match_name(name, t)]
    for t in ordered:
        if match_class(module, t) and t not in out:
            out.append(t)
    return out


def match_named_modules(
    llm: LLM, targets: Sequence[str], ignore: Sequence[str] = ()
) -> tuple[list[LLMModule], set[str]]:
    """`match_named_modules`: the modules a target matches and no ignore entry
    does, in `named_modules()` order; and the targets that matched nothing."""
    unmatched = set(targets)
    out = []
    for module in llm.modules:
        for target in targets:
            if is_match(module.name, module, target):
                unmatched.discard(target)
                if not is_match(module.name, module, ignore):
                    out.append(module)
                break
    return out, unmatched


class SetError(ValueError):
    """`match_modules_set` raises: `args[0]` is the engine's message, up to the
    part that names sets (whose order Python does not keep between runs);
    `before` the groups the engine's generator yielded before it raised."""

    def __init__(self, message: str, before: list[list[list[LLMModule]]]) -> None:
        super().__init__(message)
        self.before = before


def lowest_common_ancestor(names: Sequence[str | None]) -> str:
    """`get_lowest_common_ancestor_name`: the deepest dotted scope the names share."""
    import os

    kept = [n for n in names if n is not None]
    if not kept:
        return ""
    # (by character, as the engine does: `.ab` of `.abc.` and `.ab.` -> scope "")
    prefix = os.path.commonprefix(  # noqa: RUF071
        ["." + min(kept) + ".", "." + max(kept) + "."]
    )
    return prefix[1 : prefix.rfind(".")]


def match_modules_set(llm: LLM, targets: Sequence[str]) -> list[list[list[LLMModule]]]:
    """`match_modules_set` (no ignore): the modules each target matches, grouped
    by the scope they share (one group a decoder layer, say), in order; SetError
    where the engine raises (a module two targets match, a last group some target
    never matched)."""
    from collections import defaultdict

    out: list[list[list[LLMModule]]] = []
    matches: dict[str, list[LLMModule]] = defaultdict(list)
    parent: str | None = None
    unmatched = set(targets)
    for module in llm.modules:
        hit = set()
        for target in targets:
            if not is_match(module.name, module, target):
                continue
            scope = lowest_common_ancestor([module.name, parent])
            if not unmatched and scope != parent:
                out.append([matches[t] for t in targets])
                matches = defaultdict(list)
                scope = module.name
                unmatched = set(targets)
            matches[target].append(module)
            parent = scope
            unmatched.discard(target)
            hit.add(target)
        if len(hit) > 1:
            raise SetError(
                f"module: {module.name} was matched with multiple targets:", out
            )
    if unmatched == set(targets):
        return out
    if not unmatched:
        out.append([matches[t] for t in targets])
        return out
    raise SetError("Found a final incomplete set with matches found for keys:", out)
