"""Project configuration: which rules run and at what severity.

Found as `.recipelint.yaml` (or a `pyproject.toml` with a `[tool.recipe-lint]`
table, the same keys) in the working directory or the nearest parent that has
one, or given with `--config`. Format::

    rules:
      RC402: disable            # or the rule's name: unused-variable: disable
      RC208: error              # a severity: error | warning | info
      RC207: {severity: info}
    exclude:                    # globs, from the config file's folder
      - recipes/guide/*
    select: [RC2, RC501]        # codes, prefixes or names (default: every code)
    extend-select: [RC4]
    ignore: [RC402]
    per-file-ignores:
      "experiments/*": [RC2]
    extends: ../base.recipelint.yaml   # read first; this file's keys win
    steps-per-epoch: 1849       # the default of --steps-per-epoch (lint, lsp)
    model: yolov5s              # the default of --model: built-in, factory or
                                # an ONNX file (relative to this file)
    dialect: auto               # the default of --dialect: auto | sparseml |
                                # sparseml-core | llm-compressor

As ruff's: `exclude` skips a file where a folder is walked and lints it where it is
named on the command line; a code runs when `select` (or its default, every code)
or `extend-select` takes it and neither `ignore` nor a matching per-file ignore
does. `--select`, `--extend-select` and `--ignore` on the command line apply on top
(`--select` replaces the config's). RC000 (unreadable input) always reports.
`steps-per-epoch`, `model` and `dialect` are what `recipe lint` and `recipe lsp`
check with when the command line does not say.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

from ..loader.codes import LOADER_CODES
from ..problems import Severity
from .rules import NAMES, RULES

CONFIG_NAMES = (".recipelint.yaml", ".recipelint.yml")


class ConfigError(ValueError):
    """A configuration file that cannot be used; the CLI exits with code 2."""


@dataclasses.dataclass
class Config:
    disabled: set[str] = dataclasses.field(default_factory=set)
    severity: dict[str, Severity] = dataclasses.field(default_factory=dict)
    path: str | None = None
    exclude: tuple[str, ...] = ()  # globs relative to the config file's folder
    select: tuple[str, ...] | None = None  # None: every code
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    steps_per_epoch: int | None = None
    model: str | None = None
    dialect: str | None = None  # auto (None), sparseml, sparseml-core, llm-compressor

    def excludes(self, path: Path) -> bool:
        """Whether a file found by walking a folder is left out."""
        return any(self._matches(path, g) for g in self.exclude)

    def allows(self, code: str, path: str) -> bool:
        """Whether a problem of `code` in the file at `path` is reported."""
        if code == "RC000":
            return True
        if code in self.disabled:
            return False
        chosen = self.select is None or any(taken(s, code) for s in self.select)
        if not (chosen or any(taken(s, code) for s in self.extend_select)):
            return False
        if any(taken(s, code) for s in self.ignore):
            return False
        return not any(
            self._matches(Path(path), glob) and any(taken(s, code) for s in codes)
            for glob, codes in self.per_file_ignores
        )

    def with_selection(
        self,
        select: tuple[str, ...] | None,
        extend_select: tuple[str, ...],
        ignore: tuple[str, ...],
    ) -> Config:
        """The command line's --select (replacing), --extend-select and --ignore."""
        for s in (*(select or ()), *extend_select, *ignore):
            check_selector(s, "the command line")
        return dataclasses.replace(
            self,
            select=select if select is not None else self.select,
            extend_select=self.extend_select + extend_select,
            ignore=self.ignore + ignore,
            disabled=set(self.disabled),
            severity=dict(self.severity),
        )

    def _matches(self, path: Path, glob: str) -> bool:
        root = Path(self.path).resolve().parent if self.path else Path.cwd()
        try:
            rel = path.resolve().relative_to(root)
        except ValueError:
            return False
        text = rel.as_posix()  # fnmatch's * also crosses folders, as in ruff
        return fnmatch(text, glob) or text.startswith(glob.rstrip("/") + "/")


def _model(path: Path, spec: Any) -> str:
    """A config's `model`: a built-in name or pkg.module:factory as written, an
    ONNX file relative to the config's folder (as `exclude` globs are)."""
    if not isinstance(spec, str) or not spec.strip():
        raise ConfigError(
            f"{path}: 'model' must name a model: a built-in one (digits-cnn, "
            "yolov5n|s|m|l|x), an ONNX file or pkg.module:factory"
        )
    if spec.lower().endswith(".onnx") and not Path(spec).is_absolute():
        return str(path.parent / spec)
    return spec


def taken(selector: str, code: str) -> bool:
    """A selector takes a code: `ALL`, a code, a prefix of codes (`RC2`), or a
    rule's name."""
    if selector == "ALL":
        return True
    return code_of(selector) == code or (
        selector[:2] == "RC" and code.startswith(selector)
    )


def check_selector(selector: str, where: str) -> None:
    """A selector that takes no code is a mistake worth one line, as in ruff."""
    if not any(taken(selector, code) for code in all_codes()):
        raise ConfigError(
            f"{where}: {selector!r} selects no code (a code like RC501, a prefix "
            "like RC5, a rule name like params-not-found, or ALL)"
        )


def all_codes() -> dict[str, tuple[str, Severity, str]]:
    """code -> (name, default severity, summary) for loader codes and rules."""
    out = {c.code: (c.name, c.severity, c.summary) for c in LOADER_CODES.values()}
    for code, mod in RULES.items():
        out[code] = (mod.NAME, mod.SEVERITY, (mod.__doc__ or "").strip().split("\n")[0])
    return out


def sparseml_fails(code: str) -> tuple[str, ...]:
    """Where SparseML fails on what an error code finds ("load: TypeError", ...)."""
    if code in RULES:
        return tuple(getattr(RULES[code], "SPARSEML", ()))
    loader = LOADER_CODES.get(code)
    return loader.sparseml if loader else ()


def engine_fails(code: str) -> tuple[str, tuple[str, ...]]:
    """The engine an error code's verdict is ("sparseml", "sparseml.core",
    "llm-compressor") and where it fails on it."""
    loader = LOADER_CODES.get(code)
    if loader is not None:
        return loader.engine, loader.fails
    return "sparseml", sparseml_fails(code)


def code_of(name_or_code: str) -> str:
    """The code a rule or loader finding is named by (`unused-variable` -> RC402);
    anything else is returned as given."""
    if not _BY_NAME:
        _BY_NAME.update(NAMES)
        _BY_NAME.update({c.name: c.code for c in LOADER_CODES.values()})
    found = _BY_NAME.get(name_or_code)
    if found is None and re.fullmatch(r"[rR][cC]\d+", name_or_code):
        return name_or_code.upper()  # rc002 is RC002, as ruff takes e501
    return found or _BY_NAME.get(name_or_code.lower(), name_or_code)


_BY_NAME: dict[str, str] = {}


PYPROJECT_TABLE = "recipe-lint"


def find(start: Path | None = None) -> Path | None:
    """The nearest `.recipelint.yaml`, or `pyproject.toml` with a
    `[tool.recipe-lint]` table (in one folder the YAML file wins)."""
    here = (start or Path.cwd()).resolve()
    for d in (here, *here.parents):
        for name in CONFIG_NAMES:
            if (d / name).is_file():
                return d / name
        if (d / "pyproject.toml").is_file() and _pyproject_table(d / "pyproject.toml"):
            return d / "pyproject.toml"
    return None


def _pyproject_table(path: Path) -> dict[str, Any] | None:
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config: {exc}") from None
    table = data.get("tool", {}).get(PYPROJECT_TABLE)
    return table if isinstance(table, dict) else None


def _read(path: Path) -> Any:
    """The config's mapping: a YAML file, or pyproject.toml's [tool.recipe-lint]."""
    if path.name == "pyproject.toml":
        table = _pyproject_table(path)
        if table is None:
            raise ConfigError(f"{path}: no [tool.{PYPROJECT_TABLE}] table")
        return table
    from . import config_yaml

    try:
        return config_yaml.load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, config_yaml.Error) as exc:
        raise ConfigError(f"{path}: cannot read config: {exc}") from None


KEYS = frozenset(
    {"rules", "exclude", "select", "extend-select", "ignore", "per-file-ignores"}
    | {"extends", "steps-per-epoch", "model", "dialect"}
)  # the model's fields by their aliases (a test holds the two equal)
# what is wrong with each key, in the order a config's keys are judged
_EXPECTED = {
    "exclude": "'exclude' must be a list of glob patterns",
    "select": "'select' must be a list of codes or names",
    "extend-select": "'extend-select' must be a list of codes or names",
    "ignore": "'ignore' must be a list of codes or names",
    "per-file-ignores": "'per-file-ignores' maps globs to lists of codes",
    "steps-per-epoch": "'steps-per-epoch' must be a whole number of at least 1 "
    "(len(train loader) / gradient accumulation)",
    "model": "'model' must name a model: a built-in one (digits-cnn, "
    "yolov5n|s|m|l|x), an ONNX file or pkg.module:factory",
    "dialect": "'dialect' must be auto, sparseml, sparseml-core or llm-compressor",
    "rules": "'rules' must be a mapping of rule to setting",
}


def _strings(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


# each key's type as written (`extends` is followed before, `rules` and `model`
# are judged after: they need the registry and the file's folder); plain checks,
# not a pydantic model, whose build is some milliseconds of every lint's start
_TYPES: dict[str, Callable[[Any], bool]] = {
    "rules": lambda v: v is None or isinstance(v, dict),
    "exclude": lambda v: v is None or _strings(v),
    "select": lambda v: v is None or _strings(v),
    "extend-select": lambda v: v is None or _strings(v),
    "ignore": lambda v: v is None or _strings(v),
    "per-file-ignores": lambda v: v is None or isinstance(v, dict),
    "extends": lambda v: True,
    "steps-per-epoch": lambda v: type(v) is int and v >= 1,
    "model": lambda v: isinstance(v, str) and bool(v.strip()),
    "dialect": lambda v: v in ("auto", "sparseml", "sparseml-core", "llm-compressor"),
}


def _wrong(data: dict[str, Any]) -> dict[str, str]:
    """What is wrong with each key of the file's mapping, by key."""
    wrong = {
        k: _EXPECTED[k] for k, ok in _TYPES.items() if k in data and not ok(data[k])
    }
    if "per-file-ignores" not in wrong:
        for glob, codes in (data.get("per-file-ignores") or {}).items():
            if not _strings(codes):
                wrong.setdefault(
                    "per-file-ignores", f"per-file-ignores {glob!r}: a list of codes"
                )
    return wrong


def _parsed(path: Path, data: Any) -> dict[str, Any]:
    """The file's mapping, or the ConfigError of its first wrong key: an
    unknown key first, then in `_EXPECTED`'s order, each with the selectors it
    lists checked before the next key."""
    if not isinstance(data, dict) or set(data) - KEYS:
        raise ConfigError(
            f"{path}: the config holds {', '.join(sorted(KEYS))}"
            + (
                f", not {sorted(set(data) - KEYS)[0]!r}"
                if isinstance(data, dict)
                else ""
            )
        )
    wrong = _wrong(data)
    for key in _EXPECTED:
        if key in wrong:
            raise ConfigError(f"{path}: {wrong[key]}")
        if key in ("select", "extend-select", "ignore"):
            for v in data.get(key) or ():
                check_selector(v, f"{path}: '{key}'")
        if key == "per-file-ignores":
            for glob, codes in (data.get(key) or {}).items():
                for c in codes:
                    check_selector(c, f"{path}: per-file-ignores {glob!r}")
    return data


def load(path: Path | None, _seen: tuple[Path, ...] = ()) -> Config:
    if path is None:
        return Config()
    data = _read(path)
    base = Config()
    if isinstance(data, dict) and data.get("extends") is not None:
        parent = data["extends"]
        if not isinstance(parent, str):
            raise ConfigError(f"{path}: 'extends' must be the path of a config file")
        target = (path.parent / parent).resolve()
        if target in _seen or target == path.resolve():
            raise ConfigError(f"{path}: 'extends' makes a cycle through {target}")
        if not target.is_file():
            raise ConfigError(f"{path}: 'extends': no such file: {target}")
        base = load(target, (*_seen, path.resolve()))
    cfg = dataclasses.replace(
        base,
        path=str(path),
        disabled=set(base.disabled),
        severity=dict(base.severity),
    )
    if data is None:
        return cfg
    f = _parsed(path, data)
    if "exclude" in f:
        cfg.exclude = tuple(f["exclude"] or ())
    if "select" in f:
        cfg.select = tuple(f["select"]) if f["select"] is not None else None
    cfg.extend_select += tuple(f.get("extend-select") or ())
    cfg.ignore += tuple(f.get("ignore") or ())
    pairs = tuple(
        (str(glob), tuple(codes))
        for glob, codes in (f.get("per-file-ignores") or {}).items()
    )
    cfg.per_file_ignores = base.per_file_ignores + pairs
    if "steps-per-epoch" in f:
        cfg.steps_per_epoch = f["steps-per-epoch"]
    if "model" in f:
        cfg.model = _model(path, f["model"])
    if "dialect" in f:
        cfg.dialect = None if f["dialect"] == "auto" else f["dialect"]
    rules = f.get("rules") or {}
    known = all_codes() if rules else {}  # (imports every rule: only if asked)
    for key, setting in rules.items():
        code = code_of(str(key))
        if code not in known:
            raise ConfigError(f'{path}: no such rule: "{key}"')
        if code == "RC000":
            raise ConfigError(f"{path}: RC000 (unreadable input) cannot be configured")
        if isinstance(setting, dict):
            unknown = set(setting) - {"severity"}
            if unknown:
                raise ConfigError(
                    f'{path}: unknown option "{sorted(unknown)[0]}" for rule "{key}"'
                )
            setting = setting.get("severity")
        if setting in ("disable", False):
            cfg.disabled.add(code)
        elif setting in ("enable", True, None):
            continue
        elif setting in tuple(s.value for s in Severity):
            cfg.severity[code] = Severity(setting)
        else:
            raise ConfigError(
                f'{path}: rule "{key}": use disable, enable, error, warning or info, '
                f"not {setting!r}"
            )
    return cfg
