"""Which files a folder holds recipes in: `.yaml`/`.yml` files, and `.md` files
whose front matter mentions modifiers (so READMEs are skipped), less what the
config's `exclude` takes; hidden folders are not walked."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from ..loader.source import FRONT_MATTER
from .config import Config

RECIPE_SUFFIXES = (".yaml", ".yml", ".md")


def discover(
    paths: Iterable[str | Path], config: Config | None = None
) -> Iterator[Path]:
    """Files to lint: given files as they are; folders recursively.

    In folders, .yaml and .yml files are recipes; a .md file counts only when it
    has front matter that mentions modifiers (so READMEs are skipped); a file the
    config's `exclude` matches is left out.
    """
    for p in paths:
        p = Path(p)
        if not p.is_dir():
            yield p
            continue
        for f in sorted(p.rglob("*")):
            if f.suffix.lower() not in RECIPE_SUFFIXES or not f.is_file():
                continue
            if any(part.startswith(".") for part in f.relative_to(p).parts):
                continue
            if f.suffix.lower() == ".md" and not _is_recipe_card(f):
                continue
            if config is not None and config.excludes(f):
                continue
            yield f


def _is_recipe_card(path: Path) -> bool:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")[:200_000]
    except OSError:
        return True
    return is_recipe_card(text)


def is_recipe_card(text: str) -> bool:
    """A markdown file is a recipe when its front matter mentions modifiers."""
    m = FRONT_MATTER.search(text[:200_000])
    return bool(m and ("modifiers" in m.group(1) or "Modifier" in m.group(1)))
