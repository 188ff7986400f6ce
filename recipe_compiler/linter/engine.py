"""The lint loop: a recipe's loader problems plus what its rules find, filtered by
the config and inline disables.

One entry point a recipe (`lint_recipe`) and one for many sources (`lint_sources`,
which `lint_paths` feeds from files and `recipe lint` from files and stdin alike);
both report what the config and inline comments hid, as ruff counts hidden ones.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..loader import codes
from ..loader.recipe import Recipe, from_source
from ..loader.source import Limits, Source, read
from ..problems import Problem, Severity
from ..schedule.clock import DEFAULT_STEPS_PER_EPOCH, TooLong, acts
from .config import Config
from .context import Context
from .disables import inline_disables
from .discovery import discover
from .rules import RULES
from .rules._replay import Replay, replay

if TYPE_CHECKING:
    from ..hardware.measured import Target
    from ..model.llm.tree import LLM
    from ..model.network import Network


@dataclasses.dataclass(frozen=True)
class Linted:
    """What lint reports of one or more recipes, and what the config or an inline
    `# recipe: disable=` hid (counted in the summary)."""

    problems: list[Problem]
    suppressed: list[Problem]
    recipes: list[Recipe] = dataclasses.field(default_factory=list)
    counted: int = 0  # recipes linted in other processes (their count, not them)
    skipped: int = 0  # files a folder walk passed over as not recipes
    # (path, dialect, why) of each recipe read as another engine's than SparseML's
    # legacy loader: the text report says so
    read_as: list[tuple[str, str, str]] = dataclasses.field(default_factory=list)

    @property
    def linted(self) -> int:
        """How many recipes were linted."""
        return len(self.recipes) + self.counted

    def __add__(self, other: Linted) -> Linted:
        return Linted(
            sorted(self.problems + other.problems),
            sorted(self.suppressed + other.suppressed),
            self.recipes + other.recipes,
            self.counted + other.counted,
            self.skipped + other.skipped,
            sorted(self.read_as + other.read_as),
        )


def lint_recipe(
    recipe: Recipe,
    config: Config | None = None,
    steps_per_epoch: int = DEFAULT_STEPS_PER_EPOCH,
    network: Network | LLM | None = None,
    target: Target | None = None,
) -> Linted:
    """Every problem of a loaded recipe, after config and `# recipe: disable=`.

    Rules that need the replay see the recipe replayed at `steps_per_epoch`
    optimizer steps an epoch; rules that need the network run when a `network` is
    given; rules that need a sweep when a `target` CPU is (`--target-cpu`).
    """
    config = config or Config()
    dialect, why = _dialect(recipe, config)
    llm: LLM | None = None
    net: Network | None = None
    if network is not None:  # (imported only then: a lint without --model is lean)
        from ..model.llm.tree import LLM

        if isinstance(network, LLM):
            llm = network  # (an LLM is read for llm-compressor's recipes)
        else:
            net = network
    if dialect in ("llm-compressor", "sparseml-core"):
        if dialect == "llm-compressor":
            from ..dialects.llmcompressor.lint import problems as llmc_problems

            found = llmc_problems(recipe, llm)
        else:
            from ..dialects.sparsemlcore.lint import problems as core_problems

            found = core_problems(recipe, steps_per_epoch)
        linted = _kept(recipe, config, found)
        return dataclasses.replace(linted, read_as=[(recipe.path, dialect, why)])
    events, problems = _replayed(recipe, steps_per_epoch)
    if recipe.ok or recipe.root is not None:
        # an error hides no other finding (as ruff reports all it can): the rules
        # that read the recipe run on the modifiers that loaded; those that read
        # its replay wait for the error's fix (a schedule without the broken
        # modifier would mislead)
        replayed = events if recipe.ok else None
        problems += _rule_problems(Context(recipe, config, replayed, net, target))
    problems.extend(deferred(recipe, events))
    return _kept(recipe, config, problems)


def _dialect(recipe: Recipe, config: Config) -> tuple[str, str]:
    """The dialect the recipe is linted as, and why: the config's (or --dialect),
    or what `auto` makes of it (`dialects.detect`)."""
    from ..dialects.detect import resolve

    choice = resolve(config.dialect, recipe.root)
    return choice.dialect.value, choice.why


def _kept(recipe: Recipe, config: Config, problems: list[Problem]) -> Linted:
    """The problems the config and `# recipe: disable=` comments let through, and
    those they hid."""
    out, hidden = [], []
    disabled_lines = inline_disables(recipe.source.text)
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
    return Linted(sorted(set(out)), sorted(set(hidden)), [recipe])


def lint_sources(
    sources: Iterable[Source],
    config: Config | None = None,
    overrides: Mapping[str, Any] | None = None,
    limits: Limits | None = None,
    steps_per_epoch: int = DEFAULT_STEPS_PER_EPOCH,
    network: Network | LLM | None = None,
    target: Target | None = None,
) -> Linted:
    """Each source loaded (with `overrides`) and linted; problems of all, sorted."""
    problems: list[Problem] = []
    hidden: list[Problem] = []
    recipes: list[Recipe] = []
    read_as: list[tuple[str, str, str]] = []
    for src in sources:
        recipe = from_source(src, overrides, limits)
        linted = lint_recipe(recipe, config, steps_per_epoch, network, target)
        recipes.append(recipe)
        problems.extend(linted.problems)
        hidden.extend(linted.suppressed)
        read_as.extend(linted.read_as)
    return Linted(sorted(problems), sorted(hidden), recipes, read_as=sorted(read_as))


def lint_paths(
    paths: Iterable[str | Path],
    config: Config | None = None,
    overrides: Mapping[str, Any] | None = None,
    limits: Limits | None = None,
    steps_per_epoch: int = DEFAULT_STEPS_PER_EPOCH,
    network: Network | None = None,
    target: Target | None = None,
    jobs: int = 1,
) -> Linted:
    """The recipes at `paths` (files as given, folders walked by `discover`), over
    `jobs` processes when there are enough files to pay for them (as ruff does);
    the problems are sorted, so the output is one process's."""
    skipped: list[Path] = []
    files = list(discover(paths, config, skipped))
    settings = (config, overrides, limits, steps_per_epoch, network, target)
    if jobs <= 1 or len(files) < PARALLEL_FROM:
        return _lint_files(files, *settings) + Linted([], [], skipped=len(skipped))
    import concurrent.futures
    import multiprocessing

    chunks = _balanced(files, jobs)
    context = multiprocessing.get_context("fork")  # workers start with our imports
    pool = concurrent.futures.ProcessPoolExecutor(len(chunks), mp_context=context)
    with pool:
        parts = list(pool.map(_lint_chunk, [(chunk, settings) for chunk in chunks]))
    out = Linted([], [], skipped=len(skipped))
    for part in parts:
        out = out + part
    return out


PARALLEL_FROM = 16  # fewer files lint faster in one process than a pool starts


def jobs_default() -> int:
    """The cores this process may run on."""
    import os

    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _lint_files(
    files: list[Path],
    config: Config | None,
    overrides: Mapping[str, Any] | None,
    limits: Limits | None,
    steps_per_epoch: int,
    network: Network | None,
    target: Target | None,
) -> Linted:
    sources = (read(path, limits) for path in files)
    return lint_sources(
        sources, config, overrides, limits, steps_per_epoch, network, target
    )


def _lint_chunk(job: tuple[list[Path], tuple[Any, ...]]) -> Linted:
    """A worker's share: its Linted without the recipes (only their count travels
    back; a Recipe holds its whole tree)."""
    files, settings = job
    linted = _lint_files(files, *settings)
    return Linted(
        linted.problems, linted.suppressed, [], linted.linted, read_as=linted.read_as
    )


def _balanced(files: list[Path], jobs: int) -> list[list[Path]]:
    """`files` in at most `jobs` groups of about equal bytes (a recipe's lint cost
    grows with its size), largest first onto the lightest group."""
    groups: list[list[Path]] = [[] for _ in range(jobs)]
    loads = [0] * jobs
    for f in sorted(files, key=_size, reverse=True):
        lightest = loads.index(min(loads))
        groups[lightest].append(f)
        loads[lightest] += _size(f)
    return [g for g in groups if g]


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def model_problems(recipe: Recipe, network: Network) -> list[Problem]:
    """What the rules that need the network find (names SparseML resolves at
    initialize): what `plan --model` refuses on, as it refuses what fails at load."""
    if not recipe.ok:
        return []
    return _rule_problems(Context(recipe, Config(), model=network), only="network")


def _rule_problems(ctx: Context, only: str | None = None) -> list[Problem]:
    """The rules' findings on a recipe that loaded: each rule whose needs the
    context meets (with `only`, just the rules that need that)."""
    out: list[Problem] = []
    recipe = ctx.recipe
    for code in RULES:
        needs = RULES.needs(code)
        if only is not None and only not in needs:
            continue
        if not all(ctx.has(need) for need in needs):
            continue  # not imported: a lint without --model loads no model rule
        rule = RULES[code]
        out += [
            Problem(
                recipe.path, f.line, f.column, code, rule.SEVERITY, f.message, f.hint
            )
            for f in rule.check(ctx)
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


def exit_code(problems: Iterable[Problem], strict: bool = False) -> int:
    found = list(problems)
    if any(p.code == "RC000" for p in found):
        return 2
    if any(p.severity is Severity.ERROR for p in found):
        return 1
    if strict and any(p.severity is Severity.WARNING for p in found):
        return 1
    return 0
