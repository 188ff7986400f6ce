"""Everything an LLM run checks before it loads a weight: the recipe read as
llm-compressor's and linted against the model folder (the `--model` checks of
`recipe lint`), errors refused, and a modifier to apply; the folder holds
weights and a tokenizer (oneshot needs the model's processor); the calibration
file reads; the sequence length fits the model; OUT does not overlap the model;
and what oneshot will do to each module, predicted as `recipe show --model`
does. Pure: no torch, no llm-compressor; a minute of loading and calibrating is
never spent on a recipe the engine would refuse."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from ...loader.recipe import Recipe
from ...problems import Problem, errors
from .args import DEFAULT_MAX_SEQ_LENGTH, LLMRunArgs
from .calibration import DatasetError, Texts, read_texts

WEIGHT_GLOBS = ("*.safetensors", "pytorch_model*.bin")
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "tokenizer.model")


class Refused(ValueError):
    """The run does not start; `lint` tells whether lint errors are why (exit 1)
    or the command's input (exit 2)."""

    def __init__(self, message: str, lint: bool = False):
        super().__init__(message)
        self.lint = lint


@dataclasses.dataclass(frozen=True)
class Preflight:
    args: LLMRunArgs  # as asked, the sequence length resolved
    recipe: Recipe
    llm: Any  # model.llm.tree.LLM
    why: str  # why the recipe reads as llm-compressor's
    problems: list[Problem]  # lint's, with the model (no errors)
    predicted: dict[str, Any] | None  # `recipe show --model --format json`'s doc
    not_predicted: str | None  # why there is no prediction
    texts: Texts | None  # the calibration file, read
    weight_bytes: int  # the model folder's weight files


def preflight(recipe: Recipe, args: LLMRunArgs) -> Preflight:
    from ...dialects.detect import resolve
    from ...dialects.llmcompressor.applied import NotPredicted, applied, sparsified
    from ...dialects.llmcompressor.reader import read
    from ...linter.config import Config
    from ...linter.engine import lint_recipe
    from ...model.llm.folder import LLMError, is_llm_spec, load_llm
    from ...model.llm.match import Unsafe
    from ...views.llm_modules import modules_json

    if recipe.root is None:  # the text is no YAML: lint says where, as any run
        raise Refused(_errors(args, lint_recipe(recipe).problems), lint=True)
    choice = resolve(args.dialect, recipe.root)
    if choice.dialect != "llm-compressor":
        raise Refused(
            f"{recipe.path} reads as {choice.dialect}'s ({choice.why}), not "
            "llm-compressor's: `recipe run --model DIR` runs llm-compressor recipes "
            "(`recipe migrate` writes one from a SparseML recipe)"
        )
    folder = Path(args.model)
    if not folder.is_dir() or not is_llm_spec(str(folder)):
        raise Refused(
            f"--model {args.model}: not a Hugging Face model folder (a folder "
            "holding config.json and the weights)"
        )
    out = Path(args.out).resolve()
    model = folder.resolve()
    if out == model or model in out.parents or out in model.parents:
        raise Refused(
            f"-o {args.out} and --model {args.model} overlap: the run writes and "
            "clears OUT, and only reads the model folder; give an OUT outside it"
        )
    try:
        llm = load_llm(str(folder))
    except LLMError as exc:
        raise Refused(str(exc)) from None
    weights = _weights(folder)
    if not weights:
        raise Refused(
            f"--model {args.model}: holds a config.json but no weights "
            "(*.safetensors or pytorch_model*.bin): oneshot needs the checkpoint "
            "(`recipe lint --model` and `recipe show --model` read a config alone)"
        )
    problems = lint_recipe(recipe, Config(dialect="llm-compressor"), network=llm)
    if errors(problems.problems):
        raise Refused(_errors(args, problems.problems), lint=True)
    walked = read(recipe.root)
    if not walked.modifiers:
        raise Refused(
            f"{recipe.path}: llm-compressor reads no modifier from it (`recipe show "
            f"{recipe.path}` lists what it reads): oneshot would have nothing to "
            "apply; nothing was loaded",
            lint=True,
        )
    longest = _longest(folder)
    if args.max_seq_length is None:
        length = min(DEFAULT_MAX_SEQ_LENGTH, longest or DEFAULT_MAX_SEQ_LENGTH)
        args = dataclasses.replace(args, max_seq_length=length)
    elif longest is not None and args.max_seq_length > longest:
        raise Refused(
            f"--max-seq-length {args.max_seq_length}: longer than the model's "
            f"max_position_embeddings ({longest}); pass {longest} or less"
        )
    if not any((folder / name).is_file() for name in TOKENIZER_FILES):
        raise Refused(
            f"--model {args.model}: holds no tokenizer ({', '.join(TOKENIZER_FILES)}):"
            " oneshot needs the model's processor; save the tokenizer into the "
            "folder (`AutoTokenizer.from_pretrained(...).save_pretrained(DIR)`)"
        )
    texts = None
    if args.dataset is not None:
        try:
            texts = read_texts(args.dataset)
        except DatasetError as exc:
            raise Refused(str(exc)) from None
    predicted, why_not = None, None
    try:
        predicted = modules_json(
            llm,
            applied(walked.modifiers, llm),
            llm.dtype,
            sparsified(walked.modifiers, llm),
        )
    except (NotPredicted, Unsafe) as exc:
        why_not = str(exc)
    return Preflight(
        args,
        recipe,
        llm,
        choice.why,
        problems.problems,
        predicted,
        why_not,
        texts,
        sum(p.stat().st_size for p in weights),
    )


def _longest(folder: Path) -> int | None:
    """config.json's max_position_embeddings (its text config's, for a model
    with one); the folder's config was read (and bounded) by load_llm."""
    import json

    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    for scope in (config, config.get("text_config") or {}):
        value = (
            scope.get("max_position_embeddings") if isinstance(scope, dict) else None
        )
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def _weights(folder: Path) -> list[Path]:
    """The checkpoint's files, as transformers picks them: safetensors where
    there are any, else the pickled ones."""
    for pattern in WEIGHT_GLOBS:
        found = sorted(folder.glob(pattern))
        if found:
            return found
    return []


def _errors(args: LLMRunArgs, problems: list[Problem]) -> str:
    found = errors(problems)
    listed = "".join("\n" + p.described("  ") for p in found)
    return (
        f"{len(found)} error{'s' * (len(found) != 1)} by `recipe lint --model "
        f"{args.model}` (llm-compressor's oneshot would fail on "
        f"{'them' if len(found) > 1 else 'it'}); nothing was loaded:{listed}"
    )
