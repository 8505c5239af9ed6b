"""Settings of a swap project and its presets (frozen; built at the edge, recorded per stage).

Presets trade time for quality:
- quick: 64 px crops, the compact `df` network, 3 minutes of training: a recognisable likeness
  on a 2-core CPU within minutes (blurry, low detail).
- standard: 128 px, a wider network, 60 minutes on a CPU (a draft: not yet usable by the eval),
  minutes on a GPU.
- quality: 256 px, a large network, 100k iterations: for a GPU (`device="cuda"`), hours.
"""
import dataclasses
from dataclasses import dataclass, field
from typing import Any

from facegraft.core.convert.settings import ConvertSettings
from facegraft.core.detect.registry import DEFAULT_DETECTOR, DEFAULT_LANDMARKS
from facegraft.core.models.config import ModelConfig
from facegraft.core.train.settings import (RECIPE_LOSS, RECIPE_SCHEDULE, AugmentSettings, OptimSettings, TrainSettings,
                                          quick_preset)

PRESETS = ("quick", "standard", "quality")
# Every preset trains with issue 12's recipe (facegraft.core.train.settings.RECIPE_*). The patch-GAN
# term (`TrainSettings.gan`) stays off in all three. At CPU budgets (hundreds to a few thousand
# steps) its discriminator stays near chance through the late phase (P(real) 0.506 on reals vs 0.497
# on fakes after 210 steps, tests/benchmarks/bench_gan_stability.py), so it costs time (+1-4 % of a
# step's FLOPs) and changes nothing measurable; for `quality` no GPU run has measured it yet: turn it
# on there once `CONFIG=quality+gan tests/benchmarks/gpu_quality.sh` beats `quality`.
_RECIPE = {"loss": RECIPE_LOSS, "schedule": RECIPE_SCHEDULE}


@dataclass(frozen=True)
class ExtractOptions:
    """How both clips are extracted (see `facegraft extract`)."""

    face_type: str = "full"
    detector: str = DEFAULT_DETECTOR
    landmarks: str = DEFAULT_LANDMARKS
    upsample: int = 0
    redetect_every: int = 10
    smooth: str = "medium"


@dataclass(frozen=True)
class SwapSettings:
    """Everything a swap project does. `frames`: target frames (None: all); `source_frames`:
    source frames (None: all). `reference`: image of the target person to replace (None: the
    first identity found). The model's resolution is the face sets' crop size."""

    preset: str = "quick"
    model: ModelConfig = field(default_factory=lambda: quick_preset().model)
    train: TrainSettings = field(default_factory=lambda: quick_preset().settings)
    convert: ConvertSettings = field(default_factory=lambda: ConvertSettings(batch=8, workers=1))
    extract: ExtractOptions = field(default_factory=ExtractOptions)
    frames: tuple[int, ...] | None = None
    source_frames: tuple[int, ...] | None = None
    reference: str | None = None
    base: str | None = None
    evaluate: bool = True
    review_fps: float | None = None  # None: the target's frame rate (24 for sequences)

    def __post_init__(self) -> None:
        if self.preset not in PRESETS:
            raise ValueError(f"preset must be one of {PRESETS}, got {self.preset!r}")
        if self.model.face_type != self.extract.face_type:
            raise ValueError("model face_type and extract face_type must agree")

    @property
    def size(self) -> int:
        return self.model.resolution


def swap_preset(name: str, *, device: str = "cpu", face_type: str = "full") -> SwapSettings:
    """The settings of preset `name` (ValueError for an unknown name)."""
    extract = ExtractOptions(face_type=face_type)
    if name == "quick":
        chosen = quick_preset(face_type=face_type)
        train = dataclasses.replace(chosen.settings, device=device)
        return SwapSettings("quick", chosen.model, train, extract=extract)
    if name == "standard":
        model = ModelConfig("df", resolution=128, encoder_width=48, bottleneck_dims=384, decoder_width=48,
                            decoder_depth=1, face_type=face_type, expression=True)
        train = TrainSettings(batch_size=12, minutes=60.0, device=device, save_every_minutes=5.0, preview_every=500,
                              optim=OptimSettings(learning_rate=5e-4, warmup_iterations=200),
                              augment=AugmentSettings(warp=0.6, color_transfer=0.3), **_RECIPE)
        return SwapSettings("standard", model, train, ConvertSettings(batch=8), extract)
    if name == "quality":
        model = ModelConfig("df", resolution=256, encoder_width=64, bottleneck_dims=512, decoder_width=64,
                            decoder_depth=2, face_type=face_type, expression=True)
        train = TrainSettings(batch_size=16, iterations=100_000, device=device, save_every_minutes=10.0,
                              preview_every=1000, optim=OptimSettings(learning_rate=5e-4, warmup_iterations=500),
                              **_RECIPE)
        return SwapSettings("quality", model, train, ConvertSettings(batch=16), extract)
    raise ValueError(f"unknown preset {name!r}; known: {', '.join(PRESETS)}")


def to_record(value: Any) -> Any:
    """A settings value as plain JSON data (dataclasses → dicts, tuples → lists)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_record(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [to_record(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_record(v) for k, v in value.items()}
    return value
