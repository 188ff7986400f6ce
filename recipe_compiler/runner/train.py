"""`recipe run`: train densely, apply the recipe with SparseML, export, and record
what training actually did next to what `recipe plan` said it would do.

`run(RunArgs)` reads as its phases: `_start` (the task, the processes, the
checkpoint to resume from), `_recipe` (the recipe as this run applies it:
`prepare`), `_dense` (dense training and its export), `_sparsify` (the recipe's
`RecipeSession` over the training loop, every step logged, a checkpoint every
epoch) and `_finish` (the final model, its export, the deploy folder, the
benchmark and the report).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .. import torch_compat

torch_compat.apply()

import torch  # noqa: E402
from torch import nn  # noqa: E402

from ..deploy import folder as deploy  # noqa: E402
from ..fileio import write_atomic  # noqa: E402
from ..hardware.cpu import detect as detect_cpu  # noqa: E402
from ..linter.engine import lint_recipe  # noqa: E402
from ..loader.recipe import load  # noqa: E402
from ..loader.source import recipe_suffix  # noqa: E402
from ..model import macs  # noqa: E402
from ..problems import errors  # noqa: E402
from . import checkpoint, report  # noqa: E402
from .args import RunArgs  # noqa: E402
from .distributed import Distributed, quiet  # noqa: E402
from .errors import RunError  # noqa: E402
from .export import export, pin_batch  # noqa: E402
from .prepare import Prepared, PrepareError, prepare, refusal  # noqa: E402
from .progress import StepBar  # noqa: E402
from .report import Report  # noqa: E402
from .session import RecipeSession, live_network, modifier_log  # noqa: E402
from .zoo.models import MODELS  # noqa: E402
from .zoo.tasks import Task, build  # noqa: E402

__all__ = ["Report", "RunArgs", "RunError", "prunable", "run"]


def prunable(model: nn.Module) -> dict[str, torch.Tensor]:
    """`__ALL_PRUNABLE__`: the weights of every conv and linear layer."""
    return {
        f"{name}.weight": m.weight
        for name, m in model.named_modules()
        if isinstance(m, nn.Conv1d | nn.Conv2d | nn.Conv3d | nn.Linear)
    }


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
    resumed: dict[str, Any] | None  # the checkpoint resumed from, of either phase

    @property
    def in_recipe(self) -> dict[str, Any] | None:
        """The checkpoint when it was written under the recipe (a dense one resumes
        dense training and then starts the recipe afresh)."""
        return self.resumed if checkpoint.phase(self.resumed) == "recipe" else None

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


def run(
    args: RunArgs,
    *,
    progress: Callable[[str], None] = print,
    bar: StepBar | None = None,
) -> Report:
    """Train `args.model_name` densely, then under the recipe; writes `args.out/`.

    `progress` gets a line per epoch; `bar`, if given, is drawn after every step.
    `args.overrides` are written into the recipe's variables (`recipe compile
    --var`), and `args.rescale_to` retargets it to that many dense epochs by the
    90-epoch rule (`recipe rescale`, epochs snapped to this run's step grid); with
    either, the resulting text is `out/recipe.*` and is what SparseML runs.

    After every epoch, `out/checkpoint.pt` holds the model, the optimizer, the
    random generators and the epoch (under the recipe SparseML's manager state too),
    written atomically; `args.resume` continues from it with the schedule unchanged,
    in dense training as under the recipe.
    """
    start = time.perf_counter()
    original = load(args.recipe, limits=args.limits)  # refused with the lint's, below
    if args.model_name not in MODELS and ":" not in args.model_name:
        raise RunError(
            f"unknown model {args.model_name!r}; known: {', '.join(MODELS)}, or "
            "pkg.module:factory"
        )
    out_dir = Path(args.out)
    resumed = checkpoint.load(out_dir) if args.resume else None
    if resumed is not None:  # resume as the run was started
        args = dataclasses.replace(
            args,
            rescale_to=(
                args.rescale_to
                if args.rescale_to is not None
                else resumed.get("rescaled_to")
            ),
            overrides=args.overrides or resumed.get("overrides") or {},
            dense_epochs=resumed.get("dense_epochs", args.dense_epochs),
        )
    r = _start(args, out_dir, resumed, progress, bar)
    prepared = _recipe(r, original, args.overrides, args.rescale_to)
    dense_epochs = args.dense_epochs
    kept = {
        "rescaled_to": args.rescale_to,
        "overrides": dict(args.overrides),
        "dense_epochs": dense_epochs,
    }
    if args.weights and not resumed:
        checkpoint.load_weights(r.task.model, args.weights)
        r.progress(f"loaded {args.weights}: dense training skipped")
        dense_epochs = 0
    opt = torch.optim.SGD(r.task.model.parameters(), lr=args.lr, momentum=0.9)
    net = r.dist.wrap(r.task.model)  # DistributedDataParallel under torchrun
    dense = _dense(r, opt, net, dense_epochs, prepared.text, kept)
    session = _sparsify(r, prepared, opt, net, dense, kept)
    return _finish(r, prepared, dense, session, start, args)


def _start(
    args: RunArgs,
    out_dir: Path,
    resumed: dict[str, Any] | None,
    progress: Callable[[str], None],
    bar: StepBar | None,
) -> _Run:
    """The task (model, loss, data, score), this process's share of the data, and
    the steps an epoch; only the main rank reports."""
    model_name, steps_per_epoch = args.model_name, args.steps_per_epoch
    try:
        task = build(model_name, args.batch_size, args.seed, args.image_size, args.data)
    except (KeyError, FileNotFoundError) as exc:
        why = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        raise RunError(f"cannot build {model_name}: {why}") from None
    dist = Distributed.from_env()
    if not dist.main:
        progress = quiet  # one rank reports, and only it writes files
    if bar is None or not dist.main:
        bar = StepBar(None)  # draws nothing
    train = dist.shard(task.train, args.seed) if dist.world > 1 else task.train
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
) -> Prepared:
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
    if r.resumed is not None and r.resumed.get("steps_per_epoch", r.spe) != r.spe:
        raise RunError(
            f"{r.out_dir}: the checkpoint ran {r.resumed['steps_per_epoch']} steps an "
            f"epoch, this run would take {r.spe}: the schedule would shift; resume "
            "with the same --batch-size, --steps-per-epoch and number of processes"
        )
    if errors(prepared.problems):  # before dense training, not days into it
        raise RunError(refusal(prepared.problems, r.spe))
    # and against the model this run built: names SparseML resolves only when the
    # recipe starts (params that match nothing), found before the dense epochs
    model = r.task.model
    net = live_network(model, type(model).__name__)
    live = lint_recipe(prepared.recipe, steps_per_epoch=r.spe, network=net).problems
    if errors(live):
        raise RunError(refusal(live, r.spe))
    return prepared


def _dense(
    r: _Run,
    opt: Any,
    net: nn.Module,
    epochs: int,
    recipe_text: str,
    kept: dict[str, Any],
) -> _Dense:
    """Dense training, its score and `DIR/dense.onnx`; a checkpoint after every
    dense epoch (with the hours a real model's dense phase takes, Ctrl-C must not
    lose them). None when resuming under the recipe; a dense checkpoint continues
    after its epoch."""
    from sparseml.pytorch.utils import ModuleExporter

    model, task = r.task.model, r.task
    first = 0
    if r.resumed is not None and r.in_recipe is None:
        model.load_state_dict(r.resumed["model"])
        opt.load_state_dict(r.resumed["optimizer"])
        checkpoint.set_rng_state(r.resumed["rng"], r.train)
        first = r.resumed["dense_epoch"]
        r.progress(f"resuming {r.out_dir} after dense epoch {first}/{epochs}")
    for epoch in range(epochs if r.in_recipe else first, epochs):
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
        if r.dist.main:
            state = {
                "phase": "dense",
                "epoch": 0,  # of the recipe
                "dense_epoch": epoch + 1,
                "model": model.state_dict(),
                "optimizer": opt.state_dict(),
                "rng": checkpoint.rng_state(r.train),
                "steps_per_epoch": r.spe,
                **kept,
            }
            r.out_dir.mkdir(parents=True, exist_ok=True)
            checkpoint.save(r.out_dir, recipe_text, state)
        r.dist.barrier()
        r.progress(f"dense epoch {epoch + 1}/{epochs}: {task.score_name} {score:.4f}")
    r.out_dir.mkdir(parents=True, exist_ok=True)
    onnx = str(r.out_dir / "dense.onnx")
    ckpt = r.in_recipe
    if ckpt is not None:
        model.load_state_dict(ckpt["model"])
        first = ckpt["epoch"]
        r.progress(f"resuming {r.out_dir} after epoch {first}")
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
    opt: Any,
    net: nn.Module,
    dense: _Dense,
    kept: dict[str, Any],
) -> RecipeSession:
    """Training under the recipe's session (SparseML's manager): every step's LR,
    loss and sparsity in `DIR/observed.csv`, a checkpoint (with `kept`) after
    every epoch."""
    session = RecipeSession(
        prepared.recipe,
        net,
        opt,
        r.spe,
        r.out_dir if r.dist.main else None,  # one rank writes
        epoch=float(dense.first_epoch),
        loggers=[modifier_log(r.out_dir, r.dist.main)],
        resume=r.in_recipe is not None,
    )
    for change in session.changes:
        r.progress(change)
    if r.in_recipe is not None:
        session.load_state_dict(r.in_recipe)
        checkpoint.set_rng_state(r.in_recipe["rng"], r.train)
    net.train()
    epochs = int(session.max_epochs)
    for epoch in range(dense.first_epoch, epochs):
        label = f"epoch {epoch + 1}/{epochs}"
        losses = _epoch(r, session, net, epoch, label)
        session.flush()
        if r.dist.main:
            state = {
                "phase": "recipe",
                "epoch": epoch + 1,
                "model": session.model.state_dict(),
                **session.state_dict(),
                "rng": checkpoint.rng_state(r.train),
                "dense_score": dense.score,
                "dense_metrics": dense.metrics,
                "steps_per_epoch": r.spe,
                **kept,
            }
            checkpoint.save(r.out_dir, prepared.text, state)
        r.dist.barrier()
        shown = ", ".join(f"{s:.3f}" for s in session.fractions)
        r.progress(
            f"{label}: loss {sum(losses) / len(losses):.4f}"
            f", lr {session.lr:.6g}"
            + (f", sparsity {shown}" if session.watched.tensors else "")
        )
    session.finish(draw=False)  # the run's report draws the plan
    return session


def _epoch(
    r: _Run, session: RecipeSession, net: nn.Module, epoch: int, label: str
) -> list[float]:
    """One epoch under the session, a row of `observed.csv` a step; its losses."""
    losses: list[float] = []
    r.dist.set_epoch(r.train, 1000 + epoch)
    r.bar.begin()
    for i, (x, y) in enumerate(r.batches()):
        session.optimizer.zero_grad()
        loss = r.task.loss(net(x), y)
        loss.backward()
        session.step(loss.item())
        losses.append(loss.item())
        r.bar.update(
            label,
            i + 1,
            r.spe,
            loss=losses[-1],
            lr=session.lr,
            **_bar_sparsity(list(session.watched.tensors), session.fractions),
        )
    r.bar.clear()
    return losses


def _bar_sparsity(indexes: list[int], fractions: list[float]) -> dict[str, float]:
    if len(indexes) == 1:
        return {"sparsity": fractions[0]}
    return {f"s{i}": f for i, f in zip(indexes, fractions, strict=True)}


def _finish(
    r: _Run,
    prepared: Prepared,
    dense: _Dense,
    session: RecipeSession,
    start: float,
    args: RunArgs,
) -> Report:
    """The final scores and sparsity; on the main rank also `DIR/model.pt`, the
    recipe as it ran, the export, the deploy folder, the benchmark and the
    planned-vs-observed comparison, then the report."""
    final = _final(r, dense, session)
    if not r.dist.main:  # the main rank writes the model, the export and the report
        r.dist.finish()
        return _report(r, args, dense, session, final, start)
    torch.save(r.task.model.state_dict(), r.out_dir / "model.pt")
    if not prepared.changed:  # else DIR/recipe.* was written before training
        path = Path(prepared.recipe.path)
        shutil.copyfile(path, r.out_dir / f"recipe{recipe_suffix(path)}")
    onnx, diff, scale = _export_final(r, dense, args.static_batch)
    served = deploy.write(
        r.out_dir, r.model_name, onnx, r.task.class_names, args.static_batch or 1
    )
    if served is not None:
        r.progress(f"deploy folder {served}: serve it with `recipe serve {r.out_dir}`")
    rows = _bench(r, dense, onnx, args) if args.bench_seconds > 0 else []
    title = f"{Path(args.recipe).name} on {r.model_name}, run in {r.out_dir}"
    drawn, lr_diff, sparsity_diff = report.compare_with_plan(
        prepared.recipe, prepared.problems, r.spe, r.out_dir, title
    )
    result = _report(
        r,
        args,
        dense,
        session,
        final,
        start,
        onnx=onnx,
        onnx_max_abs_diff=diff,
        onnx_output_max_abs=scale,
        bench=rows,
        max_lr_diff=lr_diff,
        max_sparsity_diff=sparsity_diff,
        cpu=detect_cpu().to_dict(),
    )
    report.write(result, r.out_dir, drawn)
    r.dist.finish()
    return result


def _final(r: _Run, dense: _Dense, session: RecipeSession) -> dict[str, Any]:
    """The report's figures of the final model: score, metrics (before and after),
    sparsity per modifier, per layer and overall, and the MAC ratio."""
    model, task, main = r.task.model, r.task, r.dist.main
    metrics = task.metrics(model) if task.metrics and main else {}
    watched = session.watched
    layers = {
        n: t for _, ts in watched.tensors.values() for n, t in ts.items()
    } or prunable(model)
    zeros = {n: int((t == 0).sum()) for n, t in layers.items()}
    return {
        "score": task.score(model),
        "sparsity": dict(zip(watched.labels(), watched.fractions(), strict=True)),
        "per_layer": {n: zeros[n] / max(1, t.numel()) for n, t in layers.items()},
        "overall_sparsity": sum(zeros.values())
        / max(1, sum(t.numel() for t in layers.values())),
        "mac_ratio": macs.ratio(model, next(iter(task.val))[0]) if main else None,
        "metrics": {
            k: {"dense": dense.metrics.get(k, math.nan), "sparse": v}
            for k, v in metrics.items()
        },
    }


def _report(
    r: _Run,
    args: RunArgs,
    dense: _Dense,
    session: RecipeSession,
    final: dict[str, Any],
    start: float,
    **exported: Any,
) -> Report:
    return Report(
        str(r.out_dir),
        r.model_name,
        r.spe,
        session.max_epochs,
        r.task.score_name,
        dense.score,
        seconds=time.perf_counter() - start,
        recipe=str(args.recipe),
        rescaled_to=args.rescale_to,
        overrides=dict(args.overrides),
        onnx=exported.pop("onnx", None),
        onnx_max_abs_diff=exported.pop("onnx_max_abs_diff", None),
        **final,
        **exported,
    )


def _export_final(
    r: _Run, dense: _Dense, static_batch: int | None
) -> tuple[str, float, float]:
    """`DIR/model.onnx` through sparseml's exporter, checked in onnxruntime; with
    `static_batch`, both exports' batch dimension pinned."""
    from sparseml.pytorch.utils import ModuleExporter

    onnx, diff, scale = export(
        r.task.model, r.task.val, r.out_dir, ModuleExporter, "model.onnx"
    )
    if static_batch:
        for onnx_path in (dense.onnx, onnx):
            pin_batch(onnx_path, static_batch)
        r.progress(f"ONNX batch dimension pinned to {static_batch}")
    return onnx, diff, scale


def _bench(r: _Run, dense: _Dense, onnx: str, args: RunArgs) -> list[dict[str, Any]]:
    """The dense and the recipe's model timed in both engines (`--bench`); an
    engine's failure is a progress line: the run's results stand regardless."""
    from .bench import BenchError, measure, table

    sample = next(iter(r.task.val))[0].numpy()
    try:
        rows = measure(
            {"dense": dense.onnx, "recipe": onnx},
            batch_size=args.static_batch or 1,
            seconds=args.bench_seconds,
            sample=sample,
            progress=r.progress,
            failures=[],  # each one is said in progress
        )
    except BenchError as exc:
        r.progress(f"bench: {exc}; the run's model and report are kept")
        return []
    r.progress(table(rows))
    return rows
