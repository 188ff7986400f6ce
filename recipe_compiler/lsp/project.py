"""The project a document belongs to: its lint config and the model it names,
read once and kept until a file is saved (`Projects.forget`)."""

from __future__ import annotations

from pathlib import Path

from ..linter import config as lint_config
from ..model.network import Network, NetworkError
from ..model.sources import load_network
from ..schedule.clock import DEFAULT_STEPS_PER_EPOCH
from .analysis import Settings


class Projects:
    def __init__(self) -> None:
        self._settings: dict[Path, Settings] = {}
        self._networks: dict[str, Network | None] = {}

    def forget(self) -> None:
        self._settings.clear()
        self._networks.clear()

    def settings(self, document: Path) -> Settings:
        """The nearest config above the document (`recipe lint`'s search), with
        its steps per epoch and the network its `model` names. Raises ConfigError
        for a config that cannot be used."""
        folder = document.parent
        found = self._settings.get(folder)
        if found is None:
            cfg = lint_config.load(lint_config.find(folder))
            found = Settings(
                config=cfg,
                steps_per_epoch=cfg.steps_per_epoch or DEFAULT_STEPS_PER_EPOCH,
                network=self.network(cfg.model),
            )
            self._settings[folder] = found
        return found

    def network(self, spec: str | None) -> Network | None:
        if spec is None:
            return None
        if spec not in self._networks:
            try:
                self._networks[spec] = load_network(spec)
            except NetworkError as exc:
                self._networks[spec] = None
                raise lint_config.ConfigError(f"model {spec!r}: {exc}") from None
        return self._networks[spec]
