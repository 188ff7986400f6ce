"""What a preset scheme name quantizes, as the editor's hover shows it: each part
(weights, input and output activations) with its bits, type, strategy, group
size, symmetry and whether it is dynamic, from compressed-tensors' own presets."""

from __future__ import annotations

from .registry import registry

_PARTS = {
    "weights": "weights",
    "input_activations": "input activations",
    "output_activations": "output activations",
}


def preset_text(name: str) -> str | None:
    """Markdown for a preset name (any case, as llm-compressor matches it), or
    None when it names no preset."""
    reg = registry()
    preset = reg.presets.get(name.upper())
    if preset is None:
        return None
    version = reg.versions["compressed-tensors"]
    head = f"**{name.upper()}**: a preset scheme of compressed-tensors {version}"
    if not preset:
        return head + " that quantizes nothing"
    rows = [
        "| | bits | type | strategy | group size | symmetric | dynamic |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for part, label in _PARTS.items():
        args = preset.get(part)
        if not args:
            continue
        rows.append(
            f"| {label} | {args.get('num_bits')} | {args.get('type')} | "
            f"{args.get('strategy')} | {args.get('group_size') or ''} | "
            f"{'yes' if args.get('symmetric') else 'no'} | "
            f"{_said(args.get('dynamic'))} |"
        )
    return head + "\n\n" + "\n".join(rows)


def _said(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
