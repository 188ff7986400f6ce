"""`recipe migrate`: a SparseML 1.8 `sparseml.core` recipe (or an older
llm-compressor one) rewritten for llm-compressor 0.14.

What moves is decided from the two engines' own models (each dialect's
registry, generated from the engine's classes): a field the llm-compressor
modifier defines is kept, one it does not is dropped, with the reason; the few
fields whose meaning moved are rules of their own, each held to both registries
by a test (`RENAMED`, `TO_ONESHOT`): `percdamp` is `dampening_frac`; a SparseGPT,
Wanda or GPTQ `targets` named the layers to compress one after another, which
llm-compressor takes as oneshot's `sequential_targets` argument (its `targets`
are what to quantize or prune), so it leaves the recipe, said; a field
llm-compressor requires that SparseML defaulted is written with that default;
a GPTQModifier gets `actorder: null` (SparseML's GPTQ took the columns in order;
llm-compressor's orders them by activation by default);
a `LegacyQuantizationModifier` is a `QuantizationModifier` whose `config_groups`
are its scheme (SparseML's defaults: 8-bit symmetric per-tensor weights, 8-bit
asymmetric per-tensor inputs) for Linear layers and each `scheme_overrides`
entry for its own target. `eval(...)` and args are evaluated as SparseML 1.8's
session does and written as numbers; args, `run_type` and other stage keys go.
A modifier llm-compressor does not have (OutputDistillationModifier: it does
not train) is refused with the reason, nothing written, unless the user names it
to drop (`--drop`: the migrated recipe then does less than the original, said);
a form this cannot carry over is refused with the reason. The result
is what `recipe lint --dialect llm-compressor` finds no error in, else refused.

An older llm-compressor recipe is brought to 0.14 the same way, and: an
AWQModifier that quantized has its quantization fields moved to a
QuantizationModifier after it (0.14's AWQ only smooths); removed activation
orderings (`group`, `dynamic`, `true`) become `weight`; a `scheme` written as
one scheme's parts becomes a config group.

The file is edited as a YAML round trip (ruamel.yaml's: comments kept where the
text they belong to survives); every change is listed with the line it was at.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Mapping
from typing import Any

from ..dialects.llmcompressor.registry import registry as llmc_registry
from ..dialects.sparsemlcore.evaluate import UNKNOWN
from ..dialects.sparsemlcore.reader import Read, read
from ..dialects.sparsemlcore.registry import registry as core_registry
from ..loader.recipe import Recipe
from ..loader.yamltree import Node

# a field whose name changed: (modifier or "*", old) -> new
RENAMED = {("*", "percdamp"): "dampening_frac"}
# a field whose meaning left the recipe: SparseML's `targets` of these named the
# layers compressed one after another; llm-compressor 0.14 takes those as
# oneshot's `sequential_targets` argument, and a modifier's `targets` are the
# modules to quantize or prune (default Linear)
TO_ONESHOT = {
    ("SparseGPTModifier", "targets"): "sequential_targets",
    ("WandaPruningModifier", "targets"): "sequential_targets",
    ("GPTQModifier", "targets"): "sequential_targets",
}
# why a field llm-compressor does not define is dropped, where there is more to say
WHY_DROPPED = {
    "sequential_update": "llm-compressor always updates layer by layer",
    "quantize": "a GPTQModifier quantizes with its own scheme or config_groups, or "
    "with the schemes a QuantizationModifier before it attached",
    "model": "llm-compressor takes the model from oneshot",
    "num_calibration_steps": "oneshot's num_calibration_samples sets it",
    "disable_quantization_observer_epoch": "llm-compressor does not train",
    "freeze_bn_stats_epoch": "llm-compressor does not train",
}
# fields llm-compressor 0.14 still defines only to warn that it ignores them (a
# validator of its own replaces any value)
DEPRECATED = {
    ("SparseGPTModifier", "sequential_update"),
    ("WandaPruningModifier", "sequential_update"),
}
RENAMED_MODIFIERS = {"LegacyQuantizationModifier": "QuantizationModifier"}
_LEGACY_DEFAULT = {
    "weights": {"num_bits": 8, "symmetric": True, "strategy": "tensor"},
    "input_activations": {"num_bits": 8, "symmetric": False, "strategy": "tensor"},
}
_LEGACY_ARGS = {"num_bits": 8, "symmetric": False, "strategy": "tensor"}
_LEGACY_FIELDS = ("scheme", "scheme_overrides", "ignore", "start", "end")


class MigrateError(ValueError):
    """The recipe cannot be migrated; the message says why and where."""


@dataclasses.dataclass(frozen=True)
class Change:
    line: int
    said: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.said}"


@dataclasses.dataclass(frozen=True)
class Migrated:
    text: str
    changes: tuple[Change, ...]


def migrate(
    recipe: Recipe, dialect: str, drop: frozenset[str] = frozenset()
) -> Migrated:
    """The recipe as llm-compressor 0.14 reads it (`dialect`: the one it is
    read as now, "sparseml-core" or "llm-compressor"); the modifiers named in
    `drop` that llm-compressor does not have are left out instead of refused."""
    from ruamel.yaml import YAML

    if recipe.root is None or recipe.root.kind != "map":
        raise MigrateError("the recipe holds no stages")
    walked = read(recipe.root) if dialect == "sparseml-core" else None
    if walked is not None and walked.refused is not None:
        f = walked.refused
        raise MigrateError(
            f"SparseML 1.8 refuses it (line {f.line}: {f.message}); fix that first"
        )
    text_in = recipe.source.yaml_text or ""
    mapping, offset = _indents(text_in)
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # (a flow collection on one line stays on one line)
    yaml.indent(mapping=mapping, sequence=offset + 2, offset=offset)
    yaml.representer.add_representer(
        type(None),
        lambda r, _: r.represent_scalar("tag:yaml.org,2002:null", "null"),
    )
    data = yaml.load(text_in)
    _unfold(data)
    changes: list[Change] = []
    _Migration(recipe.root, walked, changes, drop).top(data)
    out = io.StringIO()
    yaml.dump(data, out)
    text = out.getvalue()
    src = recipe.source
    if src.kind == "md":
        text = src.text[: src.yaml_start] + text + src.text[src.yaml_end :]
    return Migrated(text, tuple(sorted(changes, key=lambda c: c.line)))


@dataclasses.dataclass
class _Migration:
    root: Node
    walked: Read | None  # sparseml.core's reading (None: an llm-compressor recipe)
    changes: list[Change]
    drop: frozenset[str] = frozenset()  # modifiers llm-compressor lacks, to leave out
    quantized_before: bool = False  # a quantizing modifier came earlier

    def say(self, at: Node | int | None, said: str) -> None:
        """A change, at a line (a key's) or a node's."""
        line = at if isinstance(at, int) else at.line if at is not None else 1
        self.changes.append(Change(line, said))

    def top(self, data: Any) -> None:
        args = set(self.walked.args) if self.walked is not None else set()
        for key in list(data):
            node = self.root.get(key) if isinstance(key, str) else None
            if key in args:
                self.say(
                    node,
                    f"arg '{key}' removed: llm-compressor evaluates nothing; its "
                    "value is written where eval(...) used it",
                )
                del data[key]
            elif key == "stages" and hasattr(data[key], "items"):
                raise MigrateError(
                    f"line {node.line if node else 1}: `stages:` is SparseML's form: "
                    "write each stage as a top-level `<name>_stage:`"
                )
        stages = self.walked.stages if self.walked is not None else ()
        by_key = {f"{s.name}_stage": s for s in stages}
        for key in list(data):
            if isinstance(key, str) and key.endswith("_stage"):
                self.stage(key, data[key], by_key.get(key))

    def stage(self, key: str, body: Any, stage: Any) -> None:
        node = self.root.get(key)
        if stage is not None and stage.runs_as == "train":
            self.say(
                self.root.key_position(key)[0],
                f"stage '{key}' ran as train in SparseML: llm-compressor 0.14 does not "
                "train; oneshot applies its modifiers once (fine-tune with your own "
                "trainer)",
            )
        for skey in list(body):
            if isinstance(skey, str) and skey.endswith("_modifiers"):
                gnode = node.get(skey) if node is not None else None
                self.group(body[skey], gnode, stage)
                if not body[skey]:
                    line = node.key_position(skey)[0] if node is not None else None
                    self.say(line, f"'{skey}' removed from stage '{key}': empty")
                    del body[skey]
            else:
                at = node.get(skey) if node is not None else None
                self.say(at, f"'{skey}' removed from stage '{key}': llm-compressor "
                         "reads only `<group>_modifiers` in a stage")  # fmt: skip
                del body[skey]

    def group(self, body: Any, node: Node | None, stage: Any) -> None:
        known = llmc_registry().modifiers
        evaluated = {}
        if stage is not None:
            evaluated = {m.line: m.args for m in stage.modifiers}
        for name in list(body):
            mnode = node.get(name) if node is not None else None
            new = RENAMED_MODIFIERS.get(name, name)
            line = node.key_position(name)[0] if node is not None else 1
            if new not in known:
                why = (
                    "it does not train"
                    if "Distillation" in name
                    else "nor a modifier of that name"
                )
                if name in self.drop:
                    self.say(
                        line,
                        f"{name} dropped (--drop): llm-compressor 0.14 has none "
                        f"({why}); the migrated recipe does without it",
                    )
                    del body[name]
                    continue
                raise MigrateError(
                    f"line {line}: llm-compressor 0.14 has no {name} ({why}): "
                    f"`--drop {name}` migrates the rest without it, or migrate "
                    "by hand what it did"
                )
            key_line = node.key_position(name)[0] if node is not None else 0
            values = evaluated.get(key_line)
            fields = body[name]
            if name == "LegacyQuantizationModifier":
                fields = self.legacy(fields, mnode, values)
                _rename_key(body, name, new, fields)
                self.say(line, f"{name} -> {new} with config_groups for its scheme")
                self.quantized_before = True
                continue
            if new == "AWQModifier" and hasattr(fields, "keys"):
                self.awq(body, name, fields, mnode, line)
            self.fields(new, fields, mnode, values)
            if new in ("QuantizationModifier", "GPTQModifier") and hasattr(
                fields, "keys"
            ):
                self.scheme_args(new, fields, mnode)
                self.actorder(new, fields, mnode)
            sparseml_gptq = new == "GPTQModifier" and self.walked is not None
            if sparseml_gptq and hasattr(fields, "keys") and "actorder" not in fields:
                fields["actorder"] = None
                self.say(
                    line,
                    "GPTQModifier actorder: null written: SparseML 1.8 quantized "
                    "the columns in order; llm-compressor 0.14 orders them by "
                    "activation unless told not to (and saves that in the "
                    "checkpoint, which some vLLM builds refuse: RC758)",
                )
            if new == "QuantizationModifier" or new == "GPTQModifier":
                self.quantized_before = True

    def awq(
        self, group: Any, name: str, fields: Any, node: Node | None, line: int
    ) -> None:
        """An older AWQModifier quantized too (a QuantizationMixin: `scheme`,
        `config_groups`, `targets`, `ignore`, ...); llm-compressor 0.14's only
        smooths and needs a quantizing modifier after it. The fields
        QuantizationModifier defines and AWQ no longer does move to a
        QuantizationModifier written right after it (comments with them)."""
        from ruamel.yaml.comments import CommentedMap

        awq = llmc_registry().modifiers["AWQModifier"].fields
        quant = llmc_registry().modifiers["QuantizationModifier"].fields
        moving = [f for f in fields if f not in awq and f in quant]
        if not moving:
            return
        if not any(fields.get(f) for f in ("scheme", "config_groups")):
            for f in moving:
                at = node.get(f) if node is not None else None
                self.say(at, f"{name} {f} removed: it named what AWQ's own scheme "
                         "quantized, and it has none")  # fmt: skip
                del fields[f]
            return
        if "QuantizationModifier" in group:
            raise MigrateError(
                f"line {line}: {name} quantizes ({', '.join(moving)}) and its group "
                "already holds a QuantizationModifier: llm-compressor 0.14's AWQ "
                "only smooths, so merge its scheme into that one by hand"
            )
        moved = CommentedMap()
        for f in moving:
            moved[f] = fields[f]
            comment = fields.ca.items.pop(f, None)
            if comment is not None:
                moved.ca.items[f] = comment
            del fields[f]
        group.insert(list(group).index(name) + 1, "QuantizationModifier", moved)
        self.say(
            line,
            f"{name} {', '.join(moving)} moved to a QuantizationModifier after it: "
            "llm-compressor 0.14's AWQ only smooths, the modifier after it quantizes",
        )

    def scheme_args(self, name: str, fields: Any, node: Node | None) -> None:
        """`scheme:` written as one scheme's parts (`weights:`, ...) rather than
        preset names mapped to targets, which no llm-compressor version took
        (it reads each key as a preset): a config group of those parts, for
        the modifier's `targets` (default Linear)."""
        from ruamel.yaml.comments import CommentedMap

        scheme = fields.get("scheme")
        parts = ("weights", "input_activations", "output_activations")
        if not hasattr(scheme, "keys") or not scheme or fields.get("config_groups"):
            return
        if not all(k in parts for k in scheme):
            return
        group = CommentedMap()
        group["targets"] = fields.get("targets", ["Linear"])
        for key in scheme:
            group[key] = scheme[key]
        at = node.key_position("scheme")[0] if node is not None else None
        index = list(fields).index("scheme")
        del fields["scheme"]
        if "targets" in fields:
            del fields["targets"]
            index -= 1 if index > 0 else 0
        fields.insert(index, "config_groups", CommentedMap(group_0=group))
        self.say(
            at,
            f"{name} scheme: its {', '.join(scheme)} -> config_groups.group_0 with "
            "its targets: a `scheme` mapping names presets, one scheme's parts go "
            "in a config group",
        )

    def actorder(self, name: str, fields: Any, node: Node | None) -> None:
        """compressed-tensors 0.19 removed group activation ordering (`group`,
        `dynamic`, and `true`, which meant group); `weight` is what it
        suggests, and `false` is `null`."""
        places: list[tuple[Any, Node | None, str]] = [(fields, node, name)]
        groups = fields.get("config_groups")
        gnode = node.get("config_groups") if node is not None else None
        if hasattr(groups, "items"):
            for key, group in groups.items():
                for part in ("weights", "input_activations", "output_activations"):
                    args = group.get(part) if hasattr(group, "get") else None
                    if hasattr(args, "keys"):
                        at = gnode.get(key) if gnode is not None else None
                        at = at.get(part) if at is not None else None
                        places.append((args, at, f"{name} {key}.{part}"))
        for args, at, said in places:
            if "actorder" not in args:
                continue
            value = args["actorder"]
            where = at.get("actorder") if at is not None else None
            if value is False:
                args["actorder"] = None
                self.say(where, f"{said} actorder: false -> null")
            elif value is True or str(value).lower() in ("group", "dynamic"):
                args["actorder"] = "weight"
                self.say(
                    where,
                    f"{said} actorder: {value} -> weight: compressed-tensors 0.19 "
                    "removed group activation ordering (what `true` meant), and "
                    "suggests weight ordering instead",
                )

    def fields(
        self, name: str, body: Any, node: Node | None, values: Mapping[str, Any] | None
    ) -> None:
        known = llmc_registry().modifiers[name].fields
        if name == "GPTQModifier" and self.walked is not None:
            self.gptq(body, node, values)
        for field in list(body):
            at = node.get(field) if node is not None else None
            value = values.get(field, body[field]) if values is not None else None
            written = body[field]
            if values is not None and isinstance(written, str) and "eval(" in written:
                if value is UNKNOWN or isinstance(value, str):
                    line = at.line if at is not None else 1
                    raise MigrateError(
                        f"line {line}: {name} {field} = {written!r} is not computed "
                        "here: write its value"
                    )
                body[field] = _number(value)
                self.say(
                    at, f"{name} {field}: {at.value if at else ''} -> {body[field]}"
                )
            new = RENAMED.get((name, field)) or RENAMED.get(("*", field))
            if new is not None:
                if new in body:
                    self.say(at, f"{name} {field} removed: {new} is written too")
                    del body[field]
                else:
                    _rename_key(body, field, new, body[field])
                    self.say(at, f"{name} {field} -> {new} (llm-compressor's name)")
                continue
            oneshot = TO_ONESHOT.get((name, field)) if self.walked else None
            if oneshot is not None:  # (SparseML's meaning: an llm-compressor
                # recipe's `targets` already are llm-compressor's)
                self.say(
                    at,
                    f"{name} {field} removed: it named the layers SparseML compressed "
                    f"one after another, which llm-compressor 0.14 takes as oneshot's "
                    f"`{oneshot}=` argument ({_short(body[field])}); a modifier's "
                    "targets are now the modules to compress (default Linear)",
                )
                del body[field]
                continue
            if field not in known or (name, field) in DEPRECATED:
                why = WHY_DROPPED.get(
                    field, f"llm-compressor 0.14's {name} has no such field"
                )
                self.say(at, f"{name} {field} removed: {why}")
                del body[field]
        core = core_registry().modifiers.get(name)
        for field, info in known.items():
            if not info["required"] or field in body:
                continue
            default = core.fields.get(field, {}).get("default") if core else None
            if default is None or isinstance(default, dict):
                continue  # (lint then says it is missing: refused)
            body[field] = default
            self.say(
                node,
                f"{name} {field}: {default!r} written (SparseML 1.8's default; "
                "llm-compressor requires it)",
            )

    def gptq(
        self, body: Any, node: Node | None, values: Mapping[str, Any] | None
    ) -> None:
        """SparseML 1.8's GPTQModifier with `quantize` true (its default), no scheme
        or config_groups and no quantization active before it built a default
        QuantizationModifier (8-bit symmetric weights and inputs); a `quantize`
        mapping held one to build. llm-compressor's GPTQModifier quantizes with
        its own config, so that config is written into it."""
        plain = dict(values) if values is not None else _plain(body)
        quantize = plain.get("quantize", True)
        if isinstance(quantize, dict) and len(quantize) == 1:
            (inner,) = quantize.values()
            for field in ("config_groups", "scheme", "ignore"):
                if isinstance(inner, dict) and inner.get(field) is not None:
                    body[field] = inner[field]
                    self.say(node, f"GPTQModifier {field}: taken from its `quantize`")
            return
        has_config = plain.get("scheme") is not None or plain.get("config_groups")
        if quantize is True and not has_config and not self.quantized_before:
            body["config_groups"] = {
                "group_0": {
                    "targets": ["Linear"],
                    "weights": {"num_bits": 8, "symmetric": True},
                    "input_activations": {"num_bits": 8, "symmetric": True},
                }
            }
            self.say(
                node,
                "GPTQModifier config_groups written: SparseML 1.8 quantized with a "
                "default scheme it built (8-bit symmetric weights and inputs) where "
                "no quantization came before; llm-compressor's GPTQ needs its own",
            )

    def legacy(
        self, body: Any, node: Node | None, values: Mapping[str, Any] | None
    ) -> Any:
        """A LegacyQuantizationModifier's fields as QuantizationModifier's."""
        from ruamel.yaml.comments import CommentedMap

        plain = dict(values) if values is not None else _plain(body)
        scheme = plain.get("scheme")
        if scheme not in (None, "default") and not isinstance(scheme, dict):
            raise MigrateError(
                f"line {node.line if node else 1}: LegacyQuantizationModifier scheme "
                f"{scheme!r}: only SparseML's default or a scheme written out migrates"
            )
        base = _legacy_scheme(scheme if isinstance(scheme, dict) else None)
        groups = CommentedMap()
        groups["group_0"] = {"targets": ["Linear"], **base}
        for i, (target, override) in enumerate(
            (plain.get("scheme_overrides") or {}).items()
        ):
            if override is not None and not isinstance(override, dict):
                raise MigrateError(
                    f"scheme_overrides {target}: {override!r} is no scheme"
                )
            groups[f"group_{i + 1}"] = {"targets": [target], **_legacy_scheme(override)}
        out = CommentedMap()
        for field in ("ignore", "start", "end"):
            if field in body:
                out[field] = body[field]
        out["config_groups"] = groups
        for field in body:
            if field not in _LEGACY_FIELDS:
                at = node.get(field) if node is not None else None
                why = WHY_DROPPED.get(field, "QuantizationModifier has no such field")
                self.say(at, f"LegacyQuantizationModifier {field} removed: {why}")
        return out


def _legacy_scheme(scheme: Mapping[str, Any] | None) -> dict[str, Any]:
    """SparseML's legacy QuantizationScheme as compressed-tensors' parts: a part
    not written takes SparseML's default for it (none for outputs), one written
    null is none, one written takes SparseML's QuantizationArgs defaults (8
    bits, asymmetric, per tensor) for what it leaves out."""
    given = scheme or {}
    out: dict[str, Any] = {}
    for part in ("weights", "input_activations", "output_activations"):
        args = given.get(part, _LEGACY_DEFAULT.get(part))
        if args is None:
            continue
        written = {k: v for k, v in dict(args).items() if k != "kwargs"}
        out[part] = {**_LEGACY_ARGS, **written}
    return out


def _plain(value: Any) -> Any:
    if hasattr(value, "items"):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _number(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _rename_key(mapping: Any, old: str, new: str, value: Any) -> None:
    """Replace key `old` by `new` at the same position (comments stay put)."""
    keys = list(mapping)
    at = keys.index(old)
    del mapping[old]
    mapping.insert(at, new, value)


def _short(value: Any) -> str:
    items = list(value) if isinstance(value, list) else [value]
    shown = ", ".join(repr(v) for v in items[:3])
    return f"[{shown}{', ...' if len(items) > 3 else ''}]"


def _unfold(data: Any) -> None:
    """A flow list or mapping written over several lines is written back in
    block style: ruamel.yaml keeps a flow collection's style but not its line
    breaks, and would rewrap it at its width; one written on one line stays."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(data, CommentedMap | CommentedSeq):
        keys = range(len(data)) if isinstance(data, CommentedSeq) else list(data)
        if data.fa.flow_style() and keys:
            last = keys[-1]
            try:
                ends = (
                    data.lc.item(last)[0]
                    if isinstance(data, CommentedSeq)
                    else data.lc.value(last)[0]
                )
            except (KeyError, TypeError, IndexError):
                ends = data.lc.line
            if ends != data.lc.line:
                data.fa.set_block_style()
        for key in keys:
            _unfold(data[key])


def _indents(text: str) -> tuple[int, int]:
    """The text's own block indentation, to write it back the same way: a
    mapping's keys under their parent's (default 2), and a block list's dash
    under its key (default 0), each the first found."""
    import itertools
    import re

    mapping = offset = None
    lines = [
        (len(line) - len(line.lstrip(" ")), line.strip())
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    for (indent, line), (inner, nxt) in itertools.pairwise(lines):
        if not re.fullmatch(r"[^-#\s][^#]*:(\s+#.*)?", line):
            continue  # (not a `key:` opening a block)
        if nxt.startswith("- ") and offset is None and inner >= indent:
            offset = inner - indent
        elif not nxt.startswith("- ") and mapping is None and inner > indent:
            mapping = inner - indent
    return mapping or 2, offset or 0
