"""What llm-compressor 0.14's `oneshot` does to tiny models, in .venv-llmc.

Reads a JSON list of {"config": ConfigClassName (or "auto:<model_type>"),
"values": {...}, "recipe": text, "save": bool (optional)};
for each, a model of that config with random weights (seeded) is saved to a
temporary folder and loaded from it (oneshot reads the folder's config), a
word-level tokenizer is built in code, and oneshot runs the recipe on 4 random
samples of 16 tokens. Prints a JSON list of {"ok", "error" ("Type: first line"),
"schemes": {module: {"weights": {num_bits, strategy, group_size} | null,
"input_activations": ... | null}}} (the modules given a scheme, crashed or not),
"zeros": {module: the fraction of its Linear weight that is zero, where over 1%},
"saved": the saved config.json's quantization_config (with "save", else null)}.
Nothing is downloaded.

On a machine without an accelerator, llm-compressor 0.14's AWQ fails smoothing
(`IntermediatesCache.pin_memory`: torch has no pinned-memory allocator without
one, "RuntimeError: Cannot access accelerator device when none is available").
Pinning only speeds copies to a device, so there it is made a no-op: AWQ's
mappings are resolved (and refused) before it, as on a GPU."""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
import warnings

warnings.filterwarnings("ignore")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def _tokenizer(vocab_size: int):
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {f"w{i}": i for i in range(vocab_size)}
    tk = Tokenizer(models.WordLevel(vocab=vocab, unk_token="w1"))
    tk.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(tokenizer_object=tk, unk_token="w1", pad_token="w0")


def _args(args) -> dict | None:
    if args is None:
        return None
    strategy = getattr(args.strategy, "value", args.strategy)
    return {
        "num_bits": args.num_bits,
        "strategy": strategy,
        "group_size": args.group_size,
    }


def run(case: dict, folder: str) -> dict:
    import torch
    import transformers
    from datasets import Dataset
    from llmcompressor import oneshot

    torch.manual_seed(0)
    name = case["config"]
    if name.startswith("auto:"):
        config = transformers.AutoConfig.for_model(name[5:], **case["values"])
    else:
        config = getattr(transformers, name)(**case["values"])
    transformers.AutoModelForCausalLM.from_config(config).save_pretrained(folder)
    model = transformers.AutoModelForCausalLM.from_pretrained(folder)
    ids = torch.randint(0, config.vocab_size, (4, 16))
    data = Dataset.from_dict(
        {"input_ids": ids.tolist(), "attention_mask": torch.ones_like(ids).tolist()}
    )
    recipe = os.path.join(folder, "recipe.yaml")
    with open(recipe, "w", encoding="utf-8") as f:
        f.write(case["recipe"])
    out: dict = {"ok": True, "error": None}
    saved = os.path.join(folder, "saved") if case.get("save") else None
    try:
        oneshot(
            model=model,
            processor=_tokenizer(config.vocab_size),
            dataset=data,
            recipe=recipe,
            num_calibration_samples=4,
            max_seq_length=16,
            output_dir=saved,
        )
    except Exception as exc:  # the verdict, whatever oneshot raised
        first = (str(exc).strip().splitlines() or [""])[0]
        out = {"ok": False, "error": f"{type(exc).__name__}: {first}"}
    zeros = {}
    for name, module in model.named_modules():
        weight = getattr(module, "weight", None)
        if isinstance(module, torch.nn.Linear) and weight is not None:
            fraction = float((weight == 0).float().mean())
            if fraction > 0.01:
                zeros[name] = round(fraction, 3)
    schemes = {}
    for name, module in model.named_modules():
        scheme = getattr(module, "quantization_scheme", None)
        if scheme is not None:
            schemes[name] = {
                "weights": _args(scheme.weights),
                "input_activations": _args(scheme.input_activations),
            }
    written = None
    if saved is not None and os.path.exists(os.path.join(saved, "config.json")):
        with open(os.path.join(saved, "config.json"), encoding="utf-8") as f:
            written = json.load(f).get("quantization_config")
    return {**out, "schemes": schemes, "zeros": zeros, "saved": written}


def main() -> None:
    answer, sys.stdout = sys.stdout, sys.stderr  # oneshot logs and prints
    logging.disable(logging.CRITICAL)
    from loguru import logger

    logger.remove()
    import torch
    from llmcompressor.pipelines.cache import IntermediatesCache

    if not torch.accelerator.is_available():
        IntermediatesCache.pin_memory = lambda self, *args, **kwargs: None
    out = []
    for case in json.load(sys.stdin):
        with tempfile.TemporaryDirectory() as folder:
            out.append(run(case, folder))
    json.dump(out, answer)


if __name__ == "__main__":
    main()
