"""Balanced sampling over pose and expression: weights, and what a batch draws on real faces."""
import numpy as np
import torch

from facegraft.core.align.face_geometry import mouth_opening
from facegraft.core.train.batches import draw
from facegraft.core.train.data import load_face_data, pool_face_data
from facegraft.core.train.sampling import balanced_weights, face_factors
from facegraft.core.train.settings import SamplingSettings

BALANCED = SamplingSettings(balanced=True)


def test_rare_faces_weigh_more_and_weights_sum_to_one() -> None:
    factors = np.zeros((20, 4))
    factors[:, 2] = np.r_[np.zeros(18), 0.4, 0.45]  # two open mouths among 18 closed ones
    factors[:, 0] = np.linspace(-5, 5, 20)
    w = balanced_weights(factors, SamplingSettings(balanced=True, mouth_bins=2))
    assert np.isclose(w.sum(), 1.0) and np.all(w > 0)
    assert w[18:].sum() > 2.5 * (2 / 20)  # far above their uniform share of 0.1 (yaw is balanced too)
    assert w[18] > 4 * w[0]


def test_constant_factors_and_nans_fall_back_to_uniform() -> None:
    assert np.allclose(balanced_weights(np.zeros((5, 4)), BALANCED), 0.2)
    w = balanced_weights(np.full((4, 4), np.nan), BALANCED)
    assert np.allclose(w, 0.25)
    assert balanced_weights(np.zeros((0, 4)), BALANCED).shape == (0,)


def test_balanced_batches_show_open_mouths_more_often(faceset_a) -> None:
    """d18 (the man who opens his mouth wide, but rarely): balanced draws pick wide-open mouths
    more often than uniform draws do."""
    uniform = load_face_data(faceset_a, holdout=0, gap=0, name="A")
    balanced = load_face_data(faceset_a, holdout=0, gap=0, name="A", sampling=BALANCED)
    assert uniform.weights is None and balanced.weights is not None
    assert torch.isclose(balanced.weights.sum(), torch.tensor(1.0, dtype=torch.float64))
    mouth = mouth_opening(np.stack([f.landmarks for f in faceset_a.faces]))
    open_faces = torch.from_numpy(mouth > np.percentile(mouth, 80))
    gen = torch.Generator().manual_seed(0)
    share_uniform = open_faces[draw(uniform, 4000, gen)].float().mean()
    share_balanced = open_faces[draw(balanced, 4000, gen)].float().mean()
    assert share_balanced > share_uniform + 0.05, (float(share_uniform), float(share_balanced))


def test_face_factors_measure_pose_and_expression(faceset_a) -> None:
    landmarks = np.stack([f.landmarks for f in faceset_a.faces])
    factors = face_factors(landmarks, size=faceset_a.size)
    assert factors.shape == (len(landmarks), 4) and np.all(np.isfinite(factors))
    assert np.all(np.abs(factors[:, 0]) < 45) and np.allclose(factors[:, 2], mouth_opening(landmarks))
    assert np.isnan(face_factors(np.full((1, 68, 2), np.nan), size=64)).all()


def test_pool_draws_every_identity_equally(faceset_a, faceset_b) -> None:
    small = load_face_data(faceset_a.with_faces(faceset_a.faces[:10]), holdout=0, gap=0, name="A")
    large = load_face_data(faceset_b, holdout=0, gap=0, name="B", sampling=BALANCED)
    pool = pool_face_data([small, large], name="pool")
    assert len(pool.train) == len(small.train) + len(large.train)
    assert torch.isclose(pool.weights[:10].sum(), torch.tensor(0.5, dtype=torch.float64))
    assert torch.isclose(pool.weights.sum(), torch.tensor(1.0, dtype=torch.float64))
