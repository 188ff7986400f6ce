"""recipe-compiler: read, check, plan, rescale and preview SparseML 1.8 recipes.

The public API, as plain functions. Each imports its stage when called, so that
`import recipe_compiler` stays cheap (no pydantic, numpy or plotly until used):

    import recipe_compiler as rc

    recipe = rc.load("recipes/yolov5s-gmp.md")   # a recipe, as SparseML reads it
    rc.lint(recipe)                              # its problems
    rc.plan(recipe, steps_per_epoch=1849)        # every optimizer step
    rc.rescale(recipe, 300).text                 # the 90-epoch rule
    rc.compile(recipe, {"final_sparsity": 0.75}) # SparseML-ready text
    rc.preview([recipe], steps_per_epoch=1849)   # the HTML page

The stages behind them (`loader/`, `schedule/`, `linter/`, `edit/`, `views/`) are
internal: their module paths may change between releases.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from .edit.rescale import Result
    from .hardware.measured import Target
    from .linter.config import Config
    from .loader.recipe import Recipe
    from .loader.source import Limits
    from .model.network import Network
    from .problems import Problem
    from .schedule.timeline import Timeline
    from .views.preview import Planned

# the API's types and errors: module -> names, imported when first asked for
_TYPES = {
    "loader.recipe": ("Recipe",),
    "loader.overrides": ("OverrideError",),
    "schedule.timeline": ("ScheduleError", "Timeline"),
    "edit.rescale": ("RescaleError",),
    "edit.compile": ("CompileError",),
    "views.preview": ("Planned",),
}
__all__ = sorted(
    ["compile", "lint", "load", "plan", "preview", "rescale"]
    + [name for names in _TYPES.values() for name in names]
)

DEFAULT_STEPS_PER_EPOCH = 100  # schedule.clock's; a test holds the two equal


def load(
    path_or_text: str | os.PathLike[str],
    overrides: Mapping[str, Any] | None = None,
    limits: Limits | None = None,
    *,
    text: bool | None = None,
) -> Recipe:
    """A recipe file (`.yaml`, or `.md` with front matter) or text, read as
    SparseML 1.8's `ScheduledModifierManager.from_yaml` reads it.

    Text is told from a path by a newline (as SparseML does) unless `text` says.
    `overrides` are `--var` values (SparseML's `recipe_variables`). Every finding is
    a `Problem` on the returned `Recipe` (`recipe.problems`, `recipe.ok`); an
    override naming no variable raises `OverrideError`.
    """
    from .loader.recipe import load as load_recipe

    return load_recipe(path_or_text, overrides, limits, text=text)


def lint(
    recipe: Recipe,
    config: Config | None = None,
    steps_per_epoch: int = DEFAULT_STEPS_PER_EPOCH,
    network: Network | None = None,
    target: Target | None = None,
) -> list[Problem]:
    """Every problem `recipe lint` reports for a loaded recipe, sorted by position,
    after `config` and inline `# recipe: disable=` comments.

    Schedule rules replay the recipe at `steps_per_epoch`; model rules run when a
    `network` (what `--model` reads) is given; `target` (a sweep, `--target-cpu`)
    adds what the recipe's sparsity bought on that CPU.
    """
    from .linter.engine import lint_recipe

    return lint_recipe(recipe, config, steps_per_epoch, network, target).problems


def plan(
    recipe: Recipe,
    steps_per_epoch: int,
    *,
    epochs: float | None = None,
    param_groups: int = 1,
    base_lr: float | None = None,
    grad_accum: int = 1,
    partial: bool = False,
) -> Timeline:
    """Every optimizer step of `recipe` as SparseML 1.8 runs it: the learning rate,
    each pruning modifier's target sparsity, the modifiers' windows and the phases.

    `epochs` overrides the training length (default: SparseML's `max_epochs`);
    `base_lr` is the optimizer's LR before a modifier sets one; `grad_accum` batches
    make one step; `partial` plans what loaded of a recipe with errors. Raises
    `ScheduleError` when the recipe cannot be planned.
    """
    from .schedule.timeline import plan as plan_steps

    return plan_steps(
        recipe,
        steps_per_epoch,
        epochs=epochs,
        param_groups=param_groups,
        base_lr=base_lr,
        grad_accum=grad_accum,
        partial=partial,
    )


def rescale(
    recipe: Recipe,
    epochs: float,
    *,
    from_epochs: float | None = None,
    update_frequency: Literal["keep", "scale"] = "keep",
    round_to: float | None = None,
    lr: tuple[float, float] | None = None,
) -> Result:
    """`recipe` retargeted from its base length (its `rescale` header, else 90
    dense epochs) to `epochs` by the 90-epoch rule; `.text` is the new file text,
    comments, layout and variables kept (numbers edited where they are written).

    `lr=(init, final)`: the dense run's LRs; pruning runs at their midpoint.
    `update_frequency="scale"` scales mask updates too; `round_to` rounds the new
    epochs. Raises `RescaleError` (a ValueError) when a number cannot be edited.
    """
    from .edit.rescale import rescale as rescale_recipe

    return rescale_recipe(
        recipe,
        epochs,
        from_epochs=from_epochs,
        update_frequency=update_frequency,
        round_to=round_to,
        lr=lr,
    )


def compile(
    recipe: Recipe,
    overrides: Mapping[str, Any] | None = None,
    flat: bool = False,
    *,
    steps_per_epoch: int = DEFAULT_STEPS_PER_EPOCH,
    config: Config | None = None,
) -> str:
    """SparseML-ready text of `recipe` with `overrides` written in; `flat` writes
    every expression evaluated. Raises `CompileError` where `recipe lint` (with
    `config`, at `steps_per_epoch`) finds an error in the recipe or the output.
    """
    from .edit.compile import compile_recipe

    return compile_recipe(
        recipe, overrides or {}, flat, steps_per_epoch=steps_per_epoch, config=config
    )


def preview(
    recipes: Sequence[Recipe | Planned],
    steps_per_epoch: int = DEFAULT_STEPS_PER_EPOCH,
) -> str:
    """One self-contained HTML page (plotly inlined, works offline) of the recipes'
    schedules on one epoch axis, with their lint problems; several are compared.

    A `Recipe` is planned and linted at `steps_per_epoch`; a `Planned` is drawn as
    given (its timeline, problems, name; what `recipe preview` builds).
    """
    from .views.preview import planned_of, render

    return render([planned_of(r, steps_per_epoch) for r in recipes])


def __getattr__(name: str) -> Any:
    """The API's types and errors (`rc.Recipe`, `rc.RescaleError`, ...)."""
    import importlib

    for module, names in _TYPES.items():
        if name in names:
            value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
            globals()[name] = value
            return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
