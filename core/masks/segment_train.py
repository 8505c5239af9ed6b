"""Training a face segmentation model on a shot's own face sets (`facegraft mask train`).

Labels: each face's landmark hull (the starting label), with synthetic occluders pasted over the
crop (`occluders.occlude`, the label loses what they cover) and the background sometimes swapped;
faces with a compositor matte (`roto.roto_labels`) use it as their label instead, weighted
`roto_weight` times above the synthetic ones and drawn more often. The loss is per-pixel binary
cross-entropy plus a soft Dice term, at the model's working resolution R.

Every batch is a function of (seed, step), so a run stopped and resumed (`resume=True`) draws the
same batches as one that ran through. The folder is saved every `save_every` steps and at the end.
"""
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
from torch.nn import functional as F

from facegraft.core.errors import ModelMismatchError, OutputError
from facegraft.core.faceset import FaceSet
from facegraft.core.masks.landmark import landmark_mask
from facegraft.core.masks.occluders import occlude, swap_background
from facegraft.core.masks.segment import (CONFIG_NAME, SegmentConfig, load_mask_model, load_optimizer_state,
                                          save_mask_model)
from facegraft.core.masks.unet import SegmentUNet

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SegmentSamples:
    """Training faces at the working resolution R: crops (N, R, R, 3) float32 sRGB-encoded [0, 1],
    labels (N, R, R) float32 [0, 1], priors (N, R, R) float32 landmark hulls (the network's second
    input), roto (N,) bool (True: the label is a compositor matte)."""

    crops: np.ndarray
    labels: np.ndarray
    priors: np.ndarray
    roto: np.ndarray

    def __len__(self) -> int:
        return int(self.crops.shape[0])


def load_samples(facesets: Sequence[FaceSet], *, resolution: int,
                 roto: Sequence[dict[int, np.ndarray]] | None = None, forehead: float = 0.4) -> SegmentSamples:
    """Every face of `facesets` resized to `resolution`, labelled by its landmark hull or by its
    roto matte (`roto[i]`: face index → (S, S) crop matte for face set i)."""
    crops, labels, priors, is_roto = [], [], [], []
    for i, faceset in enumerate(facesets):
        mattes = roto[i] if roto is not None else {}
        for index, record in enumerate(faceset.faces):
            crop, _ = faceset.load(index)
            prior = landmark_mask(record.landmarks, size=faceset.size, forehead=forehead)
            label = mattes.get(index, prior)
            crops.append(_resize(crop, resolution))
            labels.append(_resize(label, resolution))
            priors.append(_resize(prior, resolution))
            is_roto.append(index in mattes)
    if not crops:
        raise ModelMismatchError("the face sets hold no faces; extract some with facegraft extract --faces-out")
    return SegmentSamples(np.stack(crops), np.clip(np.stack(labels), 0, 1), np.clip(np.stack(priors), 0, 1),
                          np.array(is_roto, bool))


def _resize(image: np.ndarray, size: int) -> np.ndarray:
    if image.shape[0] == size:
        return image.astype(np.float32)
    return cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA).astype(np.float32)


def make_batch(samples: SegmentSamples, rng: np.random.Generator, batch: int, *,
               roto_fraction: float = 0.5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One augmented batch: inputs (B, R, R, 4) (RGB + prior), labels (B, R, R), roto flags (B,).
    The prior is jittered against the pixels (landmarks are never exact)."""
    roto_index = np.flatnonzero(samples.roto)
    plain_index = np.flatnonzero(~samples.roto)
    images, labels, flags = [], [], []
    size = samples.crops.shape[1]
    for _ in range(batch):
        use_roto = roto_index.size and (not plain_index.size or rng.random() < roto_fraction)
        index = int(rng.choice(roto_index if use_roto else plain_index))
        image, label, prior = samples.crops[index], samples.labels[index], samples.priors[index]
        image, label, prior = _geometry((image, label, prior), rng, size)
        prior = _jitter(prior, rng, size)
        donors = [samples.crops[int(j)] for j in rng.integers(len(samples), size=2)]
        if rng.random() < 0.25:
            image = swap_background(image, np.maximum(label, prior), rng, donors=donors)
        if rng.random() < 0.8:
            image, label, _ = occlude(image, label, rng, count=int(rng.integers(1, 4)), donors=donors)
        images.append(np.concatenate([_photometric(image, rng), prior[..., None]], axis=2))
        labels.append(label)
        flags.append(bool(use_roto))
    return np.stack(images), np.stack(labels), np.array(flags)


def _geometry(images: tuple[np.ndarray, ...], rng: np.random.Generator, size: int) -> tuple[np.ndarray, ...]:
    """The same random flip, small rotation, scale and shift of every image (alignment jitter)."""
    if rng.random() < 0.5:
        images = tuple(a[:, ::-1] for a in images)
    angle = rng.uniform(-12, 12)
    scale = rng.uniform(0.9, 1.1)
    matrix = cv2.getRotationMatrix2D((size / 2 - 0.5, size / 2 - 0.5), angle, scale)
    matrix[:, 2] = matrix[:, 2] + rng.uniform(-0.06, 0.06, 2) * size
    return tuple(cv2.warpAffine(np.ascontiguousarray(a), matrix, (size, size), flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_REFLECT) for a in images)


def _jitter(prior: np.ndarray, rng: np.random.Generator, size: int) -> np.ndarray:
    """The prior moved a little against the pixels: landmark error of a few percent."""
    matrix = cv2.getRotationMatrix2D((size / 2 - 0.5, size / 2 - 0.5), rng.uniform(-3, 3), rng.uniform(0.96, 1.04))
    matrix[:, 2] = matrix[:, 2] + rng.normal(0, 0.015, 2) * size
    return cv2.warpAffine(prior, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)


def _photometric(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Random gains per channel, contrast, gamma, blur and noise; stays in [0, 1]."""
    out = image * rng.uniform(0.75, 1.25, 3).astype(np.float32)
    out = (out - 0.5) * rng.uniform(0.7, 1.3) + 0.5
    out = np.clip(out, 0, 1) ** rng.uniform(0.7, 1.4)
    if rng.random() < 0.3:
        out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.3, 1.2))
    if rng.random() < 0.3:
        out = out + rng.normal(0, rng.uniform(0.005, 0.04), out.shape)
    return np.clip(out, 0, 1).astype(np.float32)


def segment_loss(logits: torch.Tensor, labels: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Weighted BCE + soft Dice. logits, labels (B, 1, R, R); weights (B,) per-sample weights."""
    bce = F.binary_cross_entropy_with_logits(logits, labels, reduction="none").mean(dim=(1, 2, 3))
    probs = torch.sigmoid(logits)
    inter = (probs * labels).sum(dim=(1, 2, 3))
    dice = 1 - (2 * inter + 1) / (probs.sum(dim=(1, 2, 3)) + labels.sum(dim=(1, 2, 3)) + 1)
    return ((bce + dice) * weights).sum() / weights.sum()


@dataclass(frozen=True)
class SegmentReport:
    folder: Path
    steps_done: int  # steps run in this call
    step: int  # the model's step count now
    loss: float  # mean loss of the last 50 steps of this call (nan if none)
    seconds: float


def train_segmenter(samples: SegmentSamples, out: str | Path, *, steps: int, config: SegmentConfig = SegmentConfig(),
                    batch: int = 16, learning_rate: float = 4e-3, roto_weight: float = 4.0, seed: int = 0,
                    resume: bool = False, save_every: int = 250, device: str = "cpu",
                    sources: Sequence[str] = (), threads: int | None = None,
                    progress: Callable[[int, int], None] | None = None) -> SegmentReport:
    """Train (or continue training) a mask model in folder `out` up to `steps` steps.

    Args:
        samples: from `load_samples` at `config.resolution`. steps: the total step count wanted.
        resume: continue the model in `out` (weights, optimizer, step); its architecture wins over
            `config`. Without it, a folder that already holds a model is refused.
        sources: what the model was trained on (recorded in config.json).
        threads: torch CPU threads while training (None: torch's setting). One thread is often
            faster than two on a loaded machine: small convolutions spend their time waiting.
        progress: called with (step, steps) after each step.
    Raises: OutputError (a model is already there and resume is False), ModelMismatchError (the
        model to resume is missing/corrupt, or the samples are not at its resolution).
    """
    previous_threads = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        return _train(samples, Path(out), steps=steps, config=config, batch=batch, learning_rate=learning_rate,
                      roto_weight=roto_weight, seed=seed, resume=resume, save_every=save_every, device=device,
                      sources=sources, progress=progress)
    finally:
        torch.set_num_threads(previous_threads)


def _train(samples: SegmentSamples, out: Path, *, steps: int, config: SegmentConfig, batch: int,
           learning_rate: float, roto_weight: float, seed: int, resume: bool, save_every: int, device: str,
           sources: Sequence[str], progress: Callable[[int, int], None] | None) -> SegmentReport:
    start = 0
    network: SegmentUNet
    optimizer_sha: str | None = None
    if resume and (out / CONFIG_NAME).exists():
        loaded = load_mask_model(out, device=device)
        config, network, start = loaded.config, loaded.network, int(loaded.training_state.get("step", 0))
        optimizer_sha = loaded.training_state.get("optimizer_sha256")
    elif (out / CONFIG_NAME).exists():
        raise OutputError(f"{out}: already holds a mask model; pass --resume to continue it or pick another -o folder")
    else:
        torch.manual_seed(seed)
        network = SegmentUNet(config.channels).to(device)
    if samples.crops.shape[1] != config.resolution:
        raise ModelMismatchError(f"{out}: the model works at {config.resolution}px, the samples are "
                                 f"{samples.crops.shape[1]}px")
    optimizer = torch.optim.AdamW(network.parameters(), lr=learning_rate, weight_decay=1e-4)
    if start and optimizer_sha:
        load_optimizer_state(optimizer, out, optimizer_sha)
    network.train()
    began, losses = time.monotonic(), list[float]()

    def save(step: int) -> None:
        state = {"step": step, "seed": seed, "batch": batch, "learning_rate": learning_rate,
                 "roto_weight": roto_weight, "sources": list(sources), "roto_faces": int(samples.roto.sum()),
                 "faces": len(samples), "last_loss": float(np.mean(losses[-50:])) if losses else None}
        save_mask_model(network, config, out, training_state=state, optimizer=optimizer)
        network.train()

    step = start
    try:
        for step in range(start, steps):
            for group in optimizer.param_groups:  # cosine decay over the wanted steps, 5 % warm-up
                group["lr"] = learning_rate * _schedule(step, steps)
            rng = np.random.default_rng([seed, step])
            images, labels, flags = make_batch(samples, rng, batch)
            x = torch.from_numpy(images.transpose(0, 3, 1, 2).copy()).to(device)
            y = torch.from_numpy(labels[:, None].copy()).to(device)
            w = torch.from_numpy(np.where(flags, roto_weight, 1.0).astype(np.float32)).to(device)
            loss = segment_loss(network(x), y, w)
            if not torch.isfinite(loss):
                raise ModelMismatchError(f"{out}: the loss became NaN/Inf at step {step}; lower the learning rate")
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            losses.append(float(loss.detach()))
            if progress is not None:
                progress(step + 1, steps)
            if (step + 1) % save_every == 0 and step + 1 < steps:
                save(step + 1)
        step = max(steps, start)
    except KeyboardInterrupt:
        done = start + len(losses)
        save(done)
        log.warning("%s: stopped at step %d; re-run with --resume to continue", out, done)
        raise
    save(step)
    return SegmentReport(out, len(losses), step, float(np.mean(losses[-50:])) if losses else float("nan"),
                         time.monotonic() - began)


def _schedule(step: int, steps: int) -> float:
    warm = max(1, steps // 20)
    if step < warm:
        return (step + 1) / warm
    return 0.05 + 0.95 * 0.5 * (1 + np.cos(np.pi * (step - warm) / max(1, steps - warm)))
