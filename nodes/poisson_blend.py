"""PoissonBlend: solve the face's gradients into the plate's boundary inside the matte, then matte over."""
import numpy as np

from facegraft.nodes.compose import matte_box, matte_over, paste
from facegraft.nodes.schema import Choice, Float, NodeSpec, Plane

SPEC = NodeSpec(
    name="PoissonBlend", version=1, category="Post",
    inputs=(Plane("face", "rgb", help="the swapped face, frame-aligned with the plate"),
            Plane("plate", "rgb", help="the original plate"),
            Plane("matte", "a", help="region solved; its border takes the plate's values")),
    params=(Choice("mode", ("normal", "mixed"), default="normal",
                   help="normal: the face's gradients; mixed: the stronger of face and plate gradients"),
            Float("threshold", default=0.5, low=0.0, high=1.0, help="matte level bounding the solved region")),
    passthrough="plate",
    help="Float Poisson blend of the face into the plate inside the matte; outside it the plate is untouched.")


def process(face: np.ndarray, plate: np.ndarray, matte: np.ndarray, *, mode: str, threshold: float) -> np.ndarray:
    """(H, W, 3) float32 face and plate (scene-linear), (H, W) matte → (H, W, 3) composite.

    Solved in the matte's box grown by one pixel (the boundary the solve reads). Where no pixel is
    above `threshold` there is no region to solve: the face is matted over unchanged.
    """
    from facegraft.core.post.poisson import poisson_blend  # sparse solver: imported when the node runs

    box = matte_box(matte, margin=2)
    if box is None:
        return plate.copy()
    face_b, plate_b, matte_b = face[box], plate[box], matte[box]
    if (matte_b > threshold).any():
        face_b = poisson_blend(face_b, plate_b, matte_b, mode=mode, threshold=threshold)  # type: ignore[arg-type]
    return paste(plate, box, matte_over(face_b, plate_b, matte_b))
