"""MaskFeather: grow or shrink a matte, then soften its edge."""
import numpy as np

from facegraft.core.post.matte import feather_distance, feather_gaussian, grow_matte
from facegraft.nodes.schema import Choice, Float, Int, NodeSpec, Plane

SPEC = NodeSpec(
    name="MaskFeather", version=1, category="Matte",
    inputs=(Plane("matte", "a", help="the matte to shape"),),
    params=(Int("grow", default=0, low=-256, high=256, units="px",
                help="dilate (> 0) or erode (< 0) by this many pixels"),
            Float("feather", default=4.0, low=0.0, high=512.0, units="px", help="soft edge width"),
            Choice("mode", ("gaussian", "distance"), default="gaussian",
                   help="gaussian: blur with sigma = feather / 2; distance: linear ramp inwards over feather px")),
    output=Plane("matte", "a"),
    help="Erode/dilate and feather a matte (also a live node group in Blender).")


def process(matte: np.ndarray, *, grow: int, feather: float, mode: str) -> np.ndarray:
    """(H, W) float32 matte in [0, 1] → (H, W) float32 in [0, 1]."""
    out = grow_matte(matte, pixels=grow)
    if feather == 0:
        return out
    if mode == "gaussian":
        return feather_gaussian(out, sigma=feather / 2.0)
    return feather_distance(out, pixels=feather)
