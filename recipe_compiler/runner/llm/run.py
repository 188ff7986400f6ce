"""An llm-compressor recipe run, stage by stage (this package's docstring).

OUT holds `INCOMPLETE` from the first write until the report is written: a run
interrupted (Ctrl-C) or failed leaves it, saying in which phase and why, and no
report.json; the compressed checkpoint is written to `OUT/.model.partial` and
renamed to `OUT/model` only once saved whole. The model folder given is only
read: a failed oneshot leaves it as it was.
"""

from __future__ import annotations

import contextlib
import gc
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..._text import error_line
from ...fileio import write_atomic
from ..errors import RunError
from .args import DEFAULT_MAX_SEQ_LENGTH, LLMRunArgs
from .calibration import DatasetError
from .preflight import Preflight

INCOMPLETE = "INCOMPLETE"
LOG = "llmcompressor.log"
MODEL = "model"
PARTIAL = ".model.partial"
PRODUCTS = (
    MODEL,
    PARTIAL,
    "recipe.yaml",
    LOG,
    "report.json",
    "report.md",
    "report.html",
)
PHASES = [
    "import",
    "calibration data",
    "load",
    "oneshot",
    "compare",
    "save",
    "reload",
    "report",
]


def run(pre: Preflight, echo: Callable[[str], None]) -> dict[str, Any]:
    """Run, write OUT's files, return report.json's document. Raises RunError
    (oneshot or a phase failed), DatasetError (the calibration file, tokenized,
    is too short) and lets KeyboardInterrupt through; OUT says which."""
    from .phases import Phases

    args = pre.args
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name in PRODUCTS:
        _remove(out / name)
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    _mark(
        out, f"recipe run started {started}: not finished; report.json is written last"
    )
    recipe_file = out / "recipe.yaml"
    write_atomic(recipe_file, pre.recipe.source.yaml_text or "")
    start = time.perf_counter()
    phases = Phases(PHASES, echo)
    try:
        with contextlib.ExitStack() as stack:
            with phases.phase("import", "torch, transformers, llm-compressor"):
                from .engine import quiet_logs

                stack.enter_context(quiet_logs(str(out / LOG), echo))
            doc = _stages(pre, args, out, str(recipe_file), phases, echo, start)
    except KeyboardInterrupt:
        _abandon(out, f"interrupted (Ctrl-C) during {phases.current or 'start-up'}")
        raise
    except (RunError, DatasetError) as exc:
        _abandon(out, f"failed during {phases.current}: {exc}")
        raise
    except Exception as exc:  # a phase's own failure: said, never a traceback
        said = f"{phases.current or 'start-up'} failed: {error_line(exc)}"
        _abandon(out, said)
        raise RunError(said) from exc
    finally:
        phases.close()
    (out / INCOMPLETE).unlink(missing_ok=True)
    return doc


def _stages(
    pre: Preflight,
    args: LLMRunArgs,
    out: Path,
    recipe_file: str,
    phases: Any,
    echo: Callable[[str], None],
    start: float,
) -> dict[str, Any]:
    from . import engine
    from .calibration import from_texts, generated
    from .closeness import closeness
    from .compare import compare
    from .report import build, write

    folder = Path(args.model)
    length = args.max_seq_length or DEFAULT_MAX_SEQ_LENGTH  # (preflight set it)
    with phases.phase("calibration data"):  # (before the weights: a file too
        # short for one window is said without loading the model)
        import torch
        import transformers

        tokenizer = transformers.AutoTokenizer.from_pretrained(str(folder))
        if pre.texts is not None:
            calibration = from_texts(
                pre.texts, tokenizer, args.samples, args.held_out, length, args.seed
            )
        else:
            config = transformers.AutoConfig.from_pretrained(str(folder))
            calibration = generated(
                config.get_text_config().vocab_size,
                args.samples,
                args.held_out,
                length,
                args.seed,
                tokenizer.all_special_ids,
            )
        echo(f"  calibration: {calibration.description}")
    with phases.phase("load", f"{pre.llm.architecture} from {args.model}"):
        torch.manual_seed(args.seed)
        pinned_off = engine.cpu_fix()
        model = transformers.AutoModelForCausalLM.from_pretrained(
            str(folder), dtype="auto"
        )
        model.eval()
    lines = [w.line for w in _walked(pre).modifiers]
    with phases.phase(
        "oneshot", f"{len(lines)} modifier(s), {len(calibration.calibrate)} samples"
    ):
        watch = engine.Watch(model)
        try:
            engine.oneshot(
                model, tokenizer, calibration.calibrate, recipe_file, length, watch
            )
        except Exception as exc:
            said = engine.blame(exc, model, watch)
            line = (
                lines[said.index]
                if said.index is not None and said.index < len(lines)
                else None
            )
            where = f" (recipe line {line})" if line else ""
            raise RunError(
                f"{said.describe()}{where}; the model folder {args.model} is "
                f"untouched, the log is {out / LOG}"
            ) from None
        done = engine.applied(model, watch)
    with phases.phase(
        "compare",
        f"dense and compressed on {len(calibration.held_out)} held-out sequences",
    ):
        dense = transformers.AutoModelForCausalLM.from_pretrained(
            str(folder), dtype="auto"
        )
        close = closeness(dense.eval(), model, calibration.held_out)
        del dense
        gc.collect()
        probe = calibration.held_out[0]
        with torch.no_grad():
            expected = model(input_ids=torch.tensor([probe])).logits.float()
    with phases.phase("save", f"compressed checkpoint to {out / MODEL}"):
        partial = out / PARTIAL
        model.save_pretrained(str(partial), save_compressed=True)
        tokenizer.save_pretrained(str(partial))
        os.replace(partial, out / MODEL)
        del model
        gc.collect()
    with phases.phase("reload", f"{out / MODEL} read back by transformers"):
        schemed = sum(name in done.zeros for name in done.schemes)
        reloaded = engine.reload(str(out / MODEL), probe, expected, schemed)
    with phases.phase("report", f"{out}/report.json, report.md, report.html"):
        compared = compare(pre.predicted, lines, done)
        doc = build(
            pre,
            args,
            calibration=calibration.to_dict(),
            compared=compared,
            closeness=close,
            checkpoint={
                "path": str(out / MODEL),
                "bytes_before": pre.weight_bytes,
                "bytes_after": _weight_bytes(out / MODEL),
                "quantization_config": _saved_config(out / MODEL),
                "reload": reloaded,
            },
            phases=phases.rows,  # (every phase but this one)
            seconds=time.perf_counter() - start,
            pinned_off=pinned_off,
        )
        write(doc, pre, out)
    return doc


def _walked(pre: Preflight) -> Any:
    from ...dialects.llmcompressor.reader import read

    return read(pre.recipe.root)


def _saved_config(folder: Path) -> Any:
    """config.json's quantization_config, as saved (what vLLM reads)."""
    import json

    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    return config.get("quantization_config")


def _weight_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.glob("*.safetensors"))


def _mark(out: Path, text: str) -> None:
    write_atomic(out / INCOMPLETE, text + "\n")


def _abandon(out: Path, why: str) -> None:
    """OUT after a run that did not finish: no partial checkpoint, no report, an
    INCOMPLETE that says what happened and what to do."""
    _remove(out / PARTIAL)
    for name in ("report.json", "report.md", "report.html"):
        _remove(out / name)
    _mark(
        out,
        f"recipe run did not finish: {why}.\nThis folder holds no finished run; "
        "start again with --overwrite, or into a new -o DIR.",
    )


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()
