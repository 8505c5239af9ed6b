"""Small faces: every post op either works or steps aside with one warning per face, never a crash mid-plate."""
import logging

import numpy as np
import pytest

from facegraft.core.align.geometry import FaceCrop
from facegraft.core.alignments.format import Alignments, AlignmentsHeader, FaceAlignment
from facegraft.core.convert.composite import MIN_COLOR_PIXELS, skipped_ops
from facegraft.core.convert.run import convert_plate
from facegraft.core.convert.settings import ConvertSettings
from facegraft.core.media.image_io import read_image
from facegraft.core.media.source import open_source
from facegraft.core.post.grain import MIN_GRAIN_PIXELS, estimate_grain, grain_pixels

from convert_helpers import FakeSwapper, mean_face_landmarks

ALL_POST = dict(color_match="rct", grain="match", blend="poisson", sharpen=0.5, feather=2.0, erode=1)


def alignments_with_faces(frames, scales):
    """One face per scale (landmark spread in plate pixels), side by side on a 480x480 plate."""
    header = AlignmentsHeader(source="plate", width=480, height=480, detector="test", landmarks="test",
                              identity="test", face_type="full", size=256)
    by_frame = {}
    for f in frames:
        faces = []
        for k, scale in enumerate(scales):
            pts = mean_face_landmarks(center=(60.0 + 90 * k, 215.0), scale=scale)
            crop = FaceCrop.from_landmarks(pts, size=256, face_type="full")
            faces.append(FaceAlignment(k, np.array([*pts.min(0), *pts.max(0)]), 1.0, True, pts, pts,
                                       crop.frame_to_crop, np.zeros(128)))
        by_frame[f] = tuple(faces)
    return Alignments(header, by_frame)


@pytest.mark.parametrize("smoothing", (0, 1))
def test_small_faces_with_every_post_op(exr_plate, tmp_path, color, caplog, smoothing):
    """Faces 0-3: nothing inside the matte (only its soft edge), 4 px inside (too few for color
    statistics and grain), ~40 px (too few for grain), ~650 px (every op runs)."""
    frames = [1001, 1002]
    settings = ConvertSettings(**ALL_POST, color_smoothing=smoothing, matte_smoothing=smoothing, outputs="all")
    with caplog.at_level(logging.WARNING, logger="facegraft.core.convert.composite"):
        report = convert_plate(open_source(exr_plate), alignments_with_faces(frames + [1003], (1.5, 3.0, 5.0, 16.0)),
                               FakeSwapper(), str(tmp_path / "o.####.exr"), frames, settings, color=color)
    assert report.written == tuple(frames) and report.faces == 4 * len(frames)
    warnings = [r.getMessage() for r in caplog.records]
    expected = {"face 1: grain skipped", "face 2: grain skipped"}
    if not smoothing:  # smoothed statistics are measured in the 64 px crop: color matching works
        expected.add("face 1: color match skipped")
    assert sorted(w.split(", ")[0].split(": ", 1)[1] for w in warnings) == sorted(list(expected) * len(frames))
    assert all(w.startswith(str(exr_plate.parent / "plate.")) for w in warnings)  # names the frame's file
    for frame in frames:
        plate = read_image(str(exr_plate).replace("####", str(frame)))
        out = read_image(tmp_path / f"o.{frame}.exr")
        matte = out.pixels[..., out.channels.index("matte.A")]
        outside = matte == 0
        assert np.array_equal(out.pixels[..., :3][outside], plate.pixels[outside])
        assert np.all(np.isfinite(out.pixels))
        for k in range(4):  # every face was placed
            assert (matte[195:245, 40 + 90 * k:80 + 90 * k] > 0).any(), k
        assert (matte > 0.5).sum() > 600


def test_skipped_ops_name_each_reason():
    settings = ConvertSettings(**ALL_POST)
    speck = np.zeros((12, 12), np.float32)
    speck[5:8, 5:8] = 1.0  # 9 px inside: too few for color statistics and grain
    assert set(skipped_ops(speck, settings, has_stats=False)) == {"color match", "grain"}
    assert set(skipped_ops(speck, settings, has_stats=True)) == {"grain"}  # smoothed stats come from the crop
    full = np.ones((12, 12), np.float32)  # nothing of the plate around the face
    assert "poisson blend" in skipped_ops(full, settings, has_stats=False)
    large = np.zeros((40, 40), np.float32)
    large[5:35, 5:35] = 1.0
    assert skipped_ops(large, settings, has_stats=False) == {}
    assert skipped_ops(np.zeros((12, 12), np.float32), settings, has_stats=False) == {}
    assert MIN_COLOR_PIXELS <= 30 * 30


def test_grain_pixels_is_what_estimate_grain_needs():
    rng = np.random.default_rng(0)
    plate = rng.normal(0.3, 0.02, (40, 40, 3)).astype(np.float32)
    matte = np.zeros((40, 40), np.float32)
    matte[10:21, 10:21] = 1.0  # 11x11, eroded twice: 7x7 = 49 measured
    assert grain_pixels(matte) == 49 < MIN_GRAIN_PIXELS
    with pytest.raises(ValueError, match="grain_pixels"):
        estimate_grain(plate, matte)
    matte[10:22, 10:22] = 1.0  # 12x12 -> 8x8 = 64
    assert grain_pixels(matte) == MIN_GRAIN_PIXELS
    assert estimate_grain(plate, matte).pixels == MIN_GRAIN_PIXELS
