"""Training batches: a pure function of (seed, rank, iteration), prefetched by worker threads.

Because batch i depends on nothing but its seed, `--resume` reproduces the data stream exactly
and the number of workers never changes what is trained on.
"""
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import torch

from facegraft.core.train.augment import AugmentSettings, affine_grids, jitter_color, sample, warp_offsets
from facegraft.core.train.color_transfer import match_color_stats
from facegraft.core.train.data import FaceData


@dataclass(frozen=True)
class Side:
    """One identity's half of a batch; all (B, C, S, S) float32, [0, 1]."""

    inputs: torch.Tensor  # (B, 3, S, S) warped, augmented crops: the network input
    targets: torch.Tensor  # (B, 3, S, S) clean crops (same affine and color change)
    masks: torch.Tensor  # (B, 1, S, S)
    regions: torch.Tensor  # (B, 2, S, S) eyes, mouth
    expression: torch.Tensor | None = None  # (B, E) float32 measured expression codes (NaN: unknown)


@dataclass(frozen=True)
class Batch:
    iteration: int
    a: Side
    b: Side


def batch_seed(seed: int, rank: int, iteration: int) -> int:
    """A 63-bit seed for one batch of one rank."""
    return int(np.random.SeedSequence([seed, rank, iteration]).generate_state(2, np.uint64)[0] >> np.uint64(1))


def _augment_geometry(planes: torch.Tensor, settings: AugmentSettings,
                      gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    n, _, s, _ = planes.shape
    grid = affine_grids(n, s, settings, gen)
    clean = sample(planes, grid)
    warped_grid = grid + warp_offsets(n, s, settings, gen) if settings.warp > 0 else grid
    return sample(planes[:, :3], warped_grid), clean


def draw(data: FaceData, count: int, gen: torch.Generator) -> torch.Tensor:
    """Indices of `count` training faces of `data`: by its weights (balanced sampling) or uniformly."""
    if data.weights is None:
        return torch.randint(len(data.train), (count,), generator=gen)
    return torch.multinomial(data.weights, count, replacement=True, generator=gen)


def make_batch(data_a: FaceData, data_b: FaceData, *, batch_size: int, settings: AugmentSettings,
               seed: int, rank: int, iteration: int) -> Batch:
    """Draw `batch_size` faces of each identity and augment them (see `AugmentSettings`)."""
    gen = torch.Generator().manual_seed(batch_seed(seed, rank, iteration))
    idx_a = draw(data_a, batch_size, gen)
    idx_b = draw(data_b, batch_size, gen)
    warped_a, clean_a = _augment_geometry(data_a.train[idx_a].float(), settings, gen)
    warped_b, clean_b = _augment_geometry(data_b.train[idx_b].float(), settings, gen)
    target_a, target_b = clean_a[:, :3], clean_b[:, :3]
    if settings.color_transfer > 0:
        chosen = torch.rand(batch_size, generator=gen) < settings.color_transfer
        partner = torch.randint(batch_size, (batch_size,), generator=gen)
        if bool(chosen.any()):
            ca, cw = match_color_stats([target_a[chosen], warped_a[chosen]], clean_a[chosen, 3:4],
                                       target_b[partner[chosen]], clean_b[partner[chosen], 3:4])
            target_a, warped_a = target_a.clone(), warped_a.clone()
            target_a[chosen], warped_a[chosen] = ca, cw
    if settings.color > 0:
        warped_a, target_a = jitter_color([warped_a, target_a], settings.color, gen)
        warped_b, target_b = jitter_color([warped_b, target_b], settings.color, gen)
    def codes(data: FaceData, index: torch.Tensor) -> torch.Tensor | None:
        return None if data.expression is None else data.expression[index]

    return Batch(iteration,
                 Side(warped_a.contiguous(), target_a.contiguous(), clean_a[:, 3:4].contiguous(),
                      clean_a[:, 4:6].contiguous(), codes(data_a, idx_a)),
                 Side(warped_b.contiguous(), target_b.contiguous(), clean_b[:, 3:4].contiguous(),
                      clean_b[:, 4:6].contiguous(), codes(data_b, idx_b)))


def stream_batches(data_a: FaceData, data_b: FaceData, *, batch_size: int, settings: AugmentSettings,
                   seed: int, rank: int, start: int, workers: int) -> Iterator[Batch]:
    """Batches for iterations start, start+1, ... ; `workers` threads prepare them ahead (0: inline)."""
    def make(iteration: int) -> Batch:
        return make_batch(data_a, data_b, batch_size=batch_size, settings=settings, seed=seed, rank=rank,
                          iteration=iteration)

    if workers <= 0:
        iteration = start
        while True:
            yield make(iteration)
            iteration += 1
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="facegraft-batches") as pool:
        pending: deque[Future[Batch]] = deque(pool.submit(make, start + k) for k in range(workers + 1))
        next_iteration = start + workers + 1
        try:
            while True:
                batch = pending.popleft().result()
                pending.append(pool.submit(make, next_iteration))
                next_iteration += 1
                yield batch
        finally:
            for future in pending:
                future.cancel()
