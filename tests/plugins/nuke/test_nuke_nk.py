"""plugins/nuke/nk.py: the coordinate flip and the animated Transform / CornerPin2D text."""
import math
import re

import numpy as np
import pytest

from facegraft.core.align.geometry import FaceCrop
from facegraft.core.align.mean_face import MEAN_FACE_68
from facegraft.plugins.nuke.nk import (apply, cornerpin_nk, flip_y, matrices_from_export, similarity_knobs,
                                       transform_nk)

FRAME_W, FRAME_H, SIZE = 1920, 1080, 256


def crops() -> dict[int, FaceCrop]:
    """Face crops of a face that moves and turns over three frames (real FaceCrop fits)."""
    out = {}
    for i, frame in enumerate((1001, 1002, 1003)):
        angle = math.radians(-20 + 20 * i)
        rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
        landmarks = (np.asarray(MEAN_FACE_68) - 0.5) @ rot.T * 300 + [800 + 40 * i, 500 - 10 * i]
        out[frame] = FaceCrop.from_landmarks(landmarks, size=SIZE, face_type="full")
    return out


def to_nuke(x: float, y: float, height: float) -> tuple[float, float]:
    return x, height - y


def test_flip_maps_nuke_points_like_the_top_left_matrix() -> None:
    crop = crops()[1002]
    nuke_matrix = flip_y(crop.frame_to_crop.tolist(), src_height=FRAME_H, dst_height=SIZE)
    for p in ([0.0, 0.0], [960.5, 540.25], [1920.0, 1080.0], [13.0, 1000.0]):
        q = crop.to_crop(np.array(p))
        assert apply(nuke_matrix, *to_nuke(*p, FRAME_H)) == pytest.approx(to_nuke(*q, SIZE), abs=1e-9)
    back = flip_y(nuke_matrix, src_height=FRAME_H, dst_height=SIZE)
    assert np.allclose(back, crop.frame_to_crop, atol=1e-12)


def curves(text: str, knob: str) -> list[dict[int, float]]:
    body = re.search(rf"^ {knob} (.*)$", text, re.M).group(1)
    return [{int(f): float(v) for f, v in re.findall(r"x(-?\d+) (\S+)", c)}
            for c in re.findall(r"\{curve ([^}]*)\}", body + " ")]


def test_transform_nk_reproduces_every_frame() -> None:
    mats = {n: c.frame_to_crop.tolist() for n, c in crops().items()}
    text = transform_nk(mats, frame_height=FRAME_H, crop_size=SIZE, name="Face0")
    assert text.startswith("Transform {") and " name Face0" in text and text.rstrip().endswith("}")
    (tx, ty), (rot,), (scale,) = curves(text + " ", "translate"), curves(text, "rotate"), curves(text, "scale")
    for n, crop in crops().items():
        r = math.radians(rot[n])
        # Nuke Transform about center (0, 0): p' = T + R(rotate) S(scale) p, y up
        p = np.array([700.0, 300.0])
        nuke_p = np.array(to_nuke(*p, FRAME_H))
        rs = scale[n] * np.array([[math.cos(r), -math.sin(r)], [math.sin(r), math.cos(r)]])
        got = rs @ nuke_p + [tx[n], ty[n]]
        assert got == pytest.approx(to_nuke(*crop.to_crop(p), SIZE), abs=1e-4)
    assert "invert_matrix true" in transform_nk(mats, frame_height=FRAME_H, crop_size=SIZE, invert=True)


def test_rotation_is_unwrapped_across_180_degrees() -> None:
    def rot(deg: float) -> list[list[float]]:
        r = math.radians(deg)
        return [[math.cos(r), math.sin(r), 0.0], [-math.sin(r), math.cos(r), 0.0]]  # y-down, flips to +deg
    text = transform_nk({1: rot(170), 2: rot(-170)}, frame_height=100, crop_size=100)
    (values,) = curves(text, "rotate")
    assert abs(values[2] - values[1]) == pytest.approx(20.0)


def test_cornerpin_is_exact_for_any_affine() -> None:
    shear = [[1.2, 0.3, -50.0], [0.1, 0.9, 20.0]]
    text = cornerpin_nk({7: shear}, frame_width=FRAME_W, frame_height=FRAME_H, crop_size=SIZE)
    (x3, y3) = curves(text, "to3")
    expected = apply(flip_y(shear, src_height=FRAME_H, dst_height=SIZE), FRAME_W, FRAME_H)
    assert (x3[7], y3[7]) == pytest.approx(expected, rel=1e-9)
    assert " from3 {1920 1080}" in text
    with pytest.raises(ValueError, match="CornerPin2D"):
        similarity_knobs(flip_y(shear, src_height=FRAME_H, dst_height=SIZE))


def test_matrices_from_export() -> None:
    export = {"schema": "FaceAlignmentsExport", "frames": {"5": [{"face_id": 0, "frame_to_crop": [[1, 0, 0], [0, 1, 0]]},
                                                                 {"face_id": 1, "frame_to_crop": [[2, 0, 0], [0, 2, 0]]}],
                                                           "6": []}}
    assert matrices_from_export(export, face_id=1) == {5: [[2, 0, 0], [0, 2, 0]]}
    with pytest.raises(ValueError):
        matrices_from_export({"schema": "x"})
    with pytest.raises(ValueError):
        transform_nk({}, frame_height=1, crop_size=1)
