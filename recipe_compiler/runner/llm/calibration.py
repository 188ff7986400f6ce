"""The calibration set and the held-out set, as token ids.

From `--dataset FILE`: a `.txt` file is one text (a corpus), tokenized once
without special tokens and cut into windows of `max_seq_length` tokens (as
llm-compressor's examples concatenate one); a `.jsonl` file is one sample a
line, each an object with a "text" string (or a JSON string), tokenized as a
document (special tokens as the tokenizer adds them) and truncated to
`max_seq_length`. The samples are shuffled with the seed; the first `held_out`
(at most a fifth of them, so that most calibrate) are kept out of calibration
for the comparison of the dense and the compressed model, the next `samples`
calibrate. Without a file: `samples` + `held_out` sequences of
`max_seq_length` token ids drawn uniformly from the vocabulary (special tokens
left out) with the seed: enough to exercise every modifier, no substitute for
text of the task (the run says which it used).

`read_texts` runs in the preflight, before any weight is loaded: a file that
cannot be used is refused at its line. Reads are bounded.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

MAX_DATASET_BYTES = 512 * 2**20
SUFFIXES = (".txt", ".jsonl")


class DatasetError(ValueError):
    """The file cannot calibrate; the message names it (and the line) and says
    what to pass."""


@dataclasses.dataclass(frozen=True)
class Texts:
    path: str
    kind: str  # "text" (one text, cut into windows) or "jsonl" (one a line)
    items: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Calibration:
    calibrate: list[list[int]]
    held_out: list[list[int]]
    source: str  # "file" or "generated"
    description: str  # what the run prints and reports

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "description": self.description,
            "samples": len(self.calibrate),
            "held_out": len(self.held_out),
            "calibration_tokens": sum(map(len, self.calibrate)),
            "held_out_tokens": sum(map(len, self.held_out)),
        }


def read_texts(path: str) -> Texts:
    """The file's texts, or a DatasetError naming what is wrong and where."""
    p = Path(path)
    if p.suffix not in SUFFIXES:
        raise DatasetError(
            f"--dataset {path}: a .txt file (one text) or a .jsonl file (one "
            'object with a "text" string a line)'
        )
    try:
        size = p.stat().st_size
        if size > MAX_DATASET_BYTES:
            raise DatasetError(
                f"--dataset {path}: {size} bytes, more than the "
                f"{MAX_DATASET_BYTES >> 20} MiB read; a calibration set needs a few "
                "hundred samples: pass a sample of it"
            )
        raw = p.read_bytes()
    except OSError as exc:
        raise DatasetError(f"--dataset {path}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DatasetError(f"{path}:{line}: not UTF-8 text") from None
    if p.suffix == ".txt":
        items: tuple[str, ...] = (text,) if text.strip() else ()
        kind = "text"
    else:
        items = tuple(_jsonl(path, text))
        kind = "jsonl"
    if not items:
        raise DatasetError(f"--dataset {path}: holds no text")
    return Texts(path, kind, items)


def _jsonl(path: str, text: str) -> list[str]:
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DatasetError(
                f"{path}:{number}:{exc.colno}: not JSON ({exc.msg}); a .jsonl file "
                'holds one object with a "text" string a line'
            ) from None
        if isinstance(value, dict):
            value = value.get("text")
        if not isinstance(value, str):
            raise DatasetError(
                f'{path}:{number}: no "text" string; a .jsonl file holds one object '
                'with a "text" string (or a JSON string) a line'
            )
        if value.strip():
            out.append(value)
    return out


def from_texts(
    texts: Texts,
    tokenizer: Any,
    samples: int,
    held_out: int,
    max_seq_length: int,
    seed: int,
) -> Calibration:
    """Token ids of the file's texts, split as the module docstring says."""
    import numpy as np

    read = ""
    if texts.kind == "text":
        text = texts.items[0]
        # (four times the windows asked for, at a generous 8 characters a token:
        # a 500 MB corpus is not tokenized whole for 64 samples)
        keep = 4 * (samples + held_out) * max_seq_length * 8
        if len(text) > keep:
            text, read = text[:keep], f" (its first {keep:,} characters)"
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        pieces = [
            ids[i : i + max_seq_length] for i in range(0, len(ids), max_seq_length)
        ]
        pieces = [p for p in pieces if len(p) >= min(16, max_seq_length)]
        unit = f"windows of {max_seq_length} tokens"
    else:
        pieces = [
            tokenizer(t, truncation=True, max_length=max_seq_length)["input_ids"]
            for t in texts.items
        ]
        pieces = [p for p in pieces if p]
        unit = "lines"
    if len(pieces) < 2:
        raise DatasetError(
            f"--dataset {texts.path}: {len(pieces)} {unit}: at least 2 are needed "
            "(one to calibrate on, one held out); give more text or a smaller "
            "--max-seq-length"
        )
    order = np.random.default_rng(seed).permutation(len(pieces))
    kept = min(held_out, max(1, len(pieces) // 5))
    chosen = [pieces[i] for i in order]
    calibrate, held = chosen[kept : kept + samples], chosen[:kept]
    return Calibration(
        calibrate,
        held,
        "file",
        f"{len(calibrate)} {unit} of {texts.path}{read} (of {len(pieces)}; "
        f"{len(held)} more held out, seed {seed})",
    )


def generated(
    vocab_size: int,
    samples: int,
    held_out: int,
    max_seq_length: int,
    seed: int,
    special: Sequence[int] = (),
) -> Calibration:
    """Seeded uniform token ids, special tokens left out."""
    import numpy as np

    allowed = np.setdiff1d(np.arange(vocab_size), np.asarray(special, dtype=int))
    if allowed.size == 0:
        raise DatasetError("the vocabulary holds only special tokens")

    def draw(n: int, salt: int) -> list[list[int]]:
        rng = np.random.default_rng([seed, salt])
        return rng.choice(allowed, size=(n, max_seq_length)).tolist()

    calibrate, held = draw(samples, 0), draw(held_out, 1)
    return Calibration(
        calibrate,
        held,
        "generated",
        f"{samples} generated sequences of {max_seq_length} random token ids "
        f"(seed {seed}; {len(held)} more held out): no text was given, so "
        "calibration saw no real activations; pass --dataset FILE (.txt or .jsonl) "
        "for a calibration worth deploying",
    )
