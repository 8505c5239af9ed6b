"""The optional patch-GAN term of the late phase (`GanSettings`): losses, the discriminator's
update, its construction, and a check of a run's history for an unstable game.

Both sides of the game see face-masked crops: real = target x target mask, fake = reconstruction
x target mask, for identities A and B alike (one discriminator judges both). Each patch logit's
loss is weighted by how much of its patch is face (the target mask average-pooled to the logit
grid), so patches of background, zero in both real and fake, teach nothing. The losses are
the non-saturating ones with logits (as DeepFaceLab's GAN power): generator softplus(-D(fake)),
discriminator softplus(-D(real)) + softplus(D(fake)).
"""
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch.nn import functional as F

from facegraft.core.models.patch_discriminator import PatchDiscriminator
from facegraft.core.train.settings import GanSettings


@dataclass
class Adversary:
    """The discriminator of a run: `discriminator` (the module, what is checkpointed), `model` (the
    same, in DistributedDataParallel when distributed: what its update calls), its `optimizer`."""

    discriminator: PatchDiscriminator
    model: torch.nn.Module
    optimizer: torch.optim.Optimizer
    settings: GanSettings


def build_adversary(resolution: int, settings: GanSettings, *, seed: int, device: torch.device,
                    channels_last: bool) -> Adversary:
    """A discriminator for S-px crops and its Adam optimiser. Its initial weights depend on `seed`
    alone: drawn from a forked RNG, they leave the global torch RNG as it was (so a run with the
    term on trains the generator from the same start, and a resumed run that finds no
    discriminator in its checkpoint builds the same one)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed + 7919)
        discriminator = PatchDiscriminator(resolution, width=settings.width)
    discriminator = discriminator.to(device)
    if channels_last:
        discriminator = discriminator.to(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(discriminator.parameters(), lr=settings.learning_rate,
                                 betas=(settings.beta1, 0.999))
    return Adversary(discriminator, discriminator, optimizer, settings)


def patch_weights(masks: torch.Tensor, grid: tuple[int, int]) -> torch.Tensor:
    """Share of face in each patch: (B, 1, S, S) masks in [0, 1] → (B, 1, G, G) (area average)."""
    return F.adaptive_avg_pool2d(masks, grid)


def _weighted_mean(values: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    return (values * weights).sum() / weights.sum().clamp_min(1e-8)


def generator_loss(fake_logits: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Non-saturating generator loss: face-weighted mean of softplus(-logit) over (B, 1, G, G)
    logits of fakes (log 2 = 0.69 when the discriminator cannot tell)."""
    return _weighted_mean(F.softplus(-fake_logits), weights)


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor, real_weights: torch.Tensor,
                       fake_weights: torch.Tensor) -> torch.Tensor:
    """softplus(-real) + softplus(fake), each a face-weighted mean over (B, 1, G, G) logits
    (2 log 2 = 1.39 when the discriminator cannot tell; 0 when it separates them perfectly)."""
    return (_weighted_mean(F.softplus(-real_logits), real_weights)
            + _weighted_mean(F.softplus(fake_logits), fake_weights))


def fake_logits_for_generator(adversary: Adversary, fakes: torch.Tensor) -> torch.Tensor:
    """The discriminator's logits of `fakes` (B, 3, S, S), differentiable w.r.t. `fakes` only: the
    discriminator's own parameters take no gradient from the generator's loss."""
    module = adversary.discriminator
    module.requires_grad_(False)
    try:
        return module(fakes)
    finally:
        module.requires_grad_(True)


def discriminator_step(adversary: Adversary, reals: torch.Tensor, fakes: torch.Tensor, weights: torch.Tensor, *,
                       bf16: bool, check_finite: Callable[[torch.Tensor], None]) -> dict[str, float]:
    """One Adam update of the discriminator on (N, 3, S, S) `reals` and detached `fakes` (the
    same N crops' reconstructions; `weights` (N, 1, G, G) from `patch_weights` of their masks),
    in one forward pass. `check_finite(loss)` raises before the update when the loss is NaN/Inf.
    Returns "gan_d" (its loss), "d_real" and "d_fake" (face-weighted mean probability of "real")."""
    n = reals.shape[0]
    with torch.autocast(reals.device.type, dtype=torch.bfloat16, enabled=bf16):
        logits = adversary.model(torch.cat([reals, fakes.detach()]))
    real_logits, fake_logits = logits[:n].float(), logits[n:].float()
    loss = discriminator_loss(real_logits, fake_logits, weights, weights)
    check_finite(loss)
    adversary.optimizer.zero_grad(set_to_none=True)
    loss.backward()
    adversary.optimizer.step()
    with torch.no_grad():
        d_real = _weighted_mean(torch.sigmoid(real_logits), weights)
        d_fake = _weighted_mean(torch.sigmoid(fake_logits), weights)
    return {"gan_d": float(loss.detach()), "d_real": float(d_real), "d_fake": float(d_fake)}


def gan_instability(rows: Sequence[dict[str, float]], *, start: int) -> str | None:
    """Why a GAN run's history is unstable, or None. `rows` are training/history.jsonl rows (keys
    "iteration", "gan_d", "gan_g_a", "gan_g_b", "d_real", "d_fake", ...); those after iteration
    `start` (the term on) are judged: any non-finite value; or, averaged over their last third,
    the discriminator winning outright (loss < 0.3, near 0 when it separates perfectly; or mean
    probability of real on reals minus fakes > 0.8), or the generator's adversarial loss above
    3 (log 2 = 0.69 at balance) — a generator that lost the game."""
    on = [r for r in rows if r["iteration"] > start]
    if not on:
        return "no step with the GAN term on"
    for r in on:
        if not all(math.isfinite(v) for v in r.values()):
            return f"non-finite loss at iteration {r['iteration']}"
    tail = on[-max(1, len(on) // 3):]
    mean = {k: sum(r[k] for r in tail) / len(tail) for k in ("gan_d", "gan_g_a", "gan_g_b", "d_real", "d_fake")}
    if mean["gan_d"] < 0.3:
        return f"discriminator loss fell to {mean['gan_d']:.3f} (it wins outright)"
    if mean["d_real"] - mean["d_fake"] > 0.8:
        return f"discriminator separates perfectly (real {mean['d_real']:.2f}, fake {mean['d_fake']:.2f})"
    if max(mean["gan_g_a"], mean["gan_g_b"]) > 3.0:
        return f"generator adversarial loss diverged to {max(mean['gan_g_a'], mean['gan_g_b']):.2f}"
    return None
