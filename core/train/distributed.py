"""Data-parallel training across processes launched by `torchrun` (DistributedDataParallel).

The command line reads torchrun's environment once (`DistContext.from_environment`) and passes
the context in; below that, nothing reads the environment. CPU uses the gloo backend, CUDA nccl.
Each rank draws its own batches (seeded by rank); only rank 0 writes files.
"""
import os
from dataclasses import dataclass
from datetime import timedelta

import torch
import torch.distributed as torch_dist

from facegraft.core.device import torch_device


@dataclass(frozen=True)
class DistContext:
    """Where this process sits in a job. `world_size == 1` means no distribution."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @classmethod
    def from_environment(cls, environ: dict[str, str] | None = None) -> "DistContext":
        """Read torchrun's RANK, WORLD_SIZE, LOCAL_RANK (all absent: a single process)."""
        env = os.environ if environ is None else environ
        return cls(int(env.get("RANK", 0)), int(env.get("WORLD_SIZE", 1)), int(env.get("LOCAL_RANK", 0)))


def device_for(ctx: DistContext, device: str) -> torch.device:
    """The torch device of this rank: cuda:LOCAL_RANK when `device` is plain "cuda" in a job."""
    if ctx.enabled and device == "cuda":
        return torch_device(f"cuda:{ctx.local_rank}")
    return torch_device(device)


def start(ctx: DistContext, device: torch.device) -> None:
    """Join the process group (torchrun's MASTER_ADDR/MASTER_PORT rendezvous) if distributed."""
    if ctx.enabled and not torch_dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        if device.type == "cuda":
            torch.cuda.set_device(device)
        torch_dist.init_process_group(backend, rank=ctx.rank, world_size=ctx.world_size)


def stop(ctx: DistContext) -> None:
    """Leave the process group once every rank got here (rank 0 may still be writing a checkpoint:
    a rank that tears gloo down first can abort with "terminate called without an active exception")."""
    if ctx.enabled and torch_dist.is_initialized():
        try:
            if torch_dist.get_backend() == "gloo":
                torch_dist.monitored_barrier(timeout=timedelta(seconds=300))
            else:
                torch_dist.barrier()
        except RuntimeError:  # another rank died: nothing left to wait for
            pass
        torch_dist.destroy_process_group()


def any_rank(ctx: DistContext, flags: list[bool], device: torch.device) -> list[bool]:
    """Element-wise OR of boolean flags over all ranks (identity when not distributed)."""
    if not ctx.enabled:
        return flags
    t = torch.tensor([float(f) for f in flags], device=device)
    torch_dist.all_reduce(t, op=torch_dist.ReduceOp.MAX)
    return [bool(v) for v in t.tolist()]


def wrap(network: torch.nn.Module, ctx: DistContext, device: torch.device) -> torch.nn.Module:
    """`network` in DistributedDataParallel when distributed (rank 0's weights are broadcast)."""
    if not ctx.enabled:
        return network
    ids = [device.index] if device.type == "cuda" else None
    return torch.nn.parallel.DistributedDataParallel(network, device_ids=ids)
