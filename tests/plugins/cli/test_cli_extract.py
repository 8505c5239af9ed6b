"""The extract, alignments and faces verbs through the command's entry point."""
import json

import cv2
import numpy as np
import pytest

from facegraft.core.alignments import load_alignments
from facegraft.core.faceset import load_faceset
from facegraft.core.media.video import read_video
from facegraft.plugins.cli.main import main


@pytest.fixture(scope="module")
def d18(clips):
    return str(clips / "d18.mp4")


@pytest.fixture(scope="module")
def png_plate(d18, tmp_path_factory):
    """Frames 1-5 of d18 as a PNG sequence, frame 4 corrupt."""
    folder = tmp_path_factory.mktemp("png")
    for n, pixels in read_video(d18, frames=range(1, 6)):
        cv2.imwrite(str(folder / f"plate.{n:04d}.png"), (pixels[..., ::-1] * 255 + 0.5).astype(np.uint8))
    (folder / "plate.0004.png").write_bytes(b"\x89PNG broken")
    return folder / "plate.####.png"


def test_extract_resume_info_export(d18, tmp_path, capsys):
    out = tmp_path / "a.json"
    assert main(["extract", d18, "-o", str(out), "--frames", "1-6", "--size", "96"]) == 0
    assert load_alignments(out).frames == list(range(1, 7))
    capsys.readouterr()
    assert main(["extract", d18, "-o", str(out), "--frames", "1-8", "--size", "96"]) == 0
    assert "2 frames computed, 6 kept" in capsys.readouterr().err
    assert main(["alignments", "info", str(out), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["frames"] == "1-8" and info["faces_per_id"] == {"0": 8} and info["frames_without_faces"] == ""
    assert info["jitter"][0]["smoothed"] < info["jitter"][0]["raw"]
    assert main(["alignments", "info", str(out)]) == 0
    assert "jitter id 0" in capsys.readouterr().out
    assert main(["alignments", "export", str(out), "--json", "-o", str(tmp_path / "e.json")]) == 0
    exported = json.loads((tmp_path / "e.json").read_text())
    assert exported["schema"] == "FaceAlignmentsExport" and len(exported["frames"]["3"][0]["landmarks"]) == 68
    assert main(["extract", d18, "-o", str(out), "--frames", "1-8", "--size", "128"]) == 2
    assert "--force" in capsys.readouterr().err
    assert main(["extract", d18, "-o", str(out), "--frames", "1-8", "--size", "128", "--force"]) == 0


def test_farm_chunks_merge_to_one_run(d18, tmp_path):
    assert main(["-q", "extract", d18, "-o", str(tmp_path / "one.json"), "--frames", "1-12"]) == 0
    assert main(["-q", "extract", d18, "-o", str(tmp_path / "c1.json"), "--frames", "1-5"]) == 0
    assert main(["-q", "extract", d18, "-o", str(tmp_path / "c2.json"), "--frames", "6-12"]) == 0
    assert main(["-q", "alignments", "merge", str(tmp_path / "c2.json"), str(tmp_path / "c1.json"),
                 "-o", str(tmp_path / "merged.json")]) == 0
    assert (tmp_path / "merged.json").read_bytes() == (tmp_path / "one.json").read_bytes()
    assert main(["-q", "alignments", "merge", str(tmp_path / "c1.json"), str(tmp_path / "one.json"),
                 "-o", str(tmp_path / "bad.json")]) == 2


def test_faces_out_and_sort(d18, tmp_path, capsys):
    faces = tmp_path / "faces"
    assert main(["-q", "extract", d18, "-o", str(tmp_path / "a.json"), "--frames", "1-6", "--faces-out", str(faces),
                 "--size", "64", "--face-type", "half"]) == 0
    assert len(load_faceset(faces)) == 6
    assert main(["faces", "sort", str(faces), "--by", "yaw"]) == 0
    assert main(["faces", "sort", str(faces), "--by", "blur", "--dedupe", "0.5"]) == 0
    assert "near duplicates dropped" in capsys.readouterr().err
    assert 1 <= len(load_faceset(faces)) < 6
    assert main(["faces", "sort", str(faces), "--by", "identity"]) == 0


def test_unreadable_frames_are_listed_and_skipped(png_plate, tmp_path, capsys):
    out = tmp_path / "a.json"
    assert main(["extract", str(png_plate), "-o", str(out)]) == 3
    err = capsys.readouterr().err
    assert "1 unreadable frames skipped: 4" in err
    assert load_alignments(out).frames == [1, 2, 3, 5]


def test_user_errors_exit_2(d18, tmp_path, capsys):
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((100, 100, 3), 90, np.uint8))
    assert main(["extract", d18, "-o", str(tmp_path / "a.json"), "--frames", "1", "--reference", str(blank)]) == 2
    assert "no face found in the --reference image" in capsys.readouterr().err
    for n in (1, 2):
        cv2.imwrite(str(tmp_path / f"empty.{n:04d}.png"), np.full((64, 64, 3), 90, np.uint8))
    assert main(["extract", str(tmp_path / "empty.####.png"), "-o", str(tmp_path / "e.json")]) == 2
    assert "no face found in 2 frames" in capsys.readouterr().err
    assert main(["extract", str(tmp_path / "empty.####.png"), "-o", str(tmp_path / "e.json"), "--allow-empty"]) == 0
    (tmp_path / "corrupt.json").write_text('{"schema": "FaceAlignments", "vers')
    assert main(["alignments", "info", str(tmp_path / "corrupt.json")]) == 2
    assert "corrupt alignments file" in capsys.readouterr().err
    assert main(["extract", d18, "-o", d18]) == 2
    assert main(["extract", d18, "-o", str(tmp_path / "x.json"), "--landmarks", "fan2d", "--model-dir",
                 str(tmp_path)]) == 2
    assert "2DFAN4" in capsys.readouterr().err


def test_force_on_some_frames_keeps_the_others_and_a_second_writer_is_refused(d18, tmp_path, capsys):
    from facegraft.core.media.atomic import exclusive_writer

    out = tmp_path / "a.json"
    assert main(["-q", "extract", d18, "-o", str(out), "--frames", "1-6", "--size", "96"]) == 0
    before = out.read_bytes()
    assert main(["-q", "extract", d18, "-o", str(out), "--frames", "2-3", "--size", "96", "--force"]) == 0
    assert out.read_bytes() == before  # frames 1 and 4-6 kept; 2-3 recomputed, identically
    capsys.readouterr()
    with exclusive_writer(out):  # another extract is writing this file
        assert main(["-q", "extract", d18, "-o", str(out), "--frames", "1-8", "--size", "96"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "a.json: another facegraft run (pid" in err[0]
    assert out.read_bytes() == before
