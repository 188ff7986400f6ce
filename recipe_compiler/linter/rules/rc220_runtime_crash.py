"""SparseML loads the recipe but raises during training.

Found by replaying the schedule at the given steps per epoch: a cyclic_linear
learning rate whose cycle is one step, a StepLR whose step_size rounds to 0 steps,
CosineAnnealingWarmRestarts with a cycle_epochs that is not a positive integer
(torch's T_0), inverse_cubic pruning whose end update lands past end_epoch, MFAC
with `use_gradient_buffering: true` whose updates come before num_grads steps have
filled its buffer, TrainableParamsModifier freezing `__ALL__` (backward raises),
TopKAST with a NaN forward or backward sparsity (unless N:M) at its start step.
(Gradual pruning with start_epoch == end_epoch is RC205.)

Passes: `cycle_epochs: 2` on a cosine-restarts LearningRateModifier.
Fails: `cycle_epochs: 2.0` (torch: "Expected positive integer T_0").
"""

from __future__ import annotations

from collections.abc import Iterator

from ...modifiers import is_gradual
from ...problems import Severity
from ..context import Context
from ._base import Finding

CODE = "RC220"
NAME = "runtime-crash"
SEVERITY = Severity.ERROR
SPARSEML = (
    "step: RuntimeError",
    "step: TypeError",
    "step: ValueError",
    "step: ZeroDivisionError",
)
NEEDS = ("replay",)


def check(ctx: Context) -> Iterator[Finding]:
    t = ctx.replay
    for e in t.events:
        if not e.crash or e.crash_step is None:
            continue
        m = e.model
        if is_gradual(m) and m.start == m.end:
            continue  # RC205 says it without depending on steps per epoch
        yield Finding(
            e.entry.line,
            e.entry.column,
            f"!{e.type} makes SparseML raise {e.crash} at {t.where(e.crash_step)}, "
            f"at {t.spe} steps per epoch",
            _hint(e.crash),
        )


def _hint(crash: str) -> str:
    if "use_gradient_buffering" in crash:
        return (
            "leave at least num_grads steps before each update (update_frequency * "
            "steps_per_epoch >= num_grads), or drop use_gradient_buffering"
        )
    if "freezes every parameter" in crash:
        return "freeze only some parameters (a list or a re: pattern), not __ALL__"
    if "T_0" in crash:
        return "write cycle_epochs as a whole number without a dot, e.g. 2"
    if "modulo" in crash:
        return "make step_size at least one step: step_size * steps_per_epoch >= 0.5"
    if "complex" in crash:
        return "use cubic or linear, or put end_epoch on the step grid"
    return "make the cycle longer than one step (cycle_epochs * steps_per_epoch > 1)"
