"""llm-compressor 0.14's oneshot, run and watched: the one module that knows the
engine's internals (pinned by the `llm` extra; a new llm-compressor is checked
here first).

- `cpu_fix`: on a machine without an accelerator, 0.14's sequential pipeline
  pins its cached intermediates (`IntermediatesCache.pin_memory`), which torch
  refuses there ("Cannot access accelerator device when none is available"):
  AWQ cannot run on a CPU-only machine. Pinning only speeds copies to a device,
  so without one it is made a no-op.
- `Watch`: every modifier's `initialize`, `update_event` and `finalize` (the
  base class's, which the session calls) wrapped while oneshot runs, to record
  which modifier gave each module its quantization scheme (the module's scheme
  object changed during that modifier's call) and which modules a SparseGPT or
  Wanda modifier prunes, and to what (its `_module_sparsities`, filled when
  calibration starts): the engine's own
  account, not an inference from the weights (a 4-bit weight is ~10% zeros
  without any pruning). The modifier whose call an exception escaped is the
  one that failed; outside every call, calibration's forward pass failed, or,
  before any modifier ran, oneshot could not start (recipe, processor, data).
- `blame`: the module an exception escaped from (the innermost frame holding a
  named module with weights) and the modifier, for a message that says which
  layer and modifier failed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import types
from collections.abc import Iterator
from typing import Any

from ..._text import error_line
from .compare import Applied

_WATCHED = ("initialize", "update_event", "finalize")
_SHOWN = ("WARNING", "ERROR", "CRITICAL")  # (not its per-module METRIC lines)


def cpu_fix() -> bool:
    """Make pinning a no-op where there is no accelerator; whether it did."""
    import torch
    from llmcompressor.pipelines.cache import IntermediatesCache

    if torch.accelerator.is_available():
        return False
    IntermediatesCache.pin_memory = lambda self, *args, **kwargs: None
    return True


def _schemes(model: Any) -> dict[str, int]:
    return {
        name: id(scheme)
        for name, module in model.named_modules()
        if (scheme := getattr(module, "quantization_scheme", None)) is not None
    }


class Watch:
    """What each modifier did, by its index in the recipe's order (the order the
    session initializes them in)."""

    def __init__(self, model: Any):
        self.model = model
        self.order: list[Any] = []  # modifier instances, as first seen
        self.given: dict[str, int] = {}  # module -> modifier that set its scheme
        self.pruned: dict[str, tuple[int, float]] = {}  # module -> (modifier, level)
        self.current: int | None = None  # the modifier whose call is running
        # the modifier whose call an exception escaped, with the exception (one
        # caught inside llm-compressor does not name it for a later failure)
        self.raised: tuple[int, BaseException] | None = None
        self.stage = "start"  # "start" (the recipe, processor, data) or "run"
        self._saved: dict[str, Any] = {}

    def index(self, modifier: Any) -> int:
        for i, seen in enumerate(self.order):
            if seen is modifier:
                return i
        self.order.append(modifier)
        return len(self.order) - 1

    def labels(self) -> list[str]:
        return [type(m).__name__ for m in self.order]

    def _wrap(self, original: Any) -> Any:
        watch = self

        def wrapped(modifier: Any, *args: Any, **kwargs: Any) -> Any:
            index = watch.index(modifier)
            watch.current = index
            before = _schemes(watch.model)
            try:
                result = original(modifier, *args, **kwargs)
            except BaseException as exc:
                watch.raised = (index, exc)
                raise
            finally:
                watch.current = None
            for name, ident in _schemes(watch.model).items():
                if before.get(name) != ident:
                    watch.given[name] = index
            levels = getattr(modifier, "_module_sparsities", None)
            if isinstance(levels, dict) and levels:
                # (by the module's own name: the engine's is `<layer>.<relative>`,
                # `<layer>.` for a target layer that is itself the Linear)
                named = {id(m): n for n, m in watch.model.named_modules()}
                for module, level in levels.items():
                    if id(module) in named:
                        watch.pruned[named[id(module)]] = (index, level)
            return result

        return wrapped

    def __enter__(self) -> Watch:
        from llmcompressor.modifiers import Modifier

        for name in _WATCHED:
            self._saved[name] = Modifier.__dict__[name]
            setattr(Modifier, name, self._wrap(self._saved[name]))
        return self

    def __exit__(self, *exc: object) -> None:
        from llmcompressor.modifiers import Modifier

        for name, original in self._saved.items():
            setattr(Modifier, name, original)
        self._saved = {}


@dataclasses.dataclass(frozen=True)
class Blame:
    modifier: str | None  # its class name
    index: int | None  # in the recipe's order
    module: str | None  # the innermost named module with weights
    error: str  # "Type: first line"
    stage: str = "run"  # "start": before any modifier ran (recipe, processor, data)

    def describe(self) -> str:
        if self.stage == "start":
            return f"oneshot could not start: {self.error}"
        where = f" at {self.module}" if self.module else ""
        # outside every modifier's call: the pipeline's forward pass over the
        # calibration data (the modifiers' hooks run inside it)
        who = (
            f" in {self.modifier}"
            if self.modifier
            else " in calibration's forward pass"
        )
        return f"oneshot failed{who}{where}: {self.error}"


def blame(exc: BaseException, model: Any, watch: Watch | None) -> Blame:
    import torch

    names = {id(m): n for n, m in model.named_modules() if n}
    module = None
    tb: types.TracebackType | None = exc.__traceback__
    frames = []
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next

    def weighted(value: Any) -> bool:
        return (
            isinstance(value, torch.nn.Module)
            and id(value) in names
            and isinstance(getattr(value, "weight", None), torch.Tensor)
        )

    for frame in reversed(frames):  # the innermost first
        found: list[list[str]] = []  # (a module, or a batch: GPTQ's come in lists)
        for value in frame.f_locals.values():
            if weighted(value):
                found.append([names[id(value)]])
            elif isinstance(value, list | tuple) and 0 < len(value) <= 64:
                batch = [names[id(v)] for v in value if weighted(v)]
                if batch:
                    found.append(batch)
        if found:
            batch = min(found, key=len)  # the one it was working on
            module = ", ".join(batch[:4]) + (" ..." if len(batch) > 4 else "")
            break
    index = None
    if watch is not None and watch.raised is not None:
        raised, seen = watch.raised
        chain: list[BaseException] = []
        link: BaseException | None = exc
        while link is not None and len(chain) < 16:
            chain.append(link)
            link = link.__cause__ or link.__context__
        if any(e is seen for e in chain):  # (that call's exception, or one it led to)
            index = raised
    label = watch.labels()[index] if watch is not None and index is not None else None
    stage = watch.stage if watch is not None else "run"
    return Blame(label, index, module, error_line(exc), stage)


def _args(args: Any) -> dict[str, Any] | None:
    if args is None:
        return None
    return {
        "num_bits": args.num_bits,
        "type": getattr(args.type, "value", args.type),
        "strategy": getattr(args.strategy, "value", args.strategy),
        "group_size": args.group_size,
        "dynamic": getattr(args.dynamic, "value", args.dynamic),
    }


def applied(model: Any, watch: Watch) -> Applied:
    """What oneshot did to `model`, with what `watch` saw."""
    import torch

    schemes, zeros = {}, {}
    for name, module in model.named_modules():
        scheme = getattr(module, "quantization_scheme", None)
        if scheme is not None:
            schemes[name] = {
                "weights": _args(scheme.weights),
                "input_activations": _args(scheme.input_activations),
            }
        weight = getattr(module, "weight", None)
        if isinstance(module, torch.nn.Linear | torch.nn.Embedding) and isinstance(
            weight, torch.Tensor
        ):
            with torch.no_grad():
                zeros[name] = float((weight == 0).sum()) / max(1, weight.numel())
    pruned = {n: (i, float(level)) for n, (i, level) in watch.pruned.items()}
    return Applied(watch.labels(), schemes, dict(watch.given), pruned, zeros)


@contextlib.contextmanager
def quiet_logs(log_path: str, echo: Any) -> Iterator[None]:
    """llm-compressor's log (loguru) in full to `log_path`; its warnings, each
    once, through `echo` (it repeats "No accelerator available!" per layer)."""
    import logging
    import os
    import warnings

    # llm-compressor sets its sinks up on import (and warns then): quiet first
    os.environ.setdefault("LLM_COMPRESSOR_LOG_LEVEL", "ERROR")
    import llmcompressor  # noqa: F401
    import transformers  # noqa: F401  (with torch: the import phase's cost)
    from loguru import logger

    said: set[str] = set()

    def once(message: Any) -> None:
        record = message.record
        text = record["message"]
        if record["level"].name in _SHOWN and text not in said:
            said.add(text)
            echo(f"  llm-compressor: {text}")

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # (else it warns)
    logging.getLogger("torch.fx._symbolic_trace").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", "Attempting to save a model with offloaded")
    logger.remove()
    ids = [
        logger.add(log_path, level="DEBUG"),
        logger.add(once, level="WARNING", format="{message}"),
    ]
    try:
        yield
    finally:
        for ident in ids:
            with contextlib.suppress(ValueError):  # (a sink already gone)
                logger.remove(ident)


def oneshot(
    model: Any,
    tokenizer: Any,
    calibrate: list[list[int]],
    recipe_path: str,
    max_seq_length: int,
    watch: Watch,
) -> None:
    """The recipe applied to `model` in place, as `llmcompressor.oneshot` does
    (its own class, without its save: the run saves where it decides)."""
    from datasets import Dataset
    from llmcompressor.datasets import get_calibration_dataloader
    from llmcompressor.entrypoints.oneshot import Oneshot

    data = Dataset.from_dict(
        {
            "input_ids": calibrate,
            "attention_mask": [[1] * len(ids) for ids in calibrate],
        }
    )
    shot = Oneshot(
        model=model,
        processor=tokenizer,
        dataset=data,
        recipe=recipe_path,
        num_calibration_samples=len(calibrate),
        shuffle_calibration_samples=False,
        max_seq_length=max_seq_length,
    )
    loader = get_calibration_dataloader(shot.dataset_args, shot.processor)
    with watch:
        watch.stage = "run"
        shot.apply_recipe_modifiers(calibration_dataloader=loader)


def reload(
    folder: str, probe: list[int], expected: Any, schemed: int
) -> dict[str, Any]:
    """The saved checkpoint read back by transformers (its compressed-tensors
    quantizer), as a user loads it: whether it loads, whether its config carries
    the quantization config, how many of the `schemed` modules oneshot quantized
    carry their scheme again (transformers 5 fuses an MoE's experts back into
    one module that runs dequantized, its activations unquantized), and how far
    its logits on `probe` are from the oneshot model's (`expected`). A
    checkpoint transformers cannot read is a finding of the report, not a failed
    run: the checkpoint is saved, and vLLM reads it its own way."""
    import torch
    import transformers
    from transformers.utils import logging as hf_logging

    hf_logging.disable_default_handler()  # (its load report: the error says it)
    try:
        model = transformers.AutoModelForCausalLM.from_pretrained(folder, dtype="auto")
        with torch.no_grad():
            logits = model.eval()(input_ids=torch.tensor([probe])).logits.float()
    except Exception as exc:  # the finding, whatever transformers raised
        return {"ok": False, "error": error_line(exc)}
    finally:
        hf_logging.enable_default_handler()
    config = getattr(model.config, "quantization_config", None)
    again = sum(
        getattr(m, "quantization_scheme", None) is not None
        and isinstance(m, torch.nn.Linear | torch.nn.Embedding)
        for m in model.modules()
    )
    diff = (logits - expected).abs()
    finite = bool(torch.isfinite(diff).all())
    return {
        "ok": True,
        "error": None,
        "quantization_config": config is not None,
        "schemed": schemed,
        "schemed_again": again,
        "max_abs_logit_diff": float(diff.max()) if finite else None,
        "logit_scale": float(expected.abs().max()) if finite else None,
    }
