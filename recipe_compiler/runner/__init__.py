"""The runner: a recipe executed by SparseML 1.8 on a real model (the `runner` extra).

The run's phases: `prepare` (the recipe as the run applies it: `--var`, rescaled,
linted), `train` (`recipe run`: dense phase, the recipe, export, bench, report),
`session` (the recipe in a training loop: SparseML's manager, watched tensors,
observed.csv), `export` (ONNX through sparseml's exporter), `bench` (DeepSparse and
onnxruntime timed interleaved), `report` (report.json/md/html). Infrastructure:
`checkpoint`, `distributed`, `progress`, `trained`, `errors`. Products of their own:
`sweep` (`recipe sweep`), `tables` (the generator of `model/tables/`). `zoo/` holds
the models and data the runner trains offline.

May import: everything below it (`deploy/`, `views/`, `edit/`, `linter/`, the model,
schedule and loader stages, the ground floor); nothing here is imported by lint,
plan, rescale or preview. `torch_compat.apply()` runs before sparseml is imported.
"""

from .errors import RunError

__all__ = ["RecipeSession", "RunError"]


def __getattr__(name: str) -> object:
    """`from recipe_compiler.runner import RecipeSession` imports torch only then."""
    if name == "RecipeSession":
        from .session import RecipeSession

        return RecipeSession
    raise AttributeError(name)
