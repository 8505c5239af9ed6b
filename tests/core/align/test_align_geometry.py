"""FaceCrop: fitting, round trips, the pixel-center convention of `cut`, face types, errors."""
import numpy as np
import pytest

from facegraft.core.align.geometry import FACE_TYPES, FaceCrop, invert_affine, umeyama_similarity
from facegraft.core.align.mean_face import MEAN_FACE_68, MIRROR_68


def similarity(angle: float, scale: float, tx: float, ty: float) -> np.ndarray:
    c, s = np.cos(angle) * scale, np.sin(angle) * scale
    return np.array([[c, -s, tx], [s, c, ty]])


def face_in_frame(angle=0.2, scale=120.0, tx=300.0, ty=220.0) -> np.ndarray:
    m = similarity(angle, scale, tx, ty)
    return MEAN_FACE_68 @ m[:, :2].T + m[:, 2]


def test_mean_face_is_normalised_and_symmetric():
    assert np.linalg.norm(MEAN_FACE_68[45] - MEAN_FACE_68[36]) == pytest.approx(1.0, abs=1e-4)
    mirrored = MEAN_FACE_68[list(MIRROR_68)] * [-1, 1]
    np.testing.assert_allclose(mirrored, MEAN_FACE_68, atol=1e-4)


def test_umeyama_recovers_a_known_similarity():
    rng = np.random.default_rng(0)
    src = rng.uniform(-50, 50, (30, 2))
    m = similarity(0.7, 2.5, 10.0, -4.0)
    dst = src @ m[:, :2].T + m[:, 2]
    np.testing.assert_allclose(umeyama_similarity(src, dst), m, atol=1e-9)


def test_umeyama_rejects_degenerate_points():
    with pytest.raises(ValueError):
        umeyama_similarity(np.zeros((5, 2)), np.ones((5, 2)))
    with pytest.raises(ValueError):
        umeyama_similarity(np.zeros((5, 2)), np.ones((4, 2)))


@pytest.mark.parametrize("face_type", tuple(FACE_TYPES))
def test_from_landmarks_places_the_mean_face_upright_and_centred(face_type):
    landmarks = face_in_frame()
    crop = FaceCrop.from_landmarks(landmarks, size=256, face_type=face_type)
    in_crop = crop.to_crop(landmarks)
    np.testing.assert_allclose(in_crop, crop.mean_face_points(), atol=1e-6)
    assert in_crop[36, 1] == pytest.approx(in_crop[45, 1], abs=1e-6)  # eyes level
    assert crop.fit_residual(landmarks) == pytest.approx(0.0, abs=1e-9)
    assert crop.frame_to_crop.shape == (2, 3) and crop.frame_to_crop.dtype == np.float64


def test_face_types_widen_the_coverage():
    landmarks = face_in_frame()
    scales = [FaceCrop.from_landmarks(landmarks, size=256, face_type=t).scale for t in ("half", "full", "whole", "head")]
    assert scales == sorted(scales, reverse=True)


def test_round_trip_to_crop_to_frame():
    crop = FaceCrop.from_landmarks(face_in_frame(), size=200, face_type="whole")
    pts = np.random.default_rng(1).uniform(0, 640, (100, 2))
    np.testing.assert_allclose(crop.to_frame(crop.to_crop(pts)), pts, atol=1e-9)
    full = np.vstack([crop.frame_to_crop, [0, 0, 1]]) @ np.vstack([crop.crop_to_frame(), [0, 0, 1]])
    np.testing.assert_allclose(full, np.eye(3), atol=1e-12)
    np.testing.assert_allclose(invert_affine(invert_affine(crop.frame_to_crop)), crop.frame_to_crop, atol=1e-12)


def test_from_matrix_equals_and_is_read_only():
    crop = FaceCrop.from_landmarks(face_in_frame(), size=128, face_type="full")
    again = FaceCrop.from_matrix(crop.frame_to_crop.tolist(), size=128, face_type="full")
    assert again == crop
    with pytest.raises(ValueError):
        again.frame_to_crop[0, 0] = 1.0


def test_cut_lands_a_point_on_the_same_content():
    """A Gaussian blob centred at a sub-pixel frame position appears in the crop where to_crop says."""
    h, w = 480, 640
    centre = np.array([301.3, 207.8])
    yy, xx = np.mgrid[0:h, 0:w] + 0.5  # pixel centres in our convention
    frame = np.exp(-((xx - centre[0]) ** 2 + (yy - centre[1]) ** 2) / (2 * 6.0 ** 2)).astype(np.float32)[..., None]
    crop = FaceCrop.from_landmarks(face_in_frame(angle=0.4, scale=150, tx=310, ty=240), size=256, face_type="full")
    cut = crop.cut(np.repeat(frame, 3, axis=2))
    assert cut.shape == (256, 256, 3) and cut.dtype == np.float32
    weights = cut[..., 0] ** 4
    cy, cx = np.mgrid[0:256, 0:256] + 0.5
    found = np.array([(weights * cx).sum(), (weights * cy).sum()]) / weights.sum()
    np.testing.assert_allclose(found, crop.to_crop(centre), atol=0.05)


def test_cut_identity_matrix_returns_the_pixels():
    frame = np.random.default_rng(2).random((64, 64, 4), dtype=np.float32)
    crop = FaceCrop.from_matrix(np.array([[1.0, 0, -8], [0, 1.0, -16]]), size=32, face_type="full")
    np.testing.assert_allclose(crop.cut(frame), frame[16:48, 8:40], atol=1e-6)


def test_cut_and_construction_errors():
    crop = FaceCrop.from_landmarks(face_in_frame(), size=64, face_type="full")
    with pytest.raises(TypeError):
        crop.cut(np.zeros((10, 10, 3), np.uint8))
    with pytest.raises(ValueError):
        FaceCrop.from_landmarks(np.zeros((5, 2)), size=64, face_type="full")
    with pytest.raises(ValueError):
        FaceCrop.from_landmarks(face_in_frame(), size=64, face_type="torso")
    with pytest.raises(ValueError):
        FaceCrop.from_matrix(np.zeros((2, 3)), size=64, face_type="full")


def test_paste_matrix_warps_the_crop_back_onto_the_frame():
    import cv2

    rng = np.random.default_rng(3)
    frame = cv2.GaussianBlur(rng.random((240, 320, 3), dtype=np.float32), (0, 0), 3)
    crop = FaceCrop.from_landmarks(face_in_frame(angle=0.1, scale=60, tx=160, ty=120), size=256, face_type="full")
    back = cv2.warpAffine(crop.cut(frame), crop.paste_matrix(), (320, 240), flags=cv2.INTER_LINEAR)
    inside = crop.to_frame(np.array([[64.0, 64.0], [192.0, 192.0]])).astype(int)
    (x0, y0), (x1, y1) = inside.min(0), inside.max(0)
    np.testing.assert_allclose(back[y0:y1, x0:x1], frame[y0:y1, x0:x1], atol=0.02)
