"""What 68 landmarks say about a face: scale, head pose, mouth and eye opening.

Shared by `facegraft eval` (pose and expression kept by a swap), the pair check (what A's
footage covers), training's balanced sampling, face-set sorting and landmark statistics. Landmarks are iBUG-68 order, (68, 2) or (N, 68, 2) float.

Head pose: OpenCV `solvePnP` (iterative) of six landmarks (nose tip 30, chin 8, outer eye
corners 36/45, mouth corners 48/54) against a generic 3D face (millimetres, the widely used
model of Mallick 2016), with a pinhole camera of focal length = image width and the principal
point at the image centre, no distortion. Angles are degrees: yaw (left/right turn, positive
turning towards image right), pitch (nod, positive chin up) and roll (in-plane tilt, positive
clockwise on screen), each wrapped to (-180, 180]. A generic model gives ±5-10° absolute error;
differences between two faces of similar shape (what eval reports) are much tighter.

Convention: full-frame (or crop) pixels, x right, y down, origin at the top-left corner of the
top-left pixel (pixel i covers [i, i+1)). Every measure here is invariant to translation and
scale (pose: approximately, through the pinhole model), so frame or crop landmarks both work.
"""
import cv2
import numpy as np

OUTER_EYE_CORNERS = (36, 45)
POSE_POINTS = (30, 8, 36, 45, 48, 54)
# Generic 3D face, millimetres, x right, y up, z towards the camera (nose tip at the origin).
_MODEL_3D = np.array([(0.0, 0.0, 0.0), (0.0, -330.0, -65.0), (-225.0, 170.0, -135.0),
                      (225.0, 170.0, -135.0), (-150.0, -150.0, -125.0), (150.0, -150.0, -125.0)], np.float64)
_LEFT_EYE, _RIGHT_EYE = tuple(range(36, 42)), tuple(range(42, 48))
_INNER_LIP_TOP, _INNER_LIP_BOTTOM = (61, 62, 63), (67, 66, 65)
MOUTH_CORNERS = (48, 54)
# iBUG-68 regions, for per-region landmark errors.
REGIONS: dict[str, tuple[int, ...]] = {"jaw": tuple(range(0, 17)), "brows": tuple(range(17, 27)),
                                       "nose": tuple(range(27, 36)), "eyes": tuple(range(36, 48)),
                                       "mouth": tuple(range(48, 68))}


def _points(landmarks: np.ndarray) -> np.ndarray:
    points = np.asarray(landmarks, np.float64)
    if points.shape[-2:] != (68, 2):
        raise ValueError(f"landmarks must have shape (..., 68, 2), got {points.shape}")
    return points


def interocular(landmarks: np.ndarray) -> np.ndarray:
    """Distance between the outer eye corners (36, 45): (...) float64, in the landmarks' pixels."""
    points = _points(landmarks)
    return np.linalg.norm(points[..., OUTER_EYE_CORNERS[1], :] - points[..., OUTER_EYE_CORNERS[0], :], axis=-1)


def landmark_error(landmarks: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Mean point-to-point distance of `landmarks` to `reference`, over the reference's interocular.

    Args: landmarks, reference: (..., 68, 2) float, same pixel grid.
    Returns: (...) float64, 0 for identical points (0.05 ≈ a visible mismatch).
    Raises: ValueError for wrong shapes.
    """
    points, ref = _points(landmarks), _points(reference)
    if points.shape != ref.shape:
        raise ValueError(f"landmarks {points.shape} and reference {ref.shape} differ in shape")
    scale = np.maximum(interocular(ref), 1e-9)
    return np.linalg.norm(points - ref, axis=-1).mean(axis=-1) / scale


def head_pose(landmarks: np.ndarray, *, image_size: tuple[int, int]) -> np.ndarray:
    """Yaw, pitch, roll in degrees of one face (see the module docstring for the method and signs).

    Args:
        landmarks: (68, 2) float pixels. image_size: (width, height) of the image they lie in.
    Returns: (3,) float64 [yaw, pitch, roll]; NaN where solvePnP fails.
    Raises: ValueError for a wrong shape.
    """
    points = _points(landmarks)
    if points.ndim != 2:
        raise ValueError("head_pose takes one face (68, 2); loop over faces")
    width, height = image_size
    camera = np.array([[width, 0.0, width / 2.0], [0.0, width, height / 2.0], [0.0, 0.0, 1.0]])
    image_points = points[list(POSE_POINTS)].copy()
    # Model y is up, image y is down: flip the model so that the solved rotation is a plain one.
    model = _MODEL_3D * np.array([1.0, -1.0, -1.0])
    ok, rvec, _ = cv2.solvePnP(model, image_points, camera, np.zeros(4), flags=cv2.SOLVEPNP_ITERATIVE)
    if not ok:
        return np.full(3, np.nan)
    rotation, _ = cv2.Rodrigues(rvec)
    return _euler_degrees(rotation)


def _euler_degrees(rotation: np.ndarray) -> np.ndarray:
    """R = Rz(roll) @ Ry(yaw) @ Rx(pitch) decomposed; signs as the module docstring states."""
    sy = float(np.hypot(rotation[0, 0], rotation[1, 0]))
    if sy > 1e-6:
        pitch = np.arctan2(rotation[2, 1], rotation[2, 2])
        yaw = np.arctan2(-rotation[2, 0], sy)
        roll = np.arctan2(rotation[1, 0], rotation[0, 0])
    else:
        pitch, yaw, roll = np.arctan2(-rotation[1, 2], rotation[1, 1]), np.arctan2(-rotation[2, 0], sy), 0.0
    angles = np.degrees([-yaw, -pitch, roll])
    return (angles + 180.0) % 360.0 - 180.0


def head_poses(landmarks: np.ndarray, *, image_size: tuple[int, int]) -> np.ndarray:
    """`head_pose` of each face: (N, 68, 2) → (N, 3) float64 degrees."""
    points = _points(landmarks).reshape(-1, 68, 2)
    return np.array([head_pose(p, image_size=image_size) for p in points]).reshape(-1, 3)


def angle_difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """|a - b| for angles in degrees, wrapped into [0, 180]."""
    d = (np.asarray(a, np.float64) - np.asarray(b, np.float64) + 180.0) % 360.0 - 180.0
    return np.abs(d)


def region_errors(landmarks: np.ndarray, reference: np.ndarray) -> dict[str, np.ndarray]:
    """`landmark_error` restricted to each of `REGIONS` (jaw, brows, nose, eyes, mouth).

    Args: landmarks, reference: (..., 68, 2) float, same pixel grid.
    Returns: {region: (...) float64}, mean point distance over the reference's interocular.
    """
    points, ref = _points(landmarks), _points(reference)
    if points.shape != ref.shape:
        raise ValueError(f"landmarks {points.shape} and reference {ref.shape} differ in shape")
    scale = np.maximum(interocular(ref), 1e-9)
    distance = np.linalg.norm(points - ref, axis=-1)
    return {name: distance[..., list(index)].mean(axis=-1) / scale for name, index in REGIONS.items()}


def mouth_opening(landmarks: np.ndarray) -> np.ndarray:
    """Inner-lip gap (mean of 61-67, 62-66, 63-65) over the mouth width (corners 48-54):
    (...) float64, ~0 closed, 0.3+ wide open (teeth showing), independent of face size."""
    points = _points(landmarks)
    gap = np.linalg.norm(points[..., list(_INNER_LIP_TOP), :] - points[..., list(_INNER_LIP_BOTTOM), :], axis=-1)
    width = np.linalg.norm(points[..., MOUTH_CORNERS[1], :] - points[..., MOUTH_CORNERS[0], :], axis=-1)
    return gap.mean(axis=-1) / np.maximum(width, 1e-9)


def eye_opening(landmarks: np.ndarray) -> np.ndarray:
    """Mean eye aspect ratio of both eyes (Soukupová & Čech 2016): (...) float64, ~0.3 open, < 0.15 shut."""
    points = _points(landmarks)
    ratios = []
    for eye in (_LEFT_EYE, _RIGHT_EYE):
        p = points[..., list(eye), :]
        vertical = (np.linalg.norm(p[..., 1, :] - p[..., 5, :], axis=-1) +
                    np.linalg.norm(p[..., 2, :] - p[..., 4, :], axis=-1))
        horizontal = np.linalg.norm(p[..., 0, :] - p[..., 3, :], axis=-1)
        ratios.append(vertical / np.maximum(2.0 * horizontal, 1e-9))
    return (ratios[0] + ratios[1]) / 2.0


# Centre and spread of each expression measure over talking-head clips (the shared clips' 5..95 %
# ranges: opening 0..0.7, width 0.4..0.8, smile -0.1..0.18, eyes 0.1..0.5): codes of order 1.
EXPRESSION_MEASURES = ("mouth opening", "mouth width", "smile", "eye opening")
# Measures whose resting value differs from person to person (a wide mouth, narrow eyes): training
# centres them on each identity's median (`core.train.data`), so the network transfers the change
# from a person's usual face. Mouth opening keeps its natural zero (closed is closed for everyone).
EXPRESSION_PER_IDENTITY = (False, True, True, True)
_EXPRESSION_CENTRE = (0.15, 0.6, 0.03, 0.28)
_EXPRESSION_SCALE = (0.15, 0.08, 0.06, 0.06)


def expression_code(landmarks: np.ndarray) -> np.ndarray:
    """The face's expression as the network sees it (`ModelConfig.expression`): (..., 4) float32,
    each of `EXPRESSION_MEASURES` shifted and scaled to order 1 (see `_EXPRESSION_CENTRE`):
    `mouth_opening`; mouth width (corners 48-54) over `interocular` (a smile or "ee" widens it);
    smile, the inner lips' centre (62, 66) below the mouth corners, over the mouth width (corners
    up > 0; landmarks of an upright face, as in an aligned crop); `eye_opening`. Closed mouth ≈ -1,
    wide open ≈ +3; shut eyes ≈ -4. All are ratios, so independent of the face's size; NaN where
    the landmarks are not finite."""
    points = _points(landmarks)
    width = np.linalg.norm(points[..., MOUTH_CORNERS[1], :] - points[..., MOUTH_CORNERS[0], :], axis=-1)
    corners_y = (points[..., MOUTH_CORNERS[0], 1] + points[..., MOUTH_CORNERS[1], 1]) / 2.0
    centre_y = (points[..., 62, 1] + points[..., 66, 1]) / 2.0
    code = np.stack([mouth_opening(points), width / np.maximum(interocular(points), 1e-9),
                     (centre_y - corners_y) / np.maximum(width, 1e-9), eye_opening(points)], axis=-1)
    return ((code - _EXPRESSION_CENTRE) / _EXPRESSION_SCALE).astype(np.float32)
