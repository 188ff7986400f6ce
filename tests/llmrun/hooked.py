"""`recipe run` in .venv-llmc with something made to fail during oneshot:
argv[1] is "raise" (the forward of a Linear of the weight shape argv[2],
"OUTxIN", raises RuntimeError, as a kernel or a broken weight would), "sigint"
(that forward sends this process SIGINT, as Ctrl-C would, once) or "solver"
(torch.cholesky_inverse, which GPTQ's Hessian inversion calls, raises: a
failure inside a modifier's own work; argv[2] unused); the rest is the command
line. Exits with recipe's exit code. Global hooks, so that the runner's code
runs unchanged."""

from __future__ import annotations

import os
import signal
import sys
import time


def main() -> None:
    import torch

    mode, shape, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
    rows, cols = map(int, shape.split("x")) if "x" in shape else (0, 0)
    fired = []

    def hook(module, args, output):
        weight = getattr(module, "weight", None)
        if (
            isinstance(module, torch.nn.Linear)
            and weight is not None
            and tuple(weight.shape) == (rows, cols)
            and not fired
        ):
            fired.append(True)
            if mode == "raise":
                raise RuntimeError("the kernel refused this layer")
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(30)  # (the handler raises here, not in some __del__ later)

    if mode == "solver":

        def refuse(*args, **kwargs):
            raise RuntimeError("the solver refused this Hessian")

        torch.cholesky_inverse = refuse
    else:
        torch.nn.modules.module.register_module_forward_hook(hook)
    from recipe_compiler.cli import main as recipe

    recipe(argv)


if __name__ == "__main__":
    main()
