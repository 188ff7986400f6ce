"""The shipped family tables (model/llm/families.json) build the tree transformers
builds: for each family, configs unlike the generator's samples (sizes, layer
counts, head_dim given or derived, num_key_value_heads left out so the config
class's default applies, tied or untied embeddings) are built by transformers on
the meta device in .venv-llmc and by the tables here, and every module's name,
MRO and parameter shapes, the order and the tie must be equal."""

from __future__ import annotations

import random
import subprocess

from recipe_compiler.model.llm.families import build, table
from tests.conftest import LLMC_PYTHON, ROOT, in_llmc

ORACLE = ROOT / "tests" / "llm" / "meta_oracle.py"


def configs(rng: random.Random, family: dict) -> list[dict]:
    out = []
    for k in range(4):
        heads = rng.choice([2, 3, 4, 6])
        kv = rng.choice([h for h in (1, 2, 3, heads) if heads % h == 0])
        values: dict = {
            "hidden_size": heads * rng.choice([8, 12, 16]),
            "num_attention_heads": heads,
            "intermediate_size": rng.choice([40, 56, 72]),
            "vocab_size": rng.choice([64, 100, 257]),
            "num_hidden_layers": rng.randint(1, 3),
            "pad_token_id": 0,
        }
        if k != 1:  # one config leaves the kv heads to the config class
            values["num_key_value_heads"] = kv
        if k == 2 and family["defaults"]["head_dim"] is not None:
            values["head_dim"] = rng.choice([8, 24])
        if k == 3 or (k == 1 and family["defaults"]["head_dim"] is not None):
            values["head_dim"] = values["hidden_size"] // heads
        if rng.random() < 0.5:
            values["tie_word_embeddings"] = rng.random() < 0.5
        experts = rng.randint(2, 4)  # (one count: the configs alias the two)
        keys = [
            k for k in ("num_local_experts", "num_experts") if k in family["defaults"]
        ]
        if keys:  # some configs give both, others one of them (k=1: the first)
            for key in keys if k % 2 == 0 else keys[k // 2 % len(keys) :][:1]:
                values[key] = experts
        for key in ("moe_intermediate_size", "shared_expert_intermediate_size"):
            if key in family["defaults"] and k != 0:  # (one config: the default)
                values[key] = rng.choice([24, 40])
        out.append(values)
    return out


def test_the_tables_build_transformers_trees(llmc):
    rng = random.Random(36)
    cases = []
    for model_type, family in sorted(table()["families"].items()):
        for values in configs(rng, family):
            cases.append((model_type, family["config"], values))
    answers = in_llmc(ORACLE, [{"config": c, "values": v} for _, c, v in cases])
    trees = answers
    per_family: dict[str, int] = {}
    for (model_type, _, values), theirs in zip(cases, trees, strict=True):
        ours = build("cfg", {"model_type": model_type, **values})
        assert ours.architecture == theirs["class"]
        assert ours.tied == theirs["tied"], (model_type, values)
        mine = [
            [m.name, list(m.mro), {p: list(s) for p, s in m.params}]
            for m in ours.modules
        ]
        assert mine == theirs["modules"], (model_type, values)
        per_family[model_type] = per_family.get(model_type, 0) + 1
    assert min(per_family.values()) >= 3 and len(per_family) == len(table()["families"])


def test_the_tables_are_what_the_generator_writes(llmc):
    done = subprocess.run(
        [
            str(LLMC_PYTHON),
            str(ROOT / "recipe_compiler" / "model" / "llm" / "generate.py"),
            "--print",
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    shipped = (ROOT / "recipe_compiler" / "model" / "llm" / "families.json").read_text()
    assert done.stdout == shipped, "stale: run the generator (its docstring says how)"
