"""The verdict's logic on hand-made summaries: each criterion fails for its own reason."""
import dataclasses

import pytest

from facegraft.core.evaluate.criteria import CRITERIA, Thresholds, judge
from facegraft.core.evaluate.metrics import SeriesAgreement
from facegraft.core.evaluate.run import EvalSummary, with_verdict


def good() -> EvalSummary:
    return EvalSummary(frames=40, faces=40, a_to_b=0.8, swap_detected=1.0, closer_to_a=1.0, under_threshold_a=1.0,
                       dist_a=0.4, dist_b=0.8, landmark_error=0.03, region_errors={}, pose_diff=(1.0, 1.0, 1.0),
                       mouth=SeriesAgreement(0.9, 0.02, 0.9, 0.3, 40), eyes=SeriesAgreement(0.8, 0.01, 0.9, 0.1, 40),
                       detail_ratio=0.8, detail_ratio_plate=0.8, detail_ratio_a=0.7, detail_excess=0.9, delta_e=1.5,
                       seam=1.1, jitter=0.005, flicker=1.0)


def failed(summary: EvalSummary) -> list[str]:
    return [c.name for c in judge(summary) if not c.passed]


def test_a_good_swap_is_usable():
    summary = with_verdict(good(), Thresholds())
    assert [c.name for c in summary.criteria] == list(CRITERIA)
    assert summary.verdict == "usable" and all(c.passed and not c.failures for c in summary.criteria)


@pytest.mark.parametrize("change, criterion", [
    ({"closer_to_a": 0.5}, "identity"),
    ({"dist_a": 0.7}, "identity"),
    ({"swap_detected": 0.5}, "expression"),  # failed frames fail expression, they are not skipped
    ({"mouth": SeriesAgreement(0.2, 0.05, 0.9, 0.3, 40)}, "expression"),
    ({"mouth": SeriesAgreement(0.9, 0.05, 0.2, 0.3, 40)}, "expression"),  # follows, but barely opens
    ({"mouth": SeriesAgreement(float("nan"), 0.15, 0.0, 0.3, 40)}, "expression"),  # frozen
    ({"eyes": SeriesAgreement(0.1, 0.01, 0.9, 0.1, 40)}, "expression"),
    ({"detail_ratio": 0.3}, "detail"),
    ({"detail_ratio": 5.0, "detail_excess": 4.0}, "detail"),  # noise, not detail
    ({"delta_e": 6.0}, "color"),
    ({"seam": 3.0}, "color"),
    ({"flicker": 3.0}, "temporal"),
    ({"jitter": 0.05}, "temporal"),
])
def test_each_failure_names_its_criterion(change, criterion):
    summary = with_verdict(dataclasses.replace(good(), **change), Thresholds())
    assert failed(summary) == [criterion] and summary.verdict == "not usable"
    bad = next(c for c in summary.criteria if c.name == criterion)
    assert bad.failures and all("needs" in f for f in bad.failures)


def test_not_measured_is_a_failure_and_static_plates_skip_correlation():
    assert failed(dataclasses.replace(good(), detail_ratio=float("nan"))) == ["detail"]
    # a plate whose mouth barely moves: no correlation asked, only the mean difference
    still = dataclasses.replace(good(), mouth=SeriesAgreement(float("nan"), 0.01, float("nan"), 0.02, 40))
    assert failed(still) == []
    assert failed(dataclasses.replace(still, mouth=SeriesAgreement(0.0, 0.2, 5.0, 0.02, 40))) == ["expression"]


def test_same_person_swaps_are_not_asked_to_be_closer_to_a():
    same = dataclasses.replace(good(), a_to_b=0.2, closer_to_a=0.3, dist_a=0.25, dist_b=0.1)
    assert failed(same) == []
    identity = judge(same)[0]
    assert any("look like one person" in check for check in identity.checks)
