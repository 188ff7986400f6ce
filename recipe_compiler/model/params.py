"""Which parameters a modifier's `params` names, resolved as SparseML 1.8 does.

`PruningModifier._create_named_layers_and_params` then
`get_named_layers_and_params_by_regex(..., params_strict=True)`
(`sparseml/pytorch/utils/helpers.py`): `__ALL__` anywhere in the list means every
parameter (`re:.*`), else `__ALL_PRUNABLE__` anywhere means `<module>.weight` of
every prunable module, and the other entries are then ignored; otherwise each
parameter `<module>.<name>` is taken when an entry equals it or, for `re:`
entries, `re.match`es it (anchored at the start only); and every entry must match
a parameter, or initialize raises RuntimeError("All supplied parameter names or
regex patterns not found.No match for ...").
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence

from .network import Network

ALL = "__ALL__"
ALL_PRUNABLE = "__ALL_PRUNABLE__"


@dataclasses.dataclass(frozen=True)
class Resolved:
    params: list[str]  # the full parameter names taken, in SparseML's walk order
    missing: list[int]  # indexes of the entries that match nothing (initialize fails)
    invalid: list[int] = dataclasses.field(default_factory=list)  # bad `re:` patterns


def bad_regex(entry: str) -> str | None:
    """Why a `re:` entry does not compile (SparseML's re.match raises re.error at
    initialize), or None."""
    if entry[:3] != "re:":
        return None
    try:
        re.compile(entry[3:])
    except re.error as exc:
        return str(exc)
    return None


def flat(entries: object) -> list[str] | None:
    """The list SparseML works on (nested lists flattened, a token string upper
    cased, as `validate_str_iterable`), or None where it takes no list."""
    if isinstance(entries, str):
        return [entries.upper()]
    if isinstance(entries, list):
        out: list[str] = []
        for e in entries:
            if isinstance(e, list):
                inner = flat(e)
                if inner is None:
                    return None
                out.extend(inner)
            elif isinstance(e, str):
                out.append(e)
            else:
                return None
        return out
    return None


def entry_matches(name: str, entry: str) -> bool:
    """`any_str_or_regex_matches_param_name` for one entry."""
    if entry[:3] == "re:":
        try:
            return re.match(entry[3:], name) is not None
        except re.error:
            return False
    return name == entry


def resolve_params(
    entries: Sequence[str], net: Network, *, prunable_token: bool = True
) -> Resolved:
    """What a modifier's `params` (already `flat`) takes on `net`. The pruning
    modifiers expand both tokens; SetParam, TrainableParams and GradualParam
    (`prunable_token=False`) only `__ALL__`, and look `__ALL_PRUNABLE__` up as a
    name, which matches nothing."""
    if ALL in entries:
        wanted: Sequence[str] = ["re:.*"]
    elif prunable_token and ALL_PRUNABLE in entries:
        wanted = net.prunable_weights
    else:
        wanted = entries
    names = list(net.params)
    taken = [n for n in names if any(entry_matches(n, e) for e in wanted)]
    if wanted is not entries:
        return Resolved(taken, [])
    invalid = [i for i, e in enumerate(entries) if bad_regex(e)]
    missing = [
        i
        for i, e in enumerate(entries)
        if i not in invalid and not any(entry_matches(n, e) for n in taken)
    ]
    return Resolved(taken, missing, invalid)


def nearest(entry: str, names: Iterable[str], n: int = 3) -> list[str]:
    """The model's names closest to an entry that matched nothing."""
    import difflib

    key = entry[3:] if entry.startswith("re:") else entry
    return difflib.get_close_matches(key, list(names), n=n, cutoff=0.5)


def pruned_entries(m: object) -> list[str] | None:
    """The `params` a pruning modifier resolves, `flat`; for the gradual ones an
    empty or null list is `__ALL_PRUNABLE__` (`params or ALL_PRUNABLE_TOKEN` in
    BaseGradualPruningModifier), unless final_sparsity is a mapping."""
    from ..modifiers import GRADUAL_TAGS

    entries = flat(getattr(m, "params", None))
    final = getattr(m, "final_sparsity", None)
    if not entries and getattr(m, "TAG", "") in GRADUAL_TAGS:
        return None if isinstance(final, dict) else [ALL_PRUNABLE]
    return entries
