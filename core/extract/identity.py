"""Pick the person: keep the faces of a reference identity, or cluster faces into identities.

Embeddings are 128-D (dlib's ResNet): two photos of one person are ~0.1-0.4 apart, different
people ~0.7-0.9; dlib's same-person threshold is 0.6. Everything here is deterministic: faces are
visited in frame order, then left to right, so a merged file and a single run agree.
"""
from collections.abc import Sequence

import numpy as np

from facegraft.core.detect.types import box_ious


def distances(embeddings: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Euclidean distances (N,) of embeddings (N, D) to one reference (D,)."""
    embeddings = np.asarray(embeddings, np.float64).reshape(-1, np.asarray(reference).shape[-1])
    return np.linalg.norm(embeddings - np.asarray(reference, np.float64), axis=-1)


def cluster_identities(frames: Sequence[np.ndarray], *, max_distance: float = 0.5,
                       boxes: Sequence[np.ndarray] | None = None, follows: Sequence[bool] | None = None,
                       link_distance: float = 0.6, link_iou: float = 0.5) -> list[list[int]]:
    """Give each face a face id, the same across frames for the same person.

    A face that overlaps (box IoU > `link_iou`) a face of the frame before (when `follows` says
    the frames are consecutive) and whose embedding is within `link_distance` of it keeps that
    face's id. Other faces go by greedy online clustering: each identity keeps the running mean
    of its embeddings; faces are matched to identities by increasing distance (one face per
    identity per frame) if closer than `max_distance`, else start a new identity. Ids count from
    0 in order of appearance.

    Args:
        frames: per frame, (N_f, D) float embeddings of its faces (in the order they are stored).
        max_distance: the largest distance joining a face to an identity's mean.
        boxes: per frame, (N_f, 4) boxes (x0, y0, x1, y1) frame px, or None to cluster by
            embeddings only. follows: per frame, whether it directly follows the previous one.
    Returns: per frame, a list of N_f face ids.
    """
    sums: list[np.ndarray] = []
    counts: list[int] = []
    result: list[list[int]] = []
    previous: tuple[np.ndarray, np.ndarray, list[int]] | None = None
    for f, embeddings in enumerate(frames):
        embeddings = np.asarray(embeddings, np.float64)
        embeddings = embeddings.reshape(len(embeddings), -1) if embeddings.size else np.empty((0, 0))
        ids = [-1] * len(embeddings)
        taken: set[int] = set()
        if boxes is not None and previous is not None and (follows is None or follows[f]):
            prev_boxes, prev_emb, prev_ids = previous
            for i, (box, emb) in enumerate(zip(np.asarray(boxes[f]).reshape(-1, 4), embeddings)):
                overlaps = box_ious(box, np.asarray(prev_boxes, np.float64).reshape(-1, 4))
                for j, pemb in enumerate(prev_emb):
                    if (prev_ids[j] not in taken and overlaps[j] > link_iou
                            and np.linalg.norm(emb - pemb) < link_distance):
                        ids[i] = prev_ids[j]
                        taken.add(prev_ids[j])
                        break
        if len(embeddings) and sums:
            centroids = np.stack([s / c for s, c in zip(sums, counts)])
            d = np.linalg.norm(embeddings[:, None, :] - centroids[None, :, :], axis=-1)
            for flat in np.argsort(d, axis=None, kind="stable"):
                face, ident = divmod(int(flat), d.shape[1])
                if d[face, ident] >= max_distance:
                    break
                if ids[face] < 0 and ident not in taken:
                    ids[face] = ident
                    taken.add(ident)
        for face, ident in enumerate(ids):
            if ident < 0:
                sums.append(np.zeros(embeddings.shape[1]))
                counts.append(0)
                ident = ids[face] = len(sums) - 1
            sums[ident] = sums[ident] + embeddings[face]
            counts[ident] += 1
        result.append(ids)
        if boxes is not None:
            previous = (np.asarray(boxes[f]).reshape(-1, 4), embeddings, ids)
    return result


def match_reference(frames: Sequence[np.ndarray], reference: np.ndarray, *,
                    max_distance: float = 0.6) -> list[int | None]:
    """Per frame, the index of the face closest to `reference` if closer than `max_distance`, else None."""
    chosen: list[int | None] = []
    for embeddings in frames:
        if len(embeddings) == 0:
            chosen.append(None)
            continue
        d = distances(embeddings, reference)
        best = int(np.argmin(d))
        chosen.append(best if d[best] < max_distance else None)
    return chosen
