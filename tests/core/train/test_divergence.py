import pytest

from facegraft.core.train.divergence import LossJumpDetector


def test_a_lasting_jump_is_flagged_after_patience_steps():
    detector = LossJumpDetector(factor=3.0, patience=5, warmup=10)
    assert not any(detector.update(0.4 - 0.001 * i) for i in range(100))
    assert detector.baseline == pytest.approx(0.35, abs=0.02)
    flags = [detector.update(2.4) for _ in range(5)]
    assert flags == [False, False, False, False, True] and detector.suspicious


def test_a_single_spike_or_a_slow_rise_is_not_a_collapse():
    detector = LossJumpDetector(factor=3.0, patience=5, warmup=10)
    for _ in range(50):
        detector.update(0.4)
    assert not detector.update(5.0) and detector.suspicious
    assert not detector.update(0.41) and not detector.suspicious
    assert not any(detector.update(0.4 * 1.01 ** i) for i in range(100))  # drifts up 2.7x over 100 steps


def test_nothing_is_flagged_during_warm_up():
    detector = LossJumpDetector(factor=3.0, patience=2, warmup=10)
    assert not any(detector.update(v) for v in [1.0, 0.1, 5.0, 5.0, 5.0])
    assert detector.baseline is None


def test_bad_settings():
    with pytest.raises(ValueError):
        LossJumpDetector(factor=1.0)
