"""Tiny LLM folders for the LLM runner's tests, built in .venv-llmc: reads a JSON
list of {"folder", "config" (a transformers config class), "values"} on stdin;
saves each model with random weights (seeded) and a word-level tokenizer of its
vocabulary ("w0 w1 ..." text tokenizes to ids), as a Hugging Face folder.
Nothing is downloaded."""

from __future__ import annotations

import json
import os
import sys
import warnings

warnings.filterwarnings("ignore")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> None:
    import torch
    import transformers
    from tokenizers import Tokenizer, models, pre_tokenizers

    for case in json.load(sys.stdin):
        torch.manual_seed(0)
        config = getattr(transformers, case["config"])(**case["values"])
        model = transformers.AutoModelForCausalLM.from_config(config)
        model.save_pretrained(case["folder"])
        vocab = {f"w{i}": i for i in range(config.vocab_size)}
        tk = Tokenizer(models.WordLevel(vocab=vocab, unk_token="w1"))
        tk.pre_tokenizer = pre_tokenizers.Whitespace()
        transformers.PreTrainedTokenizerFast(
            tokenizer_object=tk, unk_token="w1", pad_token="w0", eos_token="w2"
        ).save_pretrained(case["folder"])
    print(json.dumps({"ok": True}))


if __name__ == "__main__":
    main()
