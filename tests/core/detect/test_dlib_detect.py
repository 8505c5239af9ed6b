"""dlib backends on real photos: detection, 68-point accuracy on dlib's XML sets, identity distances."""
import xml.etree.ElementTree as ET
from pathlib import Path

import cv2
import numpy as np
import pytest

from facegraft.core.detect.dlib_backends import DlibIdentity, DlibLandmarks, HogDetector, MmodDetector
from facegraft.core.detect.types import FaceDetector, IdentityModel, LandmarkModel, boxes_array


def load_rgb(path: Path) -> np.ndarray:
    return np.ascontiguousarray(cv2.imread(str(path))[..., ::-1])


def xml_faces(path: Path):
    """(image file, box (4,), points (68, 2)) in our convention from a dlib imglab XML."""
    for image in ET.parse(path).getroot().iter("image"):
        for box in image.iter("box"):
            left, top = float(box.get("left")), float(box.get("top"))
            b = np.array([left, top, left + float(box.get("width")), top + float(box.get("height"))])
            parts = sorted(box.iter("part"), key=lambda p: int(p.get("name")))
            pts = np.array([[float(p.get("x")) + 0.5, float(p.get("y")) + 0.5] for p in parts])
            yield path.parent / image.get("file"), b, pts


@pytest.fixture(scope="module")
def dlib_faces(faces_dir):
    return faces_dir / "davisking__dlib" / "examples" / "faces"


@pytest.fixture(scope="module")
def examples(faces_dir):
    return faces_dir / "ageitgey__face_recognition" / "examples"


def test_backends_follow_the_protocols():
    assert isinstance(HogDetector(), FaceDetector)
    assert isinstance(DlibLandmarks(), LandmarkModel)
    assert isinstance(DlibIdentity(), IdentityModel)


def test_hog_finds_both_faces_of_two_people(examples):
    found = HogDetector()(load_rgb(examples / "two_people.jpg"))
    assert len(found) == 2
    boxes = boxes_array(found)
    assert boxes.shape == (2, 4) and np.all(boxes[:, 2] > boxes[:, 0])
    assert all(d.score > 0 for d in found)


def test_hog_on_a_blank_image_finds_nothing():
    assert HogDetector()(np.zeros((200, 200, 3), np.uint8)) == []


def test_detector_rejects_float_images():
    with pytest.raises(ValueError):
        HogDetector()(np.zeros((20, 20, 3), np.float32))


@pytest.mark.parametrize("name", ["training_with_face_landmarks.xml", "testing_with_face_landmarks.xml"])
def test_dlib68_reproduces_the_xml_landmarks(dlib_faces, name):
    """A regression check: the XML points came from this model (mean error / outer-eye distance)."""
    model = DlibLandmarks()
    errors = []
    for file, box, truth in xml_faces(dlib_faces / name):
        found = model(load_rgb(file), box[None])[0]
        iod = np.linalg.norm(truth[45] - truth[36])
        errors.append(np.linalg.norm(found - truth, axis=-1).mean() / iod)
    assert len(errors) >= 18
    assert np.mean(errors) < 0.05


def test_identity_distances(examples):
    hog, lm, ident = HogDetector(), DlibLandmarks(), DlibIdentity()

    def embed(name):
        image = load_rgb(examples / name)
        boxes = boxes_array(hog(image))[:1]
        return ident(image, lm(image, boxes))[0]

    obama, obama2, biden = embed("obama.jpg"), embed("obama2.jpg"), embed("biden.jpg")
    assert obama.shape == (128,)
    assert np.linalg.norm(obama - obama2) < 0.6 < np.linalg.norm(obama - biden)


def test_mmod_on_a_small_image(examples):
    image = load_rgb(examples / "obama.jpg")
    small = np.ascontiguousarray(cv2.resize(image, (364, 455), interpolation=cv2.INTER_AREA))
    found = MmodDetector()(small)
    assert len(found) == 1
    x0, y0, x1, y1 = found[0].box
    assert 60 < x1 - x0 < 300 and 0 <= x0 < x1 <= 364
