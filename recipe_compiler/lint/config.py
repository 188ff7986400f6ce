"""Project configuration: which rules run and at what severity.

Found as `.recipelint.yaml` in the working directory or a parent, or given with
`--config`. Format::

    rules:
      RC402: disable            # or the rule's name: unused-variable: disable
      RC208: error              # a severity: error | warning | info
      RC207: {severity: info}
    exclude:                    # globs, from the config file's folder
      - recipes/guide/*

`exclude` works as ruff's: a file that matches is skipped where a folder is walked,
and linted where it is named on the command line.
"""

from __future__ import annotations

import dataclasses
from fnmatch import fnmatch
from pathlib import Path

from ..codes import LOADER_CODES
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

    def excludes(self, path: Path) -> bool:
        """Whether a file found by walking a folder is left out."""
        if not self.exclude or self.path is None:
            return False
        root = Path(self.path).resolve().parent
        try:
            rel = path.resolve().relative_to(root)
        except ValueError:
            return False
        text = rel.as_posix()  # fnmatch's * also crosses folders, as in ruff
        return any(
            fnmatch(text, g) or text.startswith(g.rstrip("/") + "/")
            for g in self.exclude
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


def code_of(name_or_code: str) -> str:
    """The code a rule or loader finding is named by (`unused-variable` -> RC402);
    anything else is returned as given."""
    if not _BY_NAME:
        _BY_NAME.update(NAMES)
        _BY_NAME.update({c.name: c.code for c in LOADER_CODES.values()})
    return _BY_NAME.get(name_or_code, name_or_code)


_BY_NAME: dict[str, str] = {}


def find(start: Path | None = None) -> Path | None:
    here = (start or Path.cwd()).resolve()
    for d in (here, *here.parents):
        for name in CONFIG_NAMES:
            if (d / name).is_file():
                return d / name
    return None


def load(path: Path | None) -> Config:
    if path is None:
        return Config()
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        data = YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read config: {exc}") from None
    cfg = Config(path=str(path))
    if data is None:
        return cfg
    if not isinstance(data, dict) or set(data) - {"rules", "exclude"}:
        raise ConfigError(f"{path}: the config holds 'rules' and 'exclude'")
    exclude = data.get("exclude") or []
    if not isinstance(exclude, list) or not all(isinstance(g, str) for g in exclude):
        raise ConfigError(f"{path}: 'exclude' must be a list of glob patterns")
    cfg.exclude = tuple(exclude)
    rules = data.get("rules") or {}
    if not isinstance(rules, dict):
        raise ConfigError(f"{path}: 'rules' must be a mapping of rule to setting")
    known = all_codes()
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
