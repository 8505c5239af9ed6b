"""The pair check on synthetic landmark sets (known coverage) and on real extracted clips."""
import numpy as np
import pytest

from facegraft.core.align.mean_face import MEAN_FACE_68
from facegraft.core.errors import NoFaceError
from facegraft.core.pair.check import FaceSamples, check_pair, load_samples, mean_shape
from facegraft.core.pair.text import report_text


def face(*, yaw_shift=0.0, mouth=0.0, eyes_shut=False, scale=100.0):
    """A mean face in a 480 px image; yaw_shift moves the nose sideways (turns the head)."""
    p = np.array(MEAN_FACE_68) * scale + 240.0
    p[27:36] += [yaw_shift * scale, 0]
    p[[65, 66, 67, 56, 57, 58]] += [0, mouth * scale]
    if eyes_shut:
        for top, bottom in ((37, 41), (38, 40), (43, 47), (44, 46)):
            p[[top, bottom]] = (p[top] + p[bottom]) / 2
    return p


def samples(name, faces, start=1):
    return FaceSamples(name, tuple(range(start, start + len(faces))), np.array(faces), (480, 480))


def test_same_collection_is_fully_covered():
    a = samples("A", [face(yaw_shift=s) for s in np.linspace(-0.05, 0.05, 5)])
    report = check_pair(a, a)
    assert report.covered == 1.0 and report.uncovered == ()
    assert report.shape_distance == pytest.approx(0.0, abs=1e-9)
    assert report.verdict.startswith("good pair")
    assert "A has only 5 faces" in report.notes[0]


def test_uncovered_pose_mouth_and_eyes_are_listed():
    a = samples("A", [face() for _ in range(4)])
    b = samples("B", [face(), face(yaw_shift=0.4), face(mouth=0.5), face(eyes_shut=True)], start=101)
    report = check_pair(a, b)
    frames = dict(report.uncovered)
    assert sorted(frames) == [102, 103, 104]
    assert "head pose" in frames[102] and "mouth open" in frames[103] and "eyes closed" in frames[104]
    assert report.covered == pytest.approx(0.25)
    assert report.verdict.startswith("poor pair")
    text = report_text(report)
    assert "B frames A never shows: 102-104" in text and "verdict: poor pair" in text


def test_mirrored_pose_counts_as_covered_unless_disabled():
    from facegraft.core.pair.check import PairSettings

    a = samples("A", [face(yaw_shift=0.3)])
    b = samples("B", [face(yaw_shift=-0.3)])
    assert check_pair(a, b).covered == 1.0
    assert check_pair(a, b, settings=PairSettings(mirrored=False)).covered == 0.0


def test_mean_shape_is_similarity_invariant():
    p = face()
    angle = 0.3
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    moved = (p @ rot.T) * 1.7 + [30, -12]
    assert np.allclose(mean_shape(p[None]), mean_shape(moved[None]), atol=1e-9)


def test_load_samples_errors(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(Exception, match="empty"):
        load_samples(tmp_path / "empty", name="A")
    with pytest.raises(Exception, match="missing.json"):
        load_samples(tmp_path / "missing.json", name="A")
    assert issubclass(NoFaceError, Exception)
