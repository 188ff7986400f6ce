"""The linter: loader problems plus rules, filtered by config and inline comments.

`rules/` (one module a rule: code, summary, check, docs in its docstring),
`config` (`.recipelint.yaml`), `reporters` (text, json, sarif, github, ...),
`docs` (docs/rules.md from the rules' docstrings).

May import: `schedule/`, `model/`, `hardware/`, `loader/`, `modifiers/` and the
ground floor; never `edit/`, `views/`, the runner or the CLI.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ..hardware.measured import Target
from ..loader import codes
from ..loader.recipe import Recipe, from_source
from ..loader.source import FRONT_MATTER, Limits, read
from ..model.network import Network
from ..problems import Problem, Severity
from ..schedule.clock import DEFAULT_STEPS_PER_EPOCH, TooLong, acts
from .config import Config, code_of
from .rules import RULES
from .rules._replay import Replay, replay

RECIPE_SUFFIXES = (".yaml", ".yml", ".md")
_DISABLE = re.compile(r"#\s*recipe:\s*disable(-next-line|-file)?=([A-Za-z0-9_,\- ]+)")


@dataclasses.dataclass(frozen=True)
class Linted:
    """What lint reports of one recipe, and what the config or an inline
    `# recipe: disable=` hid (counted in the summary, as ruff counts hidden ones)."""

    problems: list[Problem]
    suppressed: list[Problem]


def lint_recipe(
    recipe: Recipe,
    config: Config | None = None,
    steps_per_epoch: int = DEFAULT_STEPS_PER_EPOCH,
    network: Network | None = None,
    target: Target | None = None,
) -> list[Problem]:
    """Every problem of a loaded recipe, after config and `# recipe: disable=`.

    Schedule rules (REPLAY) see the recipe replayed at `steps_per_epoch` optimizer
    steps an epoch; model rules (MODEL) run when a `network` is given; target rules
    (TARGET) when a `target` CPU is (`--target-cpu`).
    """
    return lint_counted(recipe, config, steps_per_epoch, network, target).problems


def lint_counted(
    recipe: Recipe,
    config: Config | None = None,
    steps_per_epoch: int = DEFAULT_STEPS_PER_EPOCH,
    network: Network | None = None,
    target: Target | None = None,
) -> Linted:
    """`lint_recipe`, with the problems the config and inline comments hid."""
    config = config or Config()
    events, problems = _replayed(recipe, steps_per_epoch)
    if recipe.ok:
        problems += _rule_problems(recipe, events, network, target=target)
    problems.extend(deferred(recipe, events))
    out, hidden = [], []
    disabled_lines = _inline_disables(recipe.source.text)
    whole_file = disabled_lines.get(0, set())
    for p in problems:
        inline = disabled_lines.get(p.line, set()) | whole_file
        if not config.allows(p.code, p.path) or (
            p.code in inline and p.code != "RC000"
        ):
            hidden.append(p)
            continue
        if p.code in config.severity:
            p = p.replace(severity=config.severity[p.code])
        out.append(p)
    return Linted(sorted(set(out)), sorted(set(hidden)))


def model_problems(recipe: Recipe, network: Network) -> list[Problem]:
    """What the model rules find (names SparseML resolves at initialize): what
    `plan --model` refuses on, as it refuses what fails at load."""
    if not recipe.ok:
        return []
    return _rule_problems(recipe, None, network, only_model=True)


def _rule_problems(
    recipe: Recipe,
    events: Replay | None,
    network: Network | None,
    only_model: bool = False,
    target: Target | None = None,
) -> list[Problem]:
    """The rules' findings on a recipe that loaded: model rules with a `network`,
    target rules with a `target`, schedule rules with a replay (`events`), the
    others always."""
    out: list[Problem] = []
    for code, rule in RULES.items():
        if getattr(rule, "TARGET", False):
            if target is None or only_model:
                continue
            findings = rule.check(recipe, target)
        elif getattr(rule, "MODEL", False):
            if network is None:
                continue
            findings = rule.check(recipe, network)
        elif only_model:
            continue
        elif getattr(rule, "REPLAY", False):
            if events is None:
                continue
            findings = rule.check(recipe, events)
        else:
            findings = rule.check(recipe)
        out += [
            Problem(
                recipe.path, f.line, f.column, code, rule.SEVERITY, f.message, f.hint
            )
            for f in findings
        ]
    return out


def problems_at(recipe: Recipe, steps_per_epoch: int) -> list[Problem]:
    """What the loader found, the values SparseML reads only once their modifier
    acts judged at these steps per epoch: what `plan` and `preview` refuse on."""
    t, problems = _replayed(recipe, steps_per_epoch)
    return [*problems, *deferred(recipe, t)]


def _replayed(
    recipe: Recipe, steps_per_epoch: int
) -> tuple[Replay | None, list[Problem]]:
    """The replay the schedule rules judge, and the loader's problems; a replay
    past recipe-compiler's cost bound is an RC008 (its rules are skipped)."""
    problems = list(recipe.problems)
    if not recipe.ok:
        return None, problems
    try:
        return replay(recipe, steps_per_epoch), problems
    except TooLong as exc:
        problems.append(
            codes.make(
                "RC008",
                recipe.path,
                exc.line,
                exc.column,
                f"{exc}: the schedule rules are skipped",
                "update less often, or lint at fewer --steps-per-epoch",
            )
        )
        return None, problems


def deferred(recipe: Recipe, t: Replay | None) -> Iterator[Problem]:
    """The loader's errors on values SparseML reads only once their modifier acts:
    errors where it acts in the replayed training, warnings where it never does.
    Without a replay (the recipe fails anyway, or has no length), errors."""
    by_index = {ev.index: ev for ev in t.events} if t is not None else {}
    for entry in recipe.modifiers:
        ev = by_index.get(entry.index)
        why = None if t is None or ev is None else acts(ev, t.clock)
        for p in entry.deferred:
            if why is None:
                yield p
            else:
                yield p.replace(
                    severity=Severity.WARNING,
                    message=f"{p.message}; but at {t.spe} steps per epoch this "  # type: ignore[union-attr]
                    f"modifier never acts ({why}), so SparseML never reads the value",
                )


def _inline_disables(text: str) -> dict[int, set[str]]:
    """Codes silenced per line by `# recipe: disable=CODE` (its own line),
    `disable-next-line=CODE` (the line after) and `disable-file=CODE` (every
    line: key 0)."""
    out: dict[int, set[str]] = {}
    if "recipe:" not in text:
        return out
    for i, line in enumerate(text.split("\n"), start=1):
        m = _DISABLE.search(line)
        if m:
            where = {None: i, "-next-line": i + 1, "-file": 0}[m.group(1)]
            codes = {code_of(c.strip()) for c in m.group(2).split(",")}
            out.setdefault(where, set()).update(codes)
    return out


def discover(
    paths: Iterable[str | Path], config: Config | None = None
) -> Iterator[Path]:
    """Files to lint: given files as they are; folders recursively.

    In folders, .yaml and .yml files are recipes; a .md file counts only when it
    has front matter that mentions modifiers (so READMEs are skipped); a file the
    config's `exclude` matches is left out.
    """
    for p in paths:
        p = Path(p)
        if not p.is_dir():
            yield p
            continue
        for f in sorted(p.rglob("*")):
            if f.suffix.lower() not in RECIPE_SUFFIXES or not f.is_file():
                continue
            if any(part.startswith(".") for part in f.relative_to(p).parts):
                continue
            if f.suffix.lower() == ".md" and not _is_recipe_card(f):
                continue
            if config is not None and config.excludes(f):
                continue
            yield f


def _is_recipe_card(path: Path) -> bool:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")[:200_000]
    except OSError:
        return True
    return is_recipe_card(text)


def is_recipe_card(text: str) -> bool:
    """A markdown file is a recipe when its front matter mentions modifiers."""
    m = FRONT_MATTER.search(text[:200_000])
    return bool(m and ("modifiers" in m.group(1) or "Modifier" in m.group(1)))


def lint_paths(
    paths: Iterable[str | Path],
    config: Config | None = None,
    overrides: Mapping[str, Any] | None = None,
    limits: Limits | None = None,
    steps_per_epoch: int = DEFAULT_STEPS_PER_EPOCH,
) -> tuple[list[Problem], list[Recipe]]:
    problems, recipes, _ = lint_paths_counted(
        paths, config, overrides, limits, steps_per_epoch
    )
    return problems, recipes


def lint_paths_counted(
    paths: Iterable[str | Path],
    config: Config | None = None,
    overrides: Mapping[str, Any] | None = None,
    limits: Limits | None = None,
    steps_per_epoch: int = DEFAULT_STEPS_PER_EPOCH,
    network: Network | None = None,
    target: Target | None = None,
) -> tuple[list[Problem], list[Recipe], list[Problem]]:
    """`lint_paths`, with the problems the config and inline comments hid."""
    problems: list[Problem] = []
    hidden: list[Problem] = []
    recipes: list[Recipe] = []
    for path in discover(paths, config):
        recipe = from_source(read(path, limits), overrides, limits)
        recipes.append(recipe)
        linted = lint_counted(recipe, config, steps_per_epoch, network, target)
        problems.extend(linted.problems)
        hidden.extend(linted.suppressed)
    return problems, recipes, hidden


def exit_code(problems: Iterable[Problem], strict: bool = False) -> int:
    codes = list(problems)
    if any(p.code == "RC000" for p in codes):
        return 2
    if any(p.severity is Severity.ERROR for p in codes):
        return 1
    if strict and any(p.severity is Severity.WARNING for p in codes):
        return 1
    return 0
