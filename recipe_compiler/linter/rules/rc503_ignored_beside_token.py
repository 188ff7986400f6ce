"""Names beside `__ALL__` or `__ALL_PRUNABLE__` in one `params` list (`--model`).

SparseML replaces the whole list with the token's set when the token is anywhere in
it (`_create_named_layers_and_params`), so the other entries are never looked at:
a name `__ALL_PRUNABLE__` does not take (a bias, a BatchNorm weight, a layer of a
type SparseML does not count as prunable) is silently not pruned, and a name that
matches nothing raises no error.

Passes: `params: __ALL_PRUNABLE__` on digits-cnn.
Fails: `params: [__ALL_PRUNABLE__, features.1.weight]` (a BatchNorm) on digits-cnn.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...model.params import (
    ALL,
    ALL_PRUNABLE,
    entry_matches,
    pruned_entries,
    resolve_params,
)
from ...problems import Severity
from ..context import Context
from ._base import Finding
from .rc501_params_not_found import TAGS, entry_position

CODE = "RC503"
NAME = "ignored-beside-token"
SEVERITY = Severity.WARNING
NEEDS = ("network",)


def check(ctx: Context) -> Iterator[Finding]:
    recipe, net = ctx.recipe, ctx.network
    for e, m in recipe.models:
        if e.tag not in TAGS:
            continue
        entries = pruned_entries(m) or []
        token = (
            ALL if ALL in entries else ALL_PRUNABLE if ALL_PRUNABLE in entries else None
        )
        if token is None:
            continue
        taken = resolve_params(entries, net).params
        for i, entry in enumerate(entries):
            if entry in (ALL, ALL_PRUNABLE):
                continue
            left = [n for n in net.params if entry_matches(n, entry) and n not in taken]
            if not left and any(entry_matches(n, entry) for n in taken):
                continue  # the token takes what it names anyway
            line, col = entry_position(e, entries, i)
            what = (
                f"{', '.join(left[:3])} {'is' if len(left) == 1 else 'are'} not "
                f"among what {token} takes, so SparseML does not prune "
                f"{'it' if len(left) == 1 else 'them'}"
                if left
                else "it matches no parameter, and SparseML raises no error for it"
            )
            yield Finding(
                line,
                col,
                f"!{e.tag} params entry '{entry}' is ignored: {token} in the same "
                f"list replaces it; {what}",
                f"drop '{entry}', or list the parameters without {token}",
            )
