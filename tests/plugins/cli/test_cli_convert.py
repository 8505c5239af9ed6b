"""Convert end to end on real media: a d19.mp4 plate as half EXR in ACEScg, its alignments, and a small
model trained in the test on face sets of d18 (identity A) and d19 (identity B)."""
import numpy as np
import pytest

from facegraft.core.media.image_io import read_image
from facegraft.plugins.cli.main import main

FRAMES = "1001-1012"


def cli(*argv):
    code = main([str(a) for a in argv])
    assert code == 0, argv
    return code


@pytest.fixture(scope="module")
def project(tmp_path_factory, clips):
    root = tmp_path_factory.mktemp("convert_project")
    plate = root / "plate" / "d19.####.exr"
    cli("-q", "media", "convert", clips / "d19.mp4", plate, "--frames", "1-12", "--start-frame", "1001",
        "--to-colorspace", "ACEScg", "--pixel-type", "half")
    cli("-q", "extract", plate, "-o", root / "plate.json", "--faces-out", root / "faces_b", "--size", "64")
    cli("-q", "extract", clips / "d18.mp4", "--frames", "1-24", "-o", root / "a.json", "--faces-out",
        root / "faces_a", "--size", "64")
    cli("-q", "train", "--a", root / "faces_a", "--b", root / "faces_b", "-o", root / "model", "--iterations", "30",
        "--batch", "8", "--encoder-width", "16", "--decoder-width", "16", "--bottleneck-dims", "64",
        "--preview-every", "1000")
    return root, plate


def test_convert_real_frames_with_a_trained_model(project, capsys):
    root, plate = project
    out = root / "out" / "swap.####.exr"
    cli("convert", plate, "--alignments", root / "plate.json", "--model", root / "model", "-o", out,
        "--frames", FRAMES, "--color-match", "rct", "--feather", "4")
    assert "wrote 12 frames (12 faces)" in capsys.readouterr().out
    for frame in (1001, 1006, 1012):
        source = read_image(str(plate).replace("####", str(frame)))
        result = read_image(root / "out" / f"swap.{frame}.exr")
        assert result.channels == ("R", "G", "B", "face.R", "face.G", "face.B", "face.A", "matte.A")
        assert result.pixel_types[:3] == source.pixel_types
        matte = result.pixels[..., result.channels.index("matte.A")]
        assert 0.05 < (matte > 0).mean() < 0.7
        assert np.array_equal(result.pixels[..., :3][matte == 0], source.pixels[matte == 0])
        core = matte > 0.5 * matte.max()
        assert np.abs(result.pixels[..., :3][core] - source.pixels[core]).mean() > 1e-3
        assert result.metadata["facegraft/synthetic"] == 1
        assert result.metadata["facegraft/colorspace"] == "ACEScg"
        assert source.metadata.items() - {("DateTime", source.metadata.get("DateTime"))} <= result.metadata.items()


def test_convert_resumes_and_refuses_bad_input(project, capsys):
    root, plate = project
    out = root / "resume" / "swap.####.exr"
    cli("convert", plate, "--alignments", root / "plate.json", "--model", root / "model", "-o", out,
        "--frames", "1001-1004")
    capsys.readouterr()
    cli("convert", plate, "--alignments", root / "plate.json", "--model", root / "model", "-o", out,
        "--frames", "1001-1006")
    assert "wrote 2 frames (2 faces), skipped 4" in capsys.readouterr().out
    base = ["convert", plate, "--alignments", root / "plate.json", "--model", root / "model", "--frames", "1001-1002"]
    cases = [
        (["-o", root / "bad" / "x.####.exr", "--face-ids", "9"], "no face id 9"),
        (["-o", plate], "overwrite the input"),
        (["-o", root / "bad" / "x.####.exr", "--frames", "1001-1013"], "1013"),
        (["-o", root / "bad" / "x.####.exr", "--model", root / "faces_a"], "not a facegraft model"),
    ]
    for extra, fragment in cases:
        code = main([str(a) for a in base + extra])
        err = capsys.readouterr().err
        assert code == 2 and fragment in err and len(err.strip().splitlines()) == 1, err
    assert not (root / "bad").exists() or not list((root / "bad").iterdir())
