"""transformers' own module tree of configs, built on the meta device (a
mixture-of-experts family on the CPU, then linearized by llm-compressor as
oneshot does), in `.venv-llmc` (transformers of llm-compressor 0.14's time).

Reads a JSON list of {"config": ConfigClassName, "values": {...}} on stdin;
prints a JSON list of {"class", "tied", "modules": [[name, mro, {param: shape}]]}
(mro: the torch Module classes of the module's MRO, nearest first)."""

from __future__ import annotations

import json
import logging
import os
import sys
import warnings

warnings.filterwarnings("ignore")
MOE = ("MixtralConfig", "Qwen3MoeConfig", "Qwen2MoeConfig")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def tree(config_class: str, values: dict) -> dict:
    import torch
    import transformers

    config = getattr(transformers, config_class)(**values)
    if config_class in MOE:  # built on the CPU and linearized, as oneshot does
        from llmcompressor.modeling.moe.linearize import linearize_moe

        model = transformers.AutoModelForCausalLM.from_config(config)
        linearize_moe(model)
    else:
        with torch.device("meta"):
            model = transformers.AutoModelForCausalLM.from_config(config)
    modules = [
        [
            name,
            [c.__name__ for c in type(m).__mro__ if issubclass(c, torch.nn.Module)],
            {p: list(t.shape) for p, t in m.named_parameters(recurse=False)},
        ]
        for name, m in model.named_modules()
    ]
    out, inp = model.get_output_embeddings(), model.get_input_embeddings()
    return {
        "class": type(model).__name__,
        "tied": out is not None and out.weight is inp.weight,
        "modules": modules,
    }


def main() -> None:
    answer, sys.stdout = sys.stdout, sys.stderr
    logging.disable(logging.CRITICAL)
    cases = json.load(sys.stdin)
    json.dump([tree(c["config"], c["values"]) for c in cases], answer)


if __name__ == "__main__":
    main()
