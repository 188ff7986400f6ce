"""`recipe run`: train densely, apply the recipe with SparseML, export, and record
what training actually did next to what `recipe plan` said it would do."""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import itertools
import json
import math
import os
import re
import shutil
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import compat

compat.apply()

import torch  # noqa: E402
from torch import nn  # noqa: E402

from ..fileio import write_atomic  # noqa: E402
from ..modifiers.pruning import GRADUAL  # noqa: E402
from ..recipe import load  # noqa: E402
from . import macs  # noqa: E402
from .models import MODELS  # noqa: E402
from .progress import StepBar  # noqa: E402
from .tasks import build  # noqa: E402


class RunError(RuntimeError):
    """The run cannot start (a bad recipe or model); the message says why."""


@dataclasses.dataclass
class Report:
    out: str
    model: str
    steps_per_epoch: int
    epochs: float
    score_name: str  # "accuracy" or "val_loss"
    dense_score: float
    score: float
    sparsity: dict[str, float]  # modifier label -> fraction of zeros at the end
    onnx: str | None
    onnx_max_abs_diff: float | None
    seconds: float
    bench: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    recipe: str = ""
    per_layer: dict[str, float] = dataclasses.field(default_factory=dict)
    overall_sparsity: float | None = None
    max_lr_diff: float | None = None  # planned vs observed, over every step
    max_sparsity_diff: float | None = None
    onnx_output_max_abs: float | None = None  # the scale max_abs_diff is out of
    mac_ratio: float | None = None  # all conv/linear MACs over nonzero-weight ones
    rescaled_to: float | None = None  # dense epochs the recipe was rescaled to
    overrides: dict[str, Any] = dataclasses.field(default_factory=dict)  # --var
    metrics: dict[str, dict[str, float]] = dataclasses.field(
        default_factory=dict
    )  # more figures of the task (a detector's mAP): name -> {dense, sparse}

    def to_dict(self) -> dict[str, Any]:
        """report.json: the layout docs/runner.md documents."""
        return {
            "recipe": self.recipe,
            "rescaled_to": self.rescaled_to,
            "overrides": self.overrides,
            "model": self.model,
            "epochs": self.epochs,
            "steps_per_epoch": self.steps_per_epoch,
            self.score_name: {"dense": self.dense_score, "sparse": self.score},
            **self.metrics,
            "planned_vs_observed": {
                "max_lr_diff": self.max_lr_diff,
                "max_sparsity_diff": self.max_sparsity_diff,
            },
            "sparsity": {
                "overall": self.overall_sparsity,
                "per_layer": self.per_layer,
                "per_modifier": self.sparsity,
                "nonzero_mac_ratio": self.mac_ratio,
            },
            "export": {
                "path": self.onnx,
                "max_abs_diff": self.onnx_max_abs_diff,
                "output_max_abs": self.onnx_output_max_abs,
            },
            "bench": self.bench,
            "seconds": self.seconds,
        }

    def summary(self) -> str:
        """The line `recipe run` ends with."""
        sparsity = ", ".join(f"{k} {v:.3f}" for k, v in self.sparsity.items())
        more = "".join(
            f", {name} {v['dense']:.4f} -> {v['sparse']:.4f}"
            for name, v in self.metrics.items()
        )
        return (
            f"dense {self.score_name} {self.dense_score:.4f} -> {self.score:.4f}"
            f"{more} after the recipe; sparsity {sparsity}; ONNX {self.onnx} "
            f"(max |onnxruntime - torch| {self.onnx_max_abs_diff:.2g} of outputs up "
            f"to {self.onnx_output_max_abs:.3g})"
        )


def interrupted(folder: str) -> str:
    """What to do after Ctrl-C: resume from the last checkpoint, if there is one."""
    saved = Path(folder) / CHECKPOINT
    if saved.exists():
        return (
            f"interrupted; the last finished epoch is saved in {saved}: resume with "
            f"--resume {folder}"
        )
    return (
        "interrupted before the recipe's first epoch ended; nothing was saved to "
        "resume: start the run again"
    )


def _zero_fraction(tensors: dict[str, torch.Tensor]) -> float:
    """Zeros over all elements of `tensors` together: a modifier's sparsity."""
    zeros = sum(int((t == 0).sum()) for t in tensors.values())
    return zeros / max(1, sum(t.numel() for t in tensors.values()))


def prunable(model: nn.Module) -> dict[str, torch.Tensor]:
    """`__ALL_PRUNABLE__`: the weights of every conv and linear layer."""
    return {
        f"{name}.weight": m.weight
        for name, m in model.named_modules()
        if isinstance(m, nn.Conv1d | nn.Conv2d | nn.Conv3d | nn.Linear)
    }


def params_of(model: nn.Module, spec: Any) -> dict[str, torch.Tensor]:
    """The tensors a modifier's `params` names (names, `re:` patterns or tokens)."""
    named: dict[str, torch.Tensor] = dict(model.named_parameters())
    if spec in (None, []) or (
        isinstance(spec, str) and spec.upper() == "__ALL_PRUNABLE__"
    ):
        return prunable(model)
    if isinstance(spec, str) and spec.upper() == "__ALL__":
        return named
    out: dict[str, torch.Tensor] = {}
    for item in spec if isinstance(spec, list) else [spec]:
        if item.startswith("re:"):
            out.update({n: p for n, p in named.items() if re.match(item[3:], n)})
        elif item in named:
            out[item] = named[item]
    return out


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
    from sparseml.pytorch.optim import ScheduledModifierManager
    from sparseml.pytorch.utils import ModuleExporter

    start = time.perf_counter()
    source_path = recipe_path
    recipe = load(recipe_path)  # its problems are refused with the lint's, below
    if model_name not in MODELS and ":" not in model_name:
        raise RunError(
            f"unknown model {model_name!r}; known: {', '.join(MODELS)}, or "
            "pkg.module:factory"
        )
    out_dir = Path(out)
    ckpt = _load_checkpoint(out_dir) if resume else None
    if ckpt is not None:  # resume as the run was started
        rescale_to = rescale_to if rescale_to is not None else ckpt.get("rescaled_to")
        overrides = overrides or ckpt.get("overrides") or {}
    overrides = dict(overrides or {})
    try:
        task = build(model_name, batch_size, seed, image_size, data)
    except (KeyError, FileNotFoundError) as exc:
        raise RunError(f"cannot build {model_name}: {exc}") from None
    model, loss_fn, score = task.model, task.loss, task.score
    train_loader, val_loader = task.train, task.val
    dist = Distributed.from_env()
    if not dist.main:
        progress = _quiet  # one rank reports, and only it writes files
    if bar is None or not dist.main:
        bar = StepBar(None)  # draws nothing
    if dist.world > 1:
        train_loader = dist.shard(train_loader, seed)
    spe = len(train_loader)
    if steps_per_epoch is not None:  # the first N batches of every epoch
        if not 1 <= steps_per_epoch <= spe:
            raise RunError(
                f"--steps-per-epoch {steps_per_epoch}: the training data gives "
                f"{spe} batches an epoch; give 1 to {spe}"
            )
        spe = steps_per_epoch
    text = recipe.source.text
    changed = bool(overrides) or rescale_to is not None
    if changed:
        recipe_path, text = _applied(recipe, overrides, rescale_to, spe, out_dir)
    if ckpt is not None:
        _check_recipe(out_dir, ckpt, text)  # before anything in DIR changes
    if changed:
        if dist.main:
            out_dir.mkdir(parents=True, exist_ok=True)
            write_atomic(recipe_path, text)
        dist.barrier()  # the main rank wrote it; every rank reads it
        recipe = load(recipe_path)
        what = [f"with {', '.join(f'{k}={v}' for k, v in overrides.items())}"]
        what = what if overrides else []
        if rescale_to is not None:
            what.append(f"rescaled to {rescale_to:g} epochs")
        progress(f"recipe {', '.join(what)}: {recipe_path}")
    if ckpt is not None and ckpt.get("steps_per_epoch", spe) != spe:
        raise RunError(
            f"{out_dir}: the checkpoint ran {ckpt['steps_per_epoch']} steps an epoch, "
            f"this run would take {spe}: the schedule would shift; resume with the "
            "same --batch-size, --steps-per-epoch and number of processes"
        )
    _refuse_lint_errors(recipe, spe)  # before dense training, not days into it
    if weights and not ckpt:
        _load_weights(model, weights)
        progress(f"loaded {weights}: dense training skipped")
        dense_epochs = 0
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    net = dist.wrap(model)  # DistributedDataParallel under torchrun, else the model
    for epoch in range(0 if ckpt else dense_epochs):
        dist.set_epoch(train_loader, epoch)
        bar.begin()
        for i, (x, y) in enumerate(_batches(train_loader, steps_per_epoch)):
            opt.zero_grad()
            loss = loss_fn(net(x), y)
            loss.backward()
            opt.step()
            bar.update(
                f"dense epoch {epoch + 1}/{dense_epochs}", i + 1, spe, loss=loss.item()
            )
        bar.clear()
        progress(
            f"dense epoch {epoch + 1}/{dense_epochs}: "
            f"{task.score_name} {score(model):.4f}"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    if ckpt is None:
        dense_score = score(model)
        dense_metrics = task.metrics(model) if task.metrics and dist.main else {}
        if dist.main:
            _export(model, val_loader, out_dir, ModuleExporter, "dense.onnx")
        dist.barrier()
        first_epoch = 0
    else:
        dense_score = ckpt["dense_score"]
        dense_metrics = ckpt.get("dense_metrics", {})
        model.load_state_dict(ckpt["model"])
        first_epoch = ckpt["epoch"]
        progress(f"resuming {out_dir} after epoch {first_epoch}")
    dense_onnx = str(out_dir / "dense.onnx")
    model.train()

    manager = ScheduledModifierManager.from_yaml(str(recipe_path))
    for change in compat.prepare_manager(manager, model):
        progress(change)
    wrapped = manager.modify(
        model,
        opt,
        steps_per_epoch=spe,
        epoch=float(first_epoch),
        loggers=[_modifier_log(out_dir, dist.main)],
    )
    if ckpt is not None:
        opt.load_state_dict(ckpt["optimizer"])
        manager.load_state_dict(ckpt["manager"])
        _set_rng(ckpt["rng"], train_loader)
    net.train()
    watched = {
        e.index: (
            f"#{e.index} {e.tag}",
            params_of(model, getattr(e.model, "params", None)),
        )
        for e in recipe.modifiers
        if isinstance(e.model, GRADUAL)
    }
    epochs = manager.max_epochs
    step = first_epoch * spe
    observed = out_dir / "observed.csv" if dist.main else Path(os.devnull)
    if ckpt is not None and dist.main:  # drop the rows of the epoch cut short
        with observed.open(newline="") as f:
            kept = list(csv.reader(f))[: 1 + step]
        with observed.open("w", newline="") as f:
            csv.writer(f).writerows(kept)
    with observed.open("a" if ckpt else "w", newline="") as f:
        writer = csv.writer(f)
        if ckpt is None:
            writer.writerow(
                ["step", "epoch", "lr", "loss", *[f"sparsity_{i}" for i in watched]]
            )
        for epoch in range(first_epoch, int(epochs)):
            losses = []
            dist.set_epoch(train_loader, 1000 + epoch)
            bar.begin()
            for x, y in _batches(train_loader, steps_per_epoch):
                wrapped.zero_grad()
                loss = loss_fn(net(x), y)
                loss.backward()
                wrapped.step()
                losses.append(loss.item())
                row = [step, step / spe, opt.param_groups[0]["lr"], losses[-1]]
                row.extend(_zero_fraction(ts) for _, ts in watched.values())
                writer.writerow(row)
                step += 1
                bar.update(
                    f"epoch {epoch + 1}/{int(epochs)}",
                    step - epoch * spe,
                    spe,
                    loss=losses[-1],
                    lr=row[2],
                    **{
                        ("sparsity" if len(watched) == 1 else f"s{i}"): row[4 + n]
                        for n, i in enumerate(watched)
                    },
                )
            bar.clear()
            sparsity = ", ".join(f"{row[4 + n]:.3f}" for n in range(len(watched)))
            f.flush()
            if dist.main:
                _save_checkpoint(
                    out_dir,
                    recipe,
                    {
                        "epoch": epoch + 1,
                        "model": model.state_dict(),
                        "optimizer": opt.state_dict(),
                        "manager": manager.state_dict(),
                        "rng": _get_rng(train_loader),
                        "dense_score": dense_score,
                        "dense_metrics": dense_metrics,
                        "steps_per_epoch": spe,
                        "rescaled_to": rescale_to,
                        "overrides": overrides,
                    },
                )
            dist.barrier()
            progress(
                f"epoch {epoch + 1}/{int(epochs)}: loss {sum(losses) / len(losses):.4f}"
                f", lr {opt.param_groups[0]['lr']:.6g}"
                + (f", sparsity {sparsity}" if watched else "")
            )
    manager.finalize(model)
    final_score = score(model)
    final_metrics = task.metrics(model) if task.metrics and dist.main else {}
    mac_ratio = macs.ratio(model, next(iter(val_loader))[0]) if dist.main else None
    final = {label: _zero_fraction(ts) for label, ts in watched.values()}
    layers = {n: t for _, ts in watched.values() for n, t in ts.items()} or prunable(
        model
    )
    zero_counts = {n: int((t == 0).sum()) for n, t in layers.items()}
    report = Report(
        str(out_dir),
        model_name,
        spe,
        float(epochs),
        task.score_name,
        dense_score,
        final_score,
        final,
        None,
        None,
        time.perf_counter() - start,
        recipe=str(source_path),
        rescaled_to=rescale_to,
        overrides=overrides,
        per_layer={n: zero_counts[n] / max(1, t.numel()) for n, t in layers.items()},
        overall_sparsity=sum(zero_counts.values())
        / max(1, sum(t.numel() for t in layers.values())),
        mac_ratio=mac_ratio,
        metrics={
            k: {"dense": dense_metrics.get(k, math.nan), "sparse": v}
            for k, v in final_metrics.items()
        },
    )
    if not dist.main:  # the main rank writes the model, the export and the report
        dist.finish()
        return report
    torch.save(model.state_dict(), out_dir / "model.pt")
    applied = out_dir / ("recipe" + Path(recipe_path).suffix.lower())
    if not changed:  # else DIR/recipe.* was written before training
        shutil.copyfile(recipe_path, applied)
    onnx_path, diff, scale = _export(
        model, val_loader, out_dir, ModuleExporter, "model.onnx"
    )
    if static_batch:
        for path in (dense_onnx, onnx_path):
            pin_batch(path, static_batch)
        progress(f"ONNX batch dimension pinned to {static_batch}")
    rows: list[dict[str, Any]] = []
    if bench_seconds > 0:
        from .bench import measure, table

        sample = next(iter(val_loader))[0].numpy()
        rows = measure(
            {"dense": dense_onnx, "recipe": onnx_path},
            batch_size=static_batch or 1,
            seconds=bench_seconds,
            sample=sample,
            progress=progress,
        )
        progress(table(rows))
    lr_diff, sparsity_diff = _planned_vs_observed(recipe, spe, out_dir)
    report = dataclasses.replace(
        report,
        onnx=onnx_path,
        onnx_max_abs_diff=diff,
        onnx_output_max_abs=scale,
        seconds=time.perf_counter() - start,
        bench=rows,
        max_lr_diff=lr_diff,
        max_sparsity_diff=sparsity_diff,
    )
    write_atomic(out_dir / "report.json", json.dumps(report.to_dict(), indent=2) + "\n")
    write_atomic(out_dir / "report.md", report_markdown(report))
    dist.finish()
    return report


def _export(
    model: nn.Module, loader: Any, out_dir: Path, exporter_cls: Any, name: str
) -> tuple[str, float, float]:
    """ONNX through sparseml's exporter, checked in onnxruntime against torch:
    the path, the largest |difference| and the largest |output| it compares with."""
    import numpy as np
    import onnxruntime as ort

    model.eval()
    x, _ = next(iter(loader))
    sample = x[:4]
    with warnings.catch_warnings():
        # tracing warns about every Python-level branch (fake-quantize's observer
        # switch, YOLO's grid): noise to a user, and errors under pytest -W error
        warnings.simplefilter("ignore")
        # convert_qat: QAT becomes real INT8 ops (ConvInteger, QLinearMatMul), not
        # float convs between Quantize/Dequantize pairs; batch norms may be folded
        with _sparseml_log_to(out_dir / "sparseml.log"):
            exporter_cls(model, str(out_dir)).export_onnx(
                sample_batch=sample,
                name=name,
                convert_qat=True,
                disable_bn_fusing=False,
            )
    path = out_dir / name
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: sample.numpy()})[0]
    with torch.no_grad():
        want = model(sample).numpy()
    stem = name.removesuffix(".onnx")
    np.save(out_dir / f"{stem}_sample_input.npy", sample.numpy())
    np.save(out_dir / f"{stem}_sample_output.npy", want)
    return str(path), float(np.max(np.abs(got - want))), float(np.max(np.abs(want)))


CHECKPOINT = "checkpoint.pt"


def _applied(
    recipe: Any,
    overrides: dict[str, Any],
    epochs: float | None,
    spe: int,
    out_dir: Path,
) -> tuple[str, str]:
    """The path in `out_dir` and the text of the recipe as this run applies it: the
    overrides written into its variables (`recipe compile`), then rescaled to
    `epochs` on this run's step grid (`recipe rescale --steps-per-epoch`)."""
    from ..compile import CompileError, compile_recipe
    from ..rescale import RescaleError, rescale

    if not recipe.ok:
        _refuse_lint_errors(recipe, spe)  # names the first problem at file:line
    if overrides:
        try:
            text = compile_recipe(recipe, overrides, False)
        except CompileError as exc:
            first = exc.problems[0] if exc.problems else None
            where = (
                f" ({first.line}:{first.column} {first.code} {first.message})"
                if first
                else ""
            )
            raise RunError(f"{recipe.path}: --var: {exc}{where}") from None
        recipe = recipe.edited(text)
    text = recipe.source.text
    if epochs is not None:
        try:
            text = rescale(recipe, epochs, round_to=1.0 / spe).text
        except RescaleError as exc:
            raise RunError(
                f"{recipe.path}: cannot rescale to {epochs:g} epochs: {exc}"
            ) from None
    suffix = ".md" if str(recipe.path).lower().endswith(".md") else ".yaml"
    return str(out_dir / f"recipe{suffix}"), text


def _recipe_hash(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()


def _save_checkpoint(out_dir: Path, recipe: Any, state: dict[str, Any]) -> None:
    """torch.save to a temporary file, fsync, rename: a kill leaves the last one."""
    import os
    import tempfile

    state = {**state, "recipe_sha256": _recipe_hash(recipe.source.text), "format": 1}
    fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=".checkpoint.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(state, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, out_dir / CHECKPOINT)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _load_checkpoint(out_dir: Path) -> dict[str, Any]:
    path = out_dir / CHECKPOINT
    if not path.exists():
        raise RunError(f"nothing to resume: {path} does not exist")
    try:
        state = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # a truncated or corrupt file: say so, never guess
        raise RunError(
            f"{path} is corrupt or partial ({type(exc).__name__}); it cannot be "
            "resumed: start the run again"
        ) from None
    if not isinstance(state, dict) or state.get("format") != 1 or "epoch" not in state:
        raise RunError(f"{path} is not a recipe-compiler checkpoint")
    return state


def _check_recipe(out_dir: Path, state: dict[str, Any], text: str) -> None:
    if state.get("recipe_sha256") != _recipe_hash(text):
        raise RunError(
            f"{out_dir / CHECKPOINT} was written for another version of the recipe: "
            "resuming would change the schedule mid-run"
        )


def _quiet(_: str) -> None:
    """Progress of the ranks that do not report."""


@dataclasses.dataclass
class Distributed:
    """Data-parallel training under torchrun, or not.

    The runner trains on CPU, so the process group is gloo even where GPUs exist:
    NCCL only carries CUDA tensors, and a CUDA path (devices, CUDA RNG state in
    checkpoints) is not built because nothing here could test it.
    """

    rank: int = 0
    world: int = 1

    @property
    def main(self) -> bool:
        return self.rank == 0

    @classmethod
    def from_env(cls) -> Distributed:
        world = int(os.environ.get("WORLD_SIZE", "1"))
        if world <= 1:
            return cls()
        import torch.distributed as td

        if not td.is_initialized():
            td.init_process_group("gloo")
        return cls(td.get_rank(), td.get_world_size())

    def shard(self, loader: Any, seed: int) -> Any:
        """The loader over this rank's share of the data, reshuffled every epoch."""
        from torch.utils.data import DataLoader
        from torch.utils.data.distributed import DistributedSampler

        sampler: Any = DistributedSampler(
            loader.dataset,
            self.world,
            self.rank,
            shuffle=True,
            seed=seed,
            drop_last=True,
        )
        return DataLoader(
            loader.dataset,
            batch_size=loader.batch_size,
            sampler=sampler,
            collate_fn=loader.collate_fn,
            drop_last=True,
        )

    def wrap(self, model: nn.Module) -> nn.Module:
        if self.world <= 1:
            return model
        from torch.nn.parallel import DistributedDataParallel

        return DistributedDataParallel(model)

    def set_epoch(self, loader: Any, epoch: int) -> None:
        sampler: Any = getattr(loader, "sampler", None)
        if hasattr(sampler, "set_epoch"):
            sampler.set_epoch(epoch)

    def barrier(self) -> None:
        if self.world > 1:
            import torch.distributed as td

            td.barrier()

    def finish(self) -> None:
        if self.world > 1:
            import torch.distributed as td

            td.barrier()
            td.destroy_process_group()


def _get_rng(loader: Any) -> dict[str, Any]:
    import random

    import numpy as np

    return {
        "torch": torch.get_rng_state(),
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "loader": loader.generator.get_state() if loader.generator else None,
    }


def _set_rng(state: dict[str, Any], loader: Any) -> None:
    import random

    import numpy as np

    torch.set_rng_state(state["torch"])
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    if loader.generator is not None and state["loader"] is not None:
        loader.generator.set_state(state["loader"])


def _batches(loader: Any, limit: int | None) -> Any:
    """The epoch's batches, or its first `limit`. The whole loader is iterated
    when no limit is set: stopping early draws the shuffling generator
    differently, which would change every default run's data order."""
    return loader if limit is None else itertools.islice(loader, limit)


def _refuse_lint_errors(recipe: Any, spe: int) -> None:
    """Lint at this run's steps per epoch; an error (SparseML would refuse or crash,
    at load or at some step) stops the run before any training."""
    from ..lint import lint_recipe

    errors = [p for p in lint_recipe(recipe, None, spe) if p.severity == "error"]
    if errors:
        first = errors[0]
        more = f"; {len(errors) - 1} more: run recipe lint" if len(errors) > 1 else ""
        hint = f"; {first.hint}" if first.hint else ""
        raise RunError(
            f"{first.path}:{first.line}:{first.column}: {first.code} {first.message}"
            f"{hint} (linted at {spe} steps an epoch{more})"
        )


@contextlib.contextmanager
def _sparseml_log_to(path: Path) -> Any:
    """sparseml's INFO lines (one per export transform, 18 for a QAT export) go to
    `path` instead of the terminal, where they buried the run's own output."""
    import logging

    logger = logging.getLogger("sparseml")
    consoles = [
        h
        for h in logger.handlers
        if isinstance(h, logging.StreamHandler)
        and not isinstance(h, logging.FileHandler)
    ]
    levels = [h.level for h in consoles]
    to_file = logging.FileHandler(path, encoding="utf-8")
    to_file.setFormatter(
        logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s")
    )
    to_file.setLevel(logging.INFO)
    for h in consoles:
        h.setLevel(max(h.level, logging.WARNING))
    logger.addHandler(to_file)
    try:
        yield
    finally:
        logger.removeHandler(to_file)
        to_file.close()
        for h, level in zip(consoles, levels, strict=True):
            h.setLevel(level)


def _modifier_log(out_dir: Path, main: bool) -> Any:
    """SparseML's modifier-level log, kept in `DIR/sparseml.log` with the run.

    Left to its default, sparseml writes `./sparse_logs/<time>.log` into whatever
    folder the user started from.
    """
    import logging

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


def _planned_vs_observed(
    recipe: Any, spe: int, out_dir: Path
) -> tuple[float | None, float | None]:
    """`out/report.html`: the preview page, the run's measurements dotted over it.

    Returns the largest differences between plan and run over every step: of the
    LR (first param group) and of each pruning modifier's sparsity.
    """
    import numpy as np

    from ..lint import lint_recipe
    from ..preview import Planned, render
    from ..schedule import plan

    with (out_dir / "observed.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    observed = {
        key: np.array([float(r[key]) for r in rows])
        for key in (rows[0] if rows else {})
        if key == "lr" or key.startswith("sparsity_")
    }
    timeline = plan(recipe, spe)
    n = min(len(rows), timeline.total_steps)
    lr_diff = sparsity_diff = None
    if n and "lr" in observed and timeline.lr.shape[0]:
        planned = timeline.lr[0][:n]
        known = ~np.isnan(planned)  # NaN: no modifier has set the LR yet
        if known.any():
            lr_diff = float(np.max(np.abs(observed["lr"][:n] - planned)[known]))
    for index, target in timeline.sparsity.items():
        got = observed.get(f"sparsity_{index}")
        if n and got is not None:
            d = float(np.max(np.abs(got[:n] - target[:n])))
            sparsity_diff = d if sparsity_diff is None else max(sparsity_diff, d)
    page = render(
        [
            Planned(
                recipe,
                timeline,
                lint_recipe(recipe, None, spe),
                Path(recipe.path).name,
                observed,
            )
        ]
    )
    write_atomic(out_dir / "report.html", page)
    return lr_diff, sparsity_diff


def report_markdown(report: Report) -> str:
    """`out/report.md`: what report.json holds, for people."""

    def num(v: float | None, fmt: str = ".4g") -> str:
        return "n/a" if v is None else format(v, fmt)

    lines = [
        f"# recipe run: {Path(report.recipe).name} on {report.model}",
        "",
        f"- epochs {report.epochs:g}, {report.steps_per_epoch} steps an epoch, "
        f"{report.seconds:.0f} s"
        + (
            f"; recipe rescaled to {report.rescaled_to:g} dense epochs (recipe.*)"
            if report.rescaled_to
            else ""
        ),
        f"- {report.score_name}: dense {report.dense_score:.4f}, "
        f"after the recipe {report.score:.4f}",
        *(
            f"- {name}: dense {v['dense']:.4f}, after the recipe {v['sparse']:.4f}"
            for name, v in report.metrics.items()
        ),
        f"- planned vs observed over every step: LR differs by at most "
        f"{num(report.max_lr_diff)}, sparsity by at most "
        f"{num(report.max_sparsity_diff)} (rounding to whole weights)",
        f"- export: {report.onnx or 'none'}, max |onnxruntime - torch| "
        f"{num(report.onnx_max_abs_diff, '.2g')} (outputs up to "
        f"{num(report.onnx_output_max_abs, '.3g')})",
        "",
        f"## Sparsity: {num(report.overall_sparsity, '.3f')} overall; "
        f"{num(report.mac_ratio, '.2f')}x fewer multiply-accumulates with a nonzero "
        "weight (the most sparsity alone can speed up)",
        "",
        "| tensor | sparsity |",
        "|---|---:|",
        *(f"| `{n}` | {v:.3f} |" for n, v in report.per_layer.items()),
    ]
    if report.bench:
        from .bench import table

        lines += ["", "## Benchmark", "", "```", table(report.bench), "```"]
    lines += ["", "The plan with the run drawn over it: report.html.", ""]
    return "\n".join(lines)


def _load_weights(model: nn.Module, path: str) -> None:
    """A state dict saved with `torch.save(model.state_dict(), path)`."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise RunError(
            f"{path}: cannot load weights ({type(exc).__name__}: {exc})"
        ) from None
    if (
        isinstance(state, dict)
        and "model" in state
        and isinstance(state["model"], dict)
    ):
        state = state["model"]  # a checkpoint of ours
    try:
        model.load_state_dict(state)
    except (RuntimeError, TypeError) as exc:
        first = str(exc).strip().splitlines()[0]
        raise RunError(f"{path} does not fit the model: {first}") from None


def pin_batch(onnx_path: str | Path, batch: int) -> None:
    """Make the exported batch dimension static (sparseml exports it dynamic)."""
    import onnx

    model = onnx.load(str(onnx_path))
    for value in [*model.graph.input, *model.graph.output]:
        dims = value.type.tensor_type.shape.dim
        if dims and dims[0].dim_param:
            dims[0].ClearField("dim_param")
            dims[0].dim_value = batch
    onnx.checker.check_model(model)
    onnx.save(model, str(onnx_path))
