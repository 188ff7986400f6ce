"""SparseML 1.8's sparseml.core training a tiny model through a recipe: what each
modifier does at every optimizer step, in a process of its own.

Reads a JSON list of {"recipe": text, "steps_per_epoch": N, "steps": K} on stdin.
For each: a session is initialized on a two-layer model at epoch 0 (as its
finetune trainer starts a train stage) and driven through K steps with the
events its trainer sends each step (batch_start, loss_calculated,
optim_pre_step, optimizer step, optim_post_step, batch_end). Prints one JSON list:
per case {"steps": per step, per modifier [started, ended, sparsity] (sparsity:
a MagnitudePruningModifier's current one, else null), "error": the exception a
step raised ("Type: message"; the steps before it are listed), or null}.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import warnings

warnings.filterwarnings("ignore")
os.environ.setdefault("NM_DISABLE_ANALYTICS", "1")


def run(case: dict) -> object:
    import sparseml.core.session as sessions
    import torch
    from sparseml.core.framework import Framework
    from sparseml.core.session import LifecycleCallbacks as callbacks
    from sparseml.core.session import active_session

    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(16, 16), torch.nn.ReLU(), torch.nn.Linear(16, 4)
    )
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    out: list = []
    case["_steps"] = out
    with sessions.create_session():
        session = active_session()
        session.initialize(
            model=model,
            recipe=case["recipe"],
            optimizer=optimizer,
            start=0,
            steps_per_epoch=case["steps_per_epoch"],
            framework=Framework.pytorch,
        )
        modifiers = [
            m for stage in session.lifecycle.modifiers for m in stage.modifiers
        ]
        for _ in range(case["steps"]):
            callbacks.batch_start()
            loss = model(torch.randn(2, 16)).sum()
            callbacks.loss_calculated(loss=loss)
            loss.backward()
            callbacks.optim_pre_step()
            optimizer.step()
            optimizer.zero_grad()
            callbacks.optim_post_step()
            callbacks.batch_end()
            out.append(
                [
                    [m.started_, m.ended_, getattr(m, "current_sparsity_", None)]
                    for m in modifiers
                ]
            )
    return {"steps": out, "error": None}


def main() -> None:
    answer, sys.stdout = sys.stdout, sys.stderr
    logging.disable(logging.CRITICAL)
    results = []
    for case in json.load(sys.stdin):
        try:
            results.append(run(case))
        except Exception as exc:  # the verdict, whatever the engine raised
            first = (str(exc).strip().splitlines() or [""])[0]
            steps = case.get("_steps", [])
            results.append({"steps": steps, "error": f"{type(exc).__name__}: {first}"})
    json.dump(results, answer)


if __name__ == "__main__":
    main()
