"""Identity: clustering across frames, one id per person per frame; reference matching."""
import numpy as np

from facegraft.core.extract.identity import cluster_identities, match_reference


def people(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    v = rng.normal(0, 1, (n, 128))
    return v / np.linalg.norm(v, axis=1, keepdims=True) * 0.6  # pairwise distance ~0.85


def test_two_people_keep_their_ids_whatever_the_order():
    a, b = people(2)
    rng = np.random.default_rng(1)
    frames = [np.array([a, b]), np.array([b, a]), np.array([a]), np.empty((0, 128)), np.array([b])]
    frames = [f + rng.normal(0, 0.005, f.shape) for f in frames]
    assert cluster_identities(frames) == [[0, 1], [1, 0], [0], [], [1]]


def test_two_faces_of_one_frame_never_share_an_id():
    a = people(1)[0]
    assert cluster_identities([np.array([a, a + 0.001])]) == [[0, 1]]


def test_match_reference_picks_the_closest_under_threshold():
    a, b, c = people(3)
    assert match_reference([np.array([b, a + 0.01]), np.array([b]), np.empty((0, 128))], a) == [1, None, None]
    assert match_reference([np.array([c])], c, max_distance=0.0) == [None]


def test_an_overlapping_face_in_the_next_frame_keeps_its_id():
    a, b = people(2)
    mid = (a + b) / 2  # a noisy embedding, closer to neither mean than 0.5
    box = np.array([[10.0, 10.0, 60.0, 60.0]])
    frames = [np.array([a]), np.array([b]), np.array([mid])]
    boxes = [box, box + 200, box + 200]
    assert cluster_identities(frames, boxes=boxes, follows=[False, True, True]) == [[0], [1], [1]]
    assert cluster_identities(frames, boxes=boxes, follows=[False, True, False])[2] != [1] or \
        np.linalg.norm(mid - b) < 0.5
