"""The alignments file: the v1 fixture loads, round trips are exact, bad files are AlignmentsError,
the upgrade mechanism, merge refuses overlapping or disagreeing shards."""
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from facegraft.core.align.geometry import FaceCrop
from facegraft.core.alignments import load_alignments, merge_alignments, save_alignments
from facegraft.core.alignments.export import export_json
from facegraft.core.alignments.format import SCHEMA, VERSION, dumps, upgrade
from facegraft.core.alignments.stats import jitter, summarize
from facegraft.core.errors import AlignmentsError

FIXTURE = Path(__file__).resolve().parents[2] / "data" / "alignments_v1.json"


@pytest.fixture()
def v1():
    return load_alignments(FIXTURE)


def test_v1_fixture_loads(v1):
    assert v1.frames == [1001, 1002, 1003, 1004]
    assert (v1.header.width, v1.header.height, v1.header.face_type, v1.header.size) == (320, 240, "full", 64)
    assert v1.faces(1004) == []
    face = v1.faces(1001)[0]
    assert face.face_id == 0 and face.detected and not v1.faces(1002)[0].detected
    assert face.landmarks.shape == (68, 2) and face.landmarks_raw.shape == (68, 2)
    assert face.embedding.shape == (128,) and face.box.shape == (4,)
    crop = face.crop(size=v1.header.size, face_type=v1.header.face_type)
    assert isinstance(crop, FaceCrop)
    np.testing.assert_allclose(crop.frame_to_crop,
                               FaceCrop.from_landmarks(face.landmarks, size=64, face_type="full").frame_to_crop, atol=1e-8)


def test_save_load_round_trip_is_byte_exact(v1, tmp_path):
    path = save_alignments(v1, tmp_path / "a.json")  # written as the current version, otherwise the same
    assert path.read_text() == FIXTURE.read_text().replace('"version":1,', f'"version":{VERSION},', 1)
    assert dumps(load_alignments(path)) == dumps(v1)
    assert not list(tmp_path.glob(".*tmp*"))


def test_faces_of_an_unprocessed_frame_is_a_key_error(v1):
    with pytest.raises(KeyError):
        v1.faces(999)


@pytest.mark.parametrize("text, match", [
    ("", "corrupt"), ("{not json", "corrupt"), ('{"schema": "Other", "version": 1}', "not a FaceAlignments"),
    ('{"schema": "FaceAlignments", "version": 99}', "version 99"),
    ('{"schema": "FaceAlignments", "version": 1, "header": {}}', "corrupt"),
])
def test_bad_files_raise_alignments_error(tmp_path, text, match):
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(AlignmentsError, match=match):
        load_alignments(path)


def test_missing_file_and_bad_arrays(tmp_path):
    with pytest.raises(AlignmentsError, match="no such"):
        load_alignments(tmp_path / "missing.json")
    data = json.loads(FIXTURE.read_text())
    data["frames"]["1001"][0]["landmarks"] = [[0, 0]] * 5
    (tmp_path / "short.json").write_text(json.dumps(data))
    with pytest.raises(AlignmentsError, match="corrupt"):
        load_alignments(tmp_path / "short.json")


def test_upgrade_runs_each_step_in_turn():
    steps = {1: lambda d: {**d, "version": 2, "a": 1}, 2: lambda d: {**d, "version": 3, "b": d["a"] + 1}}
    out = upgrade({"schema": SCHEMA, "version": 1}, upgrades=steps, version=3)
    assert out == {"schema": SCHEMA, "version": 3, "a": 1, "b": 2}
    with pytest.raises(AlignmentsError, match="no upgrade"):
        upgrade({"schema": SCHEMA, "version": 1}, upgrades={}, version=2)
    assert upgrade({"schema": SCHEMA, "version": VERSION}) == {"schema": SCHEMA, "version": VERSION}


def split(alignments, frames):
    return alignments.with_frames({n: alignments.by_frame[n] for n in frames})


def test_merge_of_shards_equals_the_whole(v1):
    merged = merge_alignments([split(v1, [1003, 1004]), split(v1, [1001, 1002])])
    assert dumps(merged) == dumps(v1)


def test_merge_refuses_overlap_and_disagreement(v1):
    with pytest.raises(AlignmentsError, match="both hold frame 1002"):
        merge_alignments([split(v1, [1001, 1002]), split(v1, [1002, 1003])], names=["a.json", "b.json"])
    other = replace(split(v1, [1003]), header=replace(v1.header, size=128))
    with pytest.raises(AlignmentsError, match="size"):
        merge_alignments([split(v1, [1001]), other])


def test_export_and_summary(v1):
    data = export_json(v1)
    assert data["schema"] == "FaceAlignmentsExport" and data["frames"]["1004"] == []
    face = data["frames"]["1001"][0]
    assert set(face) == {"face_id", "box", "landmarks_raw", "landmarks", "frame_to_crop"}
    json.dumps(data)
    s = summarize(v1)
    assert s.frames == 4 and s.frames_without_faces == [1004] and s.faces_per_frame == {0: 1, 1: 3}
    assert s.faces_per_id == {0: 3} and s.jitter[0].frames == 3


def test_jitter_of_a_line_is_zero_and_of_noise_positive():
    t = np.arange(10, dtype=np.float64)[:, None, None]
    base = np.zeros((10, 68, 2))
    base[:, 45, 0] = 100.0
    assert jitter(base + t) == pytest.approx(0.0, abs=1e-12)
    noisy = base + np.random.default_rng(0).normal(0, 1, base.shape)
    assert 0.01 < jitter(noisy) < 0.1
    assert np.isnan(jitter(base[:2]))
