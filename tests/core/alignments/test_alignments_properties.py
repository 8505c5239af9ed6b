"""Property tests (hypothesis) for loading alignments: any plausible face round-trips exactly, and
any damage to a file (wrong types, NaN, absurd numbers, missing fields) is an AlignmentsError naming
the file, never another exception and never a face that cannot be on the plate."""
import json
import math
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facegraft.core.align.geometry import FaceCrop
from facegraft.core.align.mean_face import MEAN_FACE_68
from facegraft.core.alignments.format import (Alignments, AlignmentsHeader, FaceAlignment, check_face, dumps,
                                              load_alignments)
from facegraft.core.errors import AlignmentsError

FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
HEADER = AlignmentsHeader("plate.####.exr", 320, 240, "hog", "dlib68", "dlib_resnet", "full", 64)


def face_at(x: float, y: float, scale: float, angle: float, face_id: int = 0) -> FaceAlignment:
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    points = MEAN_FACE_68 @ rotation.T * scale + np.array([x, y])
    crop = FaceCrop.from_landmarks(points, size=HEADER.size, face_type=HEADER.face_type)
    box = np.array([*points.min(0), *points.max(0)])
    return FaceAlignment(face_id, box, 1.5, True, points, points, crop.frame_to_crop, np.linspace(-1, 1, 128))


faces = st.builds(face_at, st.floats(0, 320), st.floats(0, 240), st.floats(4, 120), st.floats(-3.1, 3.1),
                  st.integers(0, 5))  # faces on (or partly off) a 320x240 plate


def _load_text(text: str):  # type: ignore[no-untyped-def]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "a.json"
        path.write_text(text)
        return load_alignments(path)


@FAST
@given(st.dictionaries(st.integers(-10, 5000), st.lists(faces, max_size=3), max_size=6))
def test_plausible_faces_round_trip(by_frame: dict) -> None:
    alignments = Alignments(HEADER, {n: tuple(f) for n, f in by_frame.items()})
    text = dumps(alignments)
    loaded = _load_text(text)
    assert loaded.frames == sorted(by_frame) and dumps(loaded) == text


damage = st.one_of(st.just(math.nan), st.just(math.inf), st.just(-1e300), st.just(1e12), st.just(0.0),
                   st.just("x"), st.just(None), st.just([]), st.just([[1.0, 2.0]] * 3), st.integers(-5, 5),
                   st.just([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]), st.just({"a": 1}))
fields = st.sampled_from(["face_id", "box", "score", "detected", "landmarks_raw", "landmarks", "frame_to_crop",
                          "embedding", "__missing__"])
header_fields = st.sampled_from(["width", "height", "size", "face_type", "frames", "source", "settings"])


@FAST
@given(faces, fields, damage, st.booleans(), header_fields, damage)
def test_damaged_files_are_clean_errors(face: FaceAlignment, field: str, value: object, in_header: bool,
                                        header_field: str, header_value: object) -> None:
    data = json.loads(dumps(Alignments(HEADER, {7: (face,)})))
    if in_header:
        data["header"][header_field] = header_value
    elif field == "__missing__":
        del data["frames"]["7"][0]["landmarks"]
    else:
        data["frames"]["7"][0][field] = value
    try:
        loaded = _load_text(json.dumps(data))
    except AlignmentsError as error:
        assert str(error).count("\n") == 0 and "a.json" in str(error)
        return
    for number in loaded.frames:  # what loads is a face that can be on the plate
        for loaded_face in loaded.faces(number):
            check_face(loaded_face, loaded.header, number)


@FAST
@given(st.binary(max_size=200))
def test_random_bytes_are_clean_errors(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "a.json"
        path.write_bytes(data)
        try:
            load_alignments(path)
        except AlignmentsError as error:
            assert "a.json" in str(error)
