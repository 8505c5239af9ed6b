import json

import numpy as np
import OpenImageIO as oiio
import pytest

from facegraft.core.convert.run import convert_plate
from facegraft.core.convert.settings import ConvertSettings
from facegraft.core.errors import AlignmentsError, ModelMismatchError, OutputError
from facegraft.core.media.image_io import read_image
from facegraft.core.media.source import open_source

from convert_helpers import FakeSwapper, synthetic_alignments

FRAMES = [1001, 1002, 1003]


def run(plate, out, color, *, swapper=None, alignments=None, frames=FRAMES, **options):
    settings = ConvertSettings(**{"color_match": "off", "feather": 4.0, **options})
    return convert_plate(open_source(plate), alignments or synthetic_alignments(range(1001, 1007)),
                         swapper or FakeSwapper(), str(out), frames, settings, color=color)


def test_outside_the_matte_is_bit_identical_and_layers_are_written(exr_plate, tmp_path, color):
    report = run(exr_plate, tmp_path / "out.####.exr", color)
    assert report.written == tuple(FRAMES) and report.faces == 3
    for frame in FRAMES:
        plate = read_image(str(exr_plate).replace("####", str(frame)))
        out = read_image(tmp_path / f"out.{frame}.exr")
        assert out.channels == plate.channels + ("face.R", "face.G", "face.B", "face.A", "matte.A")
        assert out.pixel_types[:3] == ("half",) * 3
        matte = out.pixels[..., out.channels.index("matte.A")]
        outside = matte == 0
        assert 0.05 < (~outside).mean() < 0.6
        assert np.array_equal(out.pixels[..., :3][outside], plate.pixels[outside])
        assert not np.allclose(out.pixels[..., :3][matte > 0.99], plate.pixels[matte > 0.99], atol=1e-2)
        face = out.pixels[..., out.channels.index("face.R")]
        assert np.allclose(out.pixels[..., out.channels.index("face.A")], matte, atol=1e-3)
        assert np.all(face[outside] == 0)  # premultiplied
        meta = out.metadata
        assert meta["facegraft/synthetic"] == 1 and meta["facegraft/model"] == "fake"
        assert meta["facegraft/colorspace"] == "ACEScg"
        assert json.loads(meta["facegraft/frame_to_crop"])[0]["size"] == 64
        assert {k: v for k, v in plate.metadata.items() if k != "DateTime"}.items() <= meta.items()
        full, layer = part_windows(tmp_path / f"out.{frame}.exr")
        assert full == (0, 0, plate.pixels.shape[1], plate.pixels.shape[0])  # the composite: whole frame
        ys, xs = np.nonzero(matte)  # the layers: a part around the face, holding every matte pixel
        assert layer[0] <= xs.min() and layer[1] <= ys.min()
        assert xs.max() < layer[0] + layer[2] and ys.max() < layer[1] + layer[3]
        assert layer[2] * layer[3] < 0.7 * full[2] * full[3]


def part_windows(path):
    """(x, y, width, height) of each part of a multi-part EXR."""
    inp = oiio.ImageInput.open(str(path))
    windows = []
    while inp.seek_subimage(len(windows), 0):
        spec = inp.spec()
        windows.append((spec.x, spec.y, spec.width, spec.height))
    inp.close()
    return windows


def test_identity_network_gives_back_the_plate_inside_the_face(exr_plate, tmp_path, color):
    run(exr_plate, tmp_path / "id.####.exr", color, swapper=FakeSwapper(resolution=256, identity=True),
        frames=[1001], outputs="composite", feather=0.0)
    plate = read_image(str(exr_plate).replace("####", "1001")).pixels
    out = read_image(tmp_path / "id.1001.exr").pixels
    core = np.abs(out - plate).max(axis=2)[150:280, 180:300]
    assert np.median(core) < 0.01  # resampled twice through an sRGB-encoded crop, nothing moves


def test_frames_without_faces_pass_through_and_resume_skips(exr_plate, tmp_path, color):
    alignments = synthetic_alignments([1001, 1002])
    empty = alignments.with_frames({**alignments.by_frame, 1002: ()})
    run(exr_plate, tmp_path / "o.####.exr", color, alignments=empty, frames=[1001, 1002], outputs="composite")
    plate = read_image(str(exr_plate).replace("####", "1002"))
    out = read_image(tmp_path / "o.1002.exr")
    assert np.array_equal(out.pixels, plate.pixels) and out.metadata["facegraft/synthetic"] == 0
    before = (tmp_path / "o.1001.exr").stat().st_mtime_ns
    report = run(exr_plate, tmp_path / "o.####.exr", color, alignments=empty, frames=[1001, 1002], outputs="composite")
    assert report.written == () and report.skipped == (1001, 1002)
    assert (tmp_path / "o.1001.exr").stat().st_mtime_ns == before
    with pytest.raises(OutputError, match="other convert options"):
        run(exr_plate, tmp_path / "o.####.exr", color, alignments=empty, frames=[1001], outputs="composite",
            erode=3)
    assert run(exr_plate, tmp_path / "o.####.exr", color, alignments=empty, frames=[1001], outputs="composite",
               erode=3, force=True).written == (1001,)


def test_flat_output_holds_the_same_channels_in_one_full_frame_part(exr_plate, tmp_path, color):
    run(exr_plate, tmp_path / "all.####.exr", color, frames=[1001])
    run(exr_plate, tmp_path / "flat.####.exr", color, frames=[1001], outputs="flat")
    parts, flat = read_image(tmp_path / "all.1001.exr"), read_image(tmp_path / "flat.1001.exr")
    assert len(part_windows(tmp_path / "all.1001.exr")) == 2
    assert part_windows(tmp_path / "flat.1001.exr") == [part_windows(tmp_path / "all.1001.exr")[0]]
    assert flat.channels == parts.channels and flat.pixel_types == parts.pixel_types
    np.testing.assert_array_equal(flat.pixels, parts.pixels)


def test_layers_only_output(exr_plate, tmp_path, color):
    run(exr_plate, tmp_path / "l.####.exr", color, frames=[1001], outputs="layers")
    layers = read_image(tmp_path / "l.1001.exr")
    assert layers.channels == ("face.R", "face.G", "face.B", "face.A", "matte.A")
    (window,) = part_windows(tmp_path / "l.1001.exr")
    assert window[2] < layers.display_window.width and window[3] < layers.display_window.height
    assert layers.display_pixels()[..., 4].any()


def test_nan_from_the_network_passes_the_frame_through(exr_plate, tmp_path, color):
    report = run(exr_plate, tmp_path / "n.####.exr", color, swapper=FakeSwapper(nan=True), frames=[1001],
                 outputs="composite")
    assert report.nonfinite == (1001,)
    assert np.array_equal(read_image(tmp_path / "n.1001.exr").pixels,
                          read_image(str(exr_plate).replace("####", "1001")).pixels)


def test_mismatched_inputs_are_refused(exr_plate, tmp_path, color):
    with pytest.raises(AlignmentsError, match="made on a 640x480 plate"):
        run(exr_plate, tmp_path / "x.####.exr", color, alignments=synthetic_alignments([1001], width=640))
    with pytest.raises(ModelMismatchError, match="trained on 'whole' faces"):
        run(exr_plate, tmp_path / "x.####.exr", color, swapper=FakeSwapper(face_type="whole"))
    with pytest.raises(AlignmentsError, match="frames 1005 were not extracted"):
        run(exr_plate, tmp_path / "x.####.exr", color, alignments=synthetic_alignments([1001]), frames=[1001, 1005])
    with pytest.raises(AlignmentsError, match="no face id 7"):
        run(exr_plate, tmp_path / "x.####.exr", color, face_ids=(7,))
    with pytest.raises(OutputError, match="overwrite the input"):
        run(exr_plate, exr_plate, color)
    assert not list(tmp_path.glob("x.*"))


def test_matte_smoothing_is_steadier_and_independent_of_chunking(exr_plate, tmp_path, color):
    swapper = FakeSwapper(content_mask=True)
    options = dict(swapper=swapper, mask="learned", outputs="layers", matte_smoothing=1)
    run(exr_plate, tmp_path / "whole.####.exr", color, frames=[1001, 1002, 1003, 1004], **options)
    run(exr_plate, tmp_path / "chunk.####.exr", color, frames=[1001, 1002], **options)
    run(exr_plate, tmp_path / "chunk.####.exr", color, frames=[1003, 1004], **options)
    for frame in (1001, 1002, 1003, 1004):
        assert np.array_equal(read_image(tmp_path / f"whole.{frame}.exr").display_pixels(),
                              read_image(tmp_path / f"chunk.{frame}.exr").display_pixels())
    run(exr_plate, tmp_path / "raw.####.exr", color, frames=[1001, 1002, 1003, 1004],
        **{**options, "matte_smoothing": 0})

    def matte_change(prefix):
        mattes = [read_image(tmp_path / f"{prefix}.{f}.exr").display_pixels()[..., 4] for f in (1001, 1002, 1003, 1004)]
        return np.mean([np.abs(a - b).mean() for a, b in zip(mattes, mattes[1:])])

    assert matte_change("whole") < matte_change("raw")


@pytest.mark.parametrize("options", [
    {"color_match": "rct"}, {"color_match": "lct"}, {"color_match": "mkl"}, {"color_match": "avg"},
    {"color_match": "histogram"}, {"color_match": "idt"}, {"color_match": "sot"},
    {"blend": "poisson"}, {"grain": "match", "sharpen": 0.5}, {"erode": 3, "feather_mode": "distance"},
    {"mask": "landmarks"}, {"mask": "union"}])
def test_post_options_keep_untouched_pixels_and_move_the_face_toward_the_plate(exr_plate, tmp_path, color, options):
    run(exr_plate, tmp_path / "p.####.exr", color, frames=[1001], outputs="all", **options)
    run(exr_plate, tmp_path / "raw.####.exr", color, frames=[1001], outputs="all")
    plate = read_image(str(exr_plate).replace("####", "1001")).pixels
    out = read_image(tmp_path / "p.1001.exr")
    raw = read_image(tmp_path / "raw.1001.exr").pixels
    matte = out.pixels[..., out.channels.index("matte.A")]
    assert np.array_equal(out.pixels[..., :3][matte == 0], plate[matte == 0])
    assert np.isfinite(out.pixels).all()
    if options.get("color_match"):
        inside = matte > 0.9
        moved = np.abs(out.pixels[..., :3][inside].mean(0) - plate[inside].mean(0)).sum()
        unmatched = np.abs(raw[..., :3][inside].mean(0) - plate[inside].mean(0)).sum()
        assert moved < 0.5 * unmatched


def test_color_smoothing_steadies_the_match_and_ignores_chunking(exr_plate, tmp_path, color):
    options = dict(color_match="rct", color_smoothing=2, outputs="composite")
    run(exr_plate, tmp_path / "a.####.exr", color, frames=[1001, 1002, 1003, 1004], **options)
    run(exr_plate, tmp_path / "b.####.exr", color, frames=[1001, 1002], **options)
    run(exr_plate, tmp_path / "b.####.exr", color, frames=[1003, 1004], **options)
    for frame in (1001, 1002, 1003, 1004):
        assert np.array_equal(read_image(tmp_path / f"a.{frame}.exr").pixels,
                              read_image(tmp_path / f"b.{frame}.exr").pixels)
    with pytest.raises(ValueError, match="linear methods"):
        ConvertSettings(color_match="sot", color_smoothing=1)
