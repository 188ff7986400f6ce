"""`--model DIR`: a Hugging Face model folder (or its config.json) read as an LLM.

config.json names the architecture; the module tree comes from the shipped
tables (`families.py`) for the families they cover, else from transformers on
the meta device (`meta.py`) where it is installed. Where the folder holds
safetensors files, their headers (never the tensors) are read and every weight
they name must have the shape the config builds: a config that is not the
checkpoint's is refused. Nothing is downloaded; reads are bounded.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .families import FamilyError, build, known, table
from .tree import LLM

MAX_CONFIG_BYTES = 4 * 2**20
MAX_HEADER_BYTES = 64 * 2**20  # a safetensors header (its JSON), per file
MAX_FILES = 512


class LLMError(ValueError):
    """The folder is no model we can read; the message says what to pass."""


def is_llm_spec(spec: str) -> bool:
    """A folder holding config.json, or a config.json itself."""
    path = Path(spec)
    if path.is_dir():
        return (path / "config.json").is_file()
    return path.name == "config.json" and path.is_file()


def load_llm(spec: str) -> LLM:
    path = Path(spec)
    folder = path if path.is_dir() else path.parent
    config = _config(folder / "config.json")
    model_type = config.get("model_type")
    if not isinstance(model_type, str):
        raise LLMError(f"--model {spec}: config.json names no model_type")
    if known(model_type):
        try:
            llm = build(str(spec), config)
        except FamilyError as exc:
            raise LLMError(f"--model {spec}: {exc}") from None
    else:
        llm = _built(spec, folder, model_type)
    return _confirmed(llm, folder)


def _config(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            data = f.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise LLMError(f"--model {path}: cannot read it ({exc.strerror})") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise LLMError(f"--model {path}: more than {MAX_CONFIG_BYTES:,} bytes")
    try:
        config = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise LLMError(f"--model {path}: not JSON ({exc})") from None
    if not isinstance(config, dict):
        raise LLMError(f"--model {path}: not a JSON object")
    return config


def _built(spec: str, folder: Path, model_type: str) -> LLM:
    families = ", ".join(sorted(table()["families"]))
    try:
        from .meta import meta_tree
    except ImportError:
        raise LLMError(
            f"--model {spec}: model_type {model_type!r} is not in the shipped tables "
            f"({families}); with transformers and torch installed it is built on "
            "the meta device"
        ) from None
    try:
        return meta_tree(spec, folder)
    except Exception as exc:  # transformers' own refusal, in one line
        first = (str(exc).splitlines() or [""])[0][:300]
        raise LLMError(
            f"--model {spec}: transformers cannot build {model_type!r}: "
            f"{type(exc).__name__}: {first}"
        ) from None


def headers(folder: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """(file, header) of each safetensors file: the header is a JSON object of
    tensor name -> {dtype, shape, data_offsets} after its 8-byte length."""
    for n, path in enumerate(sorted(folder.glob("*.safetensors"))):
        if n >= MAX_FILES:
            raise LLMError(f"--model {folder}: more than {MAX_FILES} safetensors files")
        try:
            with path.open("rb") as f:
                head = f.read(8)
                if len(head) < 8:
                    raise LLMError(f"--model {path}: too short for a safetensors file")
                (size,) = struct.unpack("<Q", head)
                if size > MAX_HEADER_BYTES:
                    raise LLMError(
                        f"--model {path}: a header of {size:,} bytes, more than "
                        f"{MAX_HEADER_BYTES:,}"
                    )
                body = f.read(size)
        except OSError as exc:
            raise LLMError(f"--model {path}: cannot read it ({exc.strerror})") from None
        try:
            header = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise LLMError(f"--model {path}: its header is not JSON") from None
        if not isinstance(header, dict):
            raise LLMError(f"--model {path}: its header is not a JSON object")
        yield path.name, header


def _confirmed(llm: LLM, folder: Path) -> LLM:
    """The tree held to the checkpoint's tensor names and shapes."""
    import dataclasses

    expected = {f"{m.name}.{p}": s for m in llm.modules for p, s in m.params}
    found = seen = 0
    for name, header in headers(folder):
        for tensor, info in header.items():
            if tensor == "__metadata__" or not isinstance(info, dict):
                continue
            seen += 1
            if tensor not in expected:
                continue
            shape = tuple(info.get("shape") or ())
            if shape != expected[tensor]:
                raise LLMError(
                    f"--model {folder}: {name} holds {tensor} of shape "
                    f"{list(shape)}, but config.json builds {list(expected[tensor])}: "
                    "is config.json this checkpoint's?"
                )
            found += 1
    if not seen:
        return llm
    said = f"{found} of {seen} tensors in the safetensors confirmed"
    return dataclasses.replace(llm, checked=said)
