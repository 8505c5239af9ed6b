"""The verdict on a swap: five criteria, each pass/fail, and every threshold in one place.

A swap is "usable" only when all five pass:

- identity: the swap is A, not B — the median distance to A's mean embedding under the identity
  model's same-person threshold, and, when A and B are different people (their distance at least
  that threshold), closer to A than to the plate's face on at least `closer_to_a` of the frames
  (a frame whose swap shows no detectable face counts as not closer).
- expression: the swap shows a face on at least `detected` of the frames, and its mouth and eyes
  open and close with the plate's: Pearson correlation, range ratio and mean absolute difference
  of mouth opening (inner lips / mouth width) and eye opening (eye aspect ratio). Correlation and
  range are only asked of a plate that moves (its own range at least `*_moves`); the mean
  difference always.
- detail: the median of the swap's band-pass energy inside the face over the achievable energy
  (the lower of the plate's and A's own faces at the same scale) at least `detail`, and the swap's
  skin detail over the sharper of the plate's skin and A's at most `detail_excess` (noise and
  artefacts are high-frequency energy too).
- color: mean skin ΔE (OKLab × 100) at most `delta_e`, and the median seam ratio (gradient energy
  across the matte edge, swap over plate) at most `seam`.
- temporal: median flicker (the swap's frame-to-frame change in the matte over the plate's) at
  most `flicker`, median landmark jitter added by the swap at most `jitter` (interocular units).

The thresholds are calibrated by tests/core/evaluate/test_eval_calibration.py on real clips: the
plate judged as its own swap passes all five; the plate judged against another person fails
identity; the plate with its face blurred, or with noise over it, fails detail; one frame's face
frozen over the shot fails expression; a color-shifted face or a hard seam fails color; a jittered
face fails temporal. A change here that breaks any of those controls fails CI.
"""
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from facegraft.core.evaluate.run import EvalSummary

CRITERIA = ("identity", "expression", "detail", "color", "temporal")


@dataclass(frozen=True)
class Thresholds:
    """Pass marks of the criteria (see the module docstring). Units: shares in [0, 1]; mouth
    opening in mouth widths; eye opening in eye aspect ratio; ΔE in OKLab × 100; jitter in
    interocular distances per frame; the others are ratios."""

    closer_to_a: float = 0.9
    same_person: float = 0.6
    detected: float = 0.9
    mouth_moves: float = 0.1
    mouth_correlation: float = 0.6
    mouth_range: tuple[float, float] = (0.6, 1.6)
    mouth_mean_diff: float = 0.08
    eyes_move: float = 0.08
    eyes_correlation: float = 0.5
    eyes_range: tuple[float, float] = (0.5, 2.0)
    eyes_mean_diff: float = 0.06
    detail: float = 0.5
    detail_excess: float = 2.0
    delta_e: float = 4.0
    seam: float = 1.6
    flicker: float = 1.6
    jitter: float = 0.02


@dataclass(frozen=True)
class Criterion:
    """One criterion's result: passed, and each check as 'measure value vs mark' (failed ones in
    `failures`)."""

    name: str
    passed: bool
    checks: tuple[str, ...] = ()
    failures: tuple[str, ...] = field(default=())


class _Checks:
    def __init__(self) -> None:
        self.checks: list[str] = []
        self.failures: list[str] = []

    def at_least(self, label: str, value: float, mark: float, fmt: str = ".2f") -> None:
        self._add(label, value, f">= {mark:{fmt}}", value >= mark, fmt)

    def at_most(self, label: str, value: float, mark: float, fmt: str = ".2f") -> None:
        self._add(label, value, f"<= {mark:{fmt}}", value <= mark, fmt)

    def within(self, label: str, value: float, marks: tuple[float, float], fmt: str = ".2f") -> None:
        self._add(label, value, f"in [{marks[0]:{fmt}}, {marks[1]:{fmt}}]", marks[0] <= value <= marks[1], fmt)

    def _add(self, label: str, value: float, mark: str, ok: bool, fmt: str) -> None:
        shown = "not measured" if value is None or math.isnan(value) else format(value, fmt)
        text = f"{label} {shown} (needs {mark})"
        self.checks.append(text)
        if not ok or value is None or math.isnan(value):
            self.failures.append(text)

    def result(self, name: str) -> Criterion:
        return Criterion(name, not self.failures, tuple(self.checks), tuple(self.failures))


def judge(summary: "EvalSummary", t: Thresholds = Thresholds()) -> tuple[Criterion, ...]:
    """Each criterion of `CRITERIA` judged on `summary` with the marks `t`."""
    out = []
    c = _Checks()
    if summary.a_to_b >= t.same_person:
        c.at_least("closer to A than to B", summary.closer_to_a, t.closer_to_a)
    else:
        c.checks.append(f"A and B look like one person (distance {summary.a_to_b:.2f}): closer-to-A not asked")
    c.at_most("median identity distance to A", summary.dist_a, t.same_person)
    out.append(c.result("identity"))

    c = _Checks()
    c.at_least("frames whose swap shows a face", summary.swap_detected, t.detected)
    for label, series, moves, corr, span, diff in (
            ("mouth", summary.mouth, t.mouth_moves, t.mouth_correlation, t.mouth_range, t.mouth_mean_diff),
            ("eyes", summary.eyes, t.eyes_move, t.eyes_correlation, t.eyes_range, t.eyes_mean_diff)):
        if series.plate_range >= moves:
            c.at_least(f"{label} opening correlation", series.correlation, corr)
            c.within(f"{label} opening range ratio", series.range_ratio, span)
        c.at_most(f"{label} opening mean difference", series.mean_abs_diff, diff, ".3f")
    out.append(c.result("expression"))

    c = _Checks()
    c.at_least("detail ratio", summary.detail_ratio, t.detail)
    c.at_most("skin detail over the sharper reference", summary.detail_excess, t.detail_excess)
    out.append(c.result("detail"))

    c = _Checks()
    c.at_most("skin ΔE", summary.delta_e, t.delta_e, ".1f")
    c.at_most("seam ratio", summary.seam, t.seam)
    out.append(c.result("color"))

    c = _Checks()
    c.at_most("flicker", summary.flicker, t.flicker)
    c.at_most("landmark jitter", summary.jitter, t.jitter, ".4f")
    out.append(c.result("temporal"))
    return tuple(out)
