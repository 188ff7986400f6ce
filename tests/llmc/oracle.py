"""llm-compressor 0.14's verdict on recipes: run by `.venv-llmc`'s Python, never
imported by the tests' own interpreter (numpy 2 and sparseml's numpy < 2 cannot
share one environment).

Reads a JSON list of {"name", "text"} on stdin; writes each recipe to a file of
that name in a temporary folder and loads it as a user's script does,
`Recipe.create_instance(path)`; prints one JSON list of verdicts: {"loads",
"modifiers" (class names, the order oneshot applies them), "stage", "error"
("ExceptionType: first line of its message")}.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import warnings

warnings.filterwarnings("ignore")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def main() -> None:
    answer, sys.stdout = sys.stdout, sys.stderr  # the engine prints import errors
    from llmcompressor.recipe import Recipe
    from loguru import logger

    logger.remove()  # the engine's INFO lines would bury the verdicts

    cases = json.load(sys.stdin)
    out = []
    with tempfile.TemporaryDirectory() as folder:
        for case in cases:
            path = os.path.join(folder, os.path.basename(case["name"]))
            with open(path, "w", encoding="utf-8") as f:
                f.write(case["text"])
            try:
                recipe = Recipe.create_instance(path)
            except Exception as exc:  # the verdict, whatever the engine raised
                first = (str(exc).strip().splitlines() or [""])[0]
                out.append(
                    {
                        "loads": False,
                        "modifiers": [],
                        "stage": None,
                        "error": f"{type(exc).__name__}: {first}",
                    }
                )
            else:
                out.append(
                    {
                        "loads": True,
                        "modifiers": [type(m).__name__ for m in recipe.modifiers],
                        "stage": recipe.stage,
                        "error": None,
                    }
                )
            os.unlink(path)
    json.dump(out, answer)


if __name__ == "__main__":
    main()
