"""A plain recipe: every value a number (`recipe compile --flatten`, `recipe
rescale --flatten`), epochs scaled by a factor where asked."""

from __future__ import annotations

from ..loader.recipe import Recipe
from ..modifiers.fields import FIELD_UNITS
from . import yaml_out
from .rescale import DECIMALS, RULE_BASE_EPOCHS, declared_base


def flattened(
    recipe: Recipe,
    epochs: float,
    *,
    from_epochs: float | None = None,
    scale_frequency: bool = False,
) -> str:
    """`recipe rescale --flatten`: a plain recipe rescaled to `epochs`, with a header
    saying from what."""
    base = from_epochs or declared_base(recipe) or RULE_BASE_EPOCHS
    return (
        f"# rescaled from {base:g} to {epochs:g} epochs by recipe-compiler "
        f"(flattened from {recipe.path})\n"
        + flatten(recipe, epochs / base, scale_frequency)
    )


def flatten(recipe: Recipe, factor: float = 1.0, scale_frequency: bool = False) -> str:
    """A plain recipe: every value a number, epochs scaled by `factor`."""
    items = []
    for e, m in recipe.models:
        fields = {
            k: v
            for k, v in m.model_dump(exclude={"log_types"}).items()
            if k in e.fields
        }
        for k in list(fields):
            kind = FIELD_UNITS.get(k)
            if kind == "epoch" or (kind == "frequency" and scale_frequency):
                fields[k] = _scale(fields[k], factor)
        kw = fields.get("lr_kwargs")
        if isinstance(kw, dict):
            for k in ("step_size", "milestones", "cycle_epochs"):
                if k in kw:
                    kw[k] = _scale(kw[k], factor)
        items.append((e.tag, fields))
    return yaml_out.modifiers_yaml(items)


def _scale(value: object, factor: float) -> object:
    """`value` x `factor`, to DECIMALS places; unchanged for a factor of 1 (`recipe
    compile --flatten`: rounding 1/6 to 0.1667 would move it a step at 6 an epoch)."""
    if factor == 1.0:
        return value
    if isinstance(value, list):
        return [_scale(v, factor) for v in value]
    if isinstance(value, int | float) and not isinstance(value, bool) and value != -1:
        scaled = round(value * factor, DECIMALS)
        return int(scaled) if isinstance(value, int) and scaled.is_integer() else scaled
    return value
