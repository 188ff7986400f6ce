"""What an llm-compressor recipe does to *this* model, found before calibration
(`recipe lint --model DIR`): each quantizing modifier's config resolved and
matched against the LLM's modules as oneshot does (`applied.py`).

- a target that matches no module (compressed-tensors only logs it; oneshot
  "succeeds" with nothing quantized), or only modules that take no scheme
  (containers such as `LlamaMLP`): a warning, with the pattern that was meant
  where an unanchored `re:` or a name's tail would match;
- an `ignore` entry that matches no module: a warning, saying when `lm_head` is
  therefore quantized (the classic checkpoint vLLM will not load);
- a group (or tensor-group) weight strategy whose group size does not divide a
  layer's columns: an error, the layers named. oneshot fails at initialize
  (ValueError) where the columns are at least the group, else calibrating
  (RuntimeError: unflatten), `bypass_divisibility_checks` or not;
- a mixture-of-experts gate given a scheme by a broad target: a warning;
- SparseGPT's and Wanda's `ignore` entries that keep nothing out of what they
  prune (matched against `<layer>.<relative name>`: `lm_head` never keeps
  lm_head dense): a warning;
- SmoothQuant's `mappings` grouped by scope as `match_modules_set` groups them:
  an error where oneshot fails resolving them, a warning where one matches
  nothing;
- a SparseGPT or Wanda `mask_structure` N:M that oneshot cannot apply (N above
  M: RuntimeError; M zero: ZeroDivisionError), or that does not give N:M: N equal
  to M prunes every weight, and a layer whose columns M does not divide ends each
  row with a partial group (a warning, the layers named).

Patterns this module does not run (`model/llm/match.py`: Unsafe) leave their
modifier unjudged.
"""

from __future__ import annotations

import contextlib
import difflib
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ...loader.yamltree import Node
from ...model.llm.match import (
    SetError,
    Unsafe,
    match_class,
    match_modules_set,
    match_name,
)
from ...model.llm.tree import LLM, LLMModule
from .applied import (
    SPARSIFYING,
    Given,
    NotPredicted,
    Resolved,
    applied,
    candidates,
    given,
    resolve,
)
from .reader import Finding, Written

_GROUPED = ("group", "tensor_group")
# modifiers whose `mappings` oneshot resolves with `match_modules_set`
SMOOTHING = ("SmoothQuantModifier", "LogarithmicEqualizationModifier")
_LISTED = 5  # layers named in a message, then "and N more"


def findings(modifiers: Sequence[Written], llm: LLM) -> list[Finding]:
    out: list[Finding] = []
    for index, written in enumerate(modifiers):
        if written.name in SPARSIFYING:
            with contextlib.suppress(Unsafe, NotPredicted):
                out += _pruning_ignored(written, llm)
                out += _mask(written, llm)
            continue
        if written.name in SMOOTHING:
            with contextlib.suppress(Unsafe):  # (a pattern not run: not judged)
                out += _mappings(written, llm)
            continue
        if written.name == "AWQModifier":
            with contextlib.suppress(Unsafe):
                out += _awq_mappings(written, llm, _targeted(modifiers, llm))
            continue
        try:
            resolved = resolve(index, written)
            if resolved is None:
                continue
            gave = given(resolved, llm)
            out += _targets(resolved, llm)
            out += _ignored(resolved, llm, gave)
            out += _groups(resolved, gave)
            out += _gates(resolved, gave)
            out += _actorder(resolved, gave)
            out += _kv_cache(resolved, llm)
            out += _head(resolved, gave)
        except (Unsafe, NotPredicted):
            continue
    return out


def _targeted(modifiers: Sequence[Written], llm: LLM) -> set[str] | None:
    """The modules some quantizing modifier of the recipe gives a scheme (AWQ
    smooths only toward those), None where that cannot be predicted."""
    try:
        return set(applied(modifiers, llm))
    except (Unsafe, NotPredicted):
        return None


def _at(
    node: Node | None, written: Written, value: str | None = None
) -> tuple[int, int]:
    """Where a target or ignore entry is written: its list item, else the field,
    else the modifier's name."""
    if node is None:
        return written.line, written.column
    if node.kind == "seq" and value is not None:
        for item in node.value:
            if item.value == value:
                return item.line, item.column
    if node.kind == "map" and value is not None:
        for item in node.value.values():
            found = _at(item, written, value) if item.kind == "seq" else None
            if found is not None and found != (written.line, written.column):
                return found
    return node.line, node.column


def _targets(resolved: Resolved, llm: LLM) -> Iterator[Finding]:
    written = resolved.modifier
    for group in resolved.groups:
        for target in group.targets:
            hit = [
                m
                for m in llm.modules
                if match_name(m.name, target) or match_class(m, target)
            ]
            line, column = _at(group.node, written, target)
            if not hit:
                yield Finding(
                    "target-matches-nothing",
                    line,
                    column,
                    f"{written.name} target '{target}' matches no module of "
                    f"{llm.architecture}: oneshot runs and quantizes nothing for it",
                    _meant(target, llm),
                )
            elif not any(_takes_scheme(m) for m in hit):
                kinds = sorted({m.type for m in hit})
                yield Finding(
                    "target-matches-nothing",
                    line,
                    column,
                    f"{written.name} target '{target}' matches {len(hit)} module(s) "
                    f"({', '.join(kinds)}), none a Linear or Embedding: a scheme is "
                    "given to those only, so nothing is quantized for it",
                    "target the layers inside, e.g. `re:.*mlp\\..*` for an MLP's "
                    "Linear layers",
                )


def _takes_scheme(module: LLMModule) -> bool:
    return "Linear" in module.mro or "Embedding" in module.mro


def _meant(target: str, llm: LLM) -> str:
    names = [m.name for m in llm.modules if m.name]
    if target.startswith("re:"):
        pattern = target[3:]
        try:
            found = [n for n in names if re.search(pattern, n)]
        except re.error:
            found = []
        if found and not pattern.startswith(("^", ".*")):
            return (
                f"`re:` is matched from the start of the name (re.match): "
                f"`re:.*{pattern}` matches {len(found)} module(s), e.g. {found[0]}"
            )
        return f"module names look like {names[len(names) // 2]}"
    tails = [n for n in names if n.endswith("." + target)]
    if tails:
        return (
            "a plain target is a whole module name or a class name: "
            f"`re:.*\\.{re.escape(target)}$` matches {len(tails)} module(s), "
            f"e.g. {tails[0]}"
        )
    classes = sorted({c for m in llm.modules for c in m.mro})
    guess = difflib.get_close_matches(target, classes + names, 1, 0.6)
    if guess:
        return f"did you mean '{guess[0]}'?"
    return f"module names look like {names[len(names) // 2]}; classes: Linear, ..."


def _ignored(resolved: Resolved, llm: LLM, gave: list[Given]) -> Iterator[Finding]:
    written = resolved.modifier
    quantized = {g.module.name for g in gave}
    for entry in resolved.ignore:
        if any(match_name(m.name, entry) or match_class(m, entry) for m in llm.modules):
            continue
        line, column = _at(resolved.ignore_node, written, entry)
        head = " (so lm_head is quantized)" if "lm_head" in quantized else ""
        names = [m.name for m in llm.modules if m.name]
        classes = sorted({c for m in llm.modules for c in m.mro})
        guess = difflib.get_close_matches(entry, names + classes, 1, 0.6)
        yield Finding(
            "ignore-matches-nothing",
            line,
            column,
            f"{written.name} ignore '{entry}' matches no module of "
            f"{llm.architecture}: it keeps nothing out{head}",
            f"did you mean '{guess[0]}'?" if guess else _meant(entry, llm),
        )


def _groups(resolved: Resolved, gave: list[Given]) -> Iterator[Finding]:
    written = resolved.modifier
    bad: dict[str, list[tuple[str, int, int]]] = {}
    for g in gave:
        weights = g.group.weights
        if not weights or weights.get("strategy") not in _GROUPED:
            continue
        size = weights.get("group_size")
        shape = g.module.weight
        if not isinstance(size, int) or size <= 0 or not shape:
            continue
        columns = shape[-1]
        if columns % size:
            bad.setdefault(g.group.name, []).append((g.module.name, columns, size))
    for group, layers in bad.items():
        bypass = bool(written.node.plain().get("bypass_divisibility_checks"))
        early = not bypass and any(c >= s for _, c, s in layers)
        listed = ", ".join(f"{n} ({c} columns)" for n, c, _ in layers[:_LISTED])
        more = f" and {len(layers) - _LISTED} more" if len(layers) > _LISTED else ""
        size = layers[0][2]
        if early:
            error = (
                "ValueError: The following layers have weight column counts not "
                "divisible by group_size."
            )
        else:
            c = next(c for _, c, s in layers if c % s)
            error = (
                f"RuntimeError: unflatten: Provided sizes [-1, {size}] don't multiply "
                f"up to the size of dim 1 ({c}) in the input tensor"
            )
        line, column = _group_at(written, group)
        yield Finding(
            "group-does-not-fit",
            line,
            column,
            f"{written.name} {group}: a group size of {size} does not divide the "
            f"columns of {len(layers)} layer(s): {listed}{more}",
            "add those layers to `ignore`, or take a group size that divides their "
            "columns",
            error,
            "oneshot",
        )


def _group_at(written: Written, group: str) -> tuple[int, int]:
    """Where the group size comes from: the preset `scheme:`, else the config
    group's `weights` (its `group_size`), else the modifier's name."""
    body = written.node
    scheme = body.get("scheme")
    if scheme is not None:
        return scheme.line, scheme.column
    groups = body.get("config_groups")
    node = groups.get(group) if groups is not None else None
    weights = node.get("weights") if node is not None else None
    size = weights.get("group_size") if weights is not None else None
    at = size or weights or node
    return (at.line, at.column) if at is not None else (written.line, written.column)


def _mappings(written: Written, llm: LLM) -> Iterator[Finding]:
    """SmoothQuant's `mappings` ([[balance targets...], smooth target]) resolved
    as its `_resolve_mappings` does: each mapping's targets grouped by scope
    (`match_modules_set`); a group with more than one smooth layer, a module two
    targets match or a last group missing a target raise at initialize; a
    mapping no module matches smooths nothing, said."""
    node = written.node.get("mappings") if written.node.kind == "map" else None
    if node is None or node.kind != "seq":
        return  # (none written: the engine infers them from the architecture)
    for item in node.value:
        targets = _leaves(item.plain())
        if targets is None or len(targets) < 2:
            continue
        try:
            groups = match_modules_set(llm, targets)
        except SetError as exc:
            yield _mapping_error(written, item, targets, str(exc.args[0]).rstrip(":"))
            continue
        if not groups:
            yield _smooths_nothing(item, _sq_said(written, targets), targets[-1], llm)
            continue
        for group in groups:
            smooth = group[-1]
            if len(smooth) > 1:
                names = [m.name for m in smooth]
                yield _mapping_error(
                    written,
                    item,
                    targets,
                    f"more than one smooth layer in a group: {names}",
                )
                break


def _leaves(value: object) -> list[str] | None:
    """`tree_leaves` of a mapping: its strings, depth first (None: not strings)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        out: list[str] = []
        for v in value:
            leaves = _leaves(v)
            if leaves is None:
                return None
            out += leaves
        return out
    return None


def _sq_said(written: Written, targets: list[str]) -> str:
    return f"{written.name} mapping {targets[:-1]} -> '{targets[-1]}'"


def _mapping_error(
    written: Written, item: Node, targets: list[str], why: str
) -> Finding:
    """oneshot wraps what resolving SmoothQuant's mappings raises (`why`) in a
    RuntimeError of its own."""
    return _unresolved(
        item,
        f"{_sq_said(written, targets)} does not resolve to one smooth layer per "
        f"group of balance layers ({why})",
        "RuntimeError: Error resolving mappings for given architecture.",
    )


def _unresolved(item: Node, message: str, error: str) -> Finding:
    """A mapping oneshot cannot resolve (SmoothQuant's or AWQ's)."""
    return Finding(
        "mapping-fails",
        item.line,
        item.column,
        message,
        "each group (a decoder layer) needs every balance target and exactly one "
        "smooth layer: anchor the patterns (`re:.*input_layernorm$`)",
        error,
        "oneshot",
    )


def _smooths_nothing(item: Node, said: str, pattern: str, llm: LLM) -> Finding:
    """A mapping (SmoothQuant's or AWQ's) no module of the LLM matches."""
    return Finding(
        "mapping-matches-nothing",
        item.line,
        item.column,
        f"{said} matches no module of {llm.architecture}: it smooths nothing",
        _meant(pattern, llm),
    )


def _pruning_ignored(written: Written, llm: LLM) -> Iterator[Finding]:
    """A SparseGPT or Wanda `ignore` entry that keeps nothing out of what it
    prunes: it matches `ignore` against `<layer>.<relative name>`, so a target
    layer itself is `lm_head.` (with the dot) and a plain `lm_head` misses it."""
    node = written.node.get("ignore")
    values = written.node.plain()
    entries = values.get("ignore") or []
    if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
        return
    found = candidates(written, llm)
    for entry in entries:
        if any(match_name(n, entry) or match_class(m, entry) for _, n, m in found):
            continue
        line, column = _at(node, written, entry)
        own = [m.name for _, _, m in found if m.name == entry]
        if own:
            hint = (
                f"{written.name} matches `ignore` against '{own[0]}.' (its target "
                f"layer's name and a dot): write `re:.*{re.escape(own[0])}` to keep "
                f"{own[0]} dense"
            )
            why = f"{own[0]} is pruned all the same"
        else:
            hint = _meant(entry, llm)
            why = "it keeps nothing out"
        yield Finding(
            "ignore-matches-nothing",
            line,
            column,
            f"{written.name} ignore '{entry}' matches nothing it prunes in "
            f"{llm.architecture}: {why}",
            hint,
        )


_GATES = ("gate", "router", "shared_expert_gate")


def _gates(resolved: Resolved, gave: list[Given]) -> Iterator[Finding]:
    """A mixture-of-experts gate (a router, Qwen-MoE's `shared_expert_gate`: a
    Linear of one output) quantized by a broad target: oneshot runs, but vLLM
    takes MoE gates unquantized and llm-compressor's own MoE examples ignore
    them."""
    gates = [
        g.module.name
        for g in gave
        if g.module.name.rsplit(".", 1)[-1] in _GATES or g.module.out_features == 1
    ]
    if not gates:
        return
    written = resolved.modifier
    line, column = _at(resolved.ignore_node or written.node.get("targets"), written)
    tails = sorted({n.rsplit(".", 1)[-1] for n in gates})
    yield Finding(
        "gate-quantized",
        line,
        column,
        f"{written.name} quantizes {len(gates)} mixture-of-experts gate(s) "
        f"({', '.join(gates[:3])}{', ...' if len(gates) > 3 else ''}): vLLM "
        "expects them unquantized",
        "add " + ", ".join(f"'re:.*mlp.{t}$'" for t in tails) + " to `ignore`",
    )


def _mask(written: Written, llm: LLM) -> Iterator[Finding]:
    """`mask_structure` "N:M" against the layers the modifier prunes."""
    from .applied import sparsified

    structure = written.node.plain().get("mask_structure", "0:0")
    node = written.node.get("mask_structure")
    line, column = (node.line, node.column) if node else (written.line, written.column)
    try:
        n, m = (int(x) for x in str(structure).split(":"))
    except ValueError:
        return  # (refused at load: RC718)
    pruned = [p.module for p in sparsified([written], llm).values()]
    if not pruned or (n == 0 and m == 0):
        return
    if m == 0 or n > m:
        error = (
            "ZeroDivisionError: integer modulo by zero"
            if m == 0
            else "RuntimeError: selected index k out of range"
        )
        yield Finding(
            "mask-fails",
            line,
            column,
            f"{written.name} mask_structure '{structure}': N:M prunes N of every M "
            "weights, so N must not exceed M and M must not be 0",
            "2:4 prunes 2 of every 4 weights in a row; 0:0 is unstructured",
            error,
            "oneshot",
        )
        return
    if n == 0:
        return  # (0:M is unstructured)
    if n == m:
        yield Finding(
            "mask-does-not-fit",
            line,
            column,
            f"{written.name} mask_structure '{structure}' prunes every weight of "
            f"{len(pruned)} layer(s)",
            "2:4 prunes 2 of every 4",
        )
        return
    columns = {mod.name: mod.weight[-1] for mod in pruned if mod.weight}
    partial = [name for name, c in columns.items() if c % m]
    if partial:
        listed = ", ".join(f"{n} ({columns[n]} columns)" for n in partial[:_LISTED])
        more = f" and {len(partial) - _LISTED} more" if len(partial) > _LISTED else ""
        yield Finding(
            "mask-does-not-fit",
            line,
            column,
            f"{written.name} mask_structure '{structure}': {m} does not divide the "
            f"columns of {len(partial)} layer(s): {listed}{more}; each row ends "
            "with a partial group, so the weights are not N:M throughout",
            "ignore those layers, or an N:M whose M divides their columns",
        )


_UNGROUPED = ("channel", "tensor", "block")


def _strategy(weights: Mapping[str, Any]) -> str:
    """QuantizationArgs' strategy, inferred from the group size where unset."""
    strategy = weights.get("strategy")
    if strategy is not None:
        return str(strategy)
    size = weights.get("group_size")
    return "tensor" if size is None else "channel" if size == -1 else "group"


def _actorder(resolved: Resolved, gave: list[Given]) -> Iterator[Finding]:
    """GPTQModifier's `resolve_actorder`: a group's own `actorder`, else the
    modifier's (`static` unless written; `null` none). llm-compressor 0.14
    applies it to channel, tensor and block weights too and saves it in the
    checkpoint's quantization_config; compressed-tensors before 0.17.1 (which
    vLLM builds pinned) refuses actorder without groups when it reads the
    config, so that vLLM does not load the checkpoint."""
    written = resolved.modifier
    if written.name != "GPTQModifier":
        return
    values = written.node.plain()
    mine = values.get("actorder", "static")
    used = {g.group.name for g in gave}
    for group in resolved.groups:
        weights = group.weights
        if group.name not in used or not weights:
            continue
        strategy = _strategy(weights)
        order = weights.get("actorder") or mine
        if strategy not in _UNGROUPED or order is None:
            continue
        node = written.node.get("actorder")
        line, column = (
            (node.line, node.column)
            if node is not None
            else (written.line, written.column)
        )
        how = "" if "actorder" in values else " (its default)"
        yield Finding(
            "actorder-without-groups",
            line,
            column,
            f"GPTQModifier saves actorder '{order}'{how} with {group.name}'s "
            f"{strategy} weights in the checkpoint's quantization_config: vLLM "
            "builds whose compressed-tensors predates 0.17.1 refuse to load it "
            '("Must use group or tensor_group quantization strategy in order to '
            'apply activation ordering")',
            "`actorder: null` on GPTQModifier saves a checkpoint every vLLM loads "
            "(GPTQ then takes the columns in order)",
        )
        return


# compressed-tensors' `_is_attention_module`: the class name and these children
_KV_CHILDREN = ("k_proj", "v_proj", "qkv_proj", "kv_b_proj")


def cached_attention(llm: LLM) -> list[LLMModule]:
    """The modules compressed-tensors gives a kv_cache_scheme
    (`is_cached_attention_module`): 'attention' in the class name and a
    k_proj, v_proj, qkv_proj or kv_b_proj child (transformers' attention
    forwards all take the cache, the last thing it asks)."""
    children = {m.name for m in llm.modules}
    return [
        m
        for m in llm.modules
        if "attention" in m.type.lower()
        and any((f"{m.name}.{c}" if m.name else c) in children for c in _KV_CHILDREN)
    ]


def _kv_cache(resolved: Resolved, llm: LLM) -> Iterator[Finding]:
    """A kv_cache_scheme with no module to take it (a warning), or on attention
    whose config gives no num_key_value_heads (OPT's, say): compressed-tensors'
    `get_num_kv_heads` raises when it hooks the first one."""
    written = resolved.modifier
    if written.node.plain().get("kv_cache_scheme") is None:
        return
    node = written.node.get("kv_cache_scheme")
    at = node if node is not None else written.node
    if cached_attention(llm):
        if not llm.kv_heads:
            yield Finding(
                "kv-cache-fails",
                at.line,
                at.column,
                f"{written.name} kv_cache_scheme: the config of {llm.architecture} "
                "gives no num_key_value_heads, which compressed-tensors reads to "
                "quantize the kv cache",
                "drop kv_cache_scheme for this architecture",
                "ValueError: Cannot determine num_key_value_heads from config",
                "oneshot",
            )
        return
    kinds = sorted({m.type for m in llm.modules if "attention" in m.type.lower()})
    has = f" (its {', '.join(kinds)} has none)" if kinds else ""
    yield Finding(
        "kv-cache-applies-to-nothing",
        at.line,
        at.column,
        f"{written.name} kv_cache_scheme applies to no module of "
        f"{llm.architecture}: compressed-tensors quantizes the kv cache of "
        "attention modules with a k_proj, v_proj, qkv_proj or kv_b_proj child"
        f"{has}, so no k/v scale is calibrated",
        "drop kv_cache_scheme for this architecture (vLLM then keeps its kv cache "
        "in the model's dtype)",
    )


def _head(resolved: Resolved, gave: list[Given]) -> Iterator[Finding]:
    """lm_head or an Embedding given weights: vLLM builds them as its
    ParallelLMHead / VocabParallelEmbedding, which take no compressed-tensors
    scheme, so a checkpoint with their weights quantized does not load there.
    llm-compressor's examples all `ignore: [lm_head]`."""
    heads = [
        g
        for g in gave
        if g.group.weights and (_tail(g.module.name) == "lm_head" or _embedding(g))
    ]
    if not heads:
        return
    hit = [g.module.name for g in heads]
    written = resolved.modifier
    node = heads[0].group.node or written.node.get("scheme")
    line, column = (node.line, node.column) if node else (written.line, written.column)
    yield Finding(
        "head-or-embedding-quantized",
        line,
        column,
        f"{written.name} quantizes the weights of {', '.join(hit[:3])}"
        f"{', ...' if len(hit) > 3 else ''}: vLLM loads lm_head and embeddings "
        "unquantized, so it does not load this checkpoint",
        "add " + ", ".join(sorted({_tail(h) for h in hit})) + " to `ignore`",
    )


def _tail(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def _embedding(g: Given) -> bool:
    return "Embedding" in g.module.mro


def _awq_mappings(
    written: Written, llm: LLM, targeted: set[str] | None
) -> Iterator[Finding]:
    """AWQ's `mappings` ({smooth_layer, balance_layers}) resolved as its
    `_set_resolved_mappings` does: `match_modules_set(smooth, *balance)` by
    scope; each group yielded needs one smooth layer (ValueError), the
    generator's own errors raise as they are (ValueError, not wrapped), and a
    group none of whose layers a quantizing modifier targets is skipped (the
    engine logs it). Groups skipped for v_proj/o_proj shapes (grouped-query
    attention) are AWQ's design, not reported."""
    node = written.node.get("mappings") if written.node.kind == "map" else None
    if node is None or node.kind != "seq":
        return  # (none written: AWQ infers them from the architecture)
    for item in node.value:
        value = item.plain()
        if not isinstance(value, dict):
            continue
        smooth, balance = value.get("smooth_layer"), value.get("balance_layers")
        if not isinstance(smooth, str) or not isinstance(balance, list):
            continue
        if not all(isinstance(b, str) for b in balance):
            continue
        targets = [smooth, *balance]
        said = f"AWQModifier mapping '{smooth}' -> {balance}"
        error: str | None = None
        try:
            groups = match_modules_set(llm, targets)
        except SetError as exc:
            groups, error = exc.before, f"ValueError: {exc.args[0]}"
        for group in groups:
            if len(group[0]) > 1:
                names = [m.name for m in group[0]]
                error = (
                    "ValueError: AWQ needs to match a single smoothlayer for each "
                    f"mapping but got {names}"
                )
                break
        if error is not None:
            yield _unresolved(
                item,
                f"{said} does not resolve to one smooth layer per group of balance "
                "layers",
                error.rstrip(":"),
            )
            continue
        if not groups:
            yield _smooths_nothing(item, said, smooth, llm)
            continue
        if targeted is None:
            continue
        kept = [
            g
            for g in groups
            if any(m.name in targeted for part in g for m in part) and any(g[1:])
        ]
        if not kept:
            yield Finding(
                "mapping-matches-nothing",
                item.line,
                item.column,
                f"{said}: no layer of its {len(groups)} group(s) is quantized by a "
                "modifier of the recipe, so AWQ skips them all (it smooths toward "
                "quantized layers only)",
                "target those layers in the QuantizationModifier or GPTQModifier "
                "that follows AWQ",
            )
