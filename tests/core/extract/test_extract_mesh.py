"""Extraction with the commercially usable pair (BlazeFace + face mesh): dense points kept through
tracking, smoothing, the file and farm shards; a face set masked by the face oval."""
import numpy as np
import pytest

from facegraft.core.alignments import load_alignments, merge_alignments, save_alignments
from facegraft.core.alignments.format import dumps
from facegraft.core.color import ColorManager
from facegraft.core.detect.registry import default_registry
from facegraft.core.extract.faceset_export import write_faceset
from facegraft.core.extract.pipeline import ExtractModels, ExtractSettings, extract_alignments
from facegraft.core.masks.dense import dense_mask
from facegraft.core.masks.landmark import landmark_mask
from facegraft.core.media.source import open_source


@pytest.fixture(scope="module")
def run(clips):
    registry = default_registry()
    models = ExtractModels(registry.detector("blazeface"), registry.landmarks("mesh"), registry.identity("dlib_resnet"))
    source = open_source(clips / "d3.mp4")
    settings = ExtractSettings(size=64)
    color = ColorManager()
    whole = extract_alignments(source, models=models, settings=settings, color=color, frames=range(1, 25))
    halves = [extract_alignments(source, models=models, settings=settings, color=color, frames=r)
              for r in (range(1, 13), range(13, 25))]
    return source, whole, halves


def test_dense_points_are_kept_through_tracking(run):
    _, whole, _ = run
    a = whole.alignments
    assert (a.header.detector, a.header.landmarks) == ("blazeface", "mesh")
    assert whole.detections <= 4  # tracked between keyframes (verified by the mesh's presence score)
    faces = [a.faces(n) for n in a.frames]
    assert all(len(f) == 1 for f in faces)
    tracked = [f[0] for f in faces if not f[0].detected]
    assert tracked and all(f.dense.shape == (468, 2) and f.dense_raw.shape == (468, 2) for f in tracked)
    face = faces[5][0]
    hull = (face.landmarks.min(0), face.landmarks.max(0))
    inside = np.all((face.dense >= hull[0] - 0.6 * (hull[1] - hull[0])) & (face.dense <= hull[1] + 0.6 * (hull[1] - hull[0])))
    assert inside  # the mesh sits on the same face as its 68 points


def test_shards_merge_to_the_single_run_and_the_file_round_trips(run, tmp_path):
    _, whole, halves = run
    assert dumps(merge_alignments([h.alignments for h in halves])) == dumps(whole.alignments)
    path = save_alignments(whole.alignments, tmp_path / "d3.json")
    assert dumps(load_alignments(path)) == dumps(whole.alignments)


def test_face_set_masks_follow_the_face_oval(run, tmp_path):
    source, whole, _ = run
    faceset = write_faceset(source, whole.alignments, tmp_path / "faces", color=ColorManager(), frames=[1, 2])
    assert len(faceset) == 2
    _, mask = faceset.load(0)
    face = whole.alignments.faces(1)[0]
    crop = face.crop(size=64, face_type="full")
    np.testing.assert_allclose(mask, dense_mask(crop.to_crop(face.dense), size=64), atol=1 / 255)
    assert np.abs(mask - landmark_mask(crop.to_crop(face.landmarks), size=64)).mean() > 0.01  # not the 68 hull
