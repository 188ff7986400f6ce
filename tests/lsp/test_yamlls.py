"""The JSON Schema in the real YAML language server (yaml-language-server, npm).

The server is installed once into .cache/ by `npm install` (pinned) and started
over stdio with the settings docs/editors.md gives: the schema associated with
recipe files, and `yaml.customTags` from `recipe schema --custom-tags`.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from recipe_compiler.linter import config
from recipe_compiler.linter.discovery import discover
from recipe_compiler.loader import source
from recipe_compiler.modifiers import all_models
from recipe_compiler.modifiers.schema import custom_tags
from tests.conftest import CORPUS, ROOT, lint_text
from tests.lspclient import Client

VERSION = "1.25.0"
HOME = ROOT / ".cache" / "yaml-language-server"
SCHEMA = ROOT / "schemas" / "recipe.schema.json"


@pytest.fixture(scope="module")
def yamlls(tmp_path_factory):
    """A running yaml-language-server with the recipe schema; npm installs it
    the first time (a failure, never a skip, where npm is missing)."""
    binary = (
        HOME / "node_modules" / "yaml-language-server" / "bin" / "yaml-language-server"
    )
    if not binary.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("the YAML language server test needs node and npm")
        subprocess.run(
            [
                npm,
                "install",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(HOME),
                f"yaml-language-server@{VERSION}",
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
    root = tmp_path_factory.mktemp("yamlls")
    settings = {
        "yaml": {
            "validate": True,
            "completion": True,
            "hover": True,
            "schemaStore": {"enable": False},
            "schemas": {SCHEMA.as_uri(): ["*.yaml"]},
            "customTags": custom_tags(),
        }
    }
    client = Client(["node", str(binary), "--stdio"], cwd=root, settings=settings)
    client.initialize(root)
    client.notify("workspace/didChangeConfiguration", {"settings": settings})
    yield client, root
    assert client.close() == 0


def _open(yamlls, name: str, text: str):
    client, root = yamlls
    uri = (root / name).as_uri()
    client.open(uri, text)
    return uri, client.diagnostics(uri, timeout=60)


GMP = """\
modifiers:
  - !GMPruningModifier
    init_sparsity: 0.05
    final_sparsity: 0.5
    start_epoch: 0
    end_epoch: 3
    update_frequency: 1
    params: __ALL_PRUNABLE__
"""


def _short(diags):
    return [
        (
            d["range"]["start"]["line"],
            d["range"]["start"]["character"],
            d["range"]["end"]["line"],
            d["range"]["end"]["character"],
            d["severity"],
            d["message"],
        )
        for d in diags
    ]


def test_the_custom_tags_list_covers_every_modifier_tag():
    tags = custom_tags()
    assert {t.split()[0] for t in tags} == {f"!{m.TAG}" for m in all_models()}
    assert all(t.endswith(" mapping") for t in tags)


def test_the_editor_docs_give_the_whole_list():
    text = (ROOT / "docs" / "editors.md").read_text()
    block = text.split("```json\n", 1)[1].split("```", 1)[0]
    assert json.loads(block)["yaml.customTags"] == custom_tags()


def test_an_unknown_field_is_marked_where_it_is(yamlls):
    _, diags = _open(yamlls, "unknown.yaml", GMP + "    bogus_field: 1\n")
    assert _short(diags) == [(8, 4, 8, 15, 1, "Property bogus_field is not allowed.")]


def test_a_wrong_type_is_marked_where_it_is(yamlls):
    _, diags = _open(
        yamlls, "wrong.yaml", GMP.replace("start_epoch: 0", "start_epoch: zero")
    )
    assert _short(diags) == [(4, 17, 4, 21, 1, 'Incorrect type. Expected "number".')]


# what `recipe lint recipes/` checks (the guide's recipe as published, broken on
# purpose, is excluded by the root config)
BUNDLED = [
    p.relative_to(ROOT).as_posix()
    for p in discover([ROOT / "recipes"], config.load(ROOT / ".recipelint.yaml"))
]


@pytest.mark.parametrize("recipe", BUNDLED)
def test_the_bundled_recipes_get_no_diagnostics(yamlls, recipe):
    """A markdown recipe's front matter is opened as the YAML document it holds
    (the YAML language server does not read front matter)."""
    src = source.read(ROOT / recipe)
    assert src.yaml_text is not None and not src.problems
    _, diags = _open(yamlls, recipe.replace("/", "_") + ".yaml", src.yaml_text)
    assert diags == []


def _clean_corpus():
    """The real recipes of SparseML's repository that `recipe lint` finds no
    error in (some 70)."""
    out = []
    for f in sorted((CORPUS / "sparseml").rglob("*")):
        if f.suffix not in (".yaml", ".md"):
            continue
        src = source.read(f)
        if src.yaml_text is None or src.problems:
            continue
        _, problems = lint_text(src.text, f.name)
        if not any(p.severity == "error" for p in problems):
            out.append((f, src.yaml_text))
    return out


def test_no_real_recipe_sparseml_loads_fails_the_schema(yamlls):
    """The schema is no stricter than SparseML: what it loads, the editor does
    not mark (the YAML language server's own notes, an unused anchor, aside)."""
    found = {}
    corpus = _clean_corpus()
    assert len(corpus) > 50
    for f, text in corpus:
        _, diags = _open(yamlls, f.name + ".yaml", text)
        schema = [d["message"] for d in diags if d["source"].startswith("yaml-schema")]
        if schema:
            found[f.name] = schema
    assert found == {}


def test_completion_in_a_modifier_offers_its_fields(yamlls):
    client, _ = yamlls
    uri, _ = _open(yamlls, "complete.yaml", GMP + "    \n")
    got = client.request(
        "textDocument/completion",
        {"textDocument": {"uri": uri}, "position": {"line": 8, "character": 4}},
    )
    labels = {i["label"] for i in (got["items"] if isinstance(got, dict) else got)}
    # GMPruningModifier's fields not yet written, and none of another modifier's
    assert {"leave_enabled", "inter_func", "mask_type", "score_type"} <= labels
    assert not labels & {"lr_func", "learning_rate", "init_sparsity", "params"}


def _built_staged() -> list[tuple[str, str]]:
    """The staged recipes of the corpus their engine loads and builds."""
    import csv

    out = []
    for folder, column in (
        ("llmcompressor", "loads_llmc_0_14"),
        ("sparseml-core", "builds_modifiers"),
    ):
        with open(CORPUS / folder / "INDEX.tsv", newline="") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                if row[column] == "yes" and row["local_name"].endswith(".yaml"):
                    out.append(
                        (
                            row["local_name"],
                            (CORPUS / folder / row["local_name"]).read_text(),
                        )
                    )
    return out


def test_no_staged_recipe_its_engine_builds_fails_the_schema(yamlls):
    """Staged groups (`<group>_modifiers: {Name: {...}}`) are the schema's too, no
    stricter than llm-compressor 0.14 or sparseml.core."""
    found = {}
    staged = _built_staged()
    assert len(staged) > 50
    for i, (name, text) in enumerate(staged):
        _, diags = _open(yamlls, f"staged{i}.yaml", text)
        schema = [d["message"] for d in diags if d["source"].startswith("yaml-schema")]
        if schema:
            found[name] = schema
    assert found == {}


STAGED = """\
quant_stage:
  quant_modifiers:
    GPTQModifier:
      scheme: W4A16
      block_size: 128
"""


def test_a_staged_modifier_neither_engine_has_is_marked(yamlls):
    _, diags = _open(
        yamlls, "staged_bad.yaml", STAGED.replace("GPTQModifier", "GPTQModifer")
    )
    assert [d["range"]["start"]["line"] for d in diags] == [2], _short(diags)
    _, diags = _open(yamlls, "staged_type.yaml", STAGED.replace("128", "big"))
    assert [(d["range"]["start"]["line"], d["severity"]) for d in diags] == [(4, 1)]


def test_completion_in_a_staged_modifier_offers_its_fields(yamlls):
    client, _ = yamlls
    uri, _ = _open(yamlls, "staged_complete.yaml", STAGED + "      \n")
    got = client.request(
        "textDocument/completion",
        {"textDocument": {"uri": uri}, "position": {"line": 5, "character": 6}},
    )
    labels = {i["label"] for i in (got["items"] if isinstance(got, dict) else got)}
    # GPTQModifier's fields in either engine (llm-compressor's actorder,
    # sparseml.core's quantize), not another modifier's
    assert {"actorder", "dampening_frac", "ignore", "quantize"} <= labels
    assert not labels & {"smoothing_strength", "mappings", "sparsity"}
