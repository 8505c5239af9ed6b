"""BlazeFace: anchors, decoding and weighted NMS against hand-computed values; tiles that cover
small faces; the detector on real photos (tilted, small, none)."""
import cv2
import numpy as np
import pytest

from facegraft.core.detect.blazeface import (FULL_RANGE, MIN_INPUT_FACE, SHORT_RANGE, BlazeFaceDetector,
                                             anchor_centers, decode_boxes, tile_windows, weighted_nms)
from facegraft.core.detect.dlib_backends import HogDetector
from facegraft.core.detect.types import FaceDetector, boxes_array


def rgb(path):
    return np.ascontiguousarray(cv2.imread(str(path))[..., ::-1])


def rotate(image, degrees):
    h, w = image.shape[:2]
    return np.ascontiguousarray(cv2.warpAffine(image, cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0), (w, h)))


@pytest.fixture(scope="module")
def full():
    return BlazeFaceDetector(FULL_RANGE)


def test_anchor_grids_match_the_networks():
    short = anchor_centers(128, SHORT_RANGE.strides, SHORT_RANGE.anchors_per_layer)
    assert short.shape == (896, 2)  # 16x16 cells x 2 + 8x8 cells x 6
    np.testing.assert_allclose(short[0], short[1])  # two anchors per stride-8 cell
    np.testing.assert_allclose(short[:2], [[0.5 / 16, 0.5 / 16]] * 2)
    np.testing.assert_allclose(short[2], [1.5 / 16, 0.5 / 16])  # x varies fastest
    np.testing.assert_allclose(short[512:518], [[0.5 / 8, 0.5 / 8]] * 6)  # the stride-16 group: 3 layers x 2
    full = anchor_centers(192, FULL_RANGE.strides, FULL_RANGE.anchors_per_layer)
    assert full.shape == (2304, 2)
    np.testing.assert_allclose(full[-1], [47.5 / 48, 47.5 / 48])


def test_decoding_by_hand():
    anchors = np.array([[0.25, 0.5]])
    raw = np.zeros((1, 16))
    raw[0, :4] = [19.2, -9.6, 38.4, 19.2]  # px at a 192 input: centre +0.1, -0.05; size 0.2 x 0.1
    raw[0, 4:6] = [-19.2, 0.0]  # first keypoint 0.1 left of the anchor
    boxes, points, scores = decode_boxes(raw, np.array([0.0]), anchors, input_size=192)
    np.testing.assert_allclose(boxes[0], [0.25, 0.4, 0.45, 0.5])
    np.testing.assert_allclose(points[0, 0], [0.15, 0.5])
    np.testing.assert_allclose(points[0, 1:], [[0.25, 0.5]] * 5)
    np.testing.assert_allclose(scores, [0.5])
    _, _, extreme = decode_boxes(raw, np.array([1e6]), anchors, input_size=192)
    assert extreme[0] == pytest.approx(1.0)  # clipped logit: no overflow


def test_weighted_nms_blends_overlaps_and_keeps_the_rest():
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]], float)
    points = np.array([[[0, 0]], [[4, 4]], [[55, 55]]], float)
    scores = np.array([0.9, 0.3, 0.6])
    out_boxes, out_points, out_scores = weighted_nms(boxes, points, scores, iou_threshold=0.3)
    np.testing.assert_allclose(out_scores, [0.9, 0.6])
    np.testing.assert_allclose(out_boxes[0], [0.25, 0.25, 10.25, 10.25])  # (0.9 * b0 + 0.3 * b1) / 1.2
    np.testing.assert_allclose(out_points[0, 0], [1.0, 1.0])
    np.testing.assert_allclose(out_boxes[1], boxes[2])
    empty = weighted_nms(np.empty((0, 4)), np.empty((0, 6, 2)), np.empty(0))
    assert [a.shape for a in empty] == [(0, 4), (0, 6, 2), (0,)]
    with pytest.raises(ValueError):
        weighted_nms(boxes, points[:2], scores)


@pytest.mark.parametrize("width, height, min_face", [(1920, 1080, 80), (1986, 1545, 80), (640, 360, 30)])
def test_tile_windows_hold_every_small_face_whole_and_large_enough(width, height, min_face):
    windows = tile_windows(width, height, min_face=min_face, input_size=192)
    assert windows[0] == (0, 0, max(width, height))
    rng = np.random.default_rng(0)
    for _ in range(200):
        size = rng.uniform(min_face, 2 * min_face)
        x, y = rng.uniform(0, width - size), rng.uniform(0, height - size)
        holding = [w for w in windows if w[0] <= x and w[1] <= y and x + size <= w[0] + w[2] and y + size <= w[1] + w[2]]
        assert any(size * 192 / w[2] >= MIN_INPUT_FACE for w in holding), (x, y, size)
    assert tile_windows(512, 512, min_face=80, input_size=192) == [(0, 0, 512)]  # small frames: one pass


def test_finds_both_faces_of_two_people_with_level_eyes(full, faces_dir):
    assert isinstance(full, FaceDetector)
    found = full(rgb(faces_dir / "ageitgey__face_recognition" / "examples" / "two_people.jpg"))
    assert len(found) == 2 and all(0.5 < d.score <= 1.0 for d in found)
    assert all(abs(d.roll) < np.radians(15) for d in found)
    assert np.all(boxes_array(found)[:, 2:] > boxes_array(found)[:, :2])


def test_finds_faces_tilted_past_what_hog_finds_with_their_roll(full, clips):
    still = rgb(clips / "d19.jpg")
    tilted = rotate(still, 60)  # counter-clockwise on screen: the eye line turns to -60 degrees
    assert HogDetector()(tilted) == []  # the hard case
    found = full(tilted)
    assert len(found) == 1
    assert -75 < np.degrees(found[0].roll) < -20  # the keypoints' eye line: right way, rough (the mesh refines it)


def test_small_faces_of_the_stage_clip(faces_dir):
    from facegraft.core.media.video import read_video

    clip = faces_dir / "ageitgey__face_recognition" / "examples" / "short_hamilton_clip.mp4"
    _, pixels = next(iter(read_video(clip, frames=[1])))
    frame = np.ascontiguousarray((np.clip(pixels, 0, 1) * 255 + 0.5).astype(np.uint8))
    assert HogDetector()(frame) == []  # singer and pianist, ~40-60 px: too small for HOG
    found = BlazeFaceDetector(FULL_RANGE, min_face=40)(frame)
    assert len(found) == 2 and all(d.width < 80 for d in found)


def test_nothing_in_blank_or_noise_images(full):
    assert full(np.zeros((240, 320, 3), np.uint8)) == []
    noise = np.random.default_rng(1).integers(0, 256, (480, 640, 3), dtype=np.uint8)
    assert full(noise) == []
    with pytest.raises(ValueError):
        full(np.zeros((10, 10, 3), np.float32))


def test_loading_a_model_writes_nothing_on_stderr():
    """LiteRT's C++ "Created TensorFlow Lite XNNPACK delegate" line must not reach a command's stderr
    (it would stand before the one error line); a fresh process, since LiteRT says it once per process."""
    import subprocess
    import sys

    code = ("from facegraft.core.detect.blazeface import BlazeFaceDetector, FULL_RANGE; "
            "import numpy as np; BlazeFaceDetector(FULL_RANGE)(np.zeros((256, 256, 3), np.uint8))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
