"""What the planner page shows for a recipe's text: a pure function of the text
and the settings, so the server holds no state but the file and a cache.

The text is read, linted and planned by the same code as `recipe lint`, `plan`
and `preview` (the legacy recipes' schedule by SparseML's arithmetic, a
sparseml.core recipe's train stages as its session runs them, an llm-compressor
recipe's per-layer schemes with an LLM as `--model`). A knob is an edit of the
text, made as `recipe compile --var` (a variable) or `recipe rescale` (the
training length) make theirs: comments and layout kept.
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING, Any

from ..linter.config import Config
from ..loader import source
from ..loader.recipe import Recipe, from_source
from ..loader.source import Limits
from ..problems import Problem

if TYPE_CHECKING:
    from ..hardware.measured import Target
    from ..model.llm.tree import LLM
    from ..model.network import Network

# the dense epochs a recipe is written for when it says nothing (the 90-epoch rule)
RULE_EPOCHS = 90.0
# what a knob's request may ask: steps per epoch beyond this are not planned here
MAX_STEPS_PER_EPOCH = 100_000


class EditError(ValueError):
    """A knob that cannot be applied to the text; the message says why."""


@dataclasses.dataclass(frozen=True)
class Settings:
    """What the planner was started with."""

    path: str  # the file (problems name it)
    steps_per_epoch: int
    dialect: str | None = None  # None: the config's, else auto
    model: Network | LLM | None = None
    # a sweep measured on this CPU (`--target-cpu auto`'s), for the speed of
    # the measured variant nearest the recipe (RC601)
    target: Target | None = None
    config: Config = dataclasses.field(default_factory=Config)
    limits: Limits = dataclasses.field(default_factory=Limits)


@dataclasses.dataclass
class Cache:
    """The last recipe read, for an edit inside one value to reuse its tree
    (what the language server does on each keystroke)."""

    recipe: Recipe | None = None


def read(text: str, settings: Settings, cache: Cache | None = None) -> Recipe:
    """The recipe of `text`: the cached one where it is that text (a knob is
    moved on the text just drawn), else read reusing the cached tree."""
    previous = cache.recipe if cache is not None else None
    if previous is not None and previous.source.path != settings.path:
        previous = None  # (saved as another file: read afresh)
    if previous is not None and previous.source.text == text:
        return previous
    src = source.from_text(text, settings.path, source.kind_of(settings.path))
    recipe = from_source(src, limits=settings.limits, previous=previous, remember=True)
    if cache is not None:
        cache.recipe = recipe
    return recipe


def state(
    text: str,
    settings: Settings,
    *,
    steps_per_epoch: int | None = None,
    dialect: str | None = None,
    cache: Cache | None = None,
) -> dict[str, Any]:
    """The page's state for `text`: whether it parsed, its problems, its
    variables (the knobs), the training length, and the charts."""
    from ..dialects.detect import resolve
    from ..linter.engine import lint_recipe

    spe = steps_per_epoch or settings.steps_per_epoch
    recipe = read(text, settings, cache)
    chosen = dialect or settings.dialect or settings.config.dialect
    choice = resolve(chosen, recipe.root)
    config = dataclasses.replace(settings.config, dialect=choice.dialect.value)
    model = settings.model
    llm = model is not None and hasattr(model, "architecture")
    if llm and choice.dialect.value != "llm-compressor":
        model = None  # (an LLM is read for llm-compressor's recipes only)
    if not llm and choice.dialect.value != "sparseml":
        model = None  # (a CNN is read for legacy recipes only)
    legacy = choice.dialect.value == "sparseml"
    target = settings.target if legacy else None
    problems = lint_recipe(recipe, config, spe, model, target).problems
    speed = next((p for p in problems if p.code == "RC601"), None)
    out: dict[str, Any] = {
        "parsed": recipe.root is not None,
        "dialect": choice.dialect.value,
        "why": choice.why,
        "steps_per_epoch": spe,
        "problems": [p.to_dict() for p in problems],
        "errors": sum(p.severity == "error" for p in problems),
        "variables": [],
        "epochs": None,
        "figures": [],
        "note": None,
        "speed": speed.to_dict() if speed is not None else None,
    }
    if recipe.root is None:
        out["note"] = "the text does not parse: the charts are the last good ones"
        return out
    if choice.dialect.value == "sparseml":
        out.update(_legacy(recipe, problems, spe, model))
    elif choice.dialect.value == "sparseml-core":
        out.update(_core(recipe, spe))
    else:
        out.update(_llmc(recipe, model if llm else None))
    return out


def _legacy(
    recipe: Recipe, problems: list[Problem], spe: int, network: Any
) -> dict[str, Any]:
    from ..edit.rescale import declared_base
    from ..model.layerplan import layer_plan
    from ..schedule.timeline import ScheduleError, plan
    from ..views.preview import Planned, figures, layer_figure

    note = None
    timeline = None
    if recipe.models:
        try:
            timeline = plan(recipe, spe, partial=True)
        except ScheduleError as exc:
            note = f"nothing to draw: {exc}"
    else:
        note = "no modifier loaded: nothing to draw"
    if not recipe.ok and recipe.models:
        note = (
            f"SparseML would refuse this recipe; drawn from the {len(recipe.models)} "
            f"of {len(recipe.modifiers)} modifiers that loaded"
        )
    figs: list[dict[str, Any]] = []
    if timeline is not None:
        layers = layer_plan(recipe, network) if network and recipe.ok else None
        planned = Planned(recipe, timeline, problems, recipe.path, layers=layers)
        figs = figures([planned])
        per_layer = layer_figure([planned])
        if per_layer is not None:
            figs.append(per_layer)
    base = declared_base(recipe)
    return {
        "variables": _knobs(recipe),
        "epochs": {
            "dense": base or RULE_EPOCHS,
            "declared": base is not None,
            "planned": timeline.max_epochs if timeline is not None else None,
        },
        "figures": [_figure(f) for f in figs],
        "note": note,
    }


def _core(recipe: Recipe, spe: int) -> dict[str, Any]:
    from ..dialects.sparsemlcore.reader import read as core_read
    from ..dialects.sparsemlcore.schedule import TooLong
    from ..edit.rescale import declared_base
    from ..views.staged_preview import stage_figures

    walked = core_read(recipe.root)
    note = None
    figs: list[dict[str, Any]] = []
    try:
        figs, before = stage_figures(walked, spe)
        if before:
            note = "applied once before training (oneshot): " + ", ".join(before)
    except TooLong as exc:
        note = f"a train stage of {exc}: chart it at fewer steps per epoch"
    base = declared_base(recipe)
    nodes = _arg_nodes(recipe, walked)
    return {
        "variables": [
            _knob(name, value, nodes.get(name)) for name, value in walked.args.items()
        ],
        "epochs": {"dense": base or RULE_EPOCHS, "declared": base is not None},
        "figures": [_figure(f) for f in figs],
        "note": note,
    }


def _llmc(recipe: Recipe, llm: Any) -> dict[str, Any]:
    if llm is None:
        return {
            "note": "llm-compressor's oneshot applies its modifiers once: no schedule "
            "to chart (with --model DIR, what it does to each layer)"
        }
    from ..dialects.llmcompressor.applied import NotPredicted, applied, sparsified
    from ..dialects.llmcompressor.reader import read as llmc_read
    from ..model.llm.match import Unsafe
    from ..views.llm_modules import modules_json
    from ..views.llm_preview import figures

    walked = llmc_read(recipe.root)
    if walked.refused is not None:
        return {"note": "llm-compressor would refuse it: nothing to chart"}
    try:
        given = applied(walked.modifiers, llm)
        pruned = sparsified(walked.modifiers, llm)
    except (NotPredicted, Unsafe) as exc:
        return {"note": f"what oneshot does is not computed here: {exc}"}
    doc = modules_json(llm, given, llm.dtype, pruned)
    return {"figures": [_figure(f) for f in figures(doc)]}


def _figure(f: dict[str, Any]) -> dict[str, Any]:
    return {"id": f["id"], "data": f["data"], "layout": f["layout"]}


def _arg_nodes(recipe: Recipe, walked: Any) -> dict[str, Any]:
    root = recipe.root
    if root is None or root.kind != "map":
        return {}
    return {name: root.get(name) for name in walked.args}


def _knobs(recipe: Recipe) -> list[dict[str, Any]]:
    """A knob per variable name: a name written in several places (stages) is
    one knob, as `--var` sets them all; its label names the places."""
    out: dict[str, dict[str, Any]] = {}
    for var in recipe.all_variables():
        knob = _variable(var)
        first = out.get(var.name)
        if first is None:
            out[var.name] = knob
            continue
        first["places"] = first.get("places", 1) + 1
        if knob["value"] != first["value"]:
            first["why"] = (
                f"{var.name} is written {first['places']} times with different "
                "values; a change sets every one, as --var does"
            )
        first["editable"] = first["editable"] and knob["editable"]
    return list(out.values())


def _variable(var: Any) -> dict[str, Any]:
    knob = _knob(var.name, var.value, var.node)
    if var.expression is not None:
        knob.update(editable=False, why=f"eval({var.expression})")
    elif var.aliases:
        knob.update(editable=False, why="also used through a YAML alias")
    knob["stage"] = var.stage
    return knob


def _knob(name: str, value: Any, node: Any) -> dict[str, Any]:
    """A control for one variable: its value, and a step and range from it."""
    plain = node is not None and node.kind == "scalar" and not node.via_alias
    out: dict[str, Any] = {
        "name": name,
        "value": value if _jsonable(value) else str(value),
        "line": node.line if node is not None else None,
        "numeric": False,
        "editable": plain,
        "why": None if plain else "not a plain value",
        "stage": None,
    }
    if isinstance(value, bool) or not isinstance(value, int | float):
        return out
    if not math.isfinite(value):
        return out
    out["numeric"] = True
    if isinstance(value, int):
        out.update(step=1, min=min(value, 0), max=max(10, 4 * value))
    elif 0 <= value <= 1:  # a fraction: a step a tenth of its own size at most
        size = 10 ** math.floor(math.log10(value)) if value else 0.1
        out.update(step=min(0.01, size / 10), min=0, max=1)
    else:
        size = 10 ** math.floor(math.log10(abs(value)))
        out.update(step=size / 10, min=min(0, 4 * value), max=max(0, 4 * value))
    return out


def _jsonable(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return value is None or isinstance(value, str | int | bool)


def parse_value(raw: str) -> Any:
    """A knob's value as `--var NAME=VALUE` reads one: an int, a finite
    float, else the string."""
    if not raw.strip():
        raise EditError("give the knob a value")
    for cast in (int, float):
        try:
            value = cast(raw)
        except ValueError:
            continue
        if isinstance(value, float) and not math.isfinite(value):
            raise EditError(f"{raw!r} is not a finite number")
        return value
    return raw


def set_variable(
    text: str,
    settings: Settings,
    name: str,
    raw: str,
    cache: Cache | None = None,
    dialect: str = "sparseml",
) -> str:
    """The text with variable `name` set to `raw`, as `recipe compile --var`
    writes it (every variable of that name, as SparseML's override sets
    them); a sparseml.core recipe's top-level arg in place (its stages' keys
    are modifier groups, not variables)."""
    from ..edit.set_vars import write
    from ..edit.spans import Edit, apply, number_text
    from ..edit.yaml_out import scalar
    from ..loader.overrides import OverrideError

    value = parse_value(raw)
    recipe = read(text, settings, cache)
    if recipe.root is None:
        raise EditError("the text does not parse: fix it first")
    legacy = dialect == "sparseml"
    if legacy and any(v.name == name for v in recipe.all_variables()):
        try:
            return write(recipe, {name: value})
        except OverrideError as exc:
            raise EditError(str(exc)) from None
    node = recipe.root.get(name) if recipe.root.kind == "map" else None
    if legacy or node is None or node.kind != "scalar" or node.via_alias:
        raise EditError(f"the recipe has no plain variable '{name}'")
    old = text[node.span[0] : node.span[1]]
    new = (
        number_text(value, old)
        if isinstance(value, int | float) and not isinstance(value, bool)
        else scalar(value)
    )
    return apply(text, [Edit(node.span[0], node.span[1], new)])


def set_epochs(
    text: str,
    settings: Settings,
    epochs: float,
    dialect: str,
    cache: Cache | None = None,
) -> str:
    """The text rescaled to `epochs` dense epochs, as `recipe rescale --epochs`."""
    from ..edit.rescale import RescaleError, rescale
    from ..edit.rescale_core import rescale_core

    if not (math.isfinite(epochs) and 0 < epochs <= 100_000):
        raise EditError("the training length must be a positive number of epochs")
    recipe = read(text, settings, cache)
    if recipe.root is None:
        raise EditError("the text does not parse: fix it first")
    try:
        if dialect == "sparseml-core":
            return rescale_core(recipe, epochs).text
        if dialect != "sparseml":
            raise EditError("llm-compressor recipes have no epochs")
        return rescale(recipe, epochs).text
    except RescaleError as exc:
        raise EditError(str(exc)) from None
