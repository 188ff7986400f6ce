"""recipe-compiler: read, check, plan, rescale and preview SparseML 1.8 recipes.

The public API, each name imported from its module on first use, so that
`import recipe_compiler` stays cheap (no pydantic, numpy or plotly until asked).
`lint`, `rescale`, `compile` and `preview` are the modules of those names, which
can be called as their function (`_callable.py` says why):

    import recipe_compiler as rc

    recipe = rc.load("recipes/yolov5s-gmp.md")   # a recipe, as SparseML reads it
    rc.lint(recipe)                              # its problems
    rc.plan(recipe, steps_per_epoch=1849)        # every optimizer step
    rc.rescale(recipe, 300).text                 # the 90-epoch rule
    rc.compile(recipe, {"final_sparsity": 0.75}, flat=False)  # SparseML-ready text
    rc.preview([rc.Planned(recipe, timeline, problems, "name")])  # the HTML page
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .compile import compile_recipe as compile  # noqa: F401
    from .lint import lint_recipe as lint  # noqa: F401
    from .preview import Planned  # noqa: F401
    from .preview import render as preview  # noqa: F401
    from .recipe import Recipe, load  # noqa: F401
    from .rescale import rescale  # noqa: F401
    from .schedule import plan  # noqa: F401

_API = {  # name -> (module, attribute); None: the callable module itself
    "load": ("recipe", "load"),
    "Recipe": ("recipe", "Recipe"),
    "lint": ("lint", None),
    "plan": ("schedule", "plan"),
    "rescale": ("rescale", None),
    "compile": ("compile", None),
    "preview": ("preview", None),
    "Planned": ("preview", "Planned"),
}
__all__ = sorted(_API)


def __getattr__(name: str) -> Any:
    if name not in _API:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attr = _API[name]
    found = importlib.import_module(f"{__name__}.{module}")
    value = found if attr is None else getattr(found, attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_API])
