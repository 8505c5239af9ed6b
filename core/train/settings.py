"""Training settings (frozen dataclasses, built at the edge and passed in) and named presets.

Imports no torch, so the command line can build settings cheaply.
"""
import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from facegraft.core.models.config import EXPRESSION_LAYOUTS, ModelConfig


@dataclass(frozen=True)
class AugmentSettings:
    """Strengths; 0 disables a step. `translation` is a fraction of the crop width; `warp` scales a
    random smooth grid warp applied to the network input only (the target stays clean)."""

    rotation_degrees: float = 10.0
    scale: float = 0.05
    translation: float = 0.05
    flip: bool = True
    warp: float = 1.0
    warp_cells: int = 5
    color: float = 0.1
    color_transfer: float = 0.5


STRUCTURAL = ("multiscale", "two_kernel")


@dataclass(frozen=True)
class LossSettings:
    """Weights of the loss terms. `pixel` is "l1" or "mse". `structural` picks DSSIM at and above
    `multiscale_from` px: "multiscale" averages an 11-tap window over 3 scales, "two_kernel" averages
    DeepFaceLab's two window sizes (res/11.6 and res/23.2) at full scale; below it, one 11-tap window.
    Eye/mouth weights multiply the pixel loss there (on top of the face: normalised by the mask's
    area) and, when `regions_structural`, the single- or two-window SSIM map too (not "multiscale").
    `laplacian_weight` adds an L1 on the `laplacian_levels` finest Laplacian-pyramid bands (detail).
    `expression_weight` weights the expression head's squared error (models with
    `ModelConfig.expression`; `core.models.expression`)."""

    dssim_weight: float = 1.0
    pixel: str = "l1"
    pixel_weight: float = 1.0
    mask_weight: float = 1.0
    masked: bool = True
    eyes_weight: float = 2.0
    mouth_weight: float = 2.0
    multiscale_from: int = 128
    structural: str = "multiscale"
    regions_structural: bool = False
    laplacian_weight: float = 0.0
    laplacian_levels: int = 3
    expression_weight: float = 0.2

    def __post_init__(self) -> None:
        if self.pixel not in ("l1", "mse"):
            raise ValueError(f"pixel loss must be 'l1' or 'mse', got {self.pixel!r}")
        if self.structural not in STRUCTURAL:
            raise ValueError(f"structural loss must be one of {STRUCTURAL}, got {self.structural!r}")


@dataclass(frozen=True)
class OptimSettings:
    """AdamW with a linear learning-rate warm-up and gradient-norm clipping (0 disables clipping)."""

    learning_rate: float = 5e-4
    beta1: float = 0.5
    beta2: float = 0.999
    weight_decay: float = 0.0
    warmup_iterations: int = 100
    clip_grad_norm: float = 1.0


@dataclass(frozen=True)
class SamplingSettings:
    """Which faces a batch draws. `balanced`: each identity's faces are drawn evenly over head pose
    (yaw, pitch) and expression (mouth opening, eye opening) instead of uniformly: a factor is
    picked, then one of its bins, then a face in that bin, so a rare open mouth or shut eye is seen
    as often as the common ones. Bins split each measure's 2..98 % range of the set evenly."""

    balanced: bool = False
    yaw_bins: int = 5
    pitch_bins: int = 3
    mouth_bins: int = 5
    eyes_bins: int = 3

    def __post_init__(self) -> None:
        if min(self.yaw_bins, self.pitch_bins, self.mouth_bins, self.eyes_bins) < 1:
            raise ValueError("every factor needs at least one bin")


@dataclass(frozen=True)
class ScheduleSettings:
    """Training phases. The last `sharpen_fraction` of the budget (iterations, or minutes when only
    minutes are set) is a sharpening phase: no elastic warp on the input, and the learning rate
    decays along a cosine from its peak to `final_lr_fraction` of it. 0 disables the phase."""

    sharpen_fraction: float = 0.0
    final_lr_fraction: float = 0.1

    def __post_init__(self) -> None:
        if not 0.0 <= self.sharpen_fraction < 1.0:
            raise ValueError(f"sharpen_fraction must be in [0, 1), got {self.sharpen_fraction}")
        if not 0.0 <= self.final_lr_fraction <= 1.0:
            raise ValueError(f"final_lr_fraction must be in [0, 1], got {self.final_lr_fraction}")


@dataclass(frozen=True)
class GanSettings:
    """An optional adversarial term for the late phase (DeepFaceLab's "GAN power"): a patch
    discriminator (`core.models.patch_discriminator`) judges the face-masked reconstructions of
    both identities against their targets, and the generator is pushed towards what it calls
    real with `weight` (0 disables it; DeepFaceLab suggests about 0.1). It starts at progress
    `start` of the budget (as the sharpening phase does: the iteration is recorded, so a resume
    stays in it) and trains the discriminator with Adam at `learning_rate`, betas (`beta1`, 0.999).
    `width` is the discriminator's first stage channels (doubling per stage up to 8x; 16 as
    DeepFaceLab's `gan_dims`: at 64 px, 64 channels would cost ~4x the generator's step on a CPU)."""

    weight: float = 0.0
    start: float = 0.8
    learning_rate: float = 2e-4
    beta1: float = 0.5
    width: int = 16

    def __post_init__(self) -> None:
        if not (self.weight >= 0.0 and math.isfinite(self.weight)):
            raise ValueError(f"GAN weight must be a finite number >= 0, got {self.weight}")
        if not 0.0 <= self.start < 1.0:
            raise ValueError(f"GAN start must be in [0, 1), got {self.start}")
        if not self.learning_rate > 0.0 or not 0.0 <= self.beta1 < 1.0 or self.width < 1:
            raise ValueError("GAN learning_rate must be > 0, beta1 in [0, 1), width >= 1")

    @property
    def enabled(self) -> bool:
        return self.weight > 0.0


@dataclass(frozen=True)
class TrainSettings:
    """How to train. Stops after `iterations` (total, counting resumed ones) or `minutes` of this
    run, whichever comes first; at least one must be set. `batch_size` counts faces per identity
    per process. The last `holdout` faces of each set are held out, and faces within `holdout_gap`
    frames before them are not trained on either (`data.load_face_data`). `channels_last=None`
    uses it where it pays (CUDA). `mixed_precision` means bf16 autocast on CUDA, and with `cpu_bf16`
    also on a CPU with native bf16 arithmetic (AVX512-BF16 or AMX: about twice the steps per second
    there); other CPUs train in float32. `gan`: the optional patch-GAN term of the late phase (off by
    default)."""

    batch_size: int = 16
    iterations: int | None = None
    minutes: float | None = None
    seed: int = 0
    device: str = "cpu"
    workers: int = 1
    holdout: int = 12
    holdout_gap: int = 15
    save_every_minutes: float = 10.0
    preview_every: int = 500
    log_every: int = 10
    mixed_precision: bool = True
    cpu_bf16: bool = False
    channels_last: bool | None = None
    optim: OptimSettings = field(default_factory=OptimSettings)
    loss: LossSettings = field(default_factory=LossSettings)
    augment: AugmentSettings = field(default_factory=AugmentSettings)
    sampling: SamplingSettings = field(default_factory=SamplingSettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    gan: GanSettings = field(default_factory=GanSettings)

    def __post_init__(self) -> None:
        if self.iterations is None and self.minutes is None:
            raise ValueError("set iterations or minutes (or both)")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Preset:
    """A named starting point: model shape and training settings the command line may override."""

    name: str
    model: ModelConfig
    settings: TrainSettings


# The recipe every preset trains with (issue 12, chosen by tests/benchmarks/bench_quality.py): the
# last fifth of the budget without warp and with a decaying learning rate, eyes and mouth weighted
# 15x in the pixel and SSIM terms (DeepFaceLab's strength), and a Laplacian-pyramid L1 for detail;
# the presets' networks are expression-conditioned (`ModelConfig.expression`; at the quick budget
# the swap's mouth followed the plate better on all three benchmark pairs, identity improved too).
# Balanced sampling (`SamplingSettings.balanced`) stays off: at the quick budget it turned the
# swap's mouth against the plate's (mouth opening r -0.69 and -0.70 on two pairs, vs -0.06 and -0.09
# without it).
RECIPE_SCHEDULE = ScheduleSettings(sharpen_fraction=0.2, final_lr_fraction=0.1)
RECIPE_LOSS = LossSettings(eyes_weight=15.0, mouth_weight=15.0, regions_structural=True, laplacian_weight=1.0)


def quick_preset(*, architecture: str = "df", face_type: str = "full") -> Preset:
    """64 px, a compact network, batch 8: a visible likeness within minutes on a 2-core CPU (more,
    smaller steps beat fewer large ones early in training), trained with the `RECIPE_*` settings.
    The learning rate stays at 5e-4: at 1e-3 a d18 → d19 run collapsed after ~265 steps (sigmoid
    outputs saturated, loss 0.39 → 2.4, never recovered)."""
    model = ModelConfig(architecture, resolution=64, encoder_width=32, bottleneck_dims=256, decoder_width=32,
                        decoder_depth=1, face_type=face_type, expression=architecture in EXPRESSION_LAYOUTS)
    settings = TrainSettings(batch_size=8, minutes=3.0, workers=1, save_every_minutes=2.0,
                             preview_every=200, log_every=20, channels_last=True,  # +3-5% on the 2-core CPU
                             optim=OptimSettings(learning_rate=5e-4, warmup_iterations=20),
                             augment=AugmentSettings(warp=0.7, color_transfer=0.3), loss=RECIPE_LOSS,
                             schedule=RECIPE_SCHEDULE)
    return Preset("quick", model, settings)


PRESETS = ("quick",)


def preset(name: str, **kwargs: str) -> Preset:
    """The named preset (ValueError for an unknown name)."""
    if name == "quick":
        return quick_preset(**kwargs)
    raise ValueError(f"unknown preset {name!r}; known: {', '.join(PRESETS)}")


def with_stop(settings: TrainSettings, *, iterations: int | None, minutes: float | None) -> TrainSettings:
    """`settings` with new stop conditions (both None keeps the old ones)."""
    if iterations is None and minutes is None:
        return settings
    return replace(settings, iterations=iterations, minutes=minutes)
