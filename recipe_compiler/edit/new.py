"""`recipe new`: a recipe started right, from a jinja2 template.

The windows follow the 90-epoch rule: a dense run of N epochs becomes N/3 epochs
of pruning and 2N/9 of fine-tuning (30 + 20 for 90); QAT, where a template has it,
takes the last N/45 epochs of the fine-tuning (2 of 20), its BatchNorm statistics
and observers freezing halfway through it. The learning rates come from the dense
run's (`lr=(init, final)`): pruning at their midpoint, fine-tuning a cosine from it
down to the final one, QAT at a tenth of the final one (a thousandth of the
initial one where the final is 0). Every window is a whole
number of steps at `steps_per_epoch` (half epochs without it), so every event
lands where the text says.

The output is written as Neural Magic's recipes are: the numbers are variables,
the modifiers refer to them through `eval(...)`, and `__metadata__.base_epochs`
says which dense length it was written for, so `recipe rescale` and `--var` work on
it as on any other.
"""

from __future__ import annotations

import dataclasses
import re
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

from ..model.network import Network
from ..model.params import resolve_params

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "recipes"
KINDS = ("gmp", "gmp-qat", "qat", "transfer")
Kind = Literal["gmp", "gmp-qat", "qat", "transfer"]
MASKS = ("unstructured", "block4")


class AuthoringError(ValueError):
    """Options that make no recipe; the message says which and why."""


@dataclasses.dataclass(frozen=True)
class Spec:
    """What `recipe new` is asked for."""

    template: Kind
    epochs: float = 90.0  # the dense run's length
    final_sparsity: float = 0.8
    init_sparsity: float = 0.05
    lr: tuple[float, float] = (0.01, 0.0001)  # the dense run's initial, final LR
    mask: str = "unstructured"
    model: str | None = None
    format: Literal["yaml", "md"] = "yaml"
    steps_per_epoch: int | None = None
    values: tuple[tuple[str, float], ...] = ()  # --var NAME=VALUE
    notes: str = ""  # markdown appended to the card
    command: str = ""  # the command line, recorded in the header


@dataclasses.dataclass(frozen=True)
class Windows:
    """Epoch lengths, each a whole number of steps (of `grid` steps an epoch)."""

    pruning: Fraction
    finetuning: Fraction
    qat: Fraction
    observer: Fraction
    grid: int

    @property
    def total(self) -> Fraction:
        return self.pruning + self.finetuning + self.qat


def windows(spec: Spec) -> Windows:
    """The 90-epoch rule on `spec.epochs`, on the step grid (half epochs without
    one). QAT takes two steps at least, so its observers run for one."""
    grid = spec.steps_per_epoch or 2
    n = Fraction(spec.epochs).limit_denominator(10**6)

    def steps(x: Fraction, least: int = 1) -> Fraction:
        return Fraction(max(least, round(x * grid)), grid)

    qat = steps(n / 45, least=2) if spec.template != "gmp" else Fraction(0)
    observer = steps(qat / 2) if qat else Fraction(0)
    if spec.template in ("gmp", "gmp-qat"):
        pruning = steps(n / 3)
        finetuning = steps(2 * n / 9) - qat
    elif spec.template == "transfer":
        pruning = Fraction(0)
        finetuning = steps(5 * n / 9) - qat
    else:  # qat only: QAT is the whole run
        pruning, finetuning = Fraction(0), Fraction(0)
    if finetuning < 0 or (spec.template != "qat" and finetuning == 0):
        raise AuthoringError(
            f"--epochs {spec.epochs:g} is too short for {spec.template} at "
            f"{grid} step(s) an epoch: no fine-tuning is left after QAT; give more "
            "epochs or --steps-per-epoch"
        )
    if qat and observer >= qat:
        observer = qat - Fraction(1, grid)
    return Windows(pruning, finetuning, qat, observer, grid)


# SparseML checks these are floats: 0 is refused where 0.0 is not
REAL = frozenset(
    {
        "init_sparsity",
        "final_sparsity",
        "pruning_lr",
        "finetuning_final_lr",
        "qat_lr",
        "init_lr",
    }
)


def number(x: Fraction | float, real: bool = False) -> str:
    """A number as the recipe writes it: the shortest decimal of the float (`0.0`
    where SparseML wants a float), never in exponent form (PyYAML, SparseML's
    reader, takes `1e-05` for a string)."""
    import numpy as np

    f = float(x)
    if f.is_integer():
        return f"{f:.1f}" if real else str(int(f))
    text = repr(f)
    return np.format_float_positional(f, trim="-") if "e" in text else text


def variables(spec: Spec, w: Windows) -> dict[str, str]:
    """The recipe's variables, in the order they are written, as text."""
    init, final = spec.lr
    out: dict[str, Any] = {}
    if spec.template in ("gmp", "gmp-qat"):
        out["num_pruning_epochs"] = w.pruning
    out["num_finetuning_epochs"] = w.finetuning
    if w.qat:
        out["num_qat_epochs"] = w.qat
        out["num_observer_epochs"] = w.observer
    if spec.template in ("gmp", "gmp-qat"):
        out["init_sparsity"] = spec.init_sparsity
        out["final_sparsity"] = spec.final_sparsity
        out["pruning_update_frequency"] = _update_frequency(w)
        out["pruning_lr"] = _tidy((init + final) / 2)
    if spec.template == "transfer":
        out["init_lr"] = init
    out["finetuning_final_lr"] = final
    if w.qat:
        # SetLearningRateModifier refuses 0: a final LR of 0 gives init / 1000
        out["qat_lr"] = _tidy(final / 10 if final > 0 else init / 1000)
    if spec.template == "qat":
        del out["num_finetuning_epochs"]
        del out["finetuning_final_lr"]
    known = set(out)
    for name, value in spec.values:
        if name not in known:
            raise AuthoringError(
                f"--var {name}: the {spec.template} template has no such variable; "
                f"it has {', '.join(out)}"
            )
        out[name] = value
    text = {k: number(v, k in REAL) for k, v in out.items()}
    if spec.steps_per_epoch and not _sums_land(text, spec.steps_per_epoch):
        for k in EPOCHS:  # write each a hair below its step: sums then land too
            window = out.get(k)
            if isinstance(window, Fraction) and window.denominator & (
                window.denominator - 1
            ):  # not exact in binary (a dyadic one adds exactly)
                text[k] = _below(window)
    return text


EPOCHS = (
    "num_pruning_epochs",
    "num_finetuning_epochs",
    "num_qat_epochs",
    "num_observer_epochs",
)
# the sums the templates write in eval(...), as SparseML adds them: left to right
SUMS = (
    ("num_pruning_epochs",),
    ("num_pruning_epochs", "num_finetuning_epochs"),
    ("num_pruning_epochs", "num_finetuning_epochs", "num_qat_epochs"),
    ("num_pruning_epochs", "num_finetuning_epochs", "num_observer_epochs"),
    ("num_finetuning_epochs",),
    ("num_finetuning_epochs", "num_qat_epochs"),
    ("num_finetuning_epochs", "num_observer_epochs"),
    ("num_qat_epochs",),
    ("num_observer_epochs",),
)


def _sums_land(text: dict[str, str], spe: int) -> bool:
    """Whether every sum of epoch variables, added in floats as SparseML's eval
    adds them, lands on the step its exact value is (1/6 + ... can come out a
    hair above a step's epoch, and land one step later)."""
    from .rescale import landing_step

    for terms in SUMS:
        if not all(t in text for t in terms):
            continue
        total = 0.0
        for t in terms:
            total += float(text[t])
        exact = sum(Fraction(text[t]) for t in terms)
        if landing_step(total, spe) != round(exact * spe):
            return False
    return True


def _below(x: Fraction) -> str:
    """`x` written 1e-9 below itself to 8 decimals: at most 2e-8 under, so it and
    any sum of three such land on x's step for up to 10**7 steps an epoch."""
    import math

    return f"{math.floor((x - Fraction(1, 10**9)) * 10**8) / 10**8:.8f}"


def _tidy(x: float) -> float:
    """An LR without the float noise of its arithmetic (0.055, not
    0.05500000000000001)."""
    return float(f"{x:.12g}")


def _update_frequency(w: Windows) -> Fraction:
    """Masks recomputed every half epoch, as the guide's recipes do, where half an
    epoch is a whole number of steps; else every epoch. Both are exact in binary,
    so SparseML's sums of them do not drift off the steps (RC226)."""
    return Fraction(1, 2) if w.grid % 2 == 0 else Fraction(1)


def pruned_params(net: Network | None, mask: str = "unstructured") -> str:
    """What the pruning modifiers name: for a model with a YOLO Detect head, every
    prunable conv but the first and the head's; with block4, only layers whose
    input channels divide by 4 (RC508); `__ALL_PRUNABLE__` where that is all of
    them. A list is written as one `re:` pattern where one resolves to exactly it,
    else as the names."""
    if net is None:
        return "__ALL_PRUNABLE__"
    shapes = net.params
    wanted = net.prunable_weights
    heads = [m.name for m in net.modules if m.type == "Detect"]
    if heads:
        convs = [
            f"{m.name}.weight"
            for m in net.modules
            if m.prunable and m.type.startswith("Conv")
        ]
        wanted = [c for c in convs[1:] if not any(c.startswith(h + ".") for h in heads)]
    if mask == "block4":
        wanted = [n for n in wanted if len(shapes[n]) < 2 or shapes[n][1] % 4 == 0]
    if wanted == net.prunable_weights:
        return "__ALL_PRUNABLE__"
    pattern = _range_pattern(wanted)
    if pattern and resolve_params([pattern], net).params == wanted:
        return f"['{pattern}']"
    return "[" + ", ".join(wanted) + "]"


def _range_pattern(names: list[str]) -> str | None:
    """`re:^model\\.(1|2|...)\\..*conv\\.weight$` for names `model.<k>....conv.weight`,
    k from the least to the greatest (the caller checks it takes no more)."""
    found = [re.match(r"^(\w+)\.(\d+)\..*conv\.weight$", n) for n in names]
    if not names or not all(found):
        return None
    roots = {f.group(1) for f in found if f}
    ks = sorted({int(f.group(2)) for f in found if f})
    if len(roots) != 1:
        return None
    root = roots.pop()
    return rf"re:^{root}\.({_int_range(ks[0], ks[-1])})\..*conv\.weight$"


def _int_range(lo: int, hi: int) -> str:
    """A regex alternation for the integers lo..hi, by decades: 1..23 is
    `[1-9]|1\\d|2[0-3]`."""
    parts: list[str] = []
    k = lo
    while k <= hi:
        tens, unit = divmod(k, 10)
        last = min(hi, tens * 10 + 9)
        prefix = str(tens) if tens else ""
        lo_u, hi_u = unit, last % 10
        if lo_u == hi_u:
            parts.append(f"{prefix}{lo_u}")
        elif (lo_u, hi_u) == (0, 9):
            parts.append(f"{prefix}\\d")
        else:
            parts.append(f"{prefix}[{lo_u}-{hi_u}]")
        k = last + 1
    return "|".join(parts)


TITLES = {
    "gmp": "{model}: {final}% sparse by gradual magnitude pruning{mask}",
    "gmp-qat": "{model}: {final}% sparse{mask} by gradual magnitude pruning, then INT8",
    "qat": "{model}: INT8 by quantization-aware training",
    "transfer": "{model}: sparse transfer learning from a sparse checkpoint, then INT8",
}


def title(spec: Spec) -> str:
    return TITLES[spec.template].format(
        model=spec.model or "Any model",
        final=number(round(spec.final_sparsity * 100, 6)),
        mask=" in blocks of 4" if spec.mask == "block4" else "",
    )


def render(spec: Spec, net: Network | None = None, file: str | None = None) -> str:
    """The recipe's text; `file` is the name its card and header refer to it by."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    if spec.template not in KINDS:
        raise AuthoringError(f"unknown template {spec.template!r}: one of {KINDS}")
    if spec.mask not in MASKS:
        raise AuthoringError(f"--mask {spec.mask}: one of {', '.join(MASKS)}")
    if not 0 <= spec.init_sparsity < spec.final_sparsity < 1:
        raise AuthoringError(
            f"sparsity must rise: 0 <= --init-sparsity ({spec.init_sparsity:g}) < "
            f"--final-sparsity ({spec.final_sparsity:g}) < 1"
        )
    w = windows(spec)
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    values = variables(spec, w)
    context = {
        "spec": spec,
        "v": values,
        "w": w,
        "n": number,
        "short": lambda x: f"{float(x):.6g}",
        "params": pruned_params(net, spec.mask),
        "model": spec.model or "your model",
        "base": number(Fraction(spec.epochs).limit_denominator(10**6)),
        "grid": spec.steps_per_epoch,
        "qat": bool(w.qat),
        "title": title(spec),
        "file": file or f"recipe.{spec.format}",
        "stem": Path(file or "recipe").stem,
    }
    body = env.get_template(f"{spec.template}.yaml.j2").render(**context)
    header = env.get_template("header.j2").render(**context)
    if spec.format == "yaml":
        return header + body
    card = env.get_template("card.md.j2").render(**context)
    notes = spec.notes.strip()
    return (
        "---\n" + header + body + "---\n\n" + card + (f"\n{notes}\n" if notes else "")
    )
