"""What schedule rules see: the recipe replayed on SparseML's step clock, its events."""

from __future__ import annotations

import dataclasses

from ...loader.recipe import Recipe
from ...schedule.clock import Clock, Events, events, update_order


@dataclasses.dataclass(frozen=True)
class Replay:
    clock: Clock
    events: list[Events]  # file order
    order: list[int]  # update order (file indexes)

    @property
    def spe(self) -> int:
        return self.clock.steps_per_epoch

    def where(self, step: int) -> str:
        return f"step {step} (epoch {self.clock.epoch(step):g})"


def replay(recipe: Recipe, steps_per_epoch: int) -> Replay | None:
    """The events of a recipe that loaded cleanly and has a training length."""
    if not recipe.ok or recipe.max_epochs <= 0:
        return None
    clock, evs = events(recipe, steps_per_epoch)
    return Replay(clock, evs, update_order(recipe))
