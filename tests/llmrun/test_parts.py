"""The LLM runner's pure stages, in the main environment (no torch, no
llm-compressor): the comparison of what oneshot did with the prediction, the
calibration file's reading and splitting, and the preflight's refusals."""

from __future__ import annotations

import shutil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recipe_compiler.loader.recipe import load
from recipe_compiler.runner.llm.args import LLMRunArgs
from recipe_compiler.runner.llm.calibration import (
    DatasetError,
    from_texts,
    generated,
    read_texts,
)
from recipe_compiler.runner.llm.compare import Applied, compare
from recipe_compiler.runner.llm.preflight import Refused, preflight
from tests.llmrun.cases import RECIPES


def _row(name, modifier=None, bits=None, strategy=None, group=None, sparsity=None):
    return {
        "name": name,
        "modifier": modifier,
        "modifier_line": 3 if modifier else None,
        "weight_bits": bits,
        "strategy": strategy,
        "group_size": group,
        "input_bits": None,
        "input_strategy": None,
        "input_group_size": None,
        "sparsity": sparsity,
        "pruned_by": "SparseGPTModifier" if sparsity is not None else None,
    }


W4 = {"num_bits": 4, "type": "int", "strategy": "group", "group_size": 32}


def _compare(predicted_rows, schemes, given_, pruned, zeros):
    done = Applied(
        ["GPTQModifier", "SparseGPTModifier"], schemes, given_, pruned, zeros
    )
    return compare({"modules": predicted_rows}, [3, 9], done)


def test_what_oneshot_did_as_predicted_agrees():
    done = _compare(
        [_row("a", "GPTQModifier", 4, "group", 32), _row("b")],
        {"a": {"weights": W4, "input_activations": None}},
        {"a": 0},
        {},
        {"a": 0.1, "b": 0.0},
    )
    assert done.findings == [] and all(r["agrees"] for r in done.rows)
    assert done.per_modifier[0] == {
        "modifier": "GPTQModifier", "line": 3, "schemed": ["a"], "pruned": [],
    }  # fmt: skip


def test_every_difference_is_a_finding():
    done = _compare(
        [
            _row("missing", "GPTQModifier", 4, "group", 32),
            _row("bits", "GPTQModifier", 8, "group", 32),
            _row("extra"),
            _row("level", sparsity=0.7),
            _row("thin", sparsity=0.5),
            _row("unpruned", sparsity=0.5),
        ],
        {
            "bits": {"weights": W4, "input_activations": None},
            "extra": {"weights": W4, "input_activations": None},
        },
        {"bits": 0, "extra": 0},
        {"level": (1, 0.5), "thin": (1, 0.5)},
        {"missing": 0, "bits": 0, "extra": 0, "level": 0.5, "thin": 0.2, "unpruned": 0},
    )
    assert done.findings == [
        "missing: predicted a scheme from GPTQModifier, oneshot gave none",
        "bits: predicted weight_bits 8, oneshot gave 4",
        "extra: predicted a scheme from no modifier, oneshot gave one from "
        "GPTQModifier",
        "level: predicted sparsity 0.7, oneshot pruned it to 0.5",
        "thin: pruned to 0.5, but only 0.200 of its weight is zero",
        "unpruned: predicted pruning by SparseGPTModifier, oneshot pruned it by none",
    ]
    assert [r["agrees"] for r in done.rows] == [False] * 6


def test_without_a_prediction_nothing_is_compared():
    done = compare(None, [3], Applied(["GPTQModifier"], {}, {}, {}, {"a": 0.0}))
    assert done.findings == [] and done.rows[0]["predicted"] is None


class Words:
    """A tokenizer of `w<id>` words, as the tiny models' word-level one."""

    def __call__(
        self, text, add_special_tokens=True, truncation=False, max_length=None
    ):
        ids = [int(w[1:]) for w in text.split()]
        return {"input_ids": ids[:max_length] if truncation else ids}


def test_a_text_file_is_cut_into_windows_held_out_apart(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text(" ".join(f"w{i}" for i in range(1000)))
    texts = read_texts(str(path))
    cal = from_texts(texts, Words(), samples=10, held_out=3, max_seq_length=64, seed=1)
    assert len(cal.calibrate) == 10 and len(cal.held_out) == 3
    windows = [tuple(w) for w in cal.calibrate + cal.held_out]
    assert len(set(windows)) == 13  # disjoint
    assert all(len(w) == 64 for w in windows)
    assert from_texts(texts, Words(), 10, 3, 64, 1) == cal  # seeded
    assert "10 windows of 64 tokens" in cal.description


def test_a_long_corpus_is_read_as_far_as_the_windows_need(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text(" ".join(f"w{i % 250}" for i in range(200_000)))
    cal = from_texts(read_texts(str(path)), Words(), 4, 2, 16, seed=0)
    assert "(its first 3,072 characters)" in cal.description
    assert len(cal.calibrate) == 4 and len(cal.held_out) == 2


@pytest.mark.parametrize(
    ("name", "body", "said"),
    [
        ("c.csv", b"a,b", "a .txt file"),
        ("c.jsonl", b'{"text": "w1"}\n{"text": 3}\n', 'c.jsonl:2: no "text" string'),
        ("c.jsonl", b'{"text": "w1"}\n{"text": \n', "c.jsonl:2:10: not JSON"),
        ("c.txt", b"ok\n\xff\n", "c.txt:2: not UTF-8"),
        ("c.txt", b"  \n", "holds no text"),
    ],
)
def test_a_bad_file_is_refused_at_its_line(tmp_path, name, body, said):
    path = tmp_path / name
    path.write_bytes(body)
    with pytest.raises(DatasetError) as exc:
        read_texts(str(path))
    assert said in str(exc.value)


def test_too_little_text_is_refused(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text('{"text": "w1 w2"}\n')
    with pytest.raises(DatasetError, match="at least 2 are needed"):
        from_texts(read_texts(str(path)), Words(), 4, 2, 16, 0)


@settings(max_examples=50, deadline=None)
@given(
    vocab=st.integers(8, 300),
    samples=st.integers(1, 12),
    held=st.integers(1, 5),
    length=st.integers(1, 40),
    seed=st.integers(0, 2**16),
    special=st.lists(st.integers(0, 7), max_size=4),
)
def test_a_generated_set_is_seeded_and_avoids_special_tokens(
    vocab, samples, held, length, seed, special
):
    cal = generated(vocab, samples, held, length, seed, special)
    assert len(cal.calibrate) == samples and len(cal.held_out) == held
    ids = {i for seq in cal.calibrate + cal.held_out for i in seq}
    assert all(len(s) == length for s in cal.calibrate + cal.held_out)
    assert ids <= set(range(vocab)) - set(special)
    assert generated(vocab, samples, held, length, seed, special) == cal
    assert cal.source == "generated" and "random token ids" in cal.description


def _args(tmp_path, model, **kw):
    return LLMRunArgs(recipe="r.yaml", model=str(model), out=str(tmp_path / "o"), **kw)


def _recipe(tmp_path, text):
    path = tmp_path / "r.yaml"
    path.write_text(text)
    return load(str(path))


def test_preflight_predicts_and_resolves_the_length(models, tmp_path):
    pre = preflight(
        _recipe(tmp_path, RECIPES["fp8-dynamic"]), _args(tmp_path, models["llama"])
    )
    assert pre.args.max_seq_length == 256  # the model's max_position_embeddings
    assert pre.predicted is not None and pre.weight_bytes > 0
    assert sum(r["modifier"] is not None for r in pre.predicted["modules"]) == 14


@pytest.mark.parametrize(
    ("case", "said", "lint"),
    [
        ("weights", "holds a config.json but no weights", False),
        ("length", "--max-seq-length 300: longer than the model's", False),
        ("tokenizer", "holds no tokenizer", False),
        ("dialect", "not llm-compressor's", False),
        ("error", "RC752", True),
    ],
)
def test_preflight_refuses_before_anything_loads(models, tmp_path, case, said, lint):
    folder = tmp_path / "m"
    folder.mkdir()
    shutil.copy(models["llama"] / "config.json", folder)
    if case != "weights":
        shutil.copy(models["llama"] / "model.safetensors", folder)
    text = RECIPES["gptq-w4a16-g32"]
    kw: dict = {}
    if case == "length":
        kw["max_seq_length"] = 300
    if case == "tokenizer":
        data = tmp_path / "d.txt"
        data.write_text("w3 w4")
        kw["dataset"] = str(data)
    if case == "dialect":
        text = "modifiers:\n  - !EpochRangeModifier\n    end_epoch: 1\n"
    if case == "error":
        text = text.replace("group_size: 32", "group_size: 128")
    with pytest.raises(Refused) as exc:
        preflight(_recipe(tmp_path, text), _args(tmp_path, folder, **kw))
    assert said in str(exc.value) and exc.value.lint is lint


@pytest.mark.parametrize("out", [".", "inside", ".."])
def test_an_out_that_overlaps_the_model_folder_is_refused(models, tmp_path, out):
    folder = tmp_path / "m"
    shutil.copytree(models["llama"], folder)
    args = LLMRunArgs(recipe="r.yaml", model=str(folder), out=str(folder / out))
    with pytest.raises(Refused, match="overlap"):
        preflight(_recipe(tmp_path, RECIPES["fp8-dynamic"]), args)
