"""A pruning `params` entry that names no parameter of the model (`--model`).

SparseML resolves `params` only at `initialize`, hours into a job once the data
and the dense checkpoint are set up, and fails there with RuntimeError("All
supplied parameter names or regex patterns not found.No match for ..."). Every
entry must match a parameter: by equality, or for `re:` entries by `re.match`
(anchored at the start). `__ALL__` and `__ALL_PRUNABLE__` anywhere in the list
replace it (its other entries are then never checked). The common causes get a
hint: a module name without `.weight`, the `module.` prefix a DistributedDataParallel
wrapper adds, names of another architecture version (YOLOv5 v5.0's `model.9` is a
C3 with `m.0`, v6's an SPPF), and a regex written for `re.search`.

SetParam, TrainableParams and GradualParam resolve `params` the same way (with
`params_strict`, their default), except that `__ALL_PRUNABLE__` is not a token
there: it is looked up as a name and matches nothing.

Passes: `params: [features.0.weight]` on digits-cnn.
Fails: `params: [features.0]` on digits-cnn.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ...loader.recipe import Entry
from ...model.names import PARAM_TAGS, items
from ...model.network import Network
from ...model.params import ALL_PRUNABLE, bad_regex, flat, nearest, resolve_params
from ...problems import Severity
from ..context import Context
from ._base import Finding

CODE = "RC501"
NAME = "params-not-found"
SEVERITY = Severity.ERROR
NEEDS = ("network",)
SPARSEML = ("initialize: RuntimeError", "initialize: re.error")
# the modifiers whose params SparseML resolves with BasePruningModifier's
# `_create_named_layers_and_params` (checked against it by tests/model/test_params.py)
TAGS = frozenset(
    (
        "GMPruningModifier",
        "MagnitudePruningModifier",
        "GlobalMagnitudePruningModifier",
        "ConstantPruningModifier",
        "MFACPruningModifier",
        "OBSPruningModifier",
        "MovementPruningModifier",
        "RigLPruningModifier",
        "StructuredPruningModifier",
        "TopKASTPruningModifier",
        "ACDCPruningModifier",
    )
)


def entry_position(e: Entry, entries: list[str], i: int) -> tuple[int, int]:
    """Where the i-th (flattened) `params` entry is written: its list item, else
    the field, else the tag."""
    return items(e, "params", len(entries))[i]


def check(ctx: Context) -> Iterator[Finding]:
    recipe, net = ctx.recipe, ctx.network
    for e, m in recipe.models:
        if isinstance(getattr(m, "final_sparsity", 0.0), dict):
            continue
        pruning = e.tag in TAGS
        strict = getattr(m, "params_strict", True)
        if not pruning and not (e.tag in PARAM_TAGS and strict):
            continue
        entries = flat(getattr(m, "params", None))
        if not entries:
            continue
        found = resolve_params(entries, net, prunable_token=pruning)
        for i in sorted(found.missing + found.invalid):
            entry = entries[i]
            line, col = entry_position(e, entries, i)
            bad = bad_regex(entry)
            if bad:
                yield Finding(
                    line,
                    col,
                    f"!{e.tag} params entry '{entry}' is not a valid regular "
                    f"expression ({bad}); SparseML fails at initialize with re.error",
                    "escape what is meant literally (a dot is \\. in a regex)",
                )
                continue
            yield Finding(
                line,
                col,
                f"!{e.tag} params entry '{entry}' matches no parameter of "
                f'{net.name}; SparseML fails at initialize with "All supplied '
                f'parameter names or regex patterns not found.No match for {entry}"',
                why(entry, net)
                if pruning or entry != ALL_PRUNABLE
                else f"__ALL_PRUNABLE__ is a token only for the pruning modifiers: "
                f"!{e.tag} looks it up as a name; write __ALL__ or the names",
            )


def why(entry: str, net: Network) -> str:
    """The likely cause of a miss, and the nearest real names."""
    from .rc304_typographic_quotes import QUOTES

    if any(q in entry for q in QUOTES):
        return (
            f"the name is written with typographic quotes, which YAML keeps: write "
            f"'{entry.strip(QUOTES)}' with plain quotes"
        )
    names = list(net.params)
    modules = {m.name: m for m in net.modules}
    regex = entry.startswith("re:")
    body = entry[3:] if regex else entry
    close = nearest(entry, names)
    tail = f"; nearest: {', '.join(close)}" if close else ""
    if regex:
        found = [n for n in names if re.search(body, n)]
        if found:
            return (
                f"SparseML uses re.match, anchored at the start of the name; "
                f"re.search would match {found[0]}: write re:.*{body}{tail}"
            )
        anchored = (
            "; SparseML's re.match already anchors at the start, so a leading ^ "
            "adds nothing"
            if body.startswith("^")
            else ""
        )
        return f"no parameter name matches it{anchored}{tail}"
    if body.startswith("module.") and body[len("module.") :] in net.params:
        return (
            f"drop 'module.': SparseML sees the model before DistributedDataParallel "
            f"or another wrapper adds it ({body[len('module.') :]})"
        )
    if body in modules:
        own = [p for p, _ in modules[body].params]
        if own:
            return (
                f"'{body}' is a module ({modules[body].type}): name its parameter, "
                f"{body}.{own[0]}"
            )
        return (
            f"'{body}' is a module ({modules[body].type}) with no parameters of its own"
        )
    parts = body.split(".")
    for k in range(len(parts) - 1, 0, -1):
        prefix = ".".join(parts[:k])
        if prefix in modules and k == len(parts) - 1:
            kind = modules[prefix].type
            own = [p for p, _ in modules[prefix].params]
            has = f"its parameters: {', '.join(own)}" if own else "no parameters"
            return f"{prefix} is a {kind} here, with {has}{tail}"
        if prefix in modules:
            children = sorted(
                {
                    n[len(prefix) + 1 :].split(".")[0]
                    for n in modules
                    if n.startswith(prefix + ".")
                }
            )
            kind = modules[prefix].type
            has = ", ".join(children[:8]) if children else "no submodules"
            versions = (
                " (YOLOv5 v5.0's model.9 is a C3 with m.0, v6's an SPPF)"
                if net.name.startswith("yolov5")
                else ""
            )
            return (
                f"{prefix} is a {kind} here, with {has}: the name was written for "
                f"another model or version{versions}{tail}"
            )
    return f"no such parameter{tail}"
