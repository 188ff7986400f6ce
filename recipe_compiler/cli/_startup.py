"""Imported by the CLI before anything else: settings that must precede pydantic."""

from __future__ import annotations

import gc
import os
import sys


def _fast_pydantic() -> None:
    """Start-up budget: the CLI needs no pydantic plugins and no self-check of
    pydantic's generated schemas. Plugin discovery imports importlib.metadata and
    scans every installed package (about 15 ms); the schema self-check costs about
    4 ms a model. Both are switched off here, for this process only; the library
    API leaves pydantic as it is.
    """
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    os.environ.setdefault("PYDANTIC_SKIP_VALIDATING_CORE_SCHEMAS", "1")
    if os.environ["PYDANTIC_DISABLE_PLUGINS"] == "__all__" and (
        "pydantic.plugin._loader" not in sys.modules
    ):
        import types

        loader = types.ModuleType("pydantic.plugin._loader")
        loader.get_plugins = lambda: ()  # type: ignore[attr-defined]
        sys.modules["pydantic.plugin._loader"] = loader


UNCOLLECTED = False  # set by the console script, which turned the collector off


def ready() -> None:
    """The command's module is imported. Start-up budget: importing allocates
    some hundred thousand objects and none is garbage, yet the cyclic collector
    walks them again and again (about 7 ms of a `recipe lint`), so the console
    script (recipe_compiler/_console.py) turns it off until here; what the
    imports made now moves to the permanent generation (gc.freeze, as
    Instagram's servers do) and collection is back on. A no-op for the library
    and tests, whose process keeps its collector as it was."""
    global UNCOLLECTED
    if UNCOLLECTED:
        UNCOLLECTED = False
        gc.freeze()
        gc.enable()


_fast_pydantic()
