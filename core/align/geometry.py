"""Crop geometry: the one place that fits, applies and inverts a face's frame → crop transform.

Convention: full-frame pixels, x to the right, y down, origin at the top-left corner of the
top-left pixel (pixel i covers [i, i+1), its center is at i + 0.5). Crop pixels follow the same
convention inside the S x S crop. Matrices are 2x3 float64, frame → crop:
`crop = M[:, :2] @ frame + M[:, 2]`.

A face crop is a similarity transform (rotation, uniform scale, translation; no shear, no flip)
fitted (Umeyama least squares) from the face's 68 landmarks (points 17-67) to the canonical
mean face (`mean_face.MEAN_FACE_68`), followed by the face type's framing: which square of the
mean face, in units of the outer-eye-corner distance, fills the crop.
"""
from dataclasses import dataclass
from types import MappingProxyType

import cv2
import numpy as np

from facegraft.core.align.mean_face import FIT_POINTS, MEAN_FACE_68
from facegraft.core.checks import check_affine, check_image


@dataclass(frozen=True)
class FaceFraming:
    """Which square of the mean face a crop shows: `center` (x, y) and `side`, in mean-face units."""

    center: tuple[float, float]
    side: float


# Mean-face units: outer eye corners 1 apart, brows at y ~ -0.6, chin at y ~ 1.06.
FACE_TYPES = MappingProxyType({
    "half": FaceFraming((0.0, 0.0), 1.6),     # brows to mouth, tight: no chin, no jaw line
    "full": FaceFraming((0.0, 0.15), 2.2),    # the whole face, brows to chin, jaw line included
    "whole": FaceFraming((0.0, 0.0), 2.6),    # the full face plus forehead
    "head": FaceFraming((0.0, -0.15), 3.4),   # the head with hair and some neck
})


def check_face_type(face_type: str) -> FaceFraming:
    """The framing of `face_type`; `ValueError` names the valid ones (the CLI restricts choices)."""
    try:
        return FACE_TYPES[face_type]
    except KeyError:
        raise ValueError(f"face_type must be one of {', '.join(FACE_TYPES)}, got {face_type!r}") from None


def umeyama_similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares similarity (rotation, uniform scale, translation) mapping `src` onto `dst`.

    Args:
        src, dst: (N, 2) float, N >= 2, corresponding points.
    Returns: (2, 3) float64 matrix M with dst ≈ M[:, :2] @ src + M[:, 2] (Umeyama 1991, no reflection).
    Raises: ValueError for mismatched shapes or degenerate (coincident) points.
    """
    src = np.asarray(src, np.float64)
    dst = np.asarray(dst, np.float64)
    if src.ndim != 2 or src.shape[1] != 2 or src.shape != dst.shape or len(src) < 2:
        raise ValueError(f"need two (N, 2) point sets of the same shape, got {src.shape} and {dst.shape}")
    src_mean, dst_mean = src.mean(0), dst.mean(0)
    src_c, dst_c = src - src_mean, dst - dst_mean
    src_var = (src_c ** 2).sum() / len(src)
    if not np.isfinite(src_var) or src_var < 1e-12:
        raise ValueError("source points are degenerate (all coincident or non-finite)")
    u, s, vt = np.linalg.svd(dst_c.T @ src_c / len(src))
    d = np.array([1.0, -1.0 if np.linalg.det(u) * np.linalg.det(vt) < 0 else 1.0])
    rotation = u @ np.diag(d) @ vt
    scale = (s * d).sum() / src_var
    matrix = np.empty((2, 3))
    matrix[:, :2] = scale * rotation
    matrix[:, 2] = dst_mean - matrix[:, :2] @ src_mean
    return matrix


def invert_affine(matrix: np.ndarray) -> np.ndarray:
    """The inverse of a (2, 3) affine matrix, as (2, 3) float64."""
    check_affine(matrix)
    full = np.vstack([matrix, [0.0, 0.0, 1.0]])
    return np.linalg.inv(full)[:2]


def apply_affine(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Points (..., 2) mapped by a (2, 3) matrix; returns a new float64 array of the same shape."""
    points = np.asarray(points, np.float64)
    if points.shape[-1] != 2:
        raise ValueError(f"points must have shape (..., 2), got {points.shape}")
    return points @ matrix[:, :2].T + matrix[:, 2]


@dataclass(frozen=True, eq=False)
class FaceCrop:
    """An aligned face crop: `frame_to_crop` ((2, 3) float64), `size` (S, pixels), `face_type`.

    Convention: full-frame pixels → crop pixels, top-left origin, pixel i covers [i, i+1).
    Build with `from_landmarks` or `from_matrix`; never edit the matrix by hand elsewhere.
    """

    frame_to_crop: np.ndarray
    size: int
    face_type: str

    def __post_init__(self) -> None:
        matrix = np.array(self.frame_to_crop, np.float64)  # own copy, read-only
        check_affine(matrix)
        matrix.setflags(write=False)
        object.__setattr__(self, "frame_to_crop", matrix)
        if int(self.size) != self.size or self.size < 8:
            raise ValueError(f"crop size must be an integer >= 8, got {self.size}")
        check_face_type(self.face_type)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, FaceCrop) and self.size == other.size and self.face_type == other.face_type
                and np.array_equal(self.frame_to_crop, other.frame_to_crop))

    @classmethod
    def from_landmarks(cls, landmarks: np.ndarray, *, size: int, face_type: str) -> "FaceCrop":
        """Fit the crop of a face from its 68 landmarks.

        Args:
            landmarks: (68, 2) float, iBUG-68 order, full-frame pixels (Convention above).
            size: crop side S in pixels. face_type: half | full | whole | head (see FACE_TYPES).
        Returns: the FaceCrop whose crop shows the face type's square of the face, upright.
        Raises: ValueError for a wrong shape, non-finite or degenerate landmarks.
        """
        landmarks = np.asarray(landmarks, np.float64)
        if landmarks.shape != (68, 2) or not np.all(np.isfinite(landmarks)):
            raise ValueError(f"landmarks must be finite (68, 2) frame pixels, got shape {landmarks.shape}")
        framing = check_face_type(face_type)
        to_mean = umeyama_similarity(landmarks[list(FIT_POINTS)], MEAN_FACE_68[list(FIT_POINTS)])
        scale = size / framing.side
        mean_to_crop = np.array([[scale, 0.0, size / 2 - scale * framing.center[0]],
                                 [0.0, scale, size / 2 - scale * framing.center[1]]])
        matrix = mean_to_crop[:, :2] @ to_mean
        matrix[:, 2] += mean_to_crop[:, 2]
        return cls(matrix, int(size), face_type)

    @classmethod
    def from_matrix(cls, matrix: np.ndarray, *, size: int, face_type: str) -> "FaceCrop":
        """A crop from a stored (2, 3) frame → crop matrix (e.g. an alignments file's)."""
        return cls(np.asarray(matrix, np.float64), int(size), face_type)

    @property
    def scale(self) -> float:
        """Crop pixels per frame pixel (the similarity's uniform scale)."""
        return float(np.sqrt(abs(np.linalg.det(self.frame_to_crop[:, :2]))))

    def crop_to_frame(self) -> np.ndarray:
        """The inverse matrix, crop → frame, (2, 3) float64 (a new array)."""
        return invert_affine(self.frame_to_crop)

    def to_crop(self, points: np.ndarray) -> np.ndarray:
        """Frame pixels (..., 2) → crop pixels (..., 2), float64."""
        return apply_affine(self.frame_to_crop, points)

    def to_frame(self, points: np.ndarray) -> np.ndarray:
        """Crop pixels (..., 2) → frame pixels (..., 2), float64."""
        return apply_affine(self.crop_to_frame(), points)

    def opencv_matrix(self) -> np.ndarray:
        """frame → crop for OpenCV, whose pixel centers are at integers: M_cv(p) = M(p + 0.5) - 0.5."""
        matrix = self.frame_to_crop.copy()
        matrix[:, 2] += matrix[:, :2] @ np.array([0.5, 0.5]) - 0.5
        return matrix

    def cut(self, frame: np.ndarray, *, interpolation: str = "linear", border: str = "replicate") -> np.ndarray:
        """Resample the crop out of a frame.

        Args:
            frame: (H, W, C) float32, C in 1..4, any color space (values are resampled as given;
                pass scene-linear pixels for physically correct filtering).
            interpolation: "linear" or "cubic". border: "replicate" or "zero" outside the frame.
        Returns: (S, S, C) float32, a new array.
        Raises: ValueError/TypeError for a frame of the wrong type or shape.
        """
        check_image(frame, channels=(1, 2, 3, 4), name="frame")
        flags = {"linear": cv2.INTER_LINEAR, "cubic": cv2.INTER_CUBIC}[interpolation]
        mode = {"replicate": cv2.BORDER_REPLICATE, "zero": cv2.BORDER_CONSTANT}[border]
        out = cv2.warpAffine(frame, self.opencv_matrix(), (self.size, self.size), flags=flags,
                             borderMode=mode, borderValue=0)
        return out.reshape(self.size, self.size, frame.shape[2]).astype(np.float32, copy=False)

    def paste_matrix(self) -> np.ndarray:
        """crop → frame for OpenCV's pixel-center convention (what `cv2.warpAffine` needs to warp back)."""
        return invert_affine(self.opencv_matrix())

    def mean_face_points(self) -> np.ndarray:
        """Where the canonical mean face's 68 points fall in this crop, (68, 2) float64 crop px."""
        framing = check_face_type(self.face_type)
        scale = self.size / framing.side
        return (MEAN_FACE_68 - np.array(framing.center)) * scale + self.size / 2

    def fit_residual(self, landmarks: np.ndarray) -> float:
        """How far `landmarks` (68, 2) frame px are from a mean face after this crop's similarity:
        RMS over points 17-67, in mean-face units (outer-eye-corner distances). A plausible face
        fitted by `from_landmarks` scores ~0.02-0.08; a lost track or non-face scores higher."""
        framing = check_face_type(self.face_type)
        diff = (self.to_crop(landmarks) - self.mean_face_points())[list(FIT_POINTS)]
        return float(np.sqrt((diff ** 2).sum(-1).mean()) * framing.side / self.size)
