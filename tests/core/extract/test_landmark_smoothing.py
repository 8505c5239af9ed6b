"""Zero-phase One-Euro smoothing: reduces jitter at rest, no lag on linear or fast motion."""
import numpy as np
import pytest

from facegraft.core.align.mean_face import MEAN_FACE_68
from facegraft.core.alignments.stats import jitter
from facegraft.core.extract.smoothing import SMOOTHING_PRESETS, SmoothingSettings, one_euro, smooth_track


def track(motion: np.ndarray, *, noise: float, seed: int = 0) -> np.ndarray:
    """(T, 68, 2): a 100 px face (eye distance) moved by `motion` (T, 2) plus Gaussian noise in px."""
    base = MEAN_FACE_68 * 100 + 240
    rng = np.random.default_rng(seed)
    return base[None] + motion[:, None, :] + rng.normal(0, noise, (len(motion), 68, 2))


def test_static_noise_is_reduced():
    raw = track(np.zeros((120, 2)), noise=1.0)
    for name in ("low", "medium", "high"):
        smoothed = smooth_track(raw, SMOOTHING_PRESETS[name])
        assert jitter(smoothed) < 0.5 * jitter(raw), name
    assert jitter(smooth_track(raw, SMOOTHING_PRESETS["high"])) < jitter(smooth_track(raw, SMOOTHING_PRESETS["low"]))


def test_linear_motion_has_no_lag():
    t = np.arange(60, dtype=np.float64)
    motion = np.stack([8.0 * t, 2.0 * t], -1)  # 8 px/frame: fast head motion
    clean = track(motion, noise=0.0)
    smoothed = smooth_track(clean, SMOOTHING_PRESETS["high"])
    np.testing.assert_allclose(smoothed[5:-5], clean[5:-5], atol=0.05)
    causal = one_euro(clean / 100, min_cutoff=0.02, beta=8.0, d_cutoff=0.15) * 100
    assert np.abs(causal - clean)[5:-5].max() > 0.1  # the causal filter alone would lag


def test_a_sudden_move_is_followed_within_a_few_frames():
    motion = np.zeros((40, 2))
    motion[20:, 0] = 60.0  # a 60 px jump (0.6 eye distances)
    raw = track(motion, noise=0.5)
    smoothed = smooth_track(raw, SMOOTHING_PRESETS["high"])
    err = np.abs(smoothed - raw).mean(axis=(1, 2))
    assert err[:17].max() < 1.0 and err[24:].max() < 1.0


def test_disabled_and_short_tracks_are_copies():
    raw = track(np.zeros((2, 2)), noise=1.0)
    out = smooth_track(raw, SmoothingSettings())
    np.testing.assert_array_equal(out, raw)
    assert out is not raw
    long = track(np.zeros((10, 2)), noise=1.0)
    np.testing.assert_array_equal(smooth_track(long, SMOOTHING_PRESETS["none"]), long)
    with pytest.raises(ValueError):
        smooth_track(np.zeros((5, 5, 2)), SmoothingSettings())


def test_settings_json_round_trip():
    s = SmoothingSettings(min_cutoff=0.1, beta=3.0, d_cutoff=0.2, enabled=False)
    assert SmoothingSettings.from_json(s.to_json()) == s
