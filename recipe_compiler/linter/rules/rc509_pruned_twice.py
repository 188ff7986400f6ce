"""Two pruning modifiers that resolve to a shared parameter of the model in
overlapping windows, where their `params` as written do not show it (`--model`).

RC228 compares the lists as written; with the model, `re:` patterns and exact
names are resolved as SparseML resolves them, so `re:model\\.2\\..*` beside
`model.2.cv1.conv.weight` is caught. Each modifier keeps its own mask for the
tensor; where two hold it at once, the sparsity follows whichever updated last.

Passes: GMP on `features.0.weight` and GMP on `re:classifier.*` at once.
Fails: GMP on `features.3.weight` and GMP on `re:features\\.\\d\\.weight` at once.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...model.params import pruned_entries, resolve_params
from ...modifiers import is_gradual
from ...problems import Severity
from ..context import Context
from ._base import Finding
from .rc228_pruning_overlap import overlap, written_params

CODE = "RC509"
NAME = "pruned-twice"
SEVERITY = Severity.WARNING
NEEDS = ("network",)


def check(ctx: Context) -> Iterator[Finding]:
    recipe, net = ctx.recipe, ctx.network
    pruning = [
        (e, m, set(resolve_params(pruned_entries(m) or [], net).params))
        for e, m in recipe.models
        if is_gradual(m) and pruned_entries(m)
    ]
    for i, (ea, ma, pa) in enumerate(pruning):
        for eb, mb, pb in pruning[i + 1 :]:
            a_end = ma.end if ma.end != -1 else float("inf")
            b_end = mb.end if mb.end != -1 else float("inf")
            if max(ma.start, mb.start) >= min(a_end, b_end):
                continue
            shared = [n for n in net.params if n in pa and n in pb]
            if not shared or overlap(written_params(ma), written_params(mb)):
                continue  # none, or RC228 reports it from the text
            names = ", ".join(shared[:3]) + (", ..." if len(shared) > 3 else "")
            yield Finding(
                eb.line,
                eb.column,
                f"!{eb.tag} (line {eb.line}) and !{ea.tag} (line {ea.line}) both "
                f"prune {names} of {net.name} in overlapping windows; each keeps its "
                "own mask, and the sparsity follows whichever updated last",
                "narrow one modifier's params (a regex takes every name it matches "
                "from the start), or run them one after the other",
            )
