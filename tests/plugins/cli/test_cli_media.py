"""The foundation verbs end to end, and every bad input: one-line message, exit code 2, inputs unchanged."""
import hashlib
import json
import subprocess
import sys

import numpy as np
import pytest

from facegraft.core.media.image_io import new_image, read_image, write_image
from facegraft.plugins.cli.main import main


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def snapshot(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def plate(tmp_path):
    folder = tmp_path / "plate"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for f in range(1001, 1005):
        pixels = (rng.standard_normal((20, 30, 4)) * 2).astype(np.float16).astype(np.float32)
        write_image(folder / f"plate.{f}.exr", new_image(pixels, ("R", "G", "B", "A"), attributes={"shot": "ab010"}))
    return folder


def assert_user_error(code, err, *fragments):
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("facegraft: error: "), err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_help_lists_verbs():
    result = subprocess.run([sys.executable, "-m", "facegraft.plugins.cli.main", "--help"],
                            capture_output=True, text=True, check=True)
    assert "info" in result.stdout and "media" in result.stdout


def test_info_json(capsys, plate):
    code, out, _ = run_cli(capsys, "info", str(plate / "plate.%04d.exr"), "--json")
    summary = json.loads(out)
    assert code == 0
    assert summary["frames"] == "1001-1004" and summary["gaps"] == ""
    assert (summary["width"], summary["height"]) == (30, 20)
    assert summary["channels"] == ["R", "G", "B", "A"] and summary["pixel_type"] == "half"
    assert summary["colorspace"] == "ACEScg" and summary["colorspace_rule"] == "default"  # scene_linear, named


def test_info_on_real_clip(capsys, clips):
    code, out, _ = run_cli(capsys, "info", str(clips / "d3.mp4"), "--json")
    summary = json.loads(out)
    assert code == 0 and summary["frame_count"] == 354 and summary["fps"] == 30.0 and summary["width"] == 512


def test_convert_clip_to_acescg_exr_and_back_exactly(capsys, tmp_path, clips):
    code, _, _ = run_cli(capsys, "-q", "media", "convert", str(clips / "d19.mp4"), str(tmp_path / "acescg.####.exr"),
                         "--frames", "1-3", "--to-colorspace", "ACEScg", "--pixel-type", "float", "--start-frame", "1001")
    assert code == 0
    frame = read_image(tmp_path / "acescg.1001.exr")
    assert frame.metadata["facegraft/colorspace"] == "ACEScg" and frame.pixel_types == ("float",) * 3
    code, _, _ = run_cli(capsys, "-q", "media", "convert", str(tmp_path / "acescg.####.exr"),
                         str(tmp_path / "srgb.####.exr"), "--to-colorspace", "sRGB Encoded Rec.709 (sRGB)",
                         "--pixel-type", "float")
    assert code == 0
    from facegraft.core.media.video import read_video
    original = dict(read_video(clips / "d19.mp4", [1]))[1]
    assert np.allclose(read_image(tmp_path / "srgb.1001.exr").pixels, original, atol=2e-4)


def test_convert_copies_half_exactly_with_metadata_and_resumes(capsys, plate, tmp_path):
    out = tmp_path / "out" / "copy.####.exr"
    code, stdout, _ = run_cli(capsys, "media", "convert", str(plate / "plate.####.exr"), str(out))
    assert code == 0 and "wrote 4 frames" in stdout
    a, b = read_image(plate / "plate.1002.exr"), read_image(tmp_path / "out" / "copy.1002.exr")
    assert np.array_equal(a.pixels, b.pixels) and b.metadata["shot"] == "ab010" and b.pixel_types == a.pixel_types
    before = (tmp_path / "out" / "copy.1003.exr").stat().st_mtime_ns
    (tmp_path / "out" / "copy.1004.exr").unlink()
    code, stdout, _ = run_cli(capsys, "media", "convert", str(plate / "plate.####.exr"), str(out))
    assert "wrote 1 frames, skipped 3" in stdout
    assert (tmp_path / "out" / "copy.1003.exr").stat().st_mtime_ns == before
    code, stdout, _ = run_cli(capsys, "media", "convert", str(plate / "plate.####.exr"), str(out), "--force")
    assert "wrote 4 frames" in stdout


def test_bad_inputs_give_one_line_and_exit_2(capsys, plate, tmp_path):
    before = snapshot(plate)
    seq = str(plate / "plate.####.exr")
    out = str(tmp_path / "o" / "o.####.exr")
    cases = [
        (["info", str(tmp_path / "missing.mp4")], ["missing.mp4", "no such video file"]),
        (["info", str(tmp_path / "empty.####.exr")], ["no frames found"]),
        (["media", "convert", seq, out, "--frames", "1001-1010"], ["frames 1005, 1006", "not in the source"]),
        (["media", "convert", seq, out, "--frames", "1001-"], ["frame range"]),
        (["media", "convert", seq, out, "--to-colorspace", "NotASpace"], ["unknown color space 'NotASpace'"]),
        (["media", "convert", seq, seq.replace("####", "%04d")], ["would overwrite the input"]),
        (["media", "convert", seq, str(plate / "plate.1001.exr" / "x.####.exr")], ["cannot create output folder"]),
        (["media", "convert", seq, out, "--channels", "R,G,B,Z"], ["has no channel Z"]),
    ]
    for argv, fragments in cases:
        code, _, err = run_cli(capsys, *argv)
        assert_user_error(code, err, *fragments)
    assert snapshot(plate) == before


def test_gappy_truncated_and_nonfinite_frames(capsys, plate, tmp_path):
    (plate / "plate.1003.exr").rename(tmp_path / "held.exr")
    code, _, err = run_cli(capsys, "media", "convert", str(plate / "plate.####.exr"), str(tmp_path / "a.####.exr"))
    assert_user_error(code, err, "frames 1003 are missing")

    data = (tmp_path / "held.exr").read_bytes()
    (plate / "plate.1003.exr").write_bytes(data[: len(data) // 3])
    code, _, err = run_cli(capsys, "media", "convert", str(plate / "plate.####.exr"), str(tmp_path / "b.####.exr"))
    assert_user_error(code, err, "plate.1003.exr (frame 1003)")

    pixels = np.zeros((20, 30, 4), np.float32)
    pixels[3, 4, 0] = np.nan
    write_image(plate / "plate.1003.exr", new_image(pixels, ("R", "G", "B", "A")))
    before = snapshot(plate)
    code, _, err = run_cli(capsys, "media", "convert", str(plate / "plate.####.exr"), str(tmp_path / "c.####.exr"))
    assert_user_error(code, err, "frame 1003", "1 NaN/Inf pixel values", "--repair-nonfinite")
    code, _, _ = run_cli(capsys, "-q", "media", "convert", str(plate / "plate.####.exr"), str(tmp_path / "c.####.exr"),
                         "--repair-nonfinite")
    assert code == 0 and np.isfinite(read_image(tmp_path / "c.1003.exr").pixels).all()
    assert snapshot(plate) == before


def test_info_reports_a_files_own_color_space_and_the_rule(tmp_path, capsys):
    import dataclasses

    from facegraft.core.media.image_io import Attribute

    image = new_image(np.full((4, 4, 3), 0.5, np.float32), ("R", "G", "B"), pixel_type="half")
    tagged = dataclasses.replace(image, attributes=image.attributes + (Attribute("oiio:ColorSpace", "string",
                                                                                 "ACES2065-1"),))
    write_image(tmp_path / "aces.exr", tagged)
    code, out, _ = run_cli(capsys, "info", str(tmp_path / "aces.exr"), "--json")
    summary = json.loads(out)
    assert code == 0 and summary["colorspace"] == "ACES2065-1" and summary["colorspace_rule"] == "oiio:ColorSpace"
    code, out, _ = run_cli(capsys, "info", str(tmp_path / "aces.exr"), "--json", "--colorspace", "ACEScg")
    assert json.loads(out)["colorspace_rule"] == "option"
