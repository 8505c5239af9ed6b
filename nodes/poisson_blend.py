"""PoissonBlend: solve the face's gradients into the plate's boundary inside the matte, then matte over."""
import numpy as np

from facegraft.nodes.compose import matte_over
from facegraft.nodes.schema import Choice, NodeSpec, Plane

SPEC = NodeSpec(
    name="PoissonBlend", version=1, category="Post",
    inputs=(Plane("face", "rgb", help="the swapped face, frame-aligned with the plate"),
            Plane("plate", "rgb", help="the original plate"),
            Plane("matte", "a", help="region solved; its border takes the plate's values")),
    params=(Choice("mode", ("normal", "mixed"), default="normal",
                   help="normal: the face's gradients; mixed: the stronger of face and plate gradients"),),
    passthrough="plate",
    help="Float Poisson blend of the face into the plate inside the matte; outside it the plate is untouched.")


def process(face: np.ndarray, plate: np.ndarray, matte: np.ndarray, *, mode: str) -> np.ndarray:
    """(H, W, 3) float32 face and plate (scene-linear), (H, W) matte → (H, W, 3) composite."""
    from facegraft.core.post.poisson import poisson_blend  # core/post/poisson.py (written by the post engineer)

    blended = poisson_blend(face, plate, matte, mode=mode)
    return matte_over(blended, plate, matte)
