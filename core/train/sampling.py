"""Balanced sampling: draw an identity's faces evenly over head pose and expression.

A talking-head clip is mostly frontal with the mouth half closed; drawn uniformly, the few frames
with a wide-open mouth, shut eyes or a turned head are seen rarely and the network learns the
average face. DeepFaceLab balances yaw (`uniform_yaw`); here four factors are balanced: yaw,
pitch (head pose from the 68 landmarks, `face_geometry.head_pose`), mouth opening and eye
opening (`face_geometry.mouth_opening`, `eye_opening`). A draw picks a factor uniformly, then one
of that factor's non-empty bins uniformly, then a face in the bin uniformly: the probability of a
face is the mean over factors of 1 / (bins used × faces in its bin). A factor whose faces all fall
in one bin (a clip without head motion, say) balances nothing and is left out.
"""
import numpy as np

from facegraft.core.align.face_geometry import eye_opening, head_pose, mouth_opening
from facegraft.core.train.settings import SamplingSettings


def face_factors(landmarks: np.ndarray, *, size: int) -> np.ndarray:
    """Yaw, pitch (degrees), mouth opening (mouth widths) and eye opening (eye aspect ratio) per face.

    Args: landmarks: (N, 68, 2) crop pixels (origin at the top-left corner of the top-left pixel);
        a face whose landmarks are not finite gets NaN factors. size: crop size S in pixels.
    Returns: (N, 4) float64 [yaw, pitch, mouth, eyes].
    """
    points = np.asarray(landmarks, np.float64).reshape(-1, 68, 2)
    out = np.full((len(points), 4), np.nan)
    for i, p in enumerate(points):
        if np.all(np.isfinite(p)):
            out[i, :2] = head_pose(p, image_size=(size, size))[:2]
            out[i, 2], out[i, 3] = mouth_opening(p), eye_opening(p)
    return out


def _bin_index(values: np.ndarray, bins: int) -> np.ndarray:
    """Bin of each value: `bins` even bins over its 2..98 % range (outliers join the end bins);
    -1 for NaN."""
    index = np.full(len(values), -1)
    finite = np.isfinite(values)
    if bins <= 1 or finite.sum() < 2:
        index[finite] = 0
        return index
    low, high = np.percentile(values[finite], [2.0, 98.0])
    if high <= low:
        index[finite] = 0
        return index
    edges = np.linspace(low, high, bins + 1)[1:-1]
    index[finite] = np.searchsorted(edges, values[finite], side="right")
    return index


def balanced_weights(factors: np.ndarray, settings: SamplingSettings) -> np.ndarray:
    """Drawing probability of each face (N,) float64, summing to 1 (see the module docstring).

    Args: factors: (N, 4) from `face_factors`; a face with a NaN factor is balanced on the others
        only (and drawn uniformly when all are NaN). settings: bins per factor.
    """
    n = len(factors)
    if n == 0:
        return np.zeros(0)
    total = np.zeros(n)
    used = 0
    for column, bins in enumerate((settings.yaw_bins, settings.pitch_bins, settings.mouth_bins, settings.eyes_bins)):
        index = _bin_index(factors[:, column], bins)
        labels, counts = np.unique(index[index >= 0], return_counts=True)
        if len(labels) < 2:  # one bin balances nothing
            continue
        per_face = np.zeros(n)
        for label, count in zip(labels, counts):
            per_face[index == label] = 1.0 / (len(labels) * count)
        total += per_face
        used += 1
    if used == 0 or total.sum() <= 0:
        return np.full(n, 1.0 / n)
    uncovered = total == 0  # NaN on every factor: give them the mean weight
    total[uncovered] = total[~uncovered].mean() if (~uncovered).any() else 1.0
    return total / total.sum()
