"""FaceTracker with fake backends: keyframes, gaps, loss → re-detection, window verification."""
from dataclasses import dataclass, field

import numpy as np

from facegraft.core.align.mean_face import MEAN_FACE_68
from facegraft.core.detect.types import Detection
from facegraft.core.detect.types import box_ious
from facegraft.core.extract.tracking import FaceTracker, TrackingSettings, window_detect

IMAGE = np.zeros((400, 400, 3), np.uint8)


@dataclass
class FakeDetector:
    """Finds one face whose box is centred at `center` (scaled with the image)."""

    center: tuple[float, float] = (200.0, 200.0)
    side: float = 120.0
    present: bool = True
    name: str = "fake"
    calls: int = 0

    def __call__(self, image):
        self.calls += 1
        if not self.present:
            return []
        s = image.shape[1] / IMAGE.shape[1]
        cx, cy = self.center
        return [Detection(((cx - self.side / 2) * s, (cy - self.side / 2) * s,
                           (cx + self.side / 2) * s, (cy + self.side / 2) * s), 1.0)] if s == 1 else \
            [Detection((image.shape[1] / 2 - 50, image.shape[0] / 2 - 50, image.shape[1] / 2 + 50,
                        image.shape[0] / 2 + 50), 1.0)]


@dataclass
class FakeLandmarks:
    """A mean face filling the box; `garbage` makes it return scattered points."""

    garbage: bool = False
    name: str = "fake68"
    calls: list = field(default_factory=list)

    def __call__(self, image, boxes):
        self.calls.append(np.array(boxes))
        out = []
        for x0, y0, x1, y1 in boxes:
            if self.garbage:
                out.append(np.random.default_rng(0).uniform(0, 400, (68, 2)))
            else:
                out.append(MEAN_FACE_68 * (x1 - x0) / 2.2 + [(x0 + x1) / 2, (y0 + y1) / 2])
        return np.array(out).reshape(-1, 68, 2)


@dataclass
class FakeIdentity:
    name: str = "fakeid"
    dimensions: int = 4
    same_person_distance: float = 0.6

    def __call__(self, image, landmarks):
        return np.ones((len(landmarks), 4))


def make(redetect_every=5, verify=False, **kw):
    det, lm = FakeDetector(**kw), FakeLandmarks()
    return FaceTracker(det, lm, FakeIdentity(), TrackingSettings(redetect_every=redetect_every, verify=verify)), det, lm


def test_keyframes_and_gaps():
    tracker, det, _ = make()
    out = [tracker.process(n, IMAGE) for n in range(1, 13)]
    assert [f[0].detected for f in out] == [n in (1, 5, 10) for n in range(1, 13)]
    assert tracker.detections == 3
    tracker.process(20, IMAGE)  # a gap: re-detect
    assert tracker.detections == 4
    assert all(len(f) == 1 and f[0].landmarks.shape == (68, 2) and f[0].embedding.shape == (4,) for f in out)


def test_a_lost_face_is_redetected():
    tracker, det, lm = make()
    tracker.process(1, IMAGE)
    lm.garbage = True
    det.present = False
    assert tracker.process(2, IMAGE) == []  # landmarks stop looking like a face → detect → nothing
    assert tracker.detections == 2
    assert tracker.process(3, IMAGE) == [] and tracker.detections == 3  # nothing tracked: detect each frame


def test_verification_catches_a_face_that_left():
    tracker, det, _ = make(verify=True)
    tracker.process(1, IMAGE)
    assert len(tracker.process(2, IMAGE)) == 1 and tracker.detections == 1
    det.present = False
    assert tracker.process(3, IMAGE) == [] and tracker.detections == 2


def test_window_detect_maps_back_to_frame_pixels():
    found = window_detect(FakeDetector(), IMAGE, np.array([150.0, 150.0, 250.0, 250.0]))
    assert len(found) == 1 and box_ious(np.asarray(found[0]), np.array([[150.0, 150.0, 250.0, 250.0]]))[0] > 0.9


def test_settings_round_trip():
    s = TrackingSettings(redetect_every=3, verify=False)
    assert TrackingSettings.from_json(s.to_json()) == s
