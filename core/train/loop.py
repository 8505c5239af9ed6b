"""The training loop: face sets in, a resumable model folder out (see `checkpoint` for the layout).

Watching: a tqdm bar (iteration, loss, EG/s = faces of both identities per second, ETA), a
preview grid `previews/preview.png` (rows of A, A→A, B, B→B, B→A on held-out faces) every
`preview_every` iterations, `training/history.*` + `training/loss.png` every `log_every`.
"""
import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm

from facegraft.core.faceset import FaceSet
from facegraft.core.media.atomic import exclusive_writer
from facegraft.core.memory import array_bytes, require_memory
from facegraft.core.models.config import ModelConfig
from facegraft.core.models.files import check_compatible
from facegraft.core.models.network import SwapNetwork
from facegraft.core.models.registry import create_model
from facegraft.core.train import distributed
from facegraft.core.train.adversarial import Adversary, build_adversary
from facegraft.core.train.base import start_from_base
from facegraft.core.train.batches import Batch, stream_batches
from facegraft.core.train.checkpoint import (TRAINING_DIR, has_checkpoint, load_checkpoint, save_checkpoint,
                                             saved_model_config)
from facegraft.core.train.data import FaceData, check_pair, load_face_data
from facegraft.core.train.distributed import DistContext
from facegraft.core.train.divergence import LossJumpDetector
from facegraft.core.train.errors import TrainingDivergedError, TrainingError
from facegraft.core.train.evaluate import holdout_quality, preview_grid, write_preview
from facegraft.core.train.history import History
from facegraft.core.train.schedule import gan_due, lr_scale, phase_augment, progress, sharpen_due
from facegraft.core.train.settings import TrainSettings
from facegraft.core.train.step import training_step

PREVIEW_NAME = "previews/preview.png"


@dataclass(frozen=True)
class TrainResult:
    """How a run ended: the iteration reached, why it stopped, the last logged losses."""

    folder: Path
    iteration: int
    stopped: str  # "iterations" | "minutes"
    losses: dict[str, float]
    seconds: float
    network: SwapNetwork  # the trained network (this rank's copy), train mode


def prepare(faceset_a: FaceSet, faceset_b: FaceSet, model_config: ModelConfig,
            settings: TrainSettings) -> tuple[FaceData, FaceData]:
    """Validate the pair against the model and load both into memory (TrainingError/ModelMismatchError)."""
    check_pair(faceset_a, faceset_b)
    check_compatible(model_config, faceset_a, model_path="the model options")
    if settings.device == "cpu":  # batch planes, their augmented copies and gradients; activations come on top
        res, batch = model_config.resolution, settings.batch_size
        require_memory(8 * array_bytes((2 * batch, 6, res, res)), what=f"a batch of {batch} faces per identity "
                       f"at {res}px", fix="pass a smaller --batch")
    return (load_face_data(faceset_a, holdout=settings.holdout, gap=settings.holdout_gap, name="A",
                           sampling=settings.sampling),
            load_face_data(faceset_b, holdout=settings.holdout, gap=settings.holdout_gap, name="B",
                           sampling=settings.sampling))


def build(model_config: ModelConfig, settings: TrainSettings, device: torch.device, *,
          channels_last: bool) -> tuple[SwapNetwork, torch.optim.Optimizer]:
    """The network (seeded init, on `device`) and its AdamW optimiser."""
    torch.manual_seed(settings.seed)
    network = create_model(model_config).to(device)
    if channels_last:
        network = network.to(memory_format=torch.channels_last)
    o = settings.optim
    optimizer = torch.optim.AdamW(network.parameters(), lr=o.learning_rate, betas=(o.beta1, o.beta2),
                                  weight_decay=o.weight_decay)
    return network, optimizer


def _resume(folder: Path, model_config: ModelConfig, network: SwapNetwork,
            optimizer: torch.optim.Optimizer, resume: bool, adversary: Adversary | None = None
            ) -> tuple[int, float, dict[str, Any]]:
    """(iteration, elapsed seconds, schedule phase) of the checkpoint resumed, or of a fresh start.
    `adversary` (the GAN term's) is restored too when the checkpoint holds one, else kept as built."""
    if not resume:
        if has_checkpoint(folder):
            raise TrainingError(f"{folder}: already holds a trained model; add --resume to continue it "
                                "or choose another -o")
        return 0, 0.0, {}
    saved = saved_model_config(folder)
    if saved != model_config:
        diff = ", ".join(f"{k}={v!r} (saved {getattr(saved, k)!r})" for k, v in asdict(model_config).items()
                         if getattr(saved, k) != v)
        raise TrainingError(f"{folder}: cannot resume with different model options: {diff}; "
                            "drop those options or train into another -o")
    checkpoint = load_checkpoint(folder, network, optimizer, adversary)
    return checkpoint.iteration, checkpoint.elapsed_seconds, checkpoint.phase


def _oom_error(exc: BaseException, settings: TrainSettings, resolution: int) -> TrainingError:
    smaller = max(1, settings.batch_size // 2)
    return TrainingError(f"out of memory on {settings.device} at batch {settings.batch_size} ({resolution}px): "
                         f"try --batch {smaller}" + (" or a smaller --resolution" if smaller == 1 else ""))


def _is_oom(exc: BaseException) -> bool:
    return isinstance(exc, torch.OutOfMemoryError) or (
        isinstance(exc, RuntimeError) and ("out of memory" in str(exc) or "can't allocate memory" in str(exc)))


class _Watch:
    """Progress bar, history, previews (rank 0 only)."""

    def __init__(self, folder: Path, settings: TrainSettings, start: int, enabled: bool, show: bool) -> None:
        self.enabled, self.settings, self.folder = enabled, settings, folder
        self.history = History(folder / TRAINING_DIR, resume_from=start) if enabled else None
        total = settings.iterations
        self.bar = tqdm(total=total, initial=start, unit="it", desc="train", disable=not (show and enabled),
                        dynamic_ncols=True, smoothing=0.05)
        self.last: dict[str, float] = {}

    def step(self, iteration: int, losses: dict[str, float], eg_per_s: float, elapsed: float,
             minutes_left: float | None) -> None:
        self.last = losses
        self.bar.update(1)
        if not self.enabled:
            return
        postfix = {"loss": f"{losses['loss']:.4f}", "EG/s": f"{eg_per_s:.1f}"}
        if minutes_left is not None:
            postfix["left"] = f"{minutes_left:.1f}min"
        self.bar.set_postfix(postfix, refresh=False)
        if iteration % self.settings.log_every == 0:
            self.history.add({"iteration": iteration, "elapsed_s": round(elapsed, 3), "eg_per_s": round(eg_per_s, 2),
                              **{k: round(v, 6) for k, v in losses.items()}})

    def preview(self, network: SwapNetwork, data_a: FaceData, data_b: FaceData) -> None:
        if self.enabled:
            faces_a = data_a.holdout if len(data_a.holdout) else data_a.train[:4]
            faces_b = data_b.holdout if len(data_b.holdout) else data_b.train[:4]
            write_preview(self.folder / PREVIEW_NAME, preview_grid(network, faces_a, faces_b))

    def close(self) -> None:
        self.bar.close()
        if self.history is not None:
            self.history.write_summary()
            self.history.close()


def train(faceset_a: FaceSet, faceset_b: FaceSet, folder: str | Path, *, model_config: ModelConfig,
          settings: TrainSettings, resume: bool = False, dist: DistContext = DistContext(),
          show_progress: bool = True, base: str | Path | None = None) -> TrainResult:
    """Train `model_config` on identities A (faceset_a) and B into `folder`.

    The main process holds the folder's writer lock (`core.media.atomic.exclusive_writer`) while
    it trains: a second run into the same folder is refused (OutputError).

    Writes a checkpoint every `settings.save_every_minutes`, at the end, and on Ctrl-C (the
    KeyboardInterrupt is re-raised after saving). Face crops are in the face sets' encoding
    (sRGB-encoded, [0, 1]); the model records it. `base`: a pretrained model folder
    (`facegraft pretrain`) to start from (`base.start_from_base`); ignored on resume.
    Raises: TrainingError (too few faces, mismatched sets, resume conflicts, out of memory, a base
    of another shape), TrainingDivergedError (NaN/Inf loss; the last good checkpoint is kept),
    ModelMismatchError (corrupt checkpoint on resume or corrupt base; previous/ kept).
    """
    data_a, data_b = prepare(faceset_a, faceset_b, model_config, settings)
    sources: dict[str, Any] = {"faceset_a": str(faceset_a.path), "faceset_b": str(faceset_b.path)}
    if base is not None:
        sources["base"] = str(base)
    return train_data(data_a, data_b, folder, model_config=model_config, settings=settings, resume=resume,
                      dist=dist, show_progress=show_progress, base=base, sources=sources)


def train_data(data_a: FaceData, data_b: FaceData, folder: str | Path, *, model_config: ModelConfig,
               settings: TrainSettings, resume: bool = False, dist: DistContext = DistContext(),
               show_progress: bool = True, base: str | Path | None = None,
               sources: dict[str, Any] | None = None) -> TrainResult:
    """`train` on face data already in memory (`prepare`, or a pretraining pool) under the folder's
    writer lock; `sources` are recorded in the model's training state."""
    folder = Path(folder)
    with exclusive_writer(folder) if dist.is_main else contextlib.nullcontext():
        return _train(data_a, data_b, folder, model_config=model_config, settings=settings, resume=resume,
                      dist=dist, show_progress=show_progress, base=base, sources=sources or {})


def _train(data_a: FaceData, data_b: FaceData, folder: Path, *, model_config: ModelConfig, settings: TrainSettings,
           resume: bool, dist: DistContext, show_progress: bool, base: str | Path | None,
           sources: dict[str, Any]) -> TrainResult:
    device = distributed.device_for(dist, settings.device)
    distributed.start(dist, device)
    channels_last = settings.channels_last if settings.channels_last is not None else device.type == "cuda"
    network, optimizer = build(model_config, settings, device, channels_last=channels_last)
    adversary = (build_adversary(model_config.resolution, settings.gan, seed=settings.seed, device=device,
                                 channels_last=channels_last) if settings.gan.enabled else None)
    start, elapsed_before, phase = _resume(folder, model_config, network, optimizer, resume, adversary)
    if base is not None and not resume:
        start_from_base(network, base, model_config)
    model = distributed.wrap(network, dist, device)
    if adversary is not None:
        adversary.model = distributed.wrap(adversary.discriminator, dist, device)
    watch = _Watch(folder, settings, start, dist.is_main, show_progress)
    state = {"iteration": start, "saved": start, "sharpen_from": phase.get("sharpen_from"),
             "gan_from": phase.get("gan_from") if adversary is not None else None}
    t0 = time.monotonic()

    def save() -> None:
        if dist.is_main and state["iteration"] > state["saved"]:
            summary = {**sources, **watch.last}
            phase_now = {k: state[k] for k in ("sharpen_from", "gan_from") if state[k] is not None}
            save_checkpoint(folder, network, model_config, optimizer, iteration=state["iteration"],
                            elapsed_seconds=elapsed_before + time.monotonic() - t0,
                            settings=settings.to_json(), summary=summary, phase=phase_now, adversary=adversary)
            state["saved"] = state["iteration"]

    try:
        stopped = _run(model, network, optimizer, data_a, data_b, settings, dist, device, channels_last,
                       state, watch, save, t0, adversary)
        save()
    except TrainingDivergedError as exc:
        raise TrainingDivergedError(f"{exc}; stopped, the last good checkpoint (iteration {state['saved']}) is kept "
                                    f"in {folder}; lower the learning rate and --resume") from None
    except KeyboardInterrupt:
        save()
        raise
    except (RuntimeError, torch.OutOfMemoryError) as exc:
        if _is_oom(exc):
            raise _oom_error(exc, settings, model_config.resolution) from exc
        raise
    finally:
        watch.close()
        distributed.stop(dist)
    return TrainResult(folder, state["iteration"], stopped, watch.last, time.monotonic() - t0, network)


def _run(model: torch.nn.Module, network: SwapNetwork, optimizer: torch.optim.Optimizer, data_a: FaceData,
         data_b: FaceData, settings: TrainSettings, dist: DistContext, device: torch.device, channels_last: bool,
         state: dict[str, Any], watch: _Watch, save: Callable[[], None], t0: float,
         adversary: Adversary | None = None) -> str:
    """Iterate until a stop condition; returns "iterations" or "minutes". Entering the sharpening
    phase (`schedule`) restarts the batch stream there without warp; the GAN term (with an
    `adversary`) joins the step after its start is due."""
    bf16 = bf16_autocast(settings, device)
    limit_s = settings.minutes * 60 if settings.minutes is not None else None
    last_save, rate_t, rate_it = t0, t0, state["iteration"]
    eg_per_s = 0.0
    if settings.iterations is not None and state["iteration"] >= settings.iterations:
        return "iterations"
    jump = LossJumpDetector()
    sharpening = state["sharpen_from"] is not None
    # progress when the phase began: resumed inside it, that is the recorded iteration's share of an
    # iteration budget, or the start of this run (a minutes budget is what is left of the time)
    phase_start = (state["sharpen_from"] / settings.iterations if settings.iterations else 0.0) if sharpening else None

    def open_stream(start: int) -> Iterator[Batch]:
        return stream_batches(data_a, data_b, batch_size=settings.batch_size,
                              settings=phase_augment(settings.augment, sharpening=sharpening), seed=settings.seed,
                              rank=dist.rank, start=start, workers=settings.workers)

    if adversary is not None and state["gan_from"] is None and gan_due(
            settings.gan, progress(settings, iteration=state["iteration"], seconds=0.0)):
        state["gan_from"] = state["iteration"]  # resumed past its start from a checkpoint saved without the term
    stream = open_stream(state["iteration"])
    try:
        while True:
            batch = next(stream)
            done = progress(settings, iteration=batch.iteration, seconds=time.monotonic() - t0)
            losses = training_step(model, optimizer, batch, optim=settings.optim, loss=settings.loss, device=device,
                                   bf16=bf16, channels_last=channels_last,
                                   any_nonfinite=lambda f: distributed.any_rank(dist, [f], device)[0],
                                   lr_scale=lr_scale(settings.schedule, done=done, phase_start=phase_start),
                                   adversary=adversary, gan_on=state["gan_from"] is not None)
            state["iteration"] = iteration = batch.iteration + 1
            now = time.monotonic()
            if now - rate_t >= 2.0 or iteration - rate_it >= 50 or (eg_per_s == 0.0 and iteration - rate_it >= 3):
                eg_per_s = (iteration - rate_it) * 2 * settings.batch_size * dist.world_size / (now - rate_t)
                rate_t, rate_it = now, iteration
            left = None if limit_s is None else max(0.0, (limit_s - (now - t0)) / 60)
            watch.step(iteration, losses, eg_per_s, now - t0, left)
            if iteration % settings.preview_every == 0:
                watch.preview(network, data_a, data_b)
            done_its = settings.iterations is not None and iteration >= settings.iterations
            done_time = limit_s is not None and now - t0 >= limit_s
            due = now - last_save >= settings.save_every_minutes * 60
            collapsed = jump.update(losses["loss"])
            done_now = progress(settings, iteration=iteration, seconds=now - t0)
            start_phase = not sharpening and sharpen_due(settings.schedule, done_now)
            start_gan = adversary is not None and state["gan_from"] is None and gan_due(settings.gan, done_now)
            done_time, due, collapsed, start_phase, start_gan = distributed.any_rank(
                dist, [done_time and dist.is_main, due and dist.is_main, collapsed, start_phase and dist.is_main,
                       start_gan and dist.is_main], device)
            if collapsed:
                raise TrainingDivergedError(f"loss jumped from ~{jump.baseline:.3f} to {losses['loss']:.3f} and stayed "
                                            f"there for {jump.patience} steps (iteration {iteration}): the run collapsed")
            if done_its or done_time:
                watch.preview(network, data_a, data_b)
                return "iterations" if done_its else "minutes"
            if due and not jump.suspicious:
                save()
                last_save = time.monotonic()
            if start_gan:
                state["gan_from"] = iteration
            if start_phase:
                sharpening, state["sharpen_from"] = True, iteration
                phase_start = progress(settings, iteration=iteration, seconds=now - t0)
                stream.close()
                stream = open_stream(iteration)
    finally:
        stream.close()


def bf16_autocast(settings: TrainSettings, device: torch.device) -> bool:
    """Whether training steps run under bf16 autocast (see `TrainSettings.mixed_precision`)."""
    if not settings.mixed_precision:
        return False
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    return device.type == "cpu" and settings.cpu_bf16 and cpu_native_bf16()


def cpu_native_bf16() -> bool:
    """True on a CPU with bf16 arithmetic (AVX512-BF16 or AMX tiles), where oneDNN's bf16 kernels beat
    float32; torch's own probes (private: False where a version lacks them)."""
    probes = (getattr(torch.cpu, name, None) for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"))
    return any(bool(probe()) for probe in probes if probe is not None)


def quality(network: SwapNetwork, data_a: FaceData, data_b: FaceData) -> dict[str, float]:
    """Held-out SSIM/PSNR of both identities (see `evaluate.holdout_quality`)."""
    return holdout_quality(network, data_a.holdout, data_b.holdout)
