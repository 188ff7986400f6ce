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
    paths: Iterable[str | Path],
    config: Config | None = None,
    skipped: list[Path] | None = None,
) -> Iterator[Path]:
    """Files to lint: given files as they are (whatever they hold); folders
    recursively.

    In folders, a .yaml or .yml file is a recipe when it mentions modifiers (a
    deploy config or a CI workflow is not), a .md file when its front matter does
    (a README is not); hidden folders and what the config's `exclude` matches are
    left out. YAML files passed over as not recipes are appended to `skipped`,
    so the summary can say how many.
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
            if config is not None and config.excludes(f):
                continue
            if not _holds_a_recipe(f):
                if skipped is not None and f.suffix.lower() != ".md":
                    skipped.append(f)  # a README is no near miss: not counted
                continue
            yield f


def _holds_a_recipe(path: Path) -> bool:
    """What a folder walk takes (a file it cannot read is taken, so lint says why)."""
    try:
        with path.open("rb") as f:
            data = f.read(READ_FOR_MODIFIERS)
    except OSError:
        return True
    text = data.decode("utf-8", errors="replace")
    if path.suffix.lower() == ".md":
        return is_recipe_card(text)
    return mentions_modifiers(text) or len(data) == READ_FOR_MODIFIERS


READ_FOR_MODIFIERS = 1 << 20  # a longer file is taken, and lint's limits judge it


def mentions_modifiers(text: str) -> bool:
    """Whether YAML text may hold a recipe: SparseML takes modifiers only from
    keys with 'modifiers' in their names, or tagged `!...Modifier` entries."""
    return "modifiers" in text or "Modifier" in text


def is_recipe_card(text: str) -> bool:
    """A markdown file is a recipe when its front matter mentions modifiers."""
    m = FRONT_MATTER.search(text[:200_000])
    return bool(m and ("modifiers" in m.group(1) or "Modifier" in m.group(1)))
