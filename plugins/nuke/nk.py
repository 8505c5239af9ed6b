"""Per-frame frame→crop matrices as animated Nuke nodes (.nk text), for re-comping by hand.

Our matrices map frame pixels to crop pixels with y down and the origin at the top-left corner
(DESIGN.md). Nuke's origin is the bottom-left corner, y up; both put pixel i over [i, i+1). The
conversion happens here and nowhere else: `M_nuke = F(crop_h) · M · F(frame_h)` with
`F(h): (x, y) → (x, h − y)`. Standard library only (runs inside Nuke).

- `transform_nk`: a Transform (translate, rotate, scale about the origin) — exact for the
  similarity transforms extraction stores; `invert=True` sets its `invert` knob (crop → frame:
  the swapped crop placed back over the plate).
- `cornerpin_nk`: a CornerPin2D whose `to` corners are the frame corners mapped by the matrix —
  exact for any affine matrix.
"""
import math
from collections.abc import Mapping, Sequence
from typing import Any

Matrix = Sequence[Sequence[float]]  # 2x3, frame → crop


def flip_y(matrix: Matrix, *, src_height: float, dst_height: float) -> list[list[float]]:
    """Convert a 2x3 matrix between y-down/top-left and y-up/bottom-left conventions (self-inverse)."""
    (a, b, c), (d, e, f) = matrix
    # [x', H2 - y'] with x' = a x + b (H1 - y) + c, y' = d x + e (H1 - y) + f
    return [[a, -b, b * src_height + c], [-d, e, dst_height - e * src_height - f]]


def apply(matrix: Matrix, x: float, y: float) -> tuple[float, float]:
    (a, b, c), (d, e, f) = matrix
    return a * x + b * y + c, d * x + e * y + f


def similarity_knobs(matrix: Matrix, *, tolerance: float = 1e-6) -> tuple[float, float, float, float]:
    """(translate x, translate y, rotate degrees counter-clockwise, scale) of a y-up similarity.

    Raises: ValueError for a matrix with shear, unequal scales or a reflection (use `cornerpin_nk`).
    """
    (a, b, c), (d, e, f) = matrix
    scale = math.hypot(a, d)
    if scale == 0 or abs(a - e) > tolerance * scale or abs(b + d) > tolerance * scale:
        raise ValueError(f"matrix {matrix} is not a similarity (rotation + uniform scale); export a CornerPin2D")
    return c, f, math.degrees(math.atan2(d, a)), scale


def _curve(values: Mapping[int, float]) -> str:
    return "{curve " + " ".join(f"x{frame} {value:.10g}" for frame, value in sorted(values.items())) + "}"


def _unwrap(degrees: Mapping[int, float]) -> dict[int, float]:
    """Remove 360° jumps between consecutive keys, so the rotation interpolates the short way."""
    out: dict[int, float] = {}
    previous = None
    for frame in sorted(degrees):
        value = degrees[frame]
        if previous is not None:
            value += 360.0 * round((previous - value) / 360.0)
        out[frame] = previous = value
    return out


def transform_nk(matrices: Mapping[int, Matrix], *, frame_height: int, crop_size: int, name: str = "FaceTransform",
                 invert: bool = False) -> str:
    """A Nuke Transform node animated from frame→crop matrices (top-left convention)."""
    if not matrices:
        raise ValueError("no matrices to export")
    knobs = {n: similarity_knobs(flip_y(m, src_height=frame_height, dst_height=crop_size)) for n, m in matrices.items()}
    tx = {n: k[0] for n, k in knobs.items()}
    ty = {n: k[1] for n, k in knobs.items()}
    rotate = _unwrap({n: k[2] for n, k in knobs.items()})
    scale = {n: k[3] for n, k in knobs.items()}
    lines = ["Transform {", f" translate {{{_curve(tx)} {_curve(ty)}}}", f" rotate {_curve(rotate)}",
             f" scale {_curve(scale)}", " center {0 0}", " filter Cubic"]
    if invert:
        lines.append(" invert_matrix true")
    lines += [f" name {name}", "}"]
    return "\n".join(lines) + "\n"


def cornerpin_nk(matrices: Mapping[int, Matrix], *, frame_width: int, frame_height: int, crop_size: int,
                 name: str = "FaceCornerPin") -> str:
    """A CornerPin2D mapping the frame's corners (from) to where the matrix puts them (to), per frame."""
    if not matrices:
        raise ValueError("no matrices to export")
    corners = ((0.0, 0.0), (float(frame_width), 0.0), (float(frame_width), float(frame_height)),
               (0.0, float(frame_height)))
    flipped = {n: flip_y(m, src_height=frame_height, dst_height=crop_size) for n, m in matrices.items()}
    lines = ["CornerPin2D {"]
    for i, (x, y) in enumerate(corners, 1):
        xs = {n: apply(m, x, y)[0] for n, m in flipped.items()}
        ys = {n: apply(m, x, y)[1] for n, m in flipped.items()}
        lines.append(f" to{i} {{{_curve(xs)} {_curve(ys)}}}")
    for i, (x, y) in enumerate(corners, 1):
        lines.append(f" from{i} {{{x:.10g} {y:.10g}}}")
    lines += [f" name {name}", "}"]
    return "\n".join(lines) + "\n"


def matrices_from_export(export: Mapping[str, Any], *, face_id: int = 0) -> dict[int, Matrix]:
    """Frame → matrix of one face from `facegraft alignments export` JSON (frames without it are left out)."""
    if export.get("schema") != "FaceAlignmentsExport":
        raise ValueError(f"not an alignments export: schema {export.get('schema')!r}")
    out: dict[int, Matrix] = {}
    for frame, faces in export["frames"].items():
        for face in faces:
            if face["face_id"] == face_id:
                out[int(frame)] = face["frame_to_crop"]
    return out
