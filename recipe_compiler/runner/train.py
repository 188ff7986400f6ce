"""`recipe run`: train densely, apply the recipe with SparseML, export, and record
what training actually did next to what `recipe plan` said it would do.

`run()` reads as its phases: `_start` (the task, the processes, the checkpoint to
resume from), `_recipe` (the recipe as this run applies it: `prepare`), `_dense`
(dense training and its export), `_sparsify` (SparseML's manager over the training
loop, every step logged, a checkpoint every epoch) and `_finish` (the final model,
its export, the benchmark and the report).
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import itertools
import logging
import math
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .. import torch_compat
from ..modifiers import is_gradual

torch_compat.apply()

import torch  # noqa: E402
from torch import nn  # noqa: E402

from ..deploy import folder as deploy  # noqa: E402
from ..fileio import write_atomic  # noqa: E402
from ..hardware.cpu import detect as detect_cpu  # noqa: E402
from ..loader.recipe import load  # noqa: E402
from ..loader.source import Limits, recipe_suffix  # noqa: E402
from ..model import macs  # noqa: E402
from ..problems import errors  # noqa: E402
from . import checkpoint, report  # noqa: E402
from .distributed import Distributed, quiet  # noqa: E402
from .errors import RunError  # noqa: E402
from .export import export, pin_batch  # noqa: E402
from .prepare import Prepared, PrepareError, prepare, refusal  # noqa: E402
from .progress import StepBar  # noqa: E402
from .report import Report  # noqa: E402
from .zoo.models import MODELS  # noqa: E402
from .zoo.tasks import Task, build  # noqa: E402

__all__ = ["Report", "RunError", "params_of", "prunable", "run"]


def prunable(model: nn.Module) -> dict[str, torch.Tensor]:
    """`__ALL_PRUNABLE__`: the weights of every conv and linear layer."""
    return {
        f"{name}.weight": m.weight
        for name, m in model.named_modules()
        if isinstance(m, nn.Conv1d | nn.Conv2d | nn.Conv3d | nn.Linear)
    }


def params_of(model: nn.Module, spec: Any) -> dict[str, torch.Tensor]:
    """The tensors a modifier's `params` takes, resolved as SparseML resolves them
    (`model/params.py`: tokens anywhere in a list replace it; names; `re:` patterns)."""
    from ..model.params import flat, resolve_params
    from .session import live_network

    named: dict[str, torch.Tensor] = dict(model.named_parameters())
    entries = flat(spec) if spec not in (None, []) else None
    taken = resolve_params(entries or ["__ALL_PRUNABLE__"], live_network(model))
    return {n: named[n] for n in taken.params if n in named}


def _zero_fraction(tensors: dict[str, torch.Tensor]) -> float:
    """Zeros over all elements of `tensors` together: a modifier's sparsity."""
    zeros = sum(int((t == 0).sum()) for t in tensors.values())
    return zeros / max(1, sum(t.numel() for t in tensors.values()))


@dataclasses.dataclass
class _Run:
    """What the phases of one run share."""

    out_dir: Path
    model_name: str
    task: Task
    dist: Distributed
    train: Any  # the training loader (this rank's share under torchrun)
    spe: int  # optimizer steps an epoch
    limit: int | None  # --steps-per-epoch: the first N batches of every epoch
    progress: Callable[[str], None]
    bar: StepBar
    resumed: dict[str, Any] | None  # the checkpoint resumed from

    def batches(self) -> Any:
        """The epoch's batches, or its first `limit`. The whole loader is iterated
        when no limit is set: stopping early draws the shuffling generator
        differently, which would change every default run's data order."""
        return (
            self.train
            if self.limit is None
            else itertools.islice(self.train, self.limit)
        )


@dataclasses.dataclass(frozen=True)
class _Dense:
    score: float
    metrics: dict[str, float]
    onnx: str
    first_epoch: int  # of the recipe: 0, or the epoch a resumed run continues after


@dataclasses.dataclass(frozen=True)
class _Watched:
    """The tensors each pruning modifier prunes, by its label."""

    tensors: dict[int, tuple[str, dict[str, torch.Tensor]]]

    def labels(self) -> list[str]:
        return [label for label, _ in self.tensors.values()]

    def fractions(self) -> list[float]:
        return [_zero_fraction(ts) for _, ts in self.tensors.values()]


def run(
    recipe_path: str,
    out: str,
    *,
    model_name: str = "digits-cnn",
    dense_epochs: int = 18,
    batch_size: int = 32,
    lr: float = 0.05,
    seed: int = 0,
    bench_seconds: float = 0.0,
    resume: bool = False,
    image_size: int = 64,
    weights: str | None = None,
    static_batch: int | None = None,
    data: str | None = None,
    steps_per_epoch: int | None = None,
    rescale_to: float | None = None,
    overrides: dict[str, Any] | None = None,
    progress: Callable[[str], None] = print,
    bar: StepBar | None = None,
    limits: Limits | None = None,
) -> Report:
    """Train `model_name` densely, then under the recipe; writes `out/`.

    `progress` gets a line per epoch; `bar`, if given, is drawn after every step.
    `overrides` are written into the recipe's variables (`recipe compile --var`),
    and `rescale_to` retargets it to that many dense epochs by the 90-epoch rule
    (`recipe rescale`, epochs snapped to this run's step grid); with either, the
    resulting text is `out/recipe.*` and is what SparseML runs.

    After every epoch of the recipe, `out/checkpoint.pt` holds the model, the
    optimizer, SparseML's manager state, the random generators and the epoch, written
    atomically; `resume=True` continues from it with the schedule unchanged.
    """
    start = time.perf_counter()
    original = load(recipe_path, limits=limits)  # refused with the lint's, below
    if model_name not in MODELS and ":" not in model_name:
        raise RunError(
            f"unknown model {model_name!r}; known: {', '.join(MODELS)}, or "
            "pkg.module:factory"
        )
    out_dir = Path(out)
    resumed = checkpoint.load(out_dir) if resume else None
    if resumed is not None:  # resume as the run was started
        rescale_to = (
            rescale_to if rescale_to is not None else resumed.get("rescaled_to")
        )
        overrides = overrides or resumed.get("overrides") or {}
    overrides = dict(overrides or {})
    r = _start(
        model_name,
        out_dir,
        resumed,
        progress,
        bar,
        steps_per_epoch=steps_per_epoch,
        batch_size=batch_size,
        seed=seed,
        image_size=image_size,
        data=data,
    )
    prepared, path = _recipe(r, original, overrides, rescale_to)
    if weights and not resumed:
        checkpoint.load_weights(r.task.model, weights)
        r.progress(f"loaded {weights}: dense training skipped")
        dense_epochs = 0
    opt = torch.optim.SGD(r.task.model.parameters(), lr=lr, momentum=0.9)
    net = r.dist.wrap(r.task.model)  # DistributedDataParallel under torchrun
    dense = _dense(r, opt, net, dense_epochs)
    watched, epochs = _sparsify(
        r,
        prepared,
        path,
        opt,
        net,
        dense,
        {"rescaled_to": rescale_to, "overrides": overrides},
    )
    return _finish(
        r,
        prepared,
        path,
        dense,
        watched,
        epochs,
        start,
        recipe=str(recipe_path),
        rescaled_to=rescale_to,
        overrides=overrides,
        static_batch=static_batch,
        bench_seconds=bench_seconds,
    )


def _start(
    model_name: str,
    out_dir: Path,
    resumed: dict[str, Any] | None,
    progress: Callable[[str], None],
    bar: StepBar | None,
    *,
    steps_per_epoch: int | None,
    batch_size: int,
    seed: int,
    image_size: int,
    data: str | None,
) -> _Run:
    """The task (model, loss, data, score), this process's share of the data, and
    the steps an epoch; only the main rank reports."""
    try:
        task = build(model_name, batch_size, seed, image_size, data)
    except (KeyError, FileNotFoundError) as exc:
        raise RunError(f"cannot build {model_name}: {exc}") from None
    dist = Distributed.from_env()
    if not dist.main:
        progress = quiet  # one rank reports, and only it writes files
    if bar is None or not dist.main:
        bar = StepBar(None)  # draws nothing
    train = dist.shard(task.train, seed) if dist.world > 1 else task.train
    spe = len(train)
    if steps_per_epoch is not None:  # the first N batches of every epoch
        if not 1 <= steps_per_epoch <= spe:
            raise RunError(
                f"--steps-per-epoch {steps_per_epoch}: the training data gives "
                f"{spe} batches an epoch; give 1 to {spe}"
            )
        spe = steps_per_epoch
    return _Run(
        out_dir,
        model_name,
        task,
        dist,
        train,
        spe,
        steps_per_epoch,
        progress,
        bar,
        resumed,
    )


def _recipe(
    r: _Run, original: Any, overrides: dict[str, Any], rescale_to: float | None
) -> tuple[Prepared, Path]:
    """The recipe as this run applies it (`prepare`), written to `DIR/recipe.*` when
    it differs from the file, refused with its first error before any training."""
    path = r.out_dir / f"recipe{recipe_suffix(original.path)}"
    try:
        prepared = prepare(original, overrides, rescale_to, r.spe, path=str(path))
    except PrepareError as exc:
        raise RunError(str(exc)) from None
    if r.resumed is not None:  # before anything in DIR changes
        checkpoint.check_recipe(r.out_dir, r.resumed, prepared.text)
    if prepared.changed:
        if r.dist.main:
            r.out_dir.mkdir(parents=True, exist_ok=True)
            write_atomic(path, prepared.text)
        r.dist.barrier()  # the main rank wrote it; SparseML reads it on every rank
        what = [f"with {', '.join(f'{k}={v}' for k, v in overrides.items())}"]
        what = what if overrides else []
        if rescale_to is not None:
            what.append(f"rescaled to {rescale_to:g} epochs")
        r.progress(f"recipe {', '.join(what)}: {path}")
    else:
        path = Path(original.path)
    if r.resumed is not None and r.resumed.get("steps_per_epoch", r.spe) != r.spe:
        raise RunError(
            f"{r.out_dir}: the checkpoint ran {r.resumed['steps_per_epoch']} steps an "
            f"epoch, this run would take {r.spe}: the schedule would shift; resume "
            "with the same --batch-size, --steps-per-epoch and number of processes"
        )
    if errors(prepared.problems):  # before dense training, not days into it
        raise RunError(refusal(prepared.problems, r.spe))
    return prepared, path


def _dense(r: _Run, opt: Any, net: nn.Module, epochs: int) -> _Dense:
    """Dense training (none when resuming), its score and `DIR/dense.onnx`."""
    from sparseml.pytorch.utils import ModuleExporter

    model, task = r.task.model, r.task
    for epoch in range(0 if r.resumed else epochs):
        r.dist.set_epoch(r.train, epoch)
        r.bar.begin()
        for i, (x, y) in enumerate(r.batches()):
            opt.zero_grad()
            loss = task.loss(net(x), y)
            loss.backward()
            opt.step()
            r.bar.update(
                f"dense epoch {epoch + 1}/{epochs}", i + 1, r.spe, loss=loss.item()
            )
        r.bar.clear()
        score = task.score(model)
        r.progress(f"dense epoch {epoch + 1}/{epochs}: {task.score_name} {score:.4f}")
    r.out_dir.mkdir(parents=True, exist_ok=True)
    onnx = str(r.out_dir / "dense.onnx")
    if r.resumed is not None:
        model.load_state_dict(r.resumed["model"])
        first = r.resumed["epoch"]
        r.progress(f"resuming {r.out_dir} after epoch {first}")
        ckpt = r.resumed
        return _Dense(ckpt["dense_score"], ckpt.get("dense_metrics", {}), onnx, first)
    score = task.score(model)
    metrics = task.metrics(model) if task.metrics and r.dist.main else {}
    if r.dist.main:
        export(model, task.val, r.out_dir, ModuleExporter, "dense.onnx")
    r.dist.barrier()
    return _Dense(score, metrics, onnx, 0)


def _sparsify(
    r: _Run,
    prepared: Prepared,
    path: Path,
    opt: Any,
    net: nn.Module,
    dense: _Dense,
    kept: dict[str, Any],
) -> tuple[_Watched, float]:
    """Training under SparseML's manager: every step's LR, loss and sparsity in
    `DIR/observed.csv`, a checkpoint (with `kept`) after every epoch."""
    from sparseml.pytorch.optim import ScheduledModifierManager

    model = r.task.model
    model.train()
    manager = ScheduledModifierManager.from_yaml(str(path))
    for change in torch_compat.prepare_manager(manager, model):
        r.progress(change)
    wrapped = manager.modify(
        model,
        opt,
        steps_per_epoch=r.spe,
        epoch=float(dense.first_epoch),
        loggers=[_modifier_log(r.out_dir, r.dist.main)],
    )
    if r.resumed is not None:
        opt.load_state_dict(r.resumed["optimizer"])
        manager.load_state_dict(r.resumed["manager"])
        checkpoint.set_rng_state(r.resumed["rng"], r.train)
    net.train()
    watched = _Watched(
        {
            e.index: (
                f"#{e.index} {e.tag}",
                params_of(model, getattr(e.model, "params", None)),
            )
            for e in prepared.recipe.modifiers
            if is_gradual(e.model)
        }
    )
    epochs = manager.max_epochs
    with _observed(r, dense.first_epoch, list(watched.tensors)) as (write, flush):
        for epoch in range(dense.first_epoch, int(epochs)):
            label = f"epoch {epoch + 1}/{int(epochs)}"
            losses, fractions = _epoch(
                r, wrapped, opt, net, watched, epoch, label, write
            )
            flush()
            if r.dist.main:
                state = {
                    "epoch": epoch + 1,
                    "model": model.state_dict(),
                    "optimizer": opt.state_dict(),
                    "manager": manager.state_dict(),
                    "rng": checkpoint.rng_state(r.train),
                    "dense_score": dense.score,
                    "dense_metrics": dense.metrics,
                    "steps_per_epoch": r.spe,
                    **kept,
                }
                checkpoint.save(r.out_dir, prepared.text, state)
            r.dist.barrier()
            shown = ", ".join(f"{s:.3f}" for s in fractions)
            r.progress(
                f"{label}: loss {sum(losses) / len(losses):.4f}"
                f", lr {opt.param_groups[0]['lr']:.6g}"
                + (f", sparsity {shown}" if watched.tensors else "")
            )
    manager.finalize(model)
    return watched, float(epochs)


def _epoch(
    r: _Run,
    wrapped: Any,
    opt: Any,
    net: nn.Module,
    watched: _Watched,
    epoch: int,
    label: str,
    write: Callable[[list[Any]], Any],
) -> tuple[list[float], list[float]]:
    """One epoch under SparseML's wrapped optimizer, a row of `observed.csv` a step;
    the losses and the sparsity after the last step."""
    losses: list[float] = []
    fractions: list[float] = []
    step = epoch * r.spe
    r.dist.set_epoch(r.train, 1000 + epoch)
    r.bar.begin()
    for x, y in r.batches():
        wrapped.zero_grad()
        loss = r.task.loss(net(x), y)
        loss.backward()
        wrapped.step()
        losses.append(loss.item())
        fractions = watched.fractions()
        lr = opt.param_groups[0]["lr"]
        write([step, step / r.spe, lr, losses[-1], *fractions])
        step += 1
        r.bar.update(
            label,
            step - epoch * r.spe,
            r.spe,
            loss=losses[-1],
            lr=lr,
            **_bar_sparsity(list(watched.tensors), fractions),
        )
    r.bar.clear()
    return losses, fractions


def _bar_sparsity(indexes: list[int], fractions: list[float]) -> dict[str, float]:
    if len(indexes) == 1:
        return {"sparsity": fractions[0]}
    return {f"s{i}": f for i, f in zip(indexes, fractions, strict=True)}


@contextlib.contextmanager
def _observed(
    r: _Run, first_epoch: int, watched: list[int]
) -> Iterator[tuple[Callable[[list[Any]], Any], Callable[[], None]]]:
    """`DIR/observed.csv`, one row a step (yields write and flush); a resumed run
    drops the rows of the epoch it cut short and appends. Ranks other than the main
    one write nowhere."""
    path = r.out_dir / "observed.csv" if r.dist.main else Path(os.devnull)
    if r.resumed is not None and r.dist.main:
        with path.open(newline="") as f:
            kept = list(csv.reader(f))[: 1 + first_epoch * r.spe]
        with path.open("w", newline="") as f:
            csv.writer(f).writerows(kept)
    with path.open("a" if r.resumed else "w", newline="") as f:
        writer = csv.writer(f)
        if r.resumed is None:
            writer.writerow(
                ["step", "epoch", "lr", "loss", *[f"sparsity_{i}" for i in watched]]
            )
        yield writer.writerow, f.flush


def _finish(
    r: _Run,
    prepared: Prepared,
    path: Path,
    dense: _Dense,
    watched: _Watched,
    epochs: float,
    start: float,
    *,
    recipe: str,
    rescaled_to: float | None,
    overrides: dict[str, Any],
    static_batch: int | None,
    bench_seconds: float,
) -> Report:
    """The final scores and sparsity; on the main rank also `DIR/model.pt`, the
    export, the benchmark and the report."""
    from sparseml.pytorch.utils import ModuleExporter

    model, task, main = r.task.model, r.task, r.dist.main
    final_score = task.score(model)
    final_metrics = task.metrics(model) if task.metrics and main else {}
    mac_ratio = macs.ratio(model, next(iter(task.val))[0]) if main else None
    layers = {
        n: t for _, ts in watched.tensors.values() for n, t in ts.items()
    } or prunable(model)
    zeros = {n: int((t == 0).sum()) for n, t in layers.items()}
    result = Report(
        str(r.out_dir),
        r.model_name,
        r.spe,
        epochs,
        task.score_name,
        dense.score,
        final_score,
        dict(zip(watched.labels(), watched.fractions(), strict=True)),
        None,
        None,
        time.perf_counter() - start,
        recipe=recipe,
        rescaled_to=rescaled_to,
        overrides=overrides,
        per_layer={n: zeros[n] / max(1, t.numel()) for n, t in layers.items()},
        overall_sparsity=sum(zeros.values())
        / max(1, sum(t.numel() for t in layers.values())),
        mac_ratio=mac_ratio,
        metrics={
            k: {"dense": dense.metrics.get(k, math.nan), "sparse": v}
            for k, v in final_metrics.items()
        },
    )
    if not main:  # the main rank writes the model, the export and the report
        r.dist.finish()
        return result
    torch.save(model.state_dict(), r.out_dir / "model.pt")
    if not prepared.changed:  # else DIR/recipe.* was written before training
        shutil.copyfile(path, r.out_dir / f"recipe{recipe_suffix(path)}")
    onnx, diff, scale = export(model, task.val, r.out_dir, ModuleExporter, "model.onnx")
    if static_batch:
        for onnx_path in (dense.onnx, onnx):
            pin_batch(onnx_path, static_batch)
        r.progress(f"ONNX batch dimension pinned to {static_batch}")
    served = deploy.write(
        r.out_dir, r.model_name, onnx, task.class_names, static_batch or 1
    )
    if served is not None:
        r.progress(f"deploy folder {served}: serve it with `recipe serve {r.out_dir}`")
    rows: list[dict[str, Any]] = []
    if bench_seconds > 0:
        from .bench import BenchError, measure, table

        sample = next(iter(task.val))[0].numpy()
        try:  # the run's results stand whatever an engine does with them
            rows = measure(
                {"dense": dense.onnx, "recipe": onnx},
                batch_size=static_batch or 1,
                seconds=bench_seconds,
                sample=sample,
                progress=r.progress,
                failures=[],  # each one is said in progress
            )
            r.progress(table(rows))
        except BenchError as exc:
            r.progress(f"bench: {exc}; the run's model and report are kept")
    drawn, lr_diff, sparsity_diff = report.compare_with_plan(
        prepared.recipe, prepared.problems, r.spe, r.out_dir
    )
    result = dataclasses.replace(
        result,
        onnx=onnx,
        onnx_max_abs_diff=diff,
        onnx_output_max_abs=scale,
        seconds=time.perf_counter() - start,
        bench=rows,
        max_lr_diff=lr_diff,
        max_sparsity_diff=sparsity_diff,
        cpu=detect_cpu().to_dict(),
    )
    report.write(result, r.out_dir, drawn)
    r.dist.finish()
    return result


def _modifier_log(out_dir: Path, main: bool) -> Any:
    """SparseML's modifier-level log, kept in `DIR/sparseml.log` with the run.

    Left to its default, sparseml writes `./sparse_logs/<time>.log` into whatever
    folder the user started from.
    """
    from sparseml.pytorch.utils.logger import PythonLogger

    log = logging.getLogger(f"recipe_compiler.runner.sparseml.{out_dir.resolve()}")
    log.propagate = False  # the console shows our progress lines, not these
    log.setLevel(logging.DEBUG)
    for handler in list(log.handlers):  # a second run into the same folder
        log.removeHandler(handler)
        handler.close()
    if main:
        log.addHandler(logging.FileHandler(out_dir / "sparseml.log", delay=True))
    else:
        log.addHandler(logging.NullHandler())
    return PythonLogger(log)
