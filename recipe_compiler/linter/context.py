"""What every rule is given: one `Context` (sqlfluff's shape), whatever it checks.

A rule declares what it needs beyond the recipe in `NEEDS` ("replay": the recipe
replayed on SparseML's step clock; "network": the model of `--model`; "target": the
sweep of `--target-cpu`); the engine runs it only when the context has all of it,
and the rule reads it from `ctx.replay`, `ctx.network`, `ctx.target`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from ..hardware.measured import Target
    from ..loader.recipe import Recipe
    from ..model.network import Network
    from .config import Config
    from .rules._replay import Replay

Need = Literal["replay", "network", "target"]


class Context:
    """A plain class, not a dataclass: `recipe lint` imports it at every start."""

    __slots__ = ("config", "model", "recipe", "replayed", "sweep")

    def __init__(
        self,
        recipe: Recipe,
        config: Config,
        replayed: Replay | None = None,  # None: no training length, or too long
        model: Network | None = None,  # --model
        sweep: Target | None = None,  # --target-cpu
    ):
        self.recipe = recipe
        self.config = config
        self.replayed = replayed
        self.model = model
        self.sweep = sweep

    def has(self, need: Need) -> bool:
        return {
            "replay": self.replayed,
            "network": self.model,
            "target": self.sweep,
        }[need] is not None

    @property
    def replay(self) -> Replay:
        if self.replayed is None:
            raise LookupError("a rule that needs the replay ran without one")
        return self.replayed

    @property
    def network(self) -> Network:
        if self.model is None:
            raise LookupError("a rule that needs the network ran without one")
        return self.model

    @property
    def target(self) -> Target:
        if self.sweep is None:
            raise LookupError("a rule that needs a sweep ran without one")
        return self.sweep
