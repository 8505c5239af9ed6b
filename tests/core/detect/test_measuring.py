"""Measuring helpers: an independent landmark model, dense mouth and eye opening with controls."""
import numpy as np
import pytest

from facegraft.core.detect.blazeface import BlazeFaceDetector
from facegraft.core.detect.face_mesh import FaceMeshLandmarks
from facegraft.core.detect.measuring import measuring_landmarks, mesh_eye_opening, mesh_mouth_opening
from facegraft.core.detect.registry import BackendRegistry, default_registry
from facegraft.core.detect.types import boxes_array, rolls_array
from facegraft.core.errors import FacegraftError, ModelMismatchError
from facegraft.core.media.video import read_video


def test_the_measuring_model_is_never_extractions():
    registry = default_registry()
    assert measuring_landmarks("mesh", registry=registry) == "dlib68"
    assert measuring_landmarks("dlib68", registry=registry) == "mesh"
    assert measuring_landmarks("fan2d", registry=registry) == "mesh"


def test_models_that_do_not_load_are_skipped_and_none_left_is_an_error():
    registry = BackendRegistry()

    def missing(options):
        raise ModelMismatchError("weights not found")

    registry.register("landmarks", "mesh", missing, description="absent")
    registry.register("landmarks", "dlib68", lambda o: object(), description="present")
    assert measuring_landmarks("fan2d", registry=registry) == "dlib68"
    with pytest.raises(FacegraftError, match="other than 'dlib68'"):
        measuring_landmarks("dlib68", registry=registry)


def test_openings_are_scale_free_and_check_shapes():
    rng = np.random.default_rng(0)
    mesh = rng.uniform(0, 100, (468, 2))
    assert mesh_mouth_opening(mesh * 3 + 10) == pytest.approx(mesh_mouth_opening(mesh))
    assert mesh_eye_opening(mesh * 3 + 10) == pytest.approx(mesh_eye_opening(mesh))
    assert mesh_mouth_opening(np.stack([mesh, mesh])).shape == (2,)
    with pytest.raises(ValueError):
        mesh_mouth_opening(np.zeros((68, 2)))


@pytest.fixture(scope="module")
def d18_mouth(clips):
    """Dense mouth opening of d18.mp4's first 216 frames (a man opening his mouth wide)."""
    detector, mesh = BlazeFaceDetector(), FaceMeshLandmarks()
    values, denses = [], []
    for _, pixels in read_video(clips / "d18.mp4", frames=range(1, 217, 3)):
        image = np.ascontiguousarray((np.clip(pixels, 0, 1) * 255 + 0.5).astype(np.uint8))
        found = detector(image)
        dense = mesh.place(image, boxes_array(found[:1]), rolls=rolls_array(found[:1])).dense[0]
        denses.append(dense)
        values.append(mesh_mouth_opening(dense))
    return np.array(values), np.array(denses)


def test_mouth_opening_follows_a_real_mouth(d18_mouth):
    values, denses = d18_mouth
    assert values.min() < 0.05 and values.max() > 0.2  # closed and wide open frames (positive control)
    closed = denses[int(np.argmax(values))].copy()
    from facegraft.core.detect.measuring import _INNER_LIPS

    for upper, lower in _INNER_LIPS:  # negative control: the same face with the lips pressed together
        closed[[upper, lower]] = (closed[upper] + closed[lower]) / 2
    assert mesh_mouth_opening(closed) == pytest.approx(0.0, abs=1e-9)
    eyes = mesh_eye_opening(denses)
    assert 0.15 < np.median(eyes) < 0.5  # open eyes throughout
