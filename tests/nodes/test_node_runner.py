"""nodes/runner.py on real EXR sequences: channels, header, untouched pixels, resume, bad input."""
import os
from pathlib import Path

import numpy as np
import pytest

from facegraft.core.errors import OutputError, SequencePatternError
from facegraft.core.media.image_io import new_image, read_image, write_image
from facegraft.nodes.binding import Binding
from facegraft.nodes.registry import builtin_registry
from facegraft.nodes.runner import NODE_ATTRIBUTE, run_node
from facegraft.nodes.schema import ParameterError
from node_frames import H, W, synthetic_matte

REG = builtin_registry()
FRAMES = (1001, 1002, 1003)
CHANNELS = ("R", "G", "B", "A", "matte.A")


def make_plate(folder: Path) -> str:
    """plate.####.exr: half RGBA + a matte layer + a custom header attribute."""
    rng = np.random.default_rng(7)
    for n in FRAMES:
        pixels = np.concatenate([(0.2 + 0.2 * rng.random((H, W, 3))).astype(np.float32),
                                 np.ones((H, W, 1), np.float32), synthetic_matte()[..., None]], axis=2)
        pixels[0, 0, 0] = -0.0
        write_image(folder / f"plate.{n}.exr", new_image(pixels, CHANNELS, attributes={"shot": "sh010"}))
    return str(folder / "plate.####.exr")


def test_sharpen_keeps_channels_header_and_untouched_pixels(tmp_path: Path) -> None:
    plate = make_plate(tmp_path)
    entry = REG.get("Sharpen")
    params = entry.spec.parse_settings(["amount=1.5"])
    report = run_node(entry, [Binding("image", plate), Binding("matte", plate, "matte")], str(tmp_path / "out" / "s.####.exr"),
                      params, frames=[1001, 1002], workers=1)
    assert report.written == (1001, 1002)
    for n in (1001, 1002):
        src = read_image(tmp_path / f"plate.{n}.exr")
        out = read_image(tmp_path / "out" / f"s.{n}.exr")
        assert out.channels == src.channels and out.pixel_types == src.pixel_types
        assert out.metadata["shot"] == "sh010" and "Sharpen" in out.metadata[NODE_ATTRIBUTE]
        matte = src.pixels[..., 4]
        outside = matte == 0
        assert np.array_equal(out.pixels[outside].view(np.uint32), src.pixels[outside].view(np.uint32))
        assert np.array_equal(out.pixels[..., 3:], src.pixels[..., 3:])  # alpha and matte layer untouched
        expected = entry.load()(src.pixels[..., :3], matte, amount=1.5, radius=1.0).astype(np.float16)
        assert np.array_equal(out.pixels[..., :3], expected.astype(np.float32))
    assert not (tmp_path / "out" / "s.1003.exr").exists()


def test_mask_feather_replaces_only_the_bound_channel_and_resumes(tmp_path: Path) -> None:
    plate = make_plate(tmp_path)
    entry = REG.get("MaskFeather")
    out = str(tmp_path / "m.####.exr")
    params = entry.spec.parse_settings(["grow=2", "feather=3"])
    first = run_node(entry, [Binding("matte", plate, "matte.A")], out, params, workers=0)
    assert first.written == FRAMES
    src, res = read_image(tmp_path / "plate.1002.exr"), read_image(tmp_path / "m.1002.exr")
    assert np.array_equal(res.pixels[..., :4], src.pixels[..., :4])
    assert (res.pixels[..., 4] > 0).sum() > (src.pixels[..., 4] > 0).sum()
    mtime = os.stat(tmp_path / "m.1002.exr").st_mtime_ns
    again = run_node(entry, [Binding("matte", plate, "matte.A")], out, params, workers=0)
    assert again.written == () and again.skipped == FRAMES
    changed = run_node(entry, [Binding("matte", plate, "matte.A")], out, entry.spec.parse_settings(["grow=1"]),
                       frames=[1002], workers=0)
    assert changed.written == (1002,) and os.stat(tmp_path / "m.1002.exr").st_mtime_ns != mtime
    forced = run_node(entry, [Binding("matte", plate, "matte.A")], out, params, frames=[1001], force=True)
    assert forced.written == (1001,)


def test_bad_runs(tmp_path: Path) -> None:
    plate = make_plate(tmp_path)
    entry = REG.get("Sharpen")
    params = entry.spec.defaults()
    good = [Binding("image", plate), Binding("matte", plate, "matte")]
    with pytest.raises(SequencePatternError, match="1004"):
        run_node(entry, good, str(tmp_path / "o.####.exr"), params, frames=[1003, 1004])
    with pytest.raises(OutputError, match="overwrite"):
        run_node(entry, good, plate, params)
    with pytest.raises(ParameterError, match="missing: matte"):
        run_node(entry, good[:1], str(tmp_path / "o.####.exr"), params)
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="not_a_folder"):
        run_node(entry, good, str(blocker / "o.####.exr"), params)


def test_other_inputs_are_not_mistaken_for_done_frames(tmp_path: Path) -> None:
    plate = make_plate(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    other_plate = make_plate(other)
    entry = REG.get("MaskFeather")
    out = str(tmp_path / "m.####.exr")
    params = entry.spec.defaults()
    assert run_node(entry, [Binding("matte", plate, "matte.A")], out, params).written == FRAMES
    assert run_node(entry, [Binding("matte", other_plate, "matte.A")], out, params).written == FRAMES
    with pytest.raises(ParameterError, match="unknown: mask"):
        run_node(entry, [Binding("matte", plate), Binding("mask", plate)], out, params)
