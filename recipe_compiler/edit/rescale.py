"""Retarget a recipe to another training length by the 90-epoch rule.

A recipe written for a base length of M dense epochs (the rule: 30 pruning and 20
fine-tuning epochs for a 90-epoch dense run) moves to N epochs by scaling every
epoch-valued field by N/M: start and end epochs (not -1), QAT's BN-freeze and
observer epochs, LR windows, `cycle_epochs`, StepLR `step_size` and MultiStepLR
`milestones`. Fields written through variables or YAML anchors are changed by
editing the numbers those chains start from, so the recipe stays parametric and
every other byte of the file stays as it was. `update_frequency` is kept by
default (masks keep being recomputed as often per epoch of data; longer windows get
more, smaller steps); `--update-frequency scale` scales it too.

With `lr=(init, final)`, the dense run's learning rates, the pruning LR becomes
their midpoint and the fine-tuning schedule runs from it down to the final LR.
"""

from __future__ import annotations

import ast
import dataclasses
import decimal
import math
import re
from typing import Any, Literal

from .._text import epoch_text
from ..loader.expressions import names_in
from ..loader.recipe import METADATA_KEY, Entry, Recipe
from ..loader.yamltree import Node
from ..modifiers import is_gradual, is_lr_class, is_lr_function, is_set_lr
from ..modifiers.fields import FIELD_UNITS
from ..problems import errors
from ..schedule.clock import step_epoch
from .dimensions import DimensionError, Equations, Form, form_of
from .origins import NotEditable, Origins, Site, numeric_sites
from .spans import Edit, apply, number_text

RULE_BASE_EPOCHS = 90.0
HEADER = re.compile(
    r"^# rescaled from (?P<base>[0-9.]+) to (?P<to>[0-9.]+) epochs "
    r"by recipe-compiler.*$",
    re.M,
)
LR_HEADER = re.compile(
    r"^# learning rates by the 90-epoch rule .*by recipe-compiler$", re.M
)
SHORT_SLACK = 1e-4  # of a window: how far below its step a short decimal may sit
DECIMALS = 4  # new epoch values are written with at most this many decimals


class RescaleError(ValueError):
    """The recipe cannot be rescaled as asked; the message says why. `fix` names the
    way out in words every caller has ("finer" steps, a "variable"), so `recipe
    rescale` and `recipe run --rescale` each add the flags they have ("flatten":
    write every value as a number)."""

    def __init__(self, message: str, fix: str | None = None):
        super().__init__(message)
        self.fix = fix


@dataclasses.dataclass
class Result:
    text: str
    base: float
    epochs: float
    edits: list[Edit]
    notes: list[str]

    @property
    def factor(self) -> float:
        return self.epochs / self.base


def declared_base(recipe: Recipe) -> float | None:
    """`__metadata__: {base_epochs: M}`, else the last rescale header, else None."""
    root = recipe.root
    meta = root.get(METADATA_KEY) if root is not None else None
    if meta is not None and meta.kind == "map":
        node = meta.get("base_epochs")
        if node is not None and isinstance(node.value, int | float):
            return float(node.value)
    m = HEADER.search(recipe.source.yaml_text or "")
    return float(m.group("to")) if m else None


def rescale(
    recipe: Recipe,
    epochs: float,
    *,
    from_epochs: float | None = None,
    update_frequency: Literal["keep", "scale"] = "keep",
    round_to: float | None = None,
    lr: tuple[float, float] | None = None,
) -> Result:
    """Rescale `recipe` to `epochs` dense epochs; returns the new file text."""
    if not recipe.ok:
        raise RescaleError(
            "the recipe has errors; run `recipe lint` and fix them first"
        )
    if epochs <= 0:
        raise RescaleError("--epochs must be positive")
    base = from_epochs or declared_base(recipe) or RULE_BASE_EPOCHS
    factor = epochs / base
    text = recipe.source.text
    if factor == 1 and lr is None:
        return Result(text, base, epochs, [], [])
    origins = Origins(recipe)
    scaled = {"epoch"} | ({"frequency"} if update_frequency == "scale" else set())
    sites = list(numeric_sites(recipe, FIELD_UNITS))
    found = _analyse(sites, origins, scaled)
    new = _rounded(_scaled(found, factor, scaled), found, round_to)
    notes: list[str] = []
    if lr is not None:
        _lr_rule(recipe, origins, sites, found.owners, new, lr, notes)

    def render(new: dict[int, tuple[Node, float]]) -> tuple[list[Edit], str]:
        edits = []
        for root, value in new.values():
            old = text[root.span[0] : root.span[1]]
            edits.append(Edit(root.span[0], root.span[1], number_text(value, old)))
        return edits, header(recipe, apply(text, edits), base, epochs, factor, lr)

    grid = _steps_per_epoch(round_to)
    if grid:
        new = _shortened(recipe, new, found, grid, render, factor)
    edits, out = render(new)
    if grid:
        edits, out = _settle_on_grid(recipe, out, new, found.site_keys, grid, render)
    result = Result(out, base, epochs, edits, notes)
    _verify(recipe, result, round_to, scaled)
    return result


@dataclasses.dataclass(frozen=True)
class _Analysis:
    """The literal numbers behind the sites, and which of them are epochs."""

    owners: dict[int, list[Site]]  # literal -> the sites computed from it
    site_keys: dict[tuple[int, tuple[Any, ...]], set[int]]  # site -> its literals
    roots: dict[int, Node]  # literal -> its node
    dims: dict[int, int]  # literal -> 1 (epochs) or 0 (anything else)


def _analyse(sites: list[Site], origins: Origins, scaled: set[str]) -> _Analysis:
    """Trace every site to its literals and solve which of them are epochs."""
    owners: dict[int, list[Site]] = {}
    site_keys: dict[tuple[int, tuple[Any, ...]], set[int]] = {}
    roots: dict[int, Node] = {}
    eqs = Equations()
    forms = _Forms(origins, roots, eqs)
    for site in sites:
        kind = _kind(site)
        try:
            forms.touched = set()
            form = forms.site(site)
            for key in forms.touched:
                owners.setdefault(key, []).append(site)
            site_keys[site.entry.index, site.path] = set(forms.touched)
        except (NotEditable, DimensionError) as exc:
            if kind in scaled or kind == "lr":
                raise RescaleError(
                    f"{site.label} is computed from {exc}, which cannot be edited in "
                    "place",
                    "flatten",
                ) from None
            continue
        eqs.add(form, 1 if kind in scaled else 0, site.label)
    try:
        dims = eqs.solve({})
    except DimensionError as exc:
        for site in sites:
            if site.label == str(exc) and _kind(site) == "fixed":
                raise RescaleError(
                    f"{site.label} is -1 ('not set') computed as "
                    f"eval({site.expression}) from epoch variables; scaling them "
                    "would move it below -1: write -1 there",
                    "flatten",
                ) from None
        raise RescaleError(
            f"the numbers behind {exc} are used both as epochs and as something else "
            "(a frequency kept as is, a learning rate, a fraction): split them into "
            "separate variables",
            "flatten",
        ) from None
    return _Analysis(owners, site_keys, roots, dims)


def _scaled(
    found: _Analysis, factor: float, scaled: set[str]
) -> dict[int, tuple[Node, float]]:
    """literal -> (its node, its value times `factor`), for the epoch literals."""
    new: dict[int, tuple[Node, float]] = {}
    for key, users in found.owners.items():
        if not any(_kind(u) in scaled for u in users):
            continue
        root = found.roots[key]
        if key not in found.dims:
            raise RescaleError(
                f"cannot tell whether the number on line {root.line} is in "
                f"epochs ({users[0].label} multiplies it with another variable)",
                "flatten",
            )
        if found.dims[key] == 1 and factor != 1:
            new[key] = (root, float(root.value) * factor)
    return new


def _rounded(
    new: dict[int, tuple[Node, float]], found: _Analysis, round_to: float | None
) -> dict[int, tuple[Node, float]]:
    """Snapped to multiples of `round_to` (to SparseML's step grid when it is 1/N),
    cycle lengths to whole epochs, else to DECIMALS places."""
    grid = _steps_per_epoch(round_to)
    out = dict(new)
    if round_to:
        for key, (root, value) in new.items():
            snapped = round(value / round_to) * round_to
            if grid:  # exactly the epoch SparseML's clock computes for that step
                snapped = step_epoch(round(value * grid), grid)
            users = found.owners[key]
            if any(_kind(u) == "frequency" for u in users) and snapped <= 0:
                continue
            out[key] = (root, snapped)
    for key, (root, value) in out.items():
        if any(s.path == ("lr_kwargs", "cycle_epochs") for s in found.owners[key]):
            out[key] = (root, float(max(1, round(value))))  # torch's T_0 is an int
        elif not round_to:
            out[key] = (root, round(value, DECIMALS))
    return out


class _Forms:
    """Dimension forms of site values, over the literal numbers they come from."""

    def __init__(self, origins: Origins, roots: dict[int, Node], eqs: Equations):
        self.origins, self.roots, self.eqs = origins, roots, eqs
        self.touched: set[int] = set()  # literal numbers the current site reads

    def literal(self, node: Node) -> Form:
        self.roots[id(node)] = node
        self.touched.add(id(node))
        return {id(node): 1}, 0

    def site(self, site: Site) -> Form:
        if site.expression is None:
            return self.literal(self.origins.literal(site.node))
        return self.expression(site.expression, site.entry, frozenset(), site.label)

    def expression(
        self, expr: str, entry: Entry, seen: frozenset[str], why: str
    ) -> Form:
        scope = self.origins.scope(entry)
        leaf: dict[str, Form] = {}
        for name in names_in(expr):
            var = scope.get(name)
            if var is None or name in seen:
                raise NotEditable(f"eval({expr})")
            if var.expression is not None:
                leaf[name] = self.expression(var.expression, entry, seen | {name}, why)
            elif var.numeric:
                leaf[name] = self.literal(self.origins.literal(var.node))
            else:
                raise NotEditable(f"the variable '{name}', which is not a number")
        form = form_of(ast.parse(expr.strip(), mode="eval"), leaf, self.eqs, why)
        return form if form is not None else ({}, 0)


def _kind(site: Site) -> str:
    kind = site.kind
    if (
        kind == "epoch"
        and site.path[-1] in ("start_epoch", "end_epoch")
        and (site.value == -1)
    ):
        return "fixed"  # -1 means "not set"; it stays -1
    return kind


def _lr_rule(
    recipe: Recipe,
    origins: Origins,
    sites: list[Site],
    owners: dict[int, list[Site]],
    new: dict[int, tuple[Node, float]],
    lr: tuple[float, float],
    notes: list[str],
) -> None:
    """Pruning at the midpoint of the dense LRs; fine-tuning down to the final LR."""
    init, final = lr
    mid = (init + final) / 2
    pruning = [m for _, m in recipe.models if is_gradual(m)]
    if not pruning:
        raise RescaleError("--lr needs a pruning modifier to find the pruning phase")
    p_end = max(m.end for m in pruning)
    wanted: dict[int, tuple[Node, float, Site]] = {}
    for site in sites:
        m = site.entry.model
        field = site.path[-1]
        value = None
        if is_set_lr(m) and field == "learning_rate":
            if m.start < p_end:
                value = mid
        elif is_lr_function(m) and m.start_epoch >= p_end:
            value = {"init_lr": mid, "final_lr": final}.get(str(field))
        if value is None:
            continue
        if not origins.is_direct(site.expression, site.entry):
            raise RescaleError(
                f"{site.label} is computed by an expression; --lr can set only "
                "fields written as a number, an alias or eval(variable)"
            )
        (root,) = origins.roots(site)
        prev = wanted.get(id(root))
        if prev is not None and prev[1] != value:
            raise RescaleError(
                f"{site.label} and {prev[2].label} share the number on line "
                f"{root.line} but the 90-epoch rule gives them different rates"
            )
        for other in owners.get(id(root), []):
            if _kind(other) != "lr":
                raise RescaleError(
                    f"the number on line {root.line} sets {site.label} and also "
                    f"{other.label}; split it into two variables"
                )
        wanted[id(root)] = (root, value, site)
    if not wanted:
        raise RescaleError(
            "--lr found no pruning SetLearningRateModifier and no fine-tuning "
            "LearningRateFunctionModifier to set"
        )
    for key, (root, value, site) in wanted.items():
        new[key] = (root, value)
        notes.append(f"{site.label}: {value:g}")


def header(
    recipe: Recipe,
    text: str,
    base: float,
    epochs: float,
    factor: float,
    lr: tuple[float, float] | None,
) -> str:
    """The first line saying what was done: `# rescaled from M to N epochs ...`
    (replacing an earlier one, whose M it keeps), or, for LRs set at the base length
    of a recipe never rescaled, `# learning rates by the 90-epoch rule ...`."""
    src = recipe.source
    first = HEADER.search(src.yaml_text or "")
    origin = float(first.group("base")) if first else base
    rule = "learning rates by the 90-epoch rule"
    rates = f"{rule} from {lr[0]:g}:{lr[1]:g}" if lr else ""
    if first is None and factor == 1:
        line = f"# {rates} by recipe-compiler"
        pattern = LR_HEADER
    else:
        line = f"# rescaled from {origin:g} to {epochs:g} epochs by recipe-compiler"
        line += f" ({rates})" if lr else ""
        pattern = HEADER
    start = src.yaml_start
    region = text[start:]
    m = pattern.search(region)
    if m:
        return text[: start + m.start()] + line + text[start + m.end() :]
    if src.kind == "md":
        return text[:start] + "\n" + line + text[start:]
    return line + "\n" + text


def length_notes(recipe: Recipe) -> list[str]:
    """How long SparseML trains on `recipe`, and the partial epoch a fractional last
    event leaves: `max_epochs` rounds it up, so training runs past the schedule."""
    events = [
        (float(x), f"!{e.tag} {name}")  # no line: the written file has a header more
        for e, m in recipe.models
        for name, x in (("start_epoch", m.start), ("end_epoch", m.end))
        if x != -1
    ]
    if not events:
        return []
    last, label = max(events)
    length = recipe.max_epochs
    line = f"SparseML trains {length:g} epochs (max_epochs)"
    if last.is_integer():
        return [line]
    return [
        f"{line}: the last event, {label} at epoch {epoch_text(last)}, ends "
        f"{last - math.floor(last):.4g} into epoch {length:g}, whose rest trains with "
        "the final LR and sparsity; --round 1 puts every event on a whole epoch"
    ]


def _events(recipe: Recipe) -> list[tuple[float, str]]:
    out = []
    for e, m in recipe.models:
        for name in ("start_epoch", "end_epoch"):
            value = getattr(m, name, None)
            if value is not None and value != -1:
                out.append((float(value), f"!{e.tag} {name} (line {e.line})"))
    return out


def _steps_per_epoch(round_to: float | None) -> int | None:
    """The steps per epoch a `round_to` of 1/N stands for, else None."""
    if not round_to:
        return None
    n = round(1 / round_to)
    return n if n >= 1 and math.isclose(1 / round_to, n, rel_tol=1e-9) else None


def landing_step(x: float, spe: int) -> int:
    """The first step whose epoch SparseML's clock holds at or past `x` (x >= 0)."""
    k = max(0, round(x * spe))
    while step_epoch(k, spe) < x:
        k += 1
    while k > 0 and step_epoch(k - 1, spe) >= x:
        k -= 1
    return k


def short_on_step(value: float, spe: int, within: float = math.inf) -> float:
    """The shortest decimal that SparseML's `epoch >= x` reaches at the same step as
    `value`, at most `within` below that step's epoch: `end_epoch: 166.6668` rather
    than the step's own 166.6668469442942."""
    k = landing_step(value, spe)
    hi = step_epoch(k, spe)
    if k == 0:
        return 0.0
    lo = max(step_epoch(k - 1, spe), hi - within)
    for places in range(17):
        c = float(
            decimal.Decimal(hi).quantize(
                decimal.Decimal(1).scaleb(-places), rounding=decimal.ROUND_FLOOR
            )
        )
        if lo < c <= hi:
            return c
    return float(hi)


def _shortened(
    recipe: Recipe,
    new: dict[int, tuple[Node, float]],
    found: _Analysis,
    spe: int,
    render: Any,
    factor: float,
) -> dict[int, tuple[Node, float]]:
    """Step-snapped numbers written as short decimals, where that moves nothing.

    A number stays the step's exact epoch where the engine compares for equality
    (a LearningRateModifier's end: SparseML's `abs(end - epoch) <= eps`), where it is
    not an epoch (a scaled update frequency, cycle lengths), or where a field that
    adds it to others would then land on another step. It stays within 1e-4 of the
    windows it bounds, so interpolated LRs and sparsities move by less than that.
    """

    def exact_only(site: Site) -> bool:
        return (
            _kind(site) != "epoch"
            or "cycle_epochs" in site.path
            or (is_lr_class(site.entry.model) and site.path[-1] == "end_epoch")
        )

    short = {
        k: (root, short_on_step(value, spe, SHORT_SLACK * factor * _window(found, k)))
        for k, (root, value) in new.items()
        if not any(exact_only(u) for u in found.owners[k])
    }
    exact = {
        (s.entry.index, s.path): settled_landing(float(s.value), spe)
        for s in numeric_sites(recipe.edited(render(new)[1]), FIELD_UNITS)
        if _kind(s) == "epoch" and float(s.value) >= 0
    }
    for _ in range(len(short) + 1):  # each round gives back at least one number
        trial = {**new, **short}
        moved = [
            (s.entry.index, s.path)
            for s in numeric_sites(recipe.edited(render(trial)[1]), FIELD_UNITS)
            if exact.get((s.entry.index, s.path)) not in (None, _landing(s, spe))
        ]
        if not moved:
            return trial
        for where in moved:
            for key in found.site_keys.get(where, ()):
                short.pop(key, None)
    return new


def _window(found: _Analysis, key: int) -> float:
    """The shortest interpolation window among the modifiers using a number."""
    widths = [math.inf]
    for site in found.owners[key]:
        m = site.entry.model
        if m is not None and m.end >= 0 and (is_gradual(m) or is_lr_function(m)):
            widths.append(m.end - max(m.start, 0.0))
    return max(0.0, min(widths))


def _landing(site: Site, spe: int) -> int | None:
    value = float(site.value)
    return settled_landing(value, spe) if value >= 0 else None


def settled_landing(x: float, spe: int) -> int:
    """The step a field at `x` lands on once `_settle_on_grid` has lowered it: a sum
    a few ulps above a step's epoch is float error, lowered onto that step. (Judged
    by `landing_step` alone, short decimals whose sum is 177.00000000000003 seemed
    to land where the exact epochs did, one step later, and settling then moved the
    field a step early.)"""
    return round(x * spe) if _ulp_late(x, spe) else landing_step(x, spe)


def _ulp_late(x: float, spe: int) -> bool:
    """`x` lies a few ulps above the epoch of the step nearest to it."""
    on = step_epoch(round(x * spe), spe)
    return on < x <= on + 16 * math.ulp(x)


def _settle_on_grid(
    recipe: Recipe,
    out: str,
    new: dict[int, tuple[Node, float]],
    site_keys: dict[tuple[int, tuple[Any, ...]], set[int]],
    spe: int,
    render: Any,
) -> tuple[list[Edit], str]:
    """Make every epoch field land on SparseML's step grid in float arithmetic.

    Each snapped number is on the grid, but a field that adds two of them can come
    out one ulp above the step's epoch (59/44 + 39/44 > 2 + 10/44 in floats), and
    SparseML's `epoch >= end` then fires one step late. Lowering a number the field
    reads by an ulp fixes it and moves nothing else past a step.
    """
    for _ in range(32):  # each round lowers numbers by an ulp; a few rounds suffice
        after = recipe.edited(out)
        late = [
            site
            for site in numeric_sites(after, FIELD_UNITS)
            if _kind(site) == "epoch"
            and "cycle_epochs" not in site.path
            and _ulp_late(float(site.value), spe)
        ]
        nudged = False
        for site in late:
            keys = [
                k for k in site_keys.get((site.entry.index, site.path), ()) if k in new
            ]
            if keys:
                key = max(keys, key=lambda k: new[k][1])
                root, value = new[key]
                new[key] = (root, math.nextafter(value, -math.inf))
                nudged = True
        if not nudged:  # on the grid, or late for a number this rescale did not write
            break
        out = render(new)[1]
    return render(new)


def _verify(
    before: Recipe, result: Result, round_to: float | None, scaled: set[str]
) -> None:
    """Every epoch moved by the factor (up to rounding), nothing reordered."""
    after = before.edited(result.text)
    if not after.ok:
        problems = errors(after.problems)
        if round_to:
            raise RescaleError(
                f"rounding to {round_to:g} changes the order of events or collapses a "
                f"window ({problems[0].message})",
                "finer",
            )
        raise RescaleError(f"the rescaled recipe does not load: {problems[0].message}")
    tol = (round_to or 0) * 4 + 10**-DECIMALS
    f = result.factor
    moved = {(s.entry.index, s.path): s for s in numeric_sites(after, FIELD_UNITS)}
    for site in numeric_sites(before, FIELD_UNITS):
        kind = _kind(site)
        new = moved.get((site.entry.index, site.path))
        if kind not in scaled or new is None or "cycle_epochs" in site.path:
            continue  # cycle counts are rounded to whole epochs on purpose
        v0, v1 = float(site.value), float(new.value)
        if not math.isclose(v1, v0 * f, abs_tol=tol * max(1.0, f)):
            how = (
                f"eval({site.expression}) is not proportional to its "
                "variables (a number written inside it does not scale)"
                if site.expression
                else "it did not move with the rest"
            )
            raise RescaleError(
                f"{site.label} would be {v1:g}, not {v0 * f:g}: {how}", "variable"
            )
    a, b = _events(before), _events(after)
    for (x0, l0), (y0, _) in zip(a, b, strict=True):
        for (x1, l1), (y1, _) in zip(a, b, strict=True):
            if (x0 < x1) != (y0 < y1) or (x0 == x1) != (y0 == y1):
                raise RescaleError(
                    f"rounding changes the order of {l0} and {l1}", "finer"
                )
