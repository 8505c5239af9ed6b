"""Grain: add the plate's grain, minus what the face already has, inside the matte."""
import numpy as np

from facegraft.core.post.grain import match_grain
from facegraft.nodes.compose import keep_outside
from facegraft.nodes.schema import Float, Int, NodeSpec, Plane

SPEC = NodeSpec(
    name="Grain", version=1, category="Post",
    inputs=(Plane("image", "rgb", help="the comp (or face) that lacks grain"),
            Plane("plate", "rgb", help="the original plate, whose grain is measured"),
            Plane("matte", "a", help="where grain is measured and added")),
    params=(Float("amount", default=1.0, low=0.0, high=4.0, help="scales the plate's grain"),
            Float("threshold", default=0.5, low=0.0, high=1.0, help="matte level of the measured pixels"),
            Int("seed", default=0, low=0, help="grain seed; each frame adds its frame number")),
    passthrough="image",
    help="Match the plate's grain inside the matte; outside it the image is untouched.")


def process(image: np.ndarray, plate: np.ndarray, matte: np.ndarray, *, amount: float, threshold: float,
            seed: int, frame: int = 0) -> np.ndarray:
    """(H, W, 3) float32 image and plate (scene-linear), (H, W) matte → (H, W, 3) float32.

    `frame` (given by the runner) is added to `seed`, so grain changes from frame to frame.
    """
    if not (matte > threshold).any():
        return image.copy()  # no region to measure the grain in
    grained, _ = match_grain(image, plate, matte, amount=amount, threshold=threshold, seed=seed + frame)
    return keep_outside(grained, image, matte)
