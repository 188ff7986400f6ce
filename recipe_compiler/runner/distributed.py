"""Data-parallel training under torchrun (gloo), or one process."""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from torch import nn


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


def quiet(_: str) -> None:
    """Progress of the ranks that do not report."""
