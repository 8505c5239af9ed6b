"""Known values of the pure swap measures: geometry, identity, jitter, flicker, SSIM/PSNR."""
import numpy as np
import pytest

from facegraft.core.align.face_geometry import (REGIONS, angle_difference, expression_code, eye_opening, head_pose,
                                                   interocular, landmark_error, mouth_opening, region_errors)
from facegraft.core.evaluate.metrics import (flicker_ratio, frame_change, identity_distances, landmark_jitter,
                                             mean_identity, nan_mean, nan_median, robust_range, series_agreement)
from facegraft.core.align.mean_face import MEAN_FACE_68


def face(scale=100.0, offset=(200.0, 150.0)):
    """A plausible 68-point face: the mean face (interocular 1), scaled by `scale` and placed."""
    return np.array(MEAN_FACE_68) * scale + np.asarray(offset)


def test_interocular_and_error_known_values():
    pts = face()
    assert interocular(pts) == pytest.approx(np.linalg.norm(pts[45] - pts[36]))
    assert landmark_error(pts, pts) == 0.0
    shifted = pts + np.array([3.0, 4.0])  # every point 5 px away
    assert landmark_error(shifted, pts) == pytest.approx(5.0 / interocular(pts))
    # scale invariance: the same relative error on a face twice the size
    assert landmark_error(shifted * 2, pts * 2) == pytest.approx(landmark_error(shifted, pts))
    with pytest.raises(ValueError):
        landmark_error(pts[:60], pts[:60])


def test_head_pose_frontal_and_roll():
    pts = face(scale=120, offset=(240, 240))
    pose = head_pose(pts, image_size=(480, 480))
    assert np.all(np.abs(pose[:2]) < 25)  # the generic model is not the mean face: near frontal
    angle = np.radians(20)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    rolled = (pts - [240, 240]) @ rot.T + [240, 240]  # clockwise on screen (y down)
    roll = head_pose(rolled, image_size=(480, 480))[2] - pose[2]
    assert roll == pytest.approx(20, abs=2)
    assert angle_difference(179.0, -179.0) == pytest.approx(2.0)


def test_head_pose_signs():
    pts = face(scale=100, offset=(240, 240))
    base = head_pose(pts, image_size=(480, 480))
    turned = pts.copy()
    turned[27:36] += [15, 0]  # the nose moves to image right: the head turns towards image right
    assert head_pose(turned, image_size=(480, 480))[0] > base[0] + 10
    nodded = pts.copy()
    nodded[27:36] += [0, 10]  # the nose drops: chin down
    assert head_pose(nodded, image_size=(480, 480))[1] < base[1] - 2


def test_region_errors_locate_the_change():
    pts = face()
    moved = pts.copy()
    moved[list(REGIONS["mouth"])] += [0.0, 10.0]  # only the mouth moves, 10 px
    errors = region_errors(moved, pts)
    assert errors["mouth"] == pytest.approx(10.0 / interocular(pts))
    assert all(errors[k] == 0.0 for k in ("jaw", "brows", "nose", "eyes"))
    assert set(errors) == set(REGIONS) and landmark_error(moved, pts) == pytest.approx(
        10.0 * 20 / 68 / interocular(pts))


def test_openings_grow():
    pts = face()
    opened = pts.copy()
    opened[[65, 66, 67, 56, 57, 58]] += [0, 20]
    assert mouth_opening(opened) > mouth_opening(pts) + 0.1
    # over the mouth width: the same face at another size opens the same amount
    assert mouth_opening(face(scale=50.0)) == pytest.approx(mouth_opening(pts))
    width = np.linalg.norm(pts[54] - pts[48])
    assert mouth_opening(opened) - mouth_opening(pts) == pytest.approx(20.0 / width, rel=0.05)
    shut = pts.copy()
    for top, bottom in ((37, 41), (38, 40), (43, 47), (44, 46)):
        shut[[top, bottom]] = (pts[top] + pts[bottom]) / 2
    assert eye_opening(shut) == pytest.approx(0.0, abs=1e-9)
    assert eye_opening(pts) > 0.1
    # the network's expression code: the same measures, shifted and scaled; NaN for unknown points
    smiling = pts.copy()
    smiling[[48, 54]] += [[-5.0, -8.0], [5.0, -8.0]]  # corners out and up
    codes = expression_code(np.stack([pts, opened, shut, smiling, np.full_like(pts, np.nan)]))
    assert codes.shape == (5, 4) and codes.dtype == np.float32  # opening, width, smile, eyes
    assert codes[1, 0] > codes[0, 0] + 0.5 and codes[1, 1] == codes[0, 1] and codes[1, 3] == codes[0, 3]
    assert codes[2, 3] < codes[0, 3] - 2.0 and np.array_equal(codes[2, :3], codes[0, :3])
    assert codes[3, 1] > codes[0, 1] + 0.5 and codes[3, 2] > codes[0, 2] + 0.5 and codes[3, 3] == codes[0, 3]
    assert np.array_equal(expression_code(face(scale=50.0)), codes[0])
    assert np.isnan(codes[4]).all()


def test_identity_distances_and_mean():
    a = np.zeros(128)
    e = np.stack([a, a + 0.1, np.full(128, np.nan)])
    d = identity_distances(e, a)
    assert d[0] == 0 and d[1] == pytest.approx(0.1 * np.sqrt(128)) and np.isnan(d[2])
    assert np.allclose(mean_identity(e), 0.05)
    with pytest.raises(ValueError):
        identity_distances(e, np.zeros(3))
    with pytest.raises(ValueError):
        mean_identity(np.full((2, 4), np.nan))


def test_jitter_zero_when_following_plate_and_measures_tremble():
    rng = np.random.default_rng(0)
    plate = np.stack([face(offset=(200 + 3 * t, 150)) for t in range(10)])  # the head moves smoothly
    assert np.allclose(landmark_jitter(plate, plate), 0)
    tremble = plate + rng.normal(0, 2.0, size=plate.shape)
    jitter = landmark_jitter(tremble, plate)
    assert jitter.shape == (9,) and np.all(jitter > 0.01)
    # expected mean |N(0, 2*sqrt2)| in 2-D = 2*sqrt2 * sqrt(pi/2), over interocular
    expected = 2 * np.sqrt(2) * np.sqrt(np.pi / 2) / interocular(plate[0])
    assert jitter.mean() == pytest.approx(expected, rel=0.15)
    assert landmark_jitter(plate[:1], plate[:1]).shape == (0,)


def test_flicker_synthetic():
    rng = np.random.default_rng(1)
    h, w = 32, 32
    matte = np.zeros((h, w), np.float32)
    matte[8:24, 8:24] = 1
    plate = [np.full((h, w, 3), 0.5, np.float32) + 0.01 * t for t in range(5)]  # a slow fade
    swap_same = [p.copy() for p in plate]
    swap_flicker = [p + matte[..., None] * rng.uniform(-0.1, 0.1, (h, w, 3)).astype(np.float32) for p in plate]
    change = lambda seq: np.array([frame_change(a, b, matte) for a, b in zip(seq, seq[1:])])  # noqa: E731
    assert np.allclose(flicker_ratio(change(swap_same), change(plate)), 1.0)
    assert np.all(flicker_ratio(change(swap_flicker), change(plate)) > 3)
    assert np.isnan(frame_change(plate[0], plate[1], np.zeros((h, w))))
    assert flicker_ratio(np.array([0.01]), np.array([0.0]))[0] == pytest.approx(10.0)  # floored at 1e-3


def test_nan_reductions():
    assert nan_mean(np.array([np.nan, 1.0, 3.0])) == 2.0 and np.isnan(nan_mean(np.array([np.nan])))
    assert nan_median(np.array([np.nan, 1.0, 3.0, 10.0])) == 3.0 and np.isnan(nan_median(np.array([])))
    assert robust_range(np.arange(101.0)) == pytest.approx(90.0)


def test_series_agreement_follows_copies_and_rejects_frozen_and_damped():
    t = np.linspace(0, 4 * np.pi, 60)
    plate = 0.2 + 0.15 * np.sin(t)
    same = series_agreement(plate, plate)
    assert same.correlation == pytest.approx(1.0) and same.range_ratio == pytest.approx(1.0)
    assert same.mean_abs_diff == 0.0 and same.frames == 60
    frozen = series_agreement(np.full_like(plate, 0.2), plate)
    assert np.isnan(frozen.correlation) and frozen.range_ratio == 0.0  # a constant series cannot correlate
    damped = series_agreement(0.2 + 0.03 * np.sin(t), plate)
    assert damped.correlation == pytest.approx(1.0) and damped.range_ratio == pytest.approx(0.2, abs=0.01)
    reversed_ = series_agreement(0.2 - 0.15 * np.sin(t), plate)
    assert reversed_.correlation == pytest.approx(-1.0)
    gaps = plate.copy()
    gaps[::3] = np.nan  # failed frames are left out of the series, not zero
    assert series_agreement(gaps, plate).frames == 40
    with pytest.raises(ValueError):
        series_agreement(plate[:5], plate)
