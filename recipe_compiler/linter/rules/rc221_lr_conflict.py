"""Two learning-rate modifiers set the LR at the same step.

SparseML updates modifiers in its own order (by end_epoch, -1 last, then
start_epoch), so the one it updates last wins at that step, whatever the file order.

Passes: SetLearningRateModifier at 0, LearningRateFunctionModifier from 30 to 50.
Fails: SetLearningRateModifier at 30 and a LearningRateFunctionModifier from 30.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...modifiers import is_lr, is_lr_class, is_set_lr
from ...problems import Severity
from ...schedule.clock import Events
from ..context import Context
from ._base import Finding
from ._replay import Replay

CODE = "RC221"
NAME = "lr-conflict"
SEVERITY = Severity.WARNING
NEEDS = ("replay",)


def _span(e: Events, t: Replay) -> tuple[int, int] | None:
    """First and last step where the modifier writes the LR."""
    if e.start_step is None:
        return None
    m = e.model
    if is_set_lr(m):
        return e.start_step, e.start_step
    last = e.end_step if e.end_step is not None else t.clock.total - 1
    if (
        is_lr_class(m)
        and e.end_step is not None
        and e.end_step > e.start_step
        and t.clock.epoch(e.end_step) == m.end_epoch
    ):
        last -= 1  # an on-grid end update returns before touching the LR
    if e.crash_step is not None:
        last = min(last, e.crash_step)
    return e.start_step, last


def check(ctx: Context) -> Iterator[Finding]:
    t = ctx.replay
    lr = [e for e in t.events if is_lr(e.model)]
    rank = {i: n for n, i in enumerate(t.order)}
    for a_i, a in enumerate(lr):
        for b in lr[a_i + 1 :]:
            sa, sb = _span(a, t), _span(b, t)
            if sa is None or sb is None:
                continue
            lo, hi = max(sa[0], sb[0]), min(sa[1], sb[1])
            if lo > hi or not _same_groups(a, b):
                continue
            first, last = sorted((a, b), key=lambda e: rank[e.index])
            if lo == hi == first.end_step == last.start_step:
                continue  # a hand-off: one ends where the next starts, and wins
            both = (
                f"!{b.type} (line {b.entry.line}) and !{a.type} (line {a.entry.line}) "
                "both set the learning rate"
            )
            winner = f"!{last.type} (line {last.entry.line})"
            if hi > lo:
                message = (
                    f"{both} from {t.where(lo)} to {t.where(hi)}; SparseML applies "
                    f"{winner} last at every one of these steps, so its value wins"
                )
                hint = (
                    "make the windows meet without overlapping: end one where the "
                    "next starts"
                )
            else:
                spans = {a.index: sa, b.index: sb}
                loser = f"!{first.type} (line {first.entry.line})"
                if spans[last.index][1] > lo or spans[first.index][1] <= lo:
                    what = f"the LR {loser} sets there is never used"
                else:
                    what = (
                        f"its LR lasts that one step, and from the next {loser} "
                        "sets the LR again"
                    )
                message = (
                    f"{both} at {t.where(lo)}, one step; SparseML applies {winner} "
                    f"last, so {what}"
                )
                hint = (
                    "move the one-step modifier out of the other's window (a step "
                    "earlier or later) so that each LR takes effect as meant"
                )
            yield Finding(b.entry.line, b.entry.column, message, hint)


def _same_groups(a: Events, b: Events) -> bool:
    ga = getattr(a.model, "param_groups", None)
    gb = getattr(b.model, "param_groups", None)
    return not ga or not gb or bool(set(ga) & set(gb))
