from dataclasses import replace

import numpy as np
import pytest

from facegraft.core.errors import MediaError
from facegraft.core.media.image_io import Attribute, Window, new_image, read_image, write_image


def half_pixels(shape, seed=0):
    rng = np.random.default_rng(seed)
    pixels = rng.standard_normal(shape) * 4.0  # negative and above 1: unclipped
    return pixels.astype(np.float16).astype(np.float32)


@pytest.mark.parametrize("compression", ["zip", "piz", "dwaa", "none"])
def test_half_exr_round_trip_is_exact(tmp_path, compression):
    pixels = half_pixels((24, 40, 4))
    image = new_image(pixels, ("R", "G", "B", "A"), attributes={"compression": compression})
    first = write_image(tmp_path / "a.exr", image)
    a = read_image(first)
    second = write_image(tmp_path / "b.exr", a)
    b = read_image(second)
    assert np.array_equal(a.pixels, b.pixels)
    assert a.channels == b.channels == ("R", "G", "B", "A")
    assert a.pixel_types == b.pixel_types == ("half",) * 4
    assert a.metadata == b.metadata and a.metadata["compression"] == compression
    if compression != "dwaa":
        assert np.array_equal(a.pixels, pixels)


def test_layers_data_window_metadata_and_mixed_types(tmp_path):
    pixels = half_pixels((30, 50, 6), seed=1)
    channels = ("R", "G", "B", "A", "face.R", "matte.Y")
    image = new_image(pixels, channels, attributes={"studio/shot": "ab010", "frameNumber": 1001})
    image = replace(image, data_window=Window(7, 5, 50, 30), display_window=Window(0, 0, 64, 48),
                    pixel_types=("half",) * 4 + ("float", "half"),
                    attributes=image.attributes + (Attribute("worldToCamera", "matrix", tuple(map(float, range(16)))),))
    a = read_image(write_image(tmp_path / "a.exr", image))
    assert a.channels == channels
    assert a.pixel_types == ("half",) * 4 + ("float", "half")
    assert a.data_window == Window(7, 5, 50, 30) and a.display_window == Window(0, 0, 64, 48)
    assert np.array_equal(a.pixels, pixels)
    assert a.metadata["studio/shot"] == "ab010" and a.metadata["frameNumber"] == 1001
    assert a.metadata["worldToCamera"] == tuple(map(float, range(16)))
    full = a.display_pixels()
    assert full.shape == (48, 64, 6)
    assert np.array_equal(full[5:35, 7:57], pixels) and not full[:5].any() and not full[:, :7].any()
    b = read_image(write_image(tmp_path / "b.exr", a))
    assert np.array_equal(a.pixels, b.pixels)
    assert b.metadata == a.metadata and b.data_window == a.data_window


def test_float_exr_round_trip(tmp_path):
    pixels = np.random.default_rng(2).standard_normal((16, 16, 3)).astype(np.float32) * 1e3
    a = read_image(write_image(tmp_path / "f.exr", new_image(pixels, ("R", "G", "B"), pixel_type="float")))
    assert a.pixel_types == ("float",) * 3 and np.array_equal(a.pixels, pixels)


@pytest.mark.parametrize("suffix,pixel_type,levels", [
    ("png", "uint8", 255), ("png", "uint16", 65535), ("tif", "uint16", 65535),
    ("dpx", "uint16", 65535), ("tif", "uint8", 255)])
def test_integer_formats_decode_to_float_and_encode_back_exactly(tmp_path, suffix, pixel_type, levels):
    codes = np.random.default_rng(3).integers(0, levels + 1, (12, 20, 3))
    pixels = (codes / levels).astype(np.float32)
    a = read_image(write_image(tmp_path / f"a.{suffix}", new_image(pixels, ("R", "G", "B"), pixel_type=pixel_type)))
    assert a.pixels.dtype == np.float32 and a.pixel_types[0] == pixel_type
    assert np.array_equal(np.round(a.pixels * levels), codes)
    b = read_image(write_image(tmp_path / f"b.{suffix}", a))
    assert np.array_equal(a.pixels, b.pixels)


def test_jpeg_reads_as_float(tmp_path):
    pixels = np.full((8, 8, 3), 0.5, np.float32)
    a = read_image(write_image(tmp_path / "a.jpg", new_image(pixels, ("R", "G", "B"), pixel_type="uint8")))
    assert a.pixels.dtype == np.float32 and abs(float(a.pixels.mean()) - 0.5) < 0.01


def test_channel_selection(tmp_path):
    path = write_image(tmp_path / "a.exr", new_image(half_pixels((4, 4, 4)), ("R", "G", "B", "A")))
    assert read_image(path, channels=("A", "R")).channels == ("A", "R")
    with pytest.raises(MediaError, match=r"a\.exr: has no channel matte\.Y"):
        read_image(path, channels=("R", "matte.Y"))


def test_missing_truncated_and_corrupt_files(tmp_path):
    with pytest.raises(MediaError, match="no such file"):
        read_image(tmp_path / "missing.exr", frame=1001)
    good = write_image(tmp_path / "good.exr", new_image(half_pixels((64, 64, 4)), ("R", "G", "B", "A")))
    data = good.read_bytes()
    truncated = tmp_path / "truncated.exr"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(MediaError, match=r"truncated\.exr \(frame 7\): (truncated or corrupt|unreadable)"):
        read_image(truncated, frame=7)
    garbage = tmp_path / "garbage.exr"
    garbage.write_bytes(b"not an exr at all" * 10)
    with pytest.raises(MediaError, match="garbage.exr: unreadable image"):
        read_image(garbage)


def test_nonfinite_pixels_are_reported_or_repaired(tmp_path):
    pixels = np.zeros((4, 4, 3), np.float32)
    pixels[0, 0, 0], pixels[1, 1, 1], pixels[2, 2, 2] = np.nan, np.inf, -np.inf
    path = write_image(tmp_path / "nan.exr", new_image(pixels, ("R", "G", "B")))
    with pytest.raises(MediaError, match=r"nan\.exr \(frame 3\): 3 NaN/Inf pixel values"):
        read_image(path, frame=3)
    repaired = read_image(path, nonfinite="repair")
    assert np.isfinite(repaired.pixels).all() and not repaired.pixels.any()


def test_write_is_atomic_and_leaves_no_temporary(tmp_path):
    write_image(tmp_path / "a.exr", new_image(half_pixels((4, 4, 3)), ("R", "G", "B")))
    assert [p.name for p in tmp_path.iterdir()] == ["a.exr"]


def test_multi_part_exr_reads_back_as_one_image_over_the_first_parts_window(tmp_path):
    beauty = new_image(half_pixels((40, 60, 4), seed=5), ("R", "G", "B", "A"),
                       attributes={"compression": "zip", "studio/shot": "ab010"})
    layer_pixels = half_pixels((10, 12, 2), seed=6)
    layer = replace(new_image(layer_pixels, ("face.R", "matte.A")), data_window=Window(5, 7, 12, 10),
                    display_window=beauty.display_window)
    path = write_image(tmp_path / "m.exr", beauty, parts=[layer])
    a = read_image(path)
    assert a.channels == ("R", "G", "B", "A", "face.R", "matte.A") and a.pixel_types == ("half",) * 6
    assert a.data_window == beauty.data_window and a.metadata["studio/shot"] == "ab010"
    assert "name" not in a.metadata  # a part's own name does not leak into the flattened image
    assert np.array_equal(a.pixels[..., :4], beauty.pixels)
    assert np.array_equal(a.pixels[7:17, 5:17, 4:], layer_pixels)
    outside = np.ones((40, 60), bool)
    outside[7:17, 5:17] = False
    assert not a.pixels[outside][:, 4:].any()
    assert read_image(path, channels=["matte.A"]).pixels.shape == (40, 60, 1)


def test_multi_part_refuses_a_repeated_channel_and_a_single_image_format(tmp_path):
    beauty = new_image(half_pixels((8, 8, 3)), ("R", "G", "B"))
    write_image(tmp_path / "twice.exr", beauty, parts=[new_image(half_pixels((8, 8, 1)), ("G",))])
    with pytest.raises(MediaError, match="twice.exr: channel G is in two parts"):
        read_image(tmp_path / "twice.exr")
    with pytest.raises(MediaError, match="holds one image"):
        write_image(tmp_path / "a.png", beauty, parts=[new_image(half_pixels((8, 8, 1)), ("Z",))])
    assert not (tmp_path / "a.png").exists()
