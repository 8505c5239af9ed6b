"""One optimisation step: forward both identities, loss, backward, clip, AdamW update."""
from collections.abc import Callable

import torch

from facegraft.core.train.batches import Batch, Side
from facegraft.core.train.errors import TrainingDivergedError
from facegraft.core.train.losses import LossSettings, reconstruction_loss
from facegraft.core.train.settings import OptimSettings


def warmup_lr(optim: OptimSettings, iteration: int) -> float:
    """Learning rate of 0-based `iteration`: linear warm-up to `optim.learning_rate`."""
    if optim.warmup_iterations <= 0:
        return optim.learning_rate
    return optim.learning_rate * min(1.0, (iteration + 1) / optim.warmup_iterations)


def _to(x: torch.Tensor, device: torch.device, channels_last: bool) -> torch.Tensor:
    x = x.to(device, non_blocking=True)
    return x.contiguous(memory_format=torch.channels_last) if channels_last else x


def training_step(model: torch.nn.Module, optimizer: torch.optim.Optimizer, batch: Batch, *,
                  optim: OptimSettings, loss: LossSettings, device: torch.device, bf16: bool,
                  channels_last: bool, any_nonfinite: Callable[[bool], bool], lr_scale: float = 1.0
                  ) -> dict[str, float]:
    """Train on `batch` (iteration `batch.iteration`, 0-based) and return the loss terms as floats.

    The learning rate is the warm-up's times `lr_scale` (the schedule's decay, `schedule.lr_scale`).
    `any_nonfinite(flag)` ORs the flag over ranks (identity in one process).
    Raises: TrainingDivergedError before touching the weights when the loss is NaN/Inf.
    """
    lr = warmup_lr(optim, batch.iteration) * lr_scale
    for group in optimizer.param_groups:
        group["lr"] = lr
    a_in, b_in = _to(batch.a.inputs, device, channels_last), _to(batch.b.inputs, device, channels_last)
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
        fa, ma, fb, mb = model(a_in, b_in)

    def side_loss(faces: torch.Tensor, masks: torch.Tensor, side: Side) -> dict[str, torch.Tensor]:
        return reconstruction_loss(faces.float(), masks.float(), side.targets.to(device), side.masks.to(device),
                                   side.regions.to(device), settings=loss)

    la, lb = side_loss(fa, ma, batch.a), side_loss(fb, mb, batch.b)
    total = la["total"] + lb["total"]
    if any_nonfinite(not bool(torch.isfinite(total))):
        raise TrainingDivergedError(f"loss became {float(total.detach())} at iteration {batch.iteration + 1}")
    optimizer.zero_grad(set_to_none=True)
    total.backward()
    if optim.clip_grad_norm > 0:
        torch.nn.utils.clip_grad_norm_(model.parameters(), optim.clip_grad_norm)
    optimizer.step()
    out = {"loss": float(total.detach()), "lr": lr}
    for side, terms in (("a", la), ("b", lb)):
        out[f"loss_{side}"] = float(terms["total"].detach())
        for key in ("dssim", "pixel", "mask", "laplacian"):
            out[f"{key}_{side}"] = float(terms[key].detach())
    return out
