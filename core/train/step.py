"""One optimisation step: forward both identities, loss, backward, clip, AdamW update; with the
patch-GAN term on (`adversarial`), the generator's adversarial loss joins the total and the
discriminator takes one update on the same batch."""
from collections.abc import Callable

import torch

from facegraft.core.train.adversarial import (Adversary, discriminator_step, fake_logits_for_generator,
                                              generator_loss, patch_weights)
from facegraft.core.train.batches import Batch, Side
from facegraft.core.train.errors import TrainingDivergedError
from facegraft.core.train.losses import LossSettings, expression_loss, reconstruction_loss
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
                  channels_last: bool, any_nonfinite: Callable[[bool], bool], lr_scale: float = 1.0,
                  adversary: Adversary | None = None, gan_on: bool = False) -> dict[str, float]:
    """Train on `batch` (iteration `batch.iteration`, 0-based) and return the loss terms as floats.

    The learning rate is the warm-up's times `lr_scale` (the schedule's decay, `schedule.lr_scale`).
    `any_nonfinite(flag)` ORs the flag over ranks (identity in one process). With `adversary` and
    `gan_on`, the generator also minimises `weight` x the adversarial loss of both sides, then the
    discriminator is updated on the batch's targets and (pre-update) reconstructions. "loss" is the
    reconstruction total (what the collapse detector watches); "expression_a"/"expression_b" are the
    expression head's errors (models with `ModelConfig.expression`); "gan_g_a"/"gan_g_b" (unweighted),
    "gan_d", "d_real", "d_fake" are logged whenever an adversary exists (0 before it starts).
    Raises: TrainingDivergedError before touching the weights when a loss is NaN/Inf (a NaN in the
    discriminator's loss stops the run after the generator's update, before the discriminator's).
    """
    lr = warmup_lr(optim, batch.iteration) * lr_scale
    for group in optimizer.param_groups:
        group["lr"] = lr
    a_in, b_in = _to(batch.a.inputs, device, channels_last), _to(batch.b.inputs, device, channels_last)
    measured = [None if side.expression is None else side.expression.to(device) for side in (batch.a, batch.b)]
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
        fa, ma, fb, mb, pa, pb = model(a_in, b_in, *measured)

    def side_loss(faces: torch.Tensor, masks: torch.Tensor, side: Side) -> dict[str, torch.Tensor]:
        return reconstruction_loss(faces.float(), masks.float(), side.targets.to(device), side.masks.to(device),
                                   side.regions.to(device), settings=loss)

    la, lb = side_loss(fa, ma, batch.a), side_loss(fb, mb, batch.b)
    reconstruction = la["total"] + lb["total"]
    total = reconstruction
    expression: dict[str, float] = {}
    if pa is not None and measured[0] is not None and measured[1] is not None:
        ea, eb = expression_loss(pa, measured[0]), expression_loss(pb, measured[1])
        total = total + loss.expression_weight * (ea + eb)
        expression = {"expression_a": float(ea.detach()), "expression_b": float(eb.detach())}
    gan: dict[str, float] = {}
    if adversary is not None:
        gan = {"gan_g_a": 0.0, "gan_g_b": 0.0, "gan_d": 0.0, "d_real": 0.0, "d_fake": 0.0}
    if adversary is not None and gan_on:
        masks = torch.cat([batch.a.masks, batch.b.masks]).to(device)
        reals = torch.cat([batch.a.targets, batch.b.targets]).to(device) * masks
        fakes = torch.cat([fa, fb]).float() * masks
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            fake_logits = fake_logits_for_generator(adversary, fakes).float()
        weights = patch_weights(masks, fake_logits.shape[-2:])
        n = fa.shape[0]
        g_a, g_b = generator_loss(fake_logits[:n], weights[:n]), generator_loss(fake_logits[n:], weights[n:])
        total = total + adversary.settings.weight * (g_a + g_b)
        gan.update(gan_g_a=float(g_a.detach()), gan_g_b=float(g_b.detach()))
    _check_finite(total, batch.iteration, any_nonfinite)
    optimizer.zero_grad(set_to_none=True)
    total.backward()
    if optim.clip_grad_norm > 0:
        torch.nn.utils.clip_grad_norm_(model.parameters(), optim.clip_grad_norm)
    optimizer.step()
    if adversary is not None and gan_on:
        gan.update(discriminator_step(adversary, reals, fakes, weights, bf16=bf16,
                                      check_finite=lambda v: _check_finite(v, batch.iteration, any_nonfinite,
                                                                           what="discriminator loss")))
    out = {"loss": float(reconstruction.detach()), "lr": lr}
    for side, terms in (("a", la), ("b", lb)):
        out[f"loss_{side}"] = float(terms["total"].detach())
        for key in ("dssim", "pixel", "mask", "laplacian"):
            out[f"{key}_{side}"] = float(terms[key].detach())
    return {**out, **expression, **gan}


def _check_finite(value: torch.Tensor, iteration: int, any_nonfinite: Callable[[bool], bool], *,
                  what: str = "loss") -> None:
    if any_nonfinite(not bool(torch.isfinite(value))):
        raise TrainingDivergedError(f"{what} became {float(value.detach())} at iteration {iteration + 1}")
