"""FaceMatte: the visible face of every aligned face of a plate, as a matte for the comp.

A sequence node (wraps `facegraft.core.masks.plate_matte`): it needs the plate's alignments and a
mask model (`facegraft mask train`), so `process` takes file patterns, not pixels. What covers
the face (hair, a hand, glasses frames) is 0 in the matte. Same grow/feather controls as
MaskFeather. Torch is imported only when it runs.
"""
from collections.abc import Callable, Sequence
from typing import Any

from facegraft.nodes.schema import Choice, Float, Int, NodeSpec, Plane, String

SPEC = NodeSpec(
    name="FaceMatte", version=1, category="Matte",
    inputs=(Plane("plate", "rgb", help="the plate sequence the alignments were extracted from"),),
    params=(String("mask_model", default="", path=True, required=True,
                   help="mask model folder (facegraft mask train)"),
            String("alignments", default="", path=True, required=True, help="the plate's alignments file"),
            Int("grow", default=0, low=-256, high=256, units="px",
                help="dilate (> 0) or erode (< 0) by this many pixels"),
            Float("feather", default=2.0, low=0.0, high=512.0, units="px", help="soft edge width"),
            Choice("mode", ("gaussian", "distance"), default="gaussian",
                   help="gaussian: blur with sigma = feather / 2; distance: linear ramp inwards over feather px"),
            String("face_ids", default="", pattern=r"\s*\d+\s*(,\s*\d+\s*)*",
                   help="comma list of face ids to matte, e.g. 0,2 (empty: all)"),
            String("device", default="cpu", pattern=r"cpu|cuda(:\d+)?|mps",
                   help="torch device: cpu, cuda, cuda:N or mps"),
            String("colorspace", default="", help="the plate's color space, if its files do not say")),
    output=Plane("matte", "a"), kind="sequence",
    help="Face matte of the plate from a mask model: 1 on visible face, 0 on what covers it; EXR alpha out.")


def process(plate: str, output: str, frames: Sequence[int] | None, *, force: bool = False,
            progress: Callable[[int, int, int], None] | None = None, **params: Any) -> tuple[int, ...]:
    """Write the face matte of `frames` (None: every frame of the alignments) of `plate` to `output`.

    Raises: ParameterError for a bad parameter; the core's FacegraftErrors (model, alignments, media).
    """
    from facegraft.core.alignments.format import load_alignments
    from facegraft.core.color import ColorManager
    from facegraft.core.masks.plate_matte import MatteSettings, write_face_mattes
    from facegraft.core.masks.segment import check_mask_face_type, load_mask_model
    from facegraft.core.media.source import open_source

    values = SPEC.validate(params)
    SPEC.require(values)
    face_ids = tuple(int(x) for x in values["face_ids"].split(",") if x.strip()) or None
    settings = MatteSettings(grow=values["grow"], feather=values["feather"], mode=values["mode"], face_ids=face_ids,
                             force=force)
    color = ColorManager.from_environment()
    source = open_source(plate, colorspace=values["colorspace"] or None, color=color)
    alignments = load_alignments(values["alignments"])
    model = load_mask_model(values["mask_model"], device=values["device"])
    check_mask_face_type(model, alignments.header.face_type, where=values["alignments"])
    wanted = list(frames) if frames is not None else alignments.frames
    return write_face_mattes(source, alignments, model, output, wanted, settings, color=color,
                             alignments_path=values["alignments"], progress=progress)
