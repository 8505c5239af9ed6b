import numpy as np

from facegraft.core.align.geometry import FaceCrop
from facegraft.core.convert.composite import Placed, composite, resized_crop, roi_box, warp_to_plate

import cv2

from convert_helpers import mean_face_landmarks


def test_resized_crop_samples_the_same_content():
    crop = FaceCrop.from_landmarks(mean_face_landmarks(), size=256, face_type="full")
    small = resized_crop(crop, 64)
    points = np.array([[100.0, 120.0], [300.0, 260.0]])
    assert np.allclose(small.to_crop(points), crop.to_crop(points) / 4)
    assert small.size == 64 and small.face_type == "full"


def test_roi_box_covers_the_crop_and_clips_to_the_data_window():
    crop = FaceCrop.from_landmarks(mean_face_landmarks(center=(20.0, 200.0)), size=128, face_type="full")
    x0, y0, x1, y1 = roi_box(crop, (480, 480), (0, 0), margin=4)
    assert x0 == 0 and y0 > 0 and x1 < 480
    corners = crop.to_frame(np.array([[0, 0], [128, 128], [0, 128], [128, 0]], np.float64))
    assert y0 <= corners[:, 1].min() and corners[:, 1].max() <= y1 + 1
    assert roi_box(crop, (480, 480), (-1000, 0), margin=0) is None


def test_warp_back_puts_crop_content_where_the_frame_had_it():
    rng = np.random.default_rng(0)
    frame = cv2.GaussianBlur(rng.random((300, 300, 3)).astype(np.float32), (0, 0), 3)
    crop = FaceCrop.from_landmarks(mean_face_landmarks(center=(150.0, 140.0), scale=90.0), size=128, face_type="full")
    cut = crop.cut(frame)
    box = roi_box(crop, frame.shape[:2], (0, 0), margin=0)
    back = warp_to_plate(crop, cut, box, (0, 0), border=cv2.BORDER_REPLICATE)
    region = frame[box[1]:box[3], box[0]:box[2]]
    inner = (slice(30, -30), slice(30, -30))
    assert np.abs(back[inner] - region[inner]).mean() < 0.01


def test_warp_back_filters_a_dense_crop():
    """A 512 px crop of a 60 px face: a checkerboard of crop pixels must average out, not alias."""
    crop = FaceCrop.from_landmarks(mean_face_landmarks(center=(100.0, 100.0), scale=30.0), size=512, face_type="full")
    assert crop.scale > 4
    checker = ((np.indices((512, 512)).sum(0) % 2).astype(np.float32))[..., None]
    box = roi_box(crop, (200, 200), (0, 0), margin=0)
    back = warp_to_plate(crop, checker, box, (0, 0), border=cv2.BORDER_CONSTANT)[..., 0]
    h, w = back.shape
    inside = back[h // 2 - 10:h // 2 + 10, w // 2 - 10:w // 2 + 10]
    assert np.abs(inside - 0.5).max() < 0.1


def test_composite_touches_only_the_matte_and_writes_premultiplied_layers():
    plate = np.random.default_rng(1).standard_normal((40, 50, 4)).astype(np.float32) * 3
    matte = np.zeros((10, 12), np.float32)
    matte[2:8, 3:9] = 0.5
    face = np.full((10, 12, 3), 2.5, np.float32)
    out = plate.copy()
    layers = np.zeros((14, 15, 5), np.float32)  # covers out[4:18, 3:18]
    composite(out, (0, 1, 2), [Placed((5, 6, 17, 16), face, matte)], layers=layers, layers_origin=(3, 4))
    window = (slice(6, 16), slice(5, 17))
    touched = np.zeros((40, 50), bool)
    touched[window] = matte > 0
    assert np.array_equal(out[~touched], plate[~touched])
    assert np.allclose(out[window][..., :3][matte > 0], 0.5 * plate[window][..., :3][matte > 0] + 1.25)
    in_layers = (slice(2, 12), slice(2, 14))
    assert np.allclose(layers[in_layers][..., :3], face * matte[..., None])
    assert np.array_equal(layers[in_layers][..., 3], matte) and np.array_equal(layers[in_layers][..., 4], matte)
    outside = np.ones(layers.shape[:2], bool)
    outside[in_layers] = matte == 0
    assert not layers[outside].any()


def test_composite_equals_the_matte_over_formula_to_the_bit():
    """Two overlapping faces, channels in BGRA order: the compiled pass gives the numpy formulas' floats."""
    rng = np.random.default_rng(2)
    plate = rng.standard_normal((30, 40, 4)).astype(np.float32) * 4
    placed = [Placed((3, 2, 23, 20), rng.standard_normal((18, 20, 3)).astype(np.float32) * 2,
                     np.clip(rng.random((18, 20)) * 1.6 - 0.3, 0, 1).astype(np.float32)),
              Placed((10, 8, 35, 28), rng.standard_normal((20, 25, 3)).astype(np.float32),
                     np.clip(rng.random((20, 25)) * 1.6 - 0.3, 0, 1).astype(np.float32))]
    rgb = (2, 1, 0)
    expected, expected_layers = plate.copy(), np.zeros((26, 32, 5), np.float32)  # layers cover [2:28, 3:35]
    for p in placed:
        x0, y0, x1, y1 = p.box
        window = expected[y0:y1, x0:x1]
        m = p.matte[..., None]
        region = window[..., list(rgb)]
        mixed = region + (p.face - region) * m
        for k, channel in enumerate(rgb):
            window[..., channel][p.matte > 0] = mixed[..., k][p.matte > 0]
        lay = expected_layers[y0 - 2:y1 - 2, x0 - 3:x1 - 3]
        lay[..., :3] = p.face * m + lay[..., :3] * (1 - m)
        lay[..., 3] = p.matte + lay[..., 3] * (1 - p.matte)
        lay[..., 4] = lay[..., 3]
    out, layers = plate.copy(), np.zeros((26, 32, 5), np.float32)
    composite(out, rgb, placed, layers=layers, layers_origin=(3, 2))
    assert np.array_equal(out, expected) and np.array_equal(layers, expected_layers)
