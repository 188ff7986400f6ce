"""A rehearsal model: the weights for a model folder that holds only a
config.json, random (seeded), and a word-level tokenizer of its vocabulary
(`w0 w1 ...`), so that `recipe run` can take a recipe through oneshot on a
small model of the real architecture in seconds, offline.

    python -m recipe_compiler.runner.llm.tiny DIR [--seed N]

Write a config.json of the architecture with small sizes (the real one's
model_type, a few layers, a narrow hidden size) into DIR first; `recipe lint
--model DIR` reads it alone. Runs where transformers is installed (the `llm`
extra); DIR's config is read, and rewritten by transformers with its defaults
filled in (its dtype kept); weights already there are never replaced."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..._text import error_line
from .preflight import WEIGHT_GLOBS


def build(folder: Path, seed: int = 0) -> int:
    """Weights and tokenizer into `folder`; the number of parameters."""
    import torch
    import transformers
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # (one shard of a tiny model)
    torch.manual_seed(seed)
    config = transformers.AutoConfig.from_pretrained(str(folder))
    dtype = getattr(config, "dtype", None) or torch.float32  # (the config's kept)
    model = transformers.AutoModelForCausalLM.from_config(config, dtype=dtype)
    model.save_pretrained(str(folder))
    size = config.get_text_config().vocab_size
    vocab = {f"w{i}": i for i in range(size)}
    words = Tokenizer(models.WordLevel(vocab=vocab, unk_token="w1"))
    words.pre_tokenizer = pre_tokenizers.Whitespace()
    transformers.PreTrainedTokenizerFast(
        tokenizer_object=words, unk_token="w1", pad_token="w0", eos_token="w2"
    ).save_pretrained(str(folder))
    return sum(p.numel() for p in model.parameters())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m recipe_compiler.runner.llm.tiny", description=__doc__
    )
    parser.add_argument("folder", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    config = args.folder / "config.json"
    if not config.is_file():
        print(f"tiny: {config}: no such file; write the architecture's config.json "
              "(small sizes) there first", file=sys.stderr)  # fmt: skip
        return 2
    if any(p for g in WEIGHT_GLOBS for p in args.folder.glob(g)):
        print(f"tiny: {args.folder} already holds weights; nothing written",
              file=sys.stderr)  # fmt: skip
        return 2
    try:
        count = build(args.folder, args.seed)
    except ImportError as exc:
        print(f"tiny: needs transformers ({exc}): pip install "
              "'recipe-compiler[llm]'", file=sys.stderr)  # fmt: skip
        return 2
    except Exception as exc:  # a config transformers refuses, however it says so
        print(f"tiny: {config}: {error_line(exc)}", file=sys.stderr)
        return 2
    print(f"{args.folder}: {count:,} random weights (seed {args.seed}) and a "
          "word-level tokenizer (w0 w1 ...)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
