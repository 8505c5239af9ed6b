"""Dense (mesh) masks: regions inside the face oval, exclusions, the 68-point fallback, errors."""
import numpy as np
import pytest

from facegraft.core.detect.mesh_topology import FACE_OVAL, LIPS_INNER
from facegraft.core.masks.dense import DenseMasker, dense_mask
from facegraft.core.masks.landmark import landmark_mask


def synthetic_mesh(size: int = 64) -> np.ndarray:
    """Every vertex on a circle of radius 20 around the centre; the inner lips on a small one."""
    points = np.full((468, 2), size / 2.0)
    angles = np.linspace(0, 2 * np.pi, len(FACE_OVAL), endpoint=False)
    points[list(FACE_OVAL)] = size / 2 + 20 * np.stack([np.cos(angles), np.sin(angles)], -1)
    angles = np.linspace(0, 2 * np.pi, len(LIPS_INNER), endpoint=False)
    points[list(LIPS_INNER)] = size / 2 + 6 * np.stack([np.cos(angles), np.sin(angles)], -1)
    return points


def test_face_oval_mask_fills_the_oval_and_excludes_the_mouth():
    mesh = synthetic_mesh()
    face = dense_mask(mesh, size=64)
    assert face.dtype == np.float32 and face.shape == (64, 64)
    assert face[32, 32] == 1.0 and face[2, 2] == 0.0 and face[32, 50] == 1.0 and face[32, 55] == 0.0
    assert face.sum() == pytest.approx(np.pi * 20 ** 2, rel=0.07)  # OpenCV antialiasing adds ~half a pixel
    holed = dense_mask(mesh, size=64, exclude=("mouth",))
    assert holed[32, 32] == 0.0 and holed[32, 45] == 1.0
    mouth = dense_mask(mesh, size=64, include=("mouth",))
    assert mouth.sum() == pytest.approx(np.pi * 6.5 ** 2, rel=0.05)  # r + half a pixel, as above


def test_masker_falls_back_to_the_68_point_hull_and_checks_inputs():
    rng = np.random.default_rng(0)
    crop = np.zeros((64, 64, 3), np.float32)
    landmarks = rng.uniform(16, 48, (68, 2))
    np.testing.assert_array_equal(DenseMasker()(crop, landmarks), landmark_mask(landmarks, size=64))
    np.testing.assert_array_equal(DenseMasker()(crop, landmarks, synthetic_mesh()), dense_mask(synthetic_mesh(), size=64))
    with pytest.raises(ValueError):
        dense_mask(np.zeros((68, 2)), size=64)
    with pytest.raises(ValueError, match="unknown"):
        dense_mask(synthetic_mesh(), size=64, include=("nose",))
