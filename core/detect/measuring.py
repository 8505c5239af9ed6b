"""What a measurement (the eval, the pair check) should use: landmarks from another model than
extraction's, and mouth and eye opening from the 468 mesh points.

Independence: a landmark model's bias cannot grade itself, so the landmarks that measure a swap
come from a different model than the one that placed the alignments (`measuring_landmarks`; the
alignments header names extraction's model).

Dense openings (`mesh_mouth_opening`, `mesh_eye_opening`) use every facing pair of inner-lip and
eyelid vertices instead of iBUG-68's three and two, on the same scales as the 68-point measures
(`core/align/face_geometry.py`): mouth gap over the outer-eye-corner distance (~0 closed,
0.3+ wide), eye aspect ratio (mean lid gap over eye width: ~0.3 open, < 0.15 shut).
Convention: points are (x, y) pixels of one grid (frame or crop); the measures are scale-free.
"""
from collections.abc import Sequence

import numpy as np

from facegraft.core.detect.mesh_topology import MESH_POINTS
from facegraft.core.detect.registry import BackendRegistry
from facegraft.core.errors import FacegraftError

# Preferred measuring models, best first; extraction's own model is skipped.
MEASURING_ORDER = ("mesh", "dlib68", "fan2d")

_OUTER_EYE_CORNERS = (33, 263)
# Facing vertex pairs (upper, lower), from one mouth corner to the other / along each eye.
_INNER_LIPS = ((191, 95), (80, 88), (81, 178), (82, 87), (13, 14), (312, 317), (311, 402), (310, 318), (415, 324))
_RIGHT_LIDS = ((161, 163), (160, 144), (159, 145), (158, 153), (157, 154))
_LEFT_LIDS = ((388, 390), (387, 373), (386, 374), (385, 380), (384, 381))
_RIGHT_CORNERS, _LEFT_CORNERS = (33, 133), (263, 362)


def measuring_landmarks(extraction_landmarks: str, *, registry: BackendRegistry,
                        order: Sequence[str] = MEASURING_ORDER) -> str:
    """The landmark backend a measurement should use for alignments made with `extraction_landmarks`.

    The first name of `order` that differs from `extraction_landmarks`, is registered, and loads
    (a backend whose weights are absent is skipped). Extraction with the mesh → "dlib68"; with
    dlib68 (or anything else) → "mesh".

    Args: extraction_landmarks: `AlignmentsHeader.landmarks` of the alignments being measured.
        registry: where backends are created (each candidate is loaded once to check it).
    Returns: a backend name of `registry`. Raises: FacegraftError when no other model loads.
    """
    tried = []
    for name in order:
        if name == extraction_landmarks or name not in registry.names("landmarks"):
            continue
        try:
            registry.landmarks(name)
        except FacegraftError as exc:
            tried.append(f"{name} ({exc})")
            continue
        return name
    raise FacegraftError(f"no landmark model other than {extraction_landmarks!r} loads ({'; '.join(tried) or 'none'}); "
                         "install the mediapipe models (README set-up) so measurements use an independent model")


def _mesh(points: np.ndarray) -> np.ndarray:
    points = np.asarray(points, np.float64)
    if points.shape[-2:] != (MESH_POINTS, 2):
        raise ValueError(f"mesh points must have shape (..., {MESH_POINTS}, 2), got {points.shape}")
    return points


def _gaps(points: np.ndarray, pairs: tuple[tuple[int, int], ...]) -> np.ndarray:
    upper, lower = (list(p) for p in zip(*pairs))
    return np.linalg.norm(points[..., upper, :] - points[..., lower, :], axis=-1).mean(axis=-1)


def _distance(points: np.ndarray, pair: tuple[int, int]) -> np.ndarray:
    return np.maximum(np.linalg.norm(points[..., pair[0], :] - points[..., pair[1], :], axis=-1), 1e-9)


def mesh_mouth_opening(mesh: np.ndarray) -> np.ndarray:
    """Mean inner-lip gap over the outer-eye-corner distance, from mesh points.

    Args: mesh: (..., 468, 2) float. Returns: (...) float64, ~0 closed, 0.3+ wide open.
    Raises: ValueError for a wrong shape.
    """
    points = _mesh(mesh)
    return _gaps(points, _INNER_LIPS) / _distance(points, _OUTER_EYE_CORNERS)


def mesh_eye_opening(mesh: np.ndarray) -> np.ndarray:
    """Mean eye aspect ratio of both eyes (mean lid gap over eye width), from mesh points.

    Args: mesh: (..., 468, 2) float. Returns: (...) float64, ~0.3 open, < 0.15 shut.
    Raises: ValueError for a wrong shape.
    """
    points = _mesh(mesh)
    right = _gaps(points, _RIGHT_LIDS) / _distance(points, _RIGHT_CORNERS)
    left = _gaps(points, _LEFT_LIDS) / _distance(points, _LEFT_CORNERS)
    return (right + left) / 2.0
