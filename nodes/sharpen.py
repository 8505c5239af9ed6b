"""Sharpen: unsharp mask inside the matte, on unclipped scene-linear values."""
import numpy as np

from facegraft.core.post.sharpen import unsharp_mask
from facegraft.nodes.compose import keep_outside, matte_box, paste
from facegraft.nodes.schema import Float, NodeSpec, Plane

SPEC = NodeSpec(
    name="Sharpen", version=1, category="Post",
    inputs=(Plane("image", "rgb", help="the comp (or face) to sharpen"),
            Plane("matte", "a", help="where to sharpen")),
    params=(Float("amount", default=0.5, low=-1.0, high=5.0, help="strength; negative softens"),
            Float("radius", default=1.0, low=0.1, high=64.0, units="px", help="blur sigma of the unsharp mask")),
    passthrough="image",
    help="Unsharp-mask the image inside the matte; outside it the image is untouched.")


def process(image: np.ndarray, matte: np.ndarray, *, amount: float, radius: float) -> np.ndarray:
    """(H, W, 3) float32 scene-linear image, (H, W) matte → (H, W, 3) float32.

    Computed in the matte's box grown by the blur's kernel radius: equal to the full-frame result.
    """
    box = matte_box(matte, margin=int(4.0 * radius + 0.5) + 1)  # scipy's gaussian truncates at 4 sigma
    if box is None:
        return image.copy()
    part = unsharp_mask(image[box], amount=amount, radius=radius, matte=matte[box])
    return paste(image, box, keep_outside(part, image[box], matte[box]))
