"""Settings of a convert run: built at the edge (command line, node parameters) and passed in."""
from dataclasses import dataclass
from typing import Literal

MaskSource = Literal["learned", "landmarks", "product", "union", "segment"]
Blend = Literal["alpha", "poisson"]
Outputs = Literal["all", "composite", "layers", "flat"]
COLOR_METHODS = ("off", "rct", "lct", "mkl", "idt", "sot", "histogram", "avg")


@dataclass(frozen=True)
class ConvertSettings:
    """How each face is swapped and put back.

    All distances are in plate pixels, so a look holds at any crop size.
    mask: the model's learned mask, the landmark hull from the alignments, or their product/union;
    "segment": the mask model's segmentation of the plate's face alone. With a mask model
    (`mask_model` names it), the other sources are multiplied by the segmentation as well.
    erode: shrink (> 0) or grow (< 0) the matte. feather: soft edge width; feather_mode "gaussian"
    (sigma = feather / 2) or "distance" (linear ramp inwards over `feather` px).
    matte_smoothing: average the learned mask over this many frames each side (0 = off); the
    landmark hull is already steady through the alignments' smoothed landmarks.
    color_match: method of `facegraft.core.post.color_transfer`, or "off". color_smoothing: average
    the face and plate color statistics over this many frames each side (linear methods: avg, rct,
    lct, mkl), which stops flicker.
    blend: "alpha" (matte over) or "poisson" (float Poisson solve inside the matte, then matte over).
    sharpen: unsharp-mask amount (0 = off). grain: "match" adds plate-matched grain to the face.
    outputs: "all" = composite + face/matte layers (a second EXR part around the faces); "composite";
    "layers" = the layers only (data window around the faces); "flat" = composite and layers in one
    full-frame part, for hosts that read only an EXR's first part or ignore data windows (Blender).
    face_ids: faces to replace (None: all). batch: faces per network call.
    """

    mask: MaskSource = "product"
    erode: int = 0
    feather: float = 6.0
    feather_mode: Literal["gaussian", "distance"] = "gaussian"
    matte_smoothing: int = 0
    color_match: str = "rct"
    color_amount: float = 1.0
    color_smoothing: int = 0
    blend: Blend = "alpha"
    sharpen: float = 0.0
    grain: Literal["match", "off"] = "off"
    outputs: Outputs = "all"
    face_ids: tuple[int, ...] | None = None
    mask_model: str = ""  # id of the segmentation model convert runs ("" = none), recorded for resume
    batch: int = 16
    seed: int = 0
    force: bool = False
    workers: int = 2

    def __post_init__(self) -> None:
        if self.color_match not in COLOR_METHODS:
            raise ValueError(f"color_match must be one of {COLOR_METHODS}, got {self.color_match!r}")
        if min(self.feather, self.matte_smoothing, self.color_smoothing) < 0 or self.batch < 1 \
                or not 0.0 <= self.color_amount <= 1.0:
            raise ValueError("feather and smoothing must be >= 0, batch >= 1 and color_amount in [0, 1]")
        if self.mask == "segment" and not self.mask_model:
            raise ValueError("mask 'segment' needs a mask model (mask_model)")
        if self.color_smoothing and self.color_match not in ("avg", "rct", "lct", "mkl"):
            raise ValueError(f"color_smoothing works with the linear methods avg, rct, lct, mkl, not {self.color_match!r}")
