"""Where `recipe lint`'s cold start goes, in instructions (valgrind's callgrind).

Wall-clock start-up on these shared machines varies by a third from run to run;
instruction counts are the same every time, so they tell what each part costs:
the interpreter, the pinned dependencies (click, ruamel.yaml, pydantic) and ours.
Prints millions of instructions per part and the share of the whole.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RECIPE = str(ROOT / "recipes" / "yolov5s-gmp.md")
ENV = {
    **os.environ,
    "NM_DISABLE_ANALYTICS": "1",
    "PYDANTIC_DISABLE_PLUGINS": "__all__",
    "PYDANTIC_SKIP_VALIDATING_CORE_SCHEMAS": "1",
}
DEPS = (
    "import recipe_compiler.cli._startup, click, ruamel.yaml; "
    "from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, "
    "model_validator"
)


PY = (sys.executable, "-c")


def instructions(code: str) -> int:
    out = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *PY, code],
        capture_output=True,
        text=True,
        env=ENV,
        check=True,
    ).stderr
    return int(re.search(r"Collected : (\d+)", out).group(1))  # type: ignore[union-attr]


def main() -> None:
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed: apt-get install valgrind")
    lint = (
        "import sys; from recipe_compiler.cli import main; "
        f"main(['lint', {RECIPE!r}], standalone_mode=False)"
    )
    parts = {
        "python -c pass": instructions("pass"),
        "+ click, ruamel.yaml, pydantic": instructions(DEPS),
        "+ recipe lint on yolov5s-gmp.md": instructions(lint),
    }
    total = parts["+ recipe lint on yolov5s-gmp.md"]
    print(f"{'part':40s} {'Minstr':>8s} {'share':>7s}")
    previous = 0
    for name, count in parts.items():
        print(
            f"{name:40s} {(count - previous) / 1e6:8.0f} {(count - previous) / total:7.0%}"
        )
        previous = count
    print(f"{'total':40s} {total / 1e6:8.0f}")


if __name__ == "__main__":
    main()
