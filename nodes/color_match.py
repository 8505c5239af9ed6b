"""ColorMatch: recolor the face to the plate's statistics inside the matte, then matte it over the plate."""
import numpy as np

from facegraft.core.color import ColorManager
from facegraft.core.color.perceptual import WorkingSpace
from facegraft.core.post.color_spaces import SPACES
from facegraft.core.post.color_transfer import METHODS, color_transfer
from facegraft.nodes.compose import matte_box, matte_over, paste
from facegraft.nodes.schema import Choice, Float, Int, NodeSpec, Plane, String

SPEC = NodeSpec(
    name="ColorMatch", version=2, category="Post",
    inputs=(Plane("face", "rgb", help="the swapped face, frame-aligned with the plate"),
            Plane("plate", "rgb", help="the original plate"),
            Plane("matte", "a", help="the face matte; statistics come from inside it")),
    params=(Choice("method", METHODS, default="rct", help="statistic matched (rct: Reinhard mean/std)"),
            Float("amount", default=1.0, low=0.0, high=1.0, help="0 keeps the face's colors, 1 the full match"),
            Choice("space", SPACES, default="oklab",
                   help="encoding the statistics are matched in, from the working space's scene-linear form"),
            String("colorspace", default="scene_linear",
                   help="working space of face and plate: an OCIO color space, alias or role ($OCIO or the built-in config)"),
            Float("threshold", default=0.5, low=0.0, high=1.0, help="matte level of the measured pixels"),
            Int("seed", default=0, low=0, help="seed of the idt/sot random rotations")),
    passthrough="plate",
    help="Match the face's colors to the plate inside the matte; outside it the plate is untouched.")


def process(face: np.ndarray, plate: np.ndarray, matte: np.ndarray, *, method: str, amount: float,
            space: str, colorspace: str, threshold: float, seed: int) -> np.ndarray:
    """(H, W, 3) float32 face and plate (both in `colorspace`), (H, W) matte → (H, W, 3) composite.

    Computed in the matte's box (statistics come from inside the matte only). A frame whose matte
    has no pixel above `threshold` has nothing to measure: the face is matted over unchanged.
    """
    box = matte_box(matte, margin=0)
    if box is None:
        return plate.copy()
    face_b, plate_b, matte_b = face[box], plate[box], matte[box]
    if (matte_b > threshold).any():
        working = WorkingSpace.from_config(ColorManager.from_environment(), colorspace)
        face_b = color_transfer(face_b, plate_b, matte_b, method=method, working=working,  # type: ignore[arg-type]
                                amount=amount, space=space, threshold=threshold, seed=seed)
    return paste(plate, box, matte_over(face_b, plate_b, matte_b))
