"""Training phases: the main phase (elastic warp on the input) and a final sharpening phase (no
warp, a decaying learning rate), as `ScheduleSettings` describes; and the start of the optional
patch-GAN term (`GanSettings.start`), recorded the same way.

Progress is the share of the budget done: iterations over `iterations`, or this run's seconds over
`minutes` when only minutes are set (the larger of the two when both are). The phase starts at
progress 1 - `sharpen_fraction`; the iteration where it started is recorded in the checkpoint, so
a resumed run stays in it and its batches (no warp) are the same as an uninterrupted run's.
"""
import dataclasses
import math

from facegraft.core.train.settings import AugmentSettings, GanSettings, ScheduleSettings, TrainSettings


def progress(settings: TrainSettings, *, iteration: int, seconds: float) -> float:
    """Share of the budget done, in [0, 1]: `iteration` (total) of `settings.iterations`, or
    `seconds` (this run) of `settings.minutes`, the larger when both are set."""
    shares = []
    if settings.iterations:
        shares.append(iteration / settings.iterations)
    if settings.minutes:
        shares.append(seconds / (settings.minutes * 60.0))
    return min(1.0, max(shares)) if shares else 0.0


def sharpen_due(schedule: ScheduleSettings, done: float) -> bool:
    """Whether the sharpening phase should have started at progress `done`."""
    return schedule.sharpen_fraction > 0 and done >= 1.0 - schedule.sharpen_fraction


def gan_due(gan: GanSettings, done: float) -> bool:
    """Whether the patch-GAN term should have started at progress `done` (never when its weight is 0)."""
    return gan.enabled and done >= gan.start


def lr_scale(schedule: ScheduleSettings, *, done: float, phase_start: float | None) -> float:
    """Factor on the learning rate: 1 in the main phase; in the sharpening phase (entered at
    progress `phase_start`, None: not entered) a cosine from 1 to `final_lr_fraction` over the
    rest of the budget."""
    if phase_start is None:
        return 1.0
    t = min(1.0, max(0.0, (done - phase_start) / max(1.0 - phase_start, 1e-9)))
    low = schedule.final_lr_fraction
    return low + (1.0 - low) * 0.5 * (1.0 + math.cos(math.pi * t))


def phase_augment(augment: AugmentSettings, *, sharpening: bool) -> AugmentSettings:
    """The augmentation of a phase: the sharpening phase turns the elastic warp off."""
    return dataclasses.replace(augment, warp=0.0) if sharpening else augment
