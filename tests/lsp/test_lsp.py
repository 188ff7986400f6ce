"""`recipe lsp` driven over stdio as an editor drives it (tests/lspclient.py):
initialize, didOpen, didChange, hover, definition, codeAction, shutdown."""

from __future__ import annotations

import json
import sys

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recipe_compiler.cli import main
from recipe_compiler.loader.list_markers import add_markers
from recipe_compiler.loader.source import from_text
from tests.conftest import ROOT
from tests.lspclient import Client

DOCS = "https://github.com/recipe-compiler/recipe-compiler/blob/main/docs/rules.md"
RECIPE = """\
pruning_epochs: 3
total: eval(pruning_epochs + 2)

modifiers:
  - !EpochRangeModifier
    start_epoch: 0
    end_epoch: eval(total)
  - !GMPruningModifier
    params: [features.0.weight]
    init_sparsity: 0.05
    final_sparsity: &final 0.5
    start_epoch: 0
    end_epoch: eval(pruning_epochs)
    update_frequency: 1
  - !ConstantPruningModifier
    params: [features.3.weight]
    start_epoch: eval(pruning_epochs)
    end_epoch: -1
    final_sparsity_unused: *final
"""


@pytest.fixture
def project(tmp_path):
    """A project folder whose config says the steps per epoch and the model."""
    (tmp_path / ".recipelint.yaml").write_text(
        "steps-per-epoch: 10\nmodel: digits-cnn\n"
    )
    return tmp_path


@pytest.fixture
def server(project):
    client = Client([sys.executable, "-m", "recipe_compiler.cli", "lsp"], cwd=project)
    client.initialize(project)
    yield client
    code = client.close()
    assert code == 0 and client.complaints() == []
    assert b"Traceback" not in b"".join(client.stderr)


def _uri(project, name):
    return (project / name).as_uri()


def _diag(line, col, end_line, end_col, code, severity, message):
    return {
        "range": {
            "start": {"line": line, "character": col},
            "end": {"line": end_line, "character": end_col},
        },
        "severity": severity,
        "code": code,
        "codeDescription": {"href": f"{DOCS}#{code.lower()}"},
        "source": "recipe",
        "message": message,
    }


def _hover(server, uri, line, col):
    got = server.request(
        "textDocument/hover",
        {"textDocument": {"uri": uri}, "position": {"line": line, "character": col}},
    )
    if got is None:
        return None
    r = got["range"]
    return (
        (r["start"]["line"], r["start"]["character"], r["end"]["character"]),
        got["contents"]["value"],
    )


CLEAN = RECIPE.replace("    final_sparsity_unused: *final\n", "")


def test_diagnostics_on_open_and_change_use_the_project_config(server, project):
    uri = _uri(project, "r.yaml")
    server.open(uri, CLEAN)
    assert server.diagnostics(uri, 1) == []
    server.change(uri, CLEAN.replace("[features.0.weight]", "[features.0]"), 2)
    assert server.diagnostics(uri, 2) == [  # the config's model: digits-cnn
        _diag(
            8,
            13,
            8,
            23,
            "RC501",
            1,
            "!GMPruningModifier params entry 'features.0' matches no parameter of "
            'digits-cnn; SparseML fails at initialize with "All supplied parameter '
            'names or regex patterns not found.No match for features.0"\n'
            "hint: 'features.0' is a module (Conv2d): name its parameter, "
            "features.0.weight",
        )
    ]
    server.change(uri, RECIPE, 3)
    assert server.diagnostics(uri, 3) == [
        _diag(
            18,
            4,
            18,
            25,
            "RC102",
            1,
            "!ConstantPruningModifier has no field 'final_sparsity_unused'; SparseML "
            'fails with "__init__() got an unexpected keyword argument '
            "'final_sparsity_unused'\"\nhint: fields of ConstantPruningModifier: "
            "params, start_epoch, end_epoch, update_frequency",
        )
    ]


def test_the_steps_per_epoch_come_from_the_config(server, project):
    """update_frequency 0.05 of an epoch is half a step at 10 steps an epoch: a
    schedule rule sees it only at the config's steps per epoch."""
    uri = _uri(project, "spe.yaml")
    text = CLEAN.replace("update_frequency: 1", "update_frequency: 0.05")
    server.open(uri, text)
    codes = [d["code"] for d in server.diagnostics(uri, 1)]
    (project / ".recipelint.yaml").write_text(
        "steps-per-epoch: 100\nmodel: digits-cnn\n"
    )
    server.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
    assert [d["code"] for d in server.diagnostics(uri)] != codes


def test_saving_the_config_relints_every_open_recipe(server, project):
    a, b = _uri(project, "a.yaml"), _uri(project, "b.yaml")
    server.open(a, CLEAN.replace("[features.0.weight]", "[features.0]"))
    server.open(b, CLEAN.replace("[features.3.weight]", "[features.3]"))
    assert [d["code"] for d in server.diagnostics(a, 1)] == ["RC501"]
    assert [d["code"] for d in server.diagnostics(b, 1)] == ["RC501"]
    (project / ".recipelint.yaml").write_text("ignore: [RC5]\n")
    server.notify(
        "textDocument/didSave",
        {"textDocument": {"uri": _uri(project, ".recipelint.yaml")}},
    )
    assert server.diagnostics(a) == [] and server.diagnostics(b) == []


def test_hover_on_variables_evals_and_epochs(server, project):
    uri = _uri(project, "h.yaml")
    server.open(uri, CLEAN)
    server.diagnostics(uri, 1)
    used = (
        "used by: variable total (line 2), !GMPruningModifier end_epoch (line 13), "
        "!ConstantPruningModifier start_epoch (line 17)"
    )
    assert _hover(server, uri, 0, 3) == (
        (0, 0, 14),
        f"**pruning_epochs** = **3**  \ndefined at line 1; {used}",
    )
    assert _hover(server, uri, 12, 22) == (  # the name inside eval(...)
        (12, 20, 34),
        f"**pruning_epochs** = **3**  \ndefined at line 1; {used}",
    )
    assert _hover(server, uri, 1, 8) == (
        (1, 7, 31),
        "**total** = **5** from `eval(pruning_epochs + 2)`  \ndefined at line 2; "
        "used by: !EpochRangeModifier end_epoch (line 7)",
    )
    assert _hover(server, uri, 12, 16) == (  # on `eval(` itself: the value
        (12, 15, 35),
        "`eval(pruning_epochs)` = **3**\n\n`!GMPruningModifier` end_epoch 3 lands on "
        "**step 30** at 10 steps per epoch; phase: **fine-tuning** (steps 30 to 49)",
    )
    assert _hover(server, uri, 11, 6) == (  # on the key
        (11, 4, 15),
        "`!GMPruningModifier` start_epoch 0 lands on **step 0** at 10 steps per "
        "epoch; phase: **pruning** (steps 0 to 29)",
    )
    assert _hover(server, uri, 17, 16) == (
        (17, 15, 17),
        "`!ConstantPruningModifier` end_epoch -1: from the end of training (at 10 "
        "steps per epoch)",
    )
    assert _hover(server, uri, 3, 2) is None  # `modifiers:` says nothing


def test_definition_of_an_eval_name_and_an_alias(server, project):
    uri = _uri(project, "d.yaml")
    server.open(uri, CLEAN + "copied: *final\n")
    server.diagnostics(uri, 1)

    def where(line, col):
        got = server.request(
            "textDocument/definition",
            {
                "textDocument": {"uri": uri},
                "position": {"line": line, "character": col},
            },
        )
        if got is None:
            return None
        r = got["range"]
        return (
            got["uri"],
            (r["start"]["line"], r["start"]["character"]),
            (r["end"]["line"], r["end"]["character"]),
        )

    assert where(12, 25) == (uri, (0, 0), (0, 14))  # eval(pruning_epochs) -> line 1
    assert where(6, 21) == (uri, (1, 0), (1, 5))  # eval(total) -> total
    assert where(18, 9) == (uri, (10, 20), (10, 26))  # *final -> &final
    assert where(9, 6) is None


UNMARKED = """\
modifiers:
  !EpochRangeModifier
    start_epoch: 0
    end_epoch: 5
  !GMPruningModifier
    params: [features.0.weight]
    init_sparsity: 0.05
    final_sparsity: 0.5
    start_epoch: 0
    end_epoch: 3
    update_frequency: 1
"""


def _apply(text, edits):
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(p):
        return starts[p["line"]] + p["character"]

    for e in sorted(edits, key=lambda e: offset(e["range"]["start"]), reverse=True):
        a, b = offset(e["range"]["start"]), offset(e["range"]["end"])
        text = text[:a] + e["newText"] + text[b:]
    return text


def test_the_list_marker_quick_fix_is_the_fix_edit(server, project):
    uri = _uri(project, "m.yaml")
    server.open(uri, UNMARKED)
    diags = server.diagnostics(uri, 1)
    assert [(d["code"], d["range"]["start"]["line"]) for d in diags] == [
        ("RC002", 1),
        ("RC002", 4),
    ]
    actions = server.request(
        "textDocument/codeAction",
        {
            "textDocument": {"uri": uri},
            "range": diags[0]["range"],
            "context": {"diagnostics": diags},
        },
    )
    assert [a["title"] for a in actions] == [
        "Add the missing '- ' list markers (recipe lint --fix)"
    ]
    assert actions[0]["kind"] == "quickfix" and actions[0]["isPreferred"] is True
    assert [d["code"] for d in actions[0]["diagnostics"]] == ["RC002", "RC002"]
    fixed = _apply(UNMARKED, actions[0]["edit"]["changes"][uri])
    assert fixed == add_markers(from_text(UNMARKED, "m.yaml", "yaml"))
    server.change(uri, fixed, 2)
    assert server.diagnostics(uri, 2) == []
    none = server.request(
        "textDocument/codeAction",
        {
            "textDocument": {"uri": uri},
            "range": diags[0]["range"],
            "context": {"diagnostics": []},
        },
    )
    assert none == []


def test_a_markdown_recipe_has_file_line_numbers(server, project):
    (project / ".recipelint.yaml").write_text("model: yolov5s\n")
    card = (ROOT / "recipes" / "yolov5s-gmp.md").read_text()
    uri = _uri(project, "card.md")
    server.open(uri, card, language="markdown")
    assert server.diagnostics(uri, 1) == []
    bad = card.replace("params: ", "params: [model.99.nope]  # ", 1)
    server.change(uri, bad, 2)
    got = server.diagnostics(uri, 2)
    line = next(i for i, x in enumerate(bad.splitlines()) if "model.99.nope" in x)
    assert [(d["code"], d["range"]["start"]["line"]) for d in got] == [("RC501", line)]
    assert line > 10  # below the front matter's first line: the file's numbering


def test_positions_are_utf16_code_units(server, project):
    uri = _uri(project, "u.yaml")
    text = CLEAN.replace("[features.0.weight]", "['😀', features.0]")
    server.open(uri, text)
    ranges = [
        (d["range"]["start"]["character"], d["range"]["end"]["character"])
        for d in server.diagnostics(uri, 1)
        if d["code"] == "RC501"
    ]
    # `    params: ['😀', features.0]`: the emoji is two UTF-16 code units
    assert ranges == [(13, 17), (19, 29)]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("modifiers:\x00\x01\n", "RC000"),
        (
            "modifiers: []\n"
            + "a: &a [x, x, x, x, x, x, x, x, x]\n"
            + "".join(
                f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
                for i in range(8)
            ),
            "RC008",
        ),
        ("modifiers: " + "x" * (100 * 2**20), "RC008"),
    ],
    ids=["binary", "alias-bomb", "100MB"],
)
def test_bad_input_is_a_diagnostic_never_a_crash(server, project, text, code):
    uri = _uri(project, "bad.yaml")
    server.open(uri, text)
    got = server.diagnostics(uri, 1, timeout=120)
    assert [d["code"] for d in got] == [code]
    assert _hover(server, uri, 0, 1) is None  # and it still answers


def test_only_recipes_get_diagnostics(server, project):
    """Editors send every YAML file: a workflow, the lint config and an excluded
    recipe get none, as a folder walk of `recipe lint` skips them."""
    (project / ".recipelint.yaml").write_text("exclude: [old/*]\n")
    for name, text in [
        ("ci.yaml", "on: push\njobs: {build: {runs-on: ubuntu-latest}}\n"),
        (".recipelint.yaml", "exclude: [old/*]\n"),
        ("old/r.yaml", CLEAN.replace("[features.0.weight]", "[features.0]")),
        ("README.md", "# notes\n\nmodifiers: ' nope\n"),
    ]:
        uri = _uri(project, name)
        server.open(uri, text)
        assert server.diagnostics(uri, 1) == [], name
    uri = _uri(project, "new.yaml")
    server.open(uri, "modifiers:\n  - !EpochRangeModifier\n    start_epoch: x\n")
    assert [d["code"] for d in server.diagnostics(uri, 1)] == ["RC103", "RC104"]


def test_without_pygls_recipe_lsp_says_which_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "pygls", None)
    monkeypatch.setitem(sys.modules, "pygls.lsp.server", None)
    monkeypatch.delitem(sys.modules, "recipe_compiler.lsp.server", raising=False)
    r = CliRunner().invoke(main, ["lsp"])
    assert r.exit_code == 2
    assert r.stderr.startswith("recipe lsp: the lsp extra is not installed (")
    assert r.stderr.endswith("): pip install 'recipe-compiler[lsp]'\n")


# -- 1,000 random edits ---------------------------------------------------------

PIECES = st.sampled_from(
    [
        "- ",
        "!GMPruningModifier",
        "eval(",
        ")",
        ": ",
        "\n",
        "  ",
        "&a ",
        "*a",
        "[",
        "]",
        "{",
        "}",
        "-1",
        "0.5",
        "1e308",
        "'",
        '"',
        "#",
        "\t",
        "é",
        "😀",
        "\x00",
        "params",
        "start_epoch",
        "end_epoch",
        "modifiers:",
        "---\n",
        "|",
        ">",
        "%",
    ]
)
EDITS = st.lists(
    st.tuples(st.floats(0, 1), st.integers(0, 12), st.lists(PIECES, max_size=4)),
    min_size=20,
    max_size=20,
)


@pytest.fixture(scope="module")
def long_lived(tmp_path_factory):
    """One server for all the examples: it must survive them all."""
    root = tmp_path_factory.mktemp("fuzz")
    (root / ".recipelint.yaml").write_text("steps-per-epoch: 7\nmodel: digits-cnn\n")
    client = Client([sys.executable, "-m", "recipe_compiler.cli", "lsp"], cwd=root)
    client.initialize(root)
    state = {"version": 1, "edits": 0, "uri": (root / "f.yaml").as_uri()}
    client.open(state["uri"], RECIPE)
    client.diagnostics(state["uri"], 1)
    yield client, state
    assert state["edits"] == 1000
    assert client.close() == 0
    assert client.complaints() == [] and b"Traceback" not in b"".join(client.stderr)


@settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(EDITS)
def test_the_server_survives_random_edits(long_lived, edits):
    client, state = long_lived
    text = RECIPE
    for where, cut, pieces in edits:
        at = int(where * len(text))
        text = text[:at] + "".join(pieces) + text[at + cut :]
        state["version"] += 1
        client.change(state["uri"], text, state["version"])
        diags = client.diagnostics(state["uri"], state["version"])
        assert all(
            d["source"] == "recipe" and d["code"].startswith("RC") for d in diags
        )
        line = text[:at].count("\n")
        client.request(
            "textDocument/hover",
            {
                "textDocument": {"uri": state["uri"]},
                "position": {"line": line, "character": 2},
            },
        )
        state["edits"] += 1
    json.dumps(diags)


def test_a_burst_of_changes_is_coalesced_and_the_latest_text_wins(server, project):
    """Keystrokes sent faster than a heavy recipe lints: the server analyses the
    latest text after each run instead of queueing one run per keystroke, and
    never publishes diagnostics of a text it has moved past."""
    from tests.heavy_recipes import per_layer_recipe

    path = project / "heavy.yaml"
    text = per_layer_recipe(96, 0.01, 30, seed=4)
    path.write_text(text)
    uri = path.as_uri()
    server.open(uri, text)
    server.diagnostics(uri, 1, timeout=60)
    before = len(server.log)
    last = 31
    for version in range(2, last + 1):  # each edit: one more space in a comment
        server.change(uri, text + "#" + " " * version + "\n", version)
    assert isinstance(server.diagnostics(uri, last, timeout=60), list)
    published = [
        n["params"]["version"]
        for n in server.log[before:]
        if n.get("method") == "textDocument/publishDiagnostics"
        and n["params"]["uri"] == uri
    ]
    assert published[-1] == last and published == sorted(published)
    assert len(published) < (last - 1) / 2, published  # far fewer runs than edits
    assert server.complaints() == []
