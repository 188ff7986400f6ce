"""What an LLM `recipe run` is asked to do: plain data the CLI fills before any
import of torch or llm-compressor."""

from __future__ import annotations

import dataclasses

from ...loader.source import Limits

# oneshot's own defaults are 512 samples of up to 2048 tokens (sized for a GPU);
# these keep a CPU run of a small model in minutes: pass more where it matters
DEFAULT_SAMPLES = 64
DEFAULT_MAX_SEQ_LENGTH = 512
DEFAULT_HELD_OUT = 16


@dataclasses.dataclass(frozen=True)
class LLMRunArgs:
    recipe: str  # the recipe file (llm-compressor's dialect)
    model: str  # a Hugging Face model folder with weights
    out: str  # the run's folder
    dataset: str | None = None  # a .txt or .jsonl file; None: a generated set
    samples: int = DEFAULT_SAMPLES  # calibration sequences
    # tokens a sequence, at most (None: the default, or the model's limit if less)
    max_seq_length: int | None = None
    held_out: int = DEFAULT_HELD_OUT  # sequences kept out of calibration, compared on
    seed: int = 0
    dialect: str | None = None  # None/auto: the recipe must read as llm-compressor's
    limits: Limits | None = None  # the recipe reader's bounds
