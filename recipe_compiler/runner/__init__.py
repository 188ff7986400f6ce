"""The runner: a recipe executed by SparseML 1.8 on a real model (the `runner` extra).

Import `recipe_compiler.runner.compat` first: it patches torch 2.13 so that sparseml
1.8 works with it. Nothing here is imported by lint, plan, rescale or preview.
"""


class RunError(RuntimeError):
    """The run cannot start or go on (a bad recipe, model or checkpoint); the message
    says why and what to do."""


def __getattr__(name: str) -> object:
    """`from recipe_compiler.runner import RecipeSession` imports torch only then."""
    if name == "RecipeSession":
        from .session import RecipeSession

        return RecipeSession
    raise AttributeError(name)
