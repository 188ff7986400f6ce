"""`.recipelint.yaml` as the linter reads it: every way a config can be wrong is
one message naming the file, the key and what was expected (exit 2 in the CLI)."""

from __future__ import annotations

import pytest

from recipe_compiler.linter.config import ConfigError, load
from recipe_compiler.problems import Severity

BAD = [
    (
        "[1, 2]",
        "the config holds dialect, exclude, extend-select, extends, ignore, model, "
        "per-file-ignores, rules, select, steps-per-epoch",
    ),
    (
        "rulez: {}",
        "the config holds dialect, exclude, extend-select, extends, ignore, model, "
        "per-file-ignores, rules, select, steps-per-epoch, not 'rulez'",
    ),
    ("exclude: recipes/*", "'exclude' must be a list of glob patterns"),
    (
        "dialect: llmcompressor",
        "'dialect' must be auto, sparseml, sparseml-core or llm-compressor",
    ),
    ("exclude: [1]", "'exclude' must be a list of glob patterns"),
    ("select: RC2", "'select' must be a list of codes or names"),
    (
        "select: [RC9]",
        "'select': 'RC9' selects no code (a code like RC501, a prefix "
        "like RC5, a rule name like params-not-found, or ALL)",
    ),
    ("extend-select: [3]", "'extend-select' must be a list of codes or names"),
    (
        "ignore: [nothing-like-this]",
        "'ignore': 'nothing-like-this' selects no code "
        "(a code like RC501, a prefix like RC5, a rule name like params-not-found, or "
        "ALL)",
    ),
    ("per-file-ignores: [a]", "'per-file-ignores' maps globs to lists of codes"),
    ("per-file-ignores: {'a/*': RC2}", "per-file-ignores 'a/*': a list of codes"),
    (
        "per-file-ignores: {'a/*': [RC9]}",
        "per-file-ignores 'a/*': 'RC9' selects no "
        "code (a code like RC501, a prefix like RC5, a rule name like "
        "params-not-found, or ALL)",
    ),
    (
        "steps-per-epoch: 0",
        "'steps-per-epoch' must be a whole number of at least 1 "
        "(len(train loader) / gradient accumulation)",
    ),
    (
        "steps-per-epoch: true",
        "'steps-per-epoch' must be a whole number of at least "
        "1 (len(train loader) / gradient accumulation)",
    ),
    (
        "steps-per-epoch: 1.5",
        "'steps-per-epoch' must be a whole number of at least "
        "1 (len(train loader) / gradient accumulation)",
    ),
    (
        "model: ''",
        "'model' must name a model: a built-in one (digits-cnn, "
        "yolov5n|s|m|l|x), an ONNX file or pkg.module:factory",
    ),
    (
        "model: 3",
        "'model' must name a model: a built-in one (digits-cnn, "
        "yolov5n|s|m|l|x), an ONNX file or pkg.module:factory",
    ),
    ("rules: [RC402]", "'rules' must be a mapping of rule to setting"),
    ("rules: {RC999: disable}", 'no such rule: "RC999"'),
    ("rules: {RC000: disable}", "RC000 (unreadable input) cannot be configured"),
    ("rules: {RC402: {level: info}}", 'unknown option "level" for rule "RC402"'),
    (
        "rules: {RC402: loud}",
        "rule \"RC402\": use disable, enable, error, warning or info, not 'loud'",
    ),
    ("extends: 3", "'extends' must be the path of a config file"),
    # the first wrong key in the order the keys are read
    (
        "steps-per-epoch: 0\nselect: [RC9]",
        "'select': 'RC9' selects no code (a code "
        "like RC501, a prefix like RC5, a rule name like params-not-found, or ALL)",
    ),
    ("rules: 1\nexclude: 2", "'exclude' must be a list of glob patterns"),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_a_wrong_config_is_one_message_naming_file_and_key(tmp_path, text, message):
    path = tmp_path / ".recipelint.yaml"
    path.write_text(text + "\n")
    with pytest.raises(ConfigError) as found:
        load(path)
    assert str(found.value) == f"{path}: {message}"


def test_every_key_is_read(tmp_path):
    (tmp_path / "base.yaml").write_text("ignore: [RC402]\nrules: {RC208: error}\n")
    path = tmp_path / ".recipelint.yaml"
    path.write_text(
        "extends: base.yaml\n"
        "rules: {unused-variable: disable, RC207: {severity: info}, RC206: enable}\n"
        "exclude: ['guide/*']\n"
        "select: [RC2, RC501]\n"
        "extend-select: [RC4]\n"
        "ignore: [RC303]\n"
        "per-file-ignores: {'experiments/*': [RC2]}\n"
        "steps-per-epoch: 1849\n"
        "model: net.onnx\n"
    )
    cfg = load(path)
    assert cfg.path == str(path)
    assert cfg.disabled == {"RC402"}
    assert cfg.severity == {"RC208": Severity.ERROR, "RC207": Severity.INFO}
    assert cfg.exclude == ("guide/*",)
    assert cfg.select == ("RC2", "RC501")
    assert cfg.extend_select == ("RC4",)
    assert cfg.ignore == ("RC402", "RC303")
    assert cfg.per_file_ignores == (("experiments/*", ("RC2",)),)
    assert cfg.steps_per_epoch == 1849
    assert cfg.model == str(tmp_path / "net.onnx")


def test_empty_keys_read_as_absent(tmp_path):
    path = tmp_path / ".recipelint.yaml"
    path.write_text("exclude:\nselect:\nrules:\nper-file-ignores:\n")
    cfg = load(path)
    assert (cfg.exclude, cfg.select, cfg.disabled, cfg.per_file_ignores) == (
        (),
        None,
        set(),
        (),
    )


def test_every_key_has_its_type_check_and_what_to_write():
    from recipe_compiler.linter.config import _EXPECTED, _TYPES, KEYS

    assert set(_TYPES) == KEYS
    assert set(_EXPECTED) == KEYS - {"extends"}
