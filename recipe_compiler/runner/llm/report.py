"""What an LLM run reports: `report.json` (the document `build` returns, laid out
in docs/runner.md), `report.md` for people, `report.html`: the preview page's
heat maps of what oneshot did to each decoder layer, with the run's figures
above them."""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path
from typing import Any

from ...fileio import write_atomic
from .args import LLMRunArgs
from .compare import Compared
from .preflight import Preflight

_PACKAGES = ("torch", "transformers", "llmcompressor", "compressed-tensors")


def build(
    pre: Preflight,
    args: LLMRunArgs,
    *,
    calibration: dict[str, Any],
    compared: Compared,
    closeness: dict[str, Any],
    checkpoint: dict[str, Any],
    phases: list[dict[str, Any]],
    seconds: float,
    pinned_off: bool,
) -> dict[str, Any]:
    from ...hardware.cpu import detect

    cpu = detect()
    before, after = checkpoint["bytes_before"], checkpoint["bytes_after"]
    predicted = pre.predicted
    return {
        "recipe": args.recipe,
        "dialect": "llm-compressor",
        "read_as": pre.why,
        "model": {
            "path": args.model,
            "architecture": pre.llm.architecture,
            "model_type": pre.llm.model_type,
            "parameters": pre.llm.weights,
            "dtype": pre.llm.dtype,
        },
        "calibration": {
            **calibration,
            "max_seq_length": args.max_seq_length,
            "seed": args.seed,
        },
        "modifiers": [
            {
                **m,
                "schemed_count": len(m["schemed"]),
                "pruned_count": len(m["pruned"]),
            }
            for m in compared.per_modifier
        ],
        "prediction": {
            "computed": predicted is not None,
            "why_not": pre.not_predicted,
            "agrees": predicted is not None and not compared.findings,
            "findings": compared.findings,
            "weights_bytes": predicted["weights_bytes"] if predicted else None,
        },
        "modules": compared.rows,
        "checkpoint": {
            **checkpoint,
            "ratio": before / after if after else None,
        },
        "closeness": closeness,
        "lint": [p.to_dict() for p in pre.problems],
        "phases": phases,
        "seconds": round(seconds, 3),
        "machine": {
            "cpu": cpu.to_dict(),
            "described": cpu.describe(),
            "accelerator": not pinned_off,
            "packages": {name: _version(name) for name in _PACKAGES},
        },
    }


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _num(v: float | None, fmt: str = ".4g") -> str:
    return "n/a" if v is None else format(v, fmt)


def closeness_text(close: dict[str, Any]) -> str:
    said = (
        f"on {close['tokens']} held-out tokens: mean KL(dense || compressed) "
        f"{_num(close['kl_mean'])}, top-1 agreement "
        f"{_num(close['top1_agreement'], '.4f')}"
    )
    if close["non_finite_positions"]:
        said += (
            f" ({close['non_finite_positions']} positions left out: a model's logits "
            "there are not finite)"
        )
    return said


def sparse_note(doc: dict[str, Any]) -> str | None:
    """A pruned model's checkpoint is saved dense by llm-compressor 0.14
    (compressed-tensors 0.19 dropped its sparse formats): its zeros take the
    space of weights and no config tells a serving engine they are there."""
    pruned = sum(m["pruned_count"] for m in doc["modifiers"])
    config = doc["checkpoint"]["quantization_config"] or {}
    if pruned and not config.get("sparsity_config"):
        return (
            f"{pruned} pruned module(s) saved dense, with no sparsity_config: "
            "llm-compressor 0.14 no longer writes sparse formats, so the zeros take "
            "as much space as weights and a serving engine is not told about them"
        )
    return None


def _mib(n: int | None) -> str:
    return "n/a" if n is None else f"{n / 2**20:,.2f} MiB"


def reload_text(reload: dict[str, Any]) -> str:
    """Whether the checkpoint reads back, in words."""
    if not reload["ok"]:
        return f"transformers cannot read it back ({reload['error']})"
    if reload["max_abs_logit_diff"] is None:
        return "transformers reads it back; its logits are not finite"
    carries = "" if reload["quantization_config"] else ", without a quantization config"
    lost = reload["schemed"] - reload["schemed_again"]
    dequantized = (
        f"; {lost} of its {reload['schemed']} quantized modules come back without "
        "their scheme (fused MoE experts run dequantized, activations unquantized)"
        if lost > 0
        else ""
    )
    return (
        f"transformers reads it back{carries}: logits within "
        f"{reload['max_abs_logit_diff']:.3g} of oneshot's model (of "
        f"{reload['logit_scale']:.3g}){dequantized}"
    )


def summary(doc: dict[str, Any]) -> str:
    """The lines `recipe run` ends with."""
    ck, close, pred = doc["checkpoint"], doc["closeness"], doc["prediction"]
    verdict = (
        "as `recipe show --model` predicted"
        if pred["agrees"]
        else f"{len(pred['findings'])} difference(s) from the prediction (report.md)"
        if pred["computed"]
        else f"no prediction ({pred['why_not']})"
    )
    return (
        f"oneshot changed {sum(m['schemed_count'] for m in doc['modifiers'])} module "
        f"scheme(s), pruned {sum(m['pruned_count'] for m in doc['modifiers'])}: "
        f"{verdict}\ncheckpoint {_mib(ck['bytes_before'])} -> "
        f"{_mib(ck['bytes_after'])} "
        f"in {ck['path']}; {reload_text(ck['reload'])}\n{closeness_text(close)}"
        + (f"\nnote: {note}" if (note := sparse_note(doc)) else "")
    )


def markdown(doc: dict[str, Any]) -> str:
    ck, close, pred, cal = (
        doc["checkpoint"],
        doc["closeness"],
        doc["prediction"],
        doc["calibration"],
    )
    model = doc["model"]
    lines = [
        f"# recipe run: {Path(doc['recipe']).name} on {model['architecture']}",
        "",
        f"- model: `{model['path']}` ({model['model_type']}, "
        f"{model['parameters']:,} parameters, {model['dtype']})",
        f"- calibration: {cal['description']}",
        f"- checkpoint: `{ck['path']}`, {_mib(ck['bytes_before'])} -> "
        f"{_mib(ck['bytes_after'])}"
        + (f" ({ck['ratio']:.2f}x smaller)" if ck["ratio"] else "")
        + (
            f"; predicted weights {_mib(pred['weights_bytes']['after'])}"
            if pred["weights_bytes"]
            else ""
        ),
        f"- read back: {reload_text(ck['reload'])}",
        f"- closeness {closeness_text(close)} ({close['sequences']} sequences)",
        *([f"- note: {note}"] if (note := sparse_note(doc)) else []),
        f"- {doc['seconds']:.1f} s on {doc['machine']['described']}",
        "",
        "## What each modifier did",
        "",
        "| modifier | line | modules given a scheme | modules pruned |",
        "|---|---:|---:|---:|",
        *(
            f"| {m['modifier']} | {m['line'] or ''} | {m['schemed_count']} | "
            f"{m['pruned_count']} |"
            for m in doc["modifiers"]
        ),
        "",
        "## Against the prediction (`recipe show --model`)",
        "",
    ]
    if not pred["computed"]:
        lines.append(f"Not computed: {pred['why_not']}.")
    elif pred["agrees"]:
        lines.append(
            f"Every one of the {len(doc['modules'])} Linear/Embedding modules got "
            "the scheme and sparsity predicted."
        )
    else:
        lines += [f"- {f}" for f in pred["findings"]]
    lines += [
        "",
        "## Phases",
        "",
        "| phase | seconds | peak memory |",
        "|---|---:|---:|",
        *(
            f"| {p['phase']} | {p['seconds']:.2f} | {_mib(p['peak_rss_bytes'])} |"
            for p in doc["phases"]
        ),
        "",
        "Modules, module by module, predicted and observed: report.json; the heat "
        "maps: report.html.",
        "",
    ]
    return "\n".join(lines)


def _observed_doc(doc: dict[str, Any]) -> dict[str, Any]:
    """The rows `views.llm_preview.figures` draws, from what oneshot did."""
    rows = []
    for r in doc["modules"]:
        o = r["observed"]
        scheme = None
        if o["modifier"] is not None:
            scheme = f"W{o['weight_bits'] or 16}A{o['input_bits'] or 16}"
        rows.append({**o, "name": r["name"], "scheme": scheme})
    return {"modules": rows}


def html(doc: dict[str, Any], pre: Preflight) -> str:
    from ...views.llm_preview import figures
    from ...views.preview import page, staged_card

    card = staged_card(
        pre.recipe.path,
        pre.recipe.source.text,
        f"read as llm-compressor's ({pre.why}); run by oneshot on "
        f"{doc['model']['architecture']} from {doc['model']['path']}",
        pre.problems,
    )
    return page(
        f"recipe run: {Path(doc['recipe']).name}",
        [card],
        figures(_observed_doc(doc)),
        llm_run=doc,
    )


def write(doc: dict[str, Any], pre: Preflight, out: Path) -> None:
    write_atomic(out / "report.md", markdown(doc))
    write_atomic(out / "report.html", html(doc, pre))
    write_atomic(out / "report.json", json.dumps(doc, indent=1) + "\n")  # last
