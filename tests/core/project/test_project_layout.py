"""Project folder records, resume decisions and bad-input guards, without running the heavy stages."""
import errno

import numpy as np
import pytest

from facegraft.core.alignments.format import Alignments, AlignmentsHeader, FaceAlignment
from facegraft.core.errors import OutputError
from facegraft.core.project.layout import (ProjectLayout, forget_record, is_done, open_project, read_project,
                                           read_record, write_record)
from facegraft.core.project.run import disk_full_guard, same_clip, stage_settings
from facegraft.core.project.settings import PRESETS, SwapSettings, swap_preset, to_record
from facegraft.core.project.stages import main_face_id


def test_records_round_trip_and_compare_settings(tmp_path):
    layout = ProjectLayout(tmp_path)
    assert read_record(layout, "train") is None
    write_record(layout, "train", {"a": (1, 2), "b": None}, seconds=1.23456, results={"iteration": 5})
    record = read_record(layout, "train")
    assert record.settings == {"a": [1, 2], "b": None} and record.seconds == pytest.approx(1.235)
    assert is_done(layout, "train", {"b": None, "a": [1, 2]})
    assert not is_done(layout, "train", {"a": [1, 3], "b": None})
    forget_record(layout, "train")
    assert read_record(layout, "train") is None
    layout.stage_record("convert").write_text("{not json")
    assert read_record(layout, "convert") is None  # unreadable means not done


def test_stage_settings_follow_upstream_records(tmp_path):
    layout = ProjectLayout(tmp_path)
    settings = SwapSettings()
    before = stage_settings("train", "a.mp4", "b.mp4", settings, layout)
    assert before["after"] == {"extract_source": None, "extract_target": None}
    write_record(layout, "extract_source", {}, seconds=1.0, results={})
    after = stage_settings("train", "a.mp4", "b.mp4", settings, layout)
    assert after != before and after["model"]["resolution"] == 64


def test_open_project_refuses_other_clips_and_foreign_folders(tmp_path):
    layout = ProjectLayout(tmp_path / "p")
    open_project(layout, source="/a.mp4", target="/b.mp4", options={"preset": "quick"})
    open_project(layout, source="/a.mp4", target="/b.mp4")  # the same project: fine
    assert read_project(layout)["source"] == "/a.mp4"
    with pytest.raises(OutputError, match="holds a swap of /a.mp4"):
        open_project(layout, source="/c.mp4", target="/b.mp4")
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match="not a swap project"):
        open_project(ProjectLayout(other), source="/a.mp4", target="/b.mp4")
    with pytest.raises(OutputError, match="no swap project to resume"):
        read_project(ProjectLayout(tmp_path / "none"))


def test_disk_full_becomes_output_error(tmp_path):
    layout = ProjectLayout(tmp_path)
    with pytest.raises(OutputError, match="disk full during stage convert.*finished stages are kept"):
        with disk_full_guard("convert", layout):
            raise OSError(errno.ENOSPC, "No space left on device", "x.exr")
    with pytest.raises(PermissionError):
        with disk_full_guard("convert", layout):
            raise PermissionError(errno.EACCES, "denied")


def test_same_clip(tmp_path):
    a, b, c = tmp_path / "a.mp4", tmp_path / "b.mp4", tmp_path / "c.mp4"
    a.write_bytes(b"123")
    b.write_bytes(b"123")
    c.write_bytes(b"124")
    assert same_clip(str(a), str(a)) and same_clip(str(a), str(b)) and not same_clip(str(a), str(c))


def test_presets_and_records():
    for name in PRESETS:
        s = swap_preset(name)
        assert s.preset == name and s.size in (64, 128, 256)
    assert swap_preset("quick").train.minutes == pytest.approx(3.0)
    # the patch-GAN term is off in every preset: the CPU ones cannot afford it, and the GPU one
    # keeps it off until a GPU run of `quality+gan` (bench_quality.py) shows it helps
    assert not any(swap_preset(name).train.gan.enabled for name in PRESETS)
    with pytest.raises(ValueError):
        swap_preset("best")
    assert to_record(SwapSettings())["model"]["resolution"] == 64


def test_main_face_id():
    header = AlignmentsHeader("p", 10, 10, "hog", "dlib68", "dlib_resnet", "full", 64)

    def face(i):
        z = np.zeros((68, 2))
        return FaceAlignment(i, np.zeros(4), 1.0, True, z, z, np.array([[1.0, 0, 0], [0, 1.0, 0]]), np.zeros(128))

    alignments = Alignments(header, {1: (face(0), face(1)), 2: (face(1),), 3: ()})
    assert main_face_id(alignments) == 1
