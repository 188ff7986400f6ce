"""An LLM's module tree built by transformers on the meta device (no weights,
no memory for them), for architectures the shipped tables do not cover; local
files only (`local_files_only`, `trust_remote_code=False`): nothing is
downloaded and no code from the folder runs."""

from __future__ import annotations

import os
from pathlib import Path

import torch  # (an ImportError here: the caller says what to install)
import transformers

from .tree import LLM, LLMModule, dtype_of


def meta_tree(spec: str, folder: Path) -> LLM:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    config = transformers.AutoConfig.from_pretrained(
        str(folder), local_files_only=True, trust_remote_code=False
    )
    with torch.device("meta"):
        model = transformers.AutoModelForCausalLM.from_config(config)
    modules = []
    for name, module in model.named_modules():
        mro = tuple(
            c.__name__ for c in type(module).__mro__ if issubclass(c, torch.nn.Module)
        )
        params = tuple(
            (p, tuple(t.shape)) for p, t in module.named_parameters(recurse=False)
        )
        modules.append(LLMModule(name, mro, params))
    out, inp = model.get_output_embeddings(), model.get_input_embeddings()
    tied = out is not None and inp is not None and out.weight is inp.weight
    return LLM(
        spec,
        str(config.model_type),
        type(model).__name__,
        tuple(modules),
        bool(tied),
        f"transformers {transformers.__version__}",
        dtype=dtype_of(config),
        kv_heads=hasattr(config, "num_key_value_heads"),
    )
