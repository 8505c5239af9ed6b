"""`facegraft node list|run` end to end, on synthetic and on real (converted) EXR sequences."""
import json
from pathlib import Path

import numpy as np
import pytest

from facegraft.core.media.image_io import new_image, read_image, write_image
from facegraft.nodes.registry import builtin_registry
from facegraft.plugins.cli.main import main


def run_cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def matte_sequence(folder: Path, frames, size) -> str:
    h, w = size
    y, x = np.mgrid[0:h, 0:w]
    disk = np.clip((min(h, w) / 4 - np.hypot(y - h / 2, x - w / 2)) / 4, 0, 1).astype(np.float32)
    for n in frames:
        write_image(folder / f"m.{n:04d}.exr", new_image(disk[..., None], ("matte.Y",)))
    return str(folder / "m.####.exr")


def test_node_list(capsys) -> None:
    code, out, _ = run_cli(capsys, "node", "list")
    assert code == 0
    for name in builtin_registry().names():
        assert name in out
    assert "--set amount=<float>" in out
    code, out, _ = run_cli(capsys, "node", "list", "--json")
    data = json.loads(out)
    assert code == 0 and data["schema"] == "FacegraftNodeManifest" and "facegraft_version" in data


def test_node_run_on_a_real_clip(capsys, tmp_path: Path, clips: Path) -> None:
    code, _, err = run_cli(capsys, "-q", "media", "convert", clips / "d0.mp4", tmp_path / "plate.####.exr",
                           "--frames", "1-2")
    assert code == 0, err
    plate = read_image(tmp_path / "plate.0001.exr")
    matte = matte_sequence(tmp_path, (1, 2), plate.pixels.shape[:2])
    code, out, err = run_cli(capsys, "node", "run", "Sharpen", "--input", f"image={tmp_path / 'plate.####.exr'}",
                             "--input", f"matte={matte}:matte.Y", "--output", tmp_path / "out" / "sharp.####.exr",
                             "--set", "amount=2", "--set", "radius=1.5", "--progress", "lines")
    assert code == 0, err
    assert out.splitlines()[:2] == ["facegraft-progress 1 2 1", "facegraft-progress 2 2 2"]
    for n in (1, 2):
        src = read_image(tmp_path / f"plate.{n:04d}.exr")
        res = read_image(tmp_path / "out" / f"sharp.{n:04d}.exr")
        m = read_image(tmp_path / f"m.{n:04d}.exr").pixels[..., 0]
        assert res.channels == src.channels
        assert np.array_equal(res.pixels[m == 0], src.pixels[m == 0])
        assert np.abs(res.pixels[m > 0.5] - src.pixels[m > 0.5]).max() > 0.01


@pytest.mark.parametrize("args, fragments", [
    (["--set", "feather=9999"], ["'feather'", "outside"]),
    (["--set", "grow=abc"], ["'grow'", "whole number"]),
    (["--set", "colour=1"], ["no parameter 'colour'"]),
    (["--frames", "5-9"], ["frames 5", "not in the source"]),
])
def test_node_run_bad_input_is_one_line(capsys, tmp_path: Path, args, fragments) -> None:
    matte = matte_sequence(tmp_path, (1, 2), (16, 16))
    code, _, err = run_cli(capsys, "node", "run", "MaskFeather", "--input", matte, "--output",
                           tmp_path / "o.####.exr", *args)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("facegraft: error: "), err
    for fragment in fragments:
        assert fragment in err


def test_node_run_unknown_node(capsys, tmp_path: Path) -> None:
    code, _, err = run_cli(capsys, "node", "run", "Blur", "--input", "x.####.exr", "--output", tmp_path / "o.####.exr")
    assert code == 2 and "no node named 'Blur'" in err and "MaskFeather" in err


def test_node_nk_from_an_alignments_file(capsys, tmp_path: Path) -> None:
    from facegraft.core.align.geometry import FaceCrop
    from facegraft.core.align.mean_face import MEAN_FACE_68
    from facegraft.core.alignments.format import Alignments, AlignmentsHeader, FaceAlignment, save_alignments

    header = AlignmentsHeader(source="p", width=640, height=360, detector="t", landmarks="t", identity="t",
                              face_type="full", size=128)
    faces = {}
    for n in (1, 2):
        pts = np.asarray(MEAN_FACE_68) * 100 + [200 + n, 100]
        crop = FaceCrop.from_landmarks(pts, size=128, face_type="full")
        faces[n] = (FaceAlignment(0, np.zeros(4), 1.0, True, pts, pts, crop.frame_to_crop, np.zeros(4)),)
    save_alignments(Alignments(header, faces), tmp_path / "a.fgal")
    assert main(["node", "nk", str(tmp_path / "a.fgal"), "-o", str(tmp_path / "t.nk"), "--crop-to-frame"]) == 0
    text = (tmp_path / "t.nk").read_text()
    assert text.startswith("Transform {") and "x1 " in text and "x2 " in text and "invert_matrix true" in text
    assert main(["node", "nk", str(tmp_path / "a.fgal"), "-o", str(tmp_path / "c.nk"), "--node", "cornerpin"]) == 0
    assert (tmp_path / "c.nk").read_text().startswith("CornerPin2D {")
    capsys.readouterr()
    assert main(["node", "nk", str(tmp_path / "a.fgal"), "-o", str(tmp_path / "x.nk"), "--face-id", "3"]) == 2
    assert "no face id 3" in capsys.readouterr().err


def test_node_run_goes_through_farm_submit(capsys, tmp_path: Path) -> None:
    """What the Nuke "Send to farm" button runs (Deadline job files, dry run)."""
    matte = matte_sequence(tmp_path, (1, 2, 3), (16, 16))
    code = main(["farm", "submit", "--engine", "deadline", "--dry-run", "--chunk", "2", "--", "node", "run",
                 "MaskFeather", "--input", matte, "--output", str(tmp_path / "out" / "m.####.exr"), "--frames", "1-3"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "2 chunks" in out
    jobs = list((tmp_path / "out" / ".facegraft-farm").rglob("*.json"))
    assert any('"MaskFeather"' in p.read_text() for p in jobs)
