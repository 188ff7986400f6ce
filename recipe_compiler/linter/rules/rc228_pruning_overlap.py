"""Two pruning modifiers on the same parameters in overlapping windows.

Each recomputes its own mask for the parameters it holds; where two hold the same
tensor at the same time, the masks fight and the sparsity follows whichever updated
last.

Passes: two GMP modifiers on different layers, or one after the other.
Fails: two GMP modifiers on __ALL_PRUNABLE__ from 0 to 30 and from 10 to 40.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...modifiers import is_gradual
from ...problems import Severity
from ..context import Context
from ._base import Finding

CODE = "RC228"
NAME = "pruning-overlap"
SEVERITY = Severity.WARNING
ALL = ("__ALL__", "__ALL_PRUNABLE__")


def written_params(m: object) -> set[str]:
    p = getattr(m, "params", None)
    if p is None or p == []:
        return {"__ALL_PRUNABLE__"}
    return {p.upper()} if isinstance(p, str) else set(p)


def overlap(a: set[str], b: set[str]) -> set[str]:
    if a & set(ALL) or b & set(ALL):
        return a | b if a & set(ALL) and b & set(ALL) else (b if a & set(ALL) else a)
    return a & b


def check(ctx: Context) -> Iterator[Finding]:
    recipe = ctx.recipe
    pruning = [(e, m) for e, m in recipe.models if is_gradual(m)]
    params = [written_params(m) for _, m in pruning]
    for i, j in _candidates(params):
        (ea, ma), (eb, mb) = pruning[i], pruning[j]
        a_end = ma.end if ma.end != -1 else float("inf")
        b_end = mb.end if mb.end != -1 else float("inf")
        if max(ma.start, mb.start) >= min(a_end, b_end):
            continue
        shared = overlap(params[i], params[j])
        if not shared:
            continue
        names = ", ".join(sorted(shared)[:3]) + (", ..." if len(shared) > 3 else "")
        yield Finding(
            eb.line,
            eb.column,
            f"!{eb.tag} (line {eb.line}) and !{ea.tag} (line {ea.line}) prune "
            f"the same parameters ({names}) in overlapping windows",
            "give each modifier its own parameters, or run them one after the other",
        )


def _candidates(params: list[set[str]]) -> list[tuple[int, int]]:
    """The pairs (i < j, in order) that can share a parameter: those naming one
    name, and every pair with `__ALL__`/`__ALL_PRUNABLE__`. A per-layer recipe's
    72 modifiers name 72 tensors: 0 pairs to judge instead of 2,556."""
    everything = [i for i, p in enumerate(params) if p & set(ALL)]
    by_name: dict[str, list[int]] = {}
    for i, p in enumerate(params):
        for name in p:
            by_name.setdefault(name, []).append(i)
    pairs = {(min(i, j), max(i, j)) for i in everything for j in range(len(params))}
    pairs = {(i, j) for i, j in pairs if i != j}
    for holders in by_name.values():
        pairs.update((a, b) for n, a in enumerate(holders) for b in holders[n + 1 :])
    return sorted(pairs)
