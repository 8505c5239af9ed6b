import dataclasses
from fractions import Fraction

import numpy as np
import pytest

from facegraft.core.color import SCENE_LINEAR, SRGB_ENCODED, ColorManager
from facegraft.core.errors import ColorConfigError, FrameMismatchError, MediaError, SequencePatternError
from facegraft.core.media.image_io import Attribute, new_image, write_image
from facegraft.core.media.pipeline import BackgroundWriter, prefetch_iter, prefetch_map
from facegraft.core.media.source import open_source
from facegraft.core.media.video import probe_video, read_video


def write_sequence(folder, frames, *, pixel_type="half", suffix="exr"):
    for f in frames:
        pixels = np.full((6, 8, 3), f / 1000.0, np.float32)
        write_image(folder / f"plate.{f:04d}.{suffix}", new_image(pixels, ("R", "G", "B"), pixel_type=pixel_type))


def test_real_clip_streams_with_frame_numbers_and_rate(clips):
    info = probe_video(clips / "d18.mp4")
    assert (info.width, info.height, info.frame_count, info.fps) == (480, 480, 216, Fraction(30))
    got = list(read_video(clips / "d18.mp4", [2, 5]))
    assert [n for n, _ in got] == [2, 5]
    assert got[0][1].shape == (480, 480, 3) and got[0][1].dtype == np.float32
    assert 0.0 <= got[0][1].min() and got[0][1].max() <= 1.0
    assert not np.array_equal(got[0][1], got[1][1])


def test_video_source_matches_direct_decode_and_reports_range(clips):
    source = open_source(clips / "d19.mp4")
    assert source.colorspace == SRGB_ENCODED and source.frames[:2] == [1, 2] and source.info.fps == 30
    frames = list(source.iter_frames([3, 4, 5]))
    direct = dict(read_video(clips / "d19.mp4", [3, 4, 5]))
    assert [f.number for f in frames] == [3, 4, 5]
    assert all(np.array_equal(f.pixels, direct[f.number]) for f in frames)
    with pytest.raises(SequencePatternError, match="frames 999 are not in the source"):
        list(source.iter_frames([999]))


def test_corrupt_video(tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00" * 2000)
    with pytest.raises(MediaError, match="bad.mp4: not a readable video"):
        open_source(bad)


def test_sequence_source_discovers_frames_gaps_and_default_colorspace(tmp_path):
    write_sequence(tmp_path, [1001, 1002, 1004])
    source = open_source(tmp_path / "plate.@@@@.exr")
    assert source.frames == [1001, 1002, 1004] and source.info.gaps == (1003,)
    assert source.colorspace == SCENE_LINEAR and (source.width, source.height) == (8, 6)
    with pytest.raises(SequencePatternError, match="frames 1003 are missing"):
        source.require_complete()
    frames = list(source.iter_frames())
    assert [f.number for f in frames] == [1001, 1002, 1004]
    assert frames[2].pixels[0, 0, 0] == np.float32(np.float16(1.004))


def test_integer_sequence_defaults_to_srgb_and_flag_overrides(tmp_path):
    write_sequence(tmp_path, [1], pixel_type="uint16", suffix="png")
    color = ColorManager()
    png = open_source(tmp_path / "plate.####.png", color=color)
    assert png.colorspace == SRGB_ENCODED  # OIIO reads PNG as srgb_rec709_scene; the config names it
    assert color.resolve(open_source(tmp_path / "plate.####.png").colorspace) == SRGB_ENCODED
    flagged = open_source(tmp_path / "plate.####.png", colorspace="ACEScct")
    assert (flagged.colorspace, flagged.info.colorspace_rule) == ("ACEScct", "option")


def write_tagged(path, **attributes):
    """A half EXR whose header holds `attributes` (chromaticities: 8 floats, others strings)."""
    tags = tuple(Attribute(k, "float[8]" if k == "chromaticities" else "string", v) for k, v in attributes.items())
    image = new_image(np.full((4, 4, 3), 0.25, np.float32), ("R", "G", "B"), pixel_type="half")
    write_image(path, dataclasses.replace(image, attributes=image.attributes + tags))
    return path


@pytest.mark.parametrize("attributes, expected, rule", [
    ({"oiio:ColorSpace": "ACES2065-1"}, "ACES2065-1", "oiio:ColorSpace"),
    ({"oiio:ColorSpace": "Linear Rec.709 (sRGB)"}, "Linear Rec.709 (sRGB)", "oiio:ColorSpace"),
    ({"chromaticities": (0.7347, 0.2653, 0.0, 1.0, 0.0001, -0.077, 0.32168, 0.33767)}, "ACES2065-1",
     "chromaticities"),
    ({"chromaticities": (0.64, 0.33, 0.3, 0.6, 0.15, 0.06, 0.3127, 0.329)}, "Linear Rec.709 (sRGB)",
     "chromaticities"),
    ({"chromaticities": (0.6, 0.3, 0.3, 0.6, 0.15, 0.06, 0.3, 0.3)}, "ACEScg", "default"),  # no standard space
    ({"facegraft/colorspace": "ACEScct", "oiio:ColorSpace": "ACES2065-1"}, "ACEScct", "facegraft/colorspace"),
])
def test_a_files_own_color_space_is_read(tmp_path, attributes, expected, rule):
    path = write_tagged(tmp_path / "tagged.exr", **attributes)
    info = open_source(path, color=ColorManager()).info
    assert (info.colorspace, info.colorspace_rule) == (expected, rule)
    assert open_source(path, colorspace="ACEScg", color=ColorManager()).info.colorspace_rule == "option"


def test_ocio_file_rules_and_unknown_names(tmp_path):
    import PyOpenColorIO as ocio

    config = ocio.Config.CreateFromStream(ColorManager().config.serialize())
    rules = config.getFileRules()
    rules.insertRule(0, "log plates", "ACEScct", "*plate_log*", "exr")
    config.setFileRules(rules)
    (tmp_path / "rules.ocio").write_text(config.serialize())
    color = ColorManager(tmp_path / "rules.ocio")
    ruled = open_source(write_tagged(tmp_path / "plate_log.exr"), color=color).info
    assert (ruled.colorspace, ruled.colorspace_rule) == ("ACEScct", "OCIO file rules")
    plain = open_source(write_tagged(tmp_path / "plate.exr"), color=color).info  # only the catch-all matches
    assert (plain.colorspace, plain.colorspace_rule) == ("ACEScg", "default")
    stated = write_tagged(tmp_path / "odd.exr", colorInteropID="ACEScgg")  # OIIO reads it as oiio:ColorSpace
    with pytest.raises(ColorConfigError, match=r"odd.exr: color space 'ACEScgg' \(from oiio:ColorSpace\).*ACEScg"):
        open_source(stated, color=color)
    with pytest.raises(ColorConfigError, match="did you mean.*ACEScc"):
        color.resolve("ACEScc_typo")


def test_empty_pattern(tmp_path):
    with pytest.raises(SequencePatternError, match="no frames found"):
        open_source(tmp_path / "none.####.exr")


def test_prefetch_keeps_order_and_raises_in_order():
    assert list(prefetch_map(lambda k: k * 2, range(20), workers=3, ahead=2)) == [k * 2 for k in range(20)]
    assert list(prefetch_iter(iter(range(50)), ahead=3)) == list(range(50))

    def fail_on_3(k):
        if k == 3:
            raise MediaError("frame 3 bad")
        return k

    out = []
    with pytest.raises(MediaError, match="frame 3"):
        for item in prefetch_map(fail_on_3, range(6), workers=2):
            out.append(item)
    assert out == [0, 1, 2]


def test_background_writer_runs_every_job_and_reraises():
    done = []
    with BackgroundWriter(workers=2, depth=2) as writer:
        for i in range(10):
            writer.submit(done.append, i)
    assert sorted(done) == list(range(10))
    writer = BackgroundWriter(workers=1)
    writer.submit(lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        writer.close()


def test_a_frame_of_another_size_or_channel_set_is_named(tmp_path):
    for frame, (h, w, names) in {1: (8, 6, "RGBA"), 2: (8, 6, "RGBA"), 3: (8, 7, "RGBA"), 4: (8, 6, "RGB")}.items():
        write_image(tmp_path / f"p.{frame}.exr", new_image(np.zeros((h, w, len(names)), np.float32), tuple(names)))
    source = open_source(tmp_path / "p.#.exr")
    assert [f.number for f in source.iter_frames([1, 2])] == [1, 2]
    with pytest.raises(FrameMismatchError, match=r"p.3.exr \(frame 3\): is 7x8, the sequence is 6x8"):
        list(source.iter_frames())
    with pytest.raises(FrameMismatchError, match=r"p.4.exr \(frame 4\): has channels R, G, B, the sequence has"):
        source.read(4)
    assert source.read(4, channels=("R", "G", "B")).pixels.shape == (8, 6, 3)
