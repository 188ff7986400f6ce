"""SparseML 1.8's `sparseml.core` verdict on staged recipes, in a process of its
own (the engine keeps a global modifier registry and logs at import).

Reads a JSON list of {"name", "text"} on stdin; writes each recipe to a file of
that name in a temporary folder and does what a session does before training
(the corpus INDEX's columns): `Recipe.create_instance(path)` (load), then
`RecipeContainer().update(recipe=path)`, `check_compile_recipe()` and
`compiled_recipe.create_modifier(Framework.pytorch)` (build). Prints one JSON list
of verdicts: {"loads", "builds", "modifiers" (class names built), "stages"
(their names), "run_types", "step" (where it failed: "load" or "build"),
"error" ("ExceptionType: first line of its message"), "fields" (each built
modifier's scalar fields as the engine holds them, its own state `..._` left
out)}.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
import warnings

warnings.filterwarnings("ignore")
os.environ.setdefault("NM_DISABLE_ANALYTICS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def _error(exc: BaseException) -> str:
    first = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first}"


def verdict(path: str) -> dict:
    from sparseml.core.framework import Framework
    from sparseml.core.recipe import Recipe
    from sparseml.core.recipe.container import RecipeContainer

    out: dict = {
        "loads": False,
        "builds": False,
        "modifiers": [],
        "stages": [],
        "run_types": [],
        "step": None,
        "error": None,
        "fields": [],
    }
    try:
        recipe = Recipe.create_instance(path)
    except Exception as exc:  # the verdict, whatever the engine raised
        return {**out, "step": "load", "error": _error(exc)}
    out["loads"] = True
    out["stages"] = [s.group for s in recipe.stages]
    out["run_types"] = [
        str(s.run_type.value) if s.run_type else None for s in recipe.stages
    ]
    try:
        container = RecipeContainer()
        container.update(recipe=path)
        container.check_compile_recipe()
        built = container.compiled_recipe.create_modifier(Framework.pytorch)
    except Exception as exc:
        return {**out, "step": "build", "error": _error(exc)}
    out["builds"] = True
    out["modifiers"] = [type(m).__name__ for stage in built for m in stage.modifiers]
    out["fields"] = [_scalars(m) for stage in built for m in stage.modifiers]
    return out


def _scalars(modifier: object) -> dict:
    return {
        k: v
        for k, v in vars(modifier).items()
        if not k.endswith("_") and isinstance(v, int | float | str | bool | None)
    }


def main() -> None:
    answer, sys.stdout = sys.stdout, sys.stderr  # the engine prints at import
    logging.disable(logging.CRITICAL)
    import sparseml.core.recipe  # noqa: F401 - imported before timing any case

    cases = json.load(sys.stdin)
    out = []
    with tempfile.TemporaryDirectory() as folder:
        for case in cases:
            path = os.path.join(folder, os.path.basename(case["name"]))
            with open(path, "w", encoding="utf-8") as f:
                f.write(case["text"])
            out.append(verdict(path))
            os.unlink(path)
    json.dump(out, answer)


if __name__ == "__main__":
    main()
