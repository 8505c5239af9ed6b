"""Convert: swap identity A onto the plate's faces over a frame range (wraps `facegraft.core.convert`).

A sequence node: it needs the plate's alignments and a model, and batches frames through the
network, so `process` takes file patterns, not pixels. Torch is imported only when it runs.
"""
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from facegraft.core.convert.settings import COLOR_METHODS
from facegraft.nodes.schema import Bool, Choice, Float, Int, NodeSpec, Plane, String

if TYPE_CHECKING:
    from facegraft.core.convert.run import ConvertReport
    from facegraft.core.convert.settings import ConvertSettings

SPEC = NodeSpec(
    name="Convert", version=1, category="Swap",
    inputs=(Plane("plate", "rgb", help="the plate sequence the alignments were extracted from"),),
    params=(String("model", default="", path=True, required=True, help="model folder (facegraft train)"),
            String("alignments", default="", path=True, required=True, help="the plate's alignments file"),
            Choice("mask", ("learned", "landmarks", "product", "union", "segment"), default="product",
                   help="matte source; segment: the mask model's segmentation alone"),
            String("mask_model", default="", path=True,
                   help="mask model folder (facegraft mask train): keeps what covers the face (hair, hands) "
                        "as the plate; multiplies the other matte sources"),
            Int("erode", default=0, low=-256, high=256, units="px", help="shrink (> 0) or grow (< 0) the matte"),
            Float("feather", default=6.0, low=0.0, high=512.0, units="px", help="soft edge width"),
            Choice("feather_mode", ("gaussian", "distance"), default="gaussian", help="edge profile"),
            Int("matte_smoothing", default=0, low=0, high=8, units="frames",
                help="average the learned mask over N frames each side (0 = off)"),
            Choice("color_match", COLOR_METHODS, default="rct", help="color transfer method, or off"),
            Float("color_amount", default=1.0, low=0.0, high=1.0, help="0 keeps the face's colors"),
            Int("color_smoothing", default=0, low=0, high=8, units="frames",
                help="average color statistics over N frames each side (avg, rct, lct, mkl)"),
            Choice("blend", ("alpha", "poisson"), default="alpha", help="matte over, or Poisson then over"),
            Float("sharpen", default=0.0, low=0.0, high=5.0, help="unsharp-mask amount (0 = off)"),
            Choice("grain", ("off", "match"), default="off", help="add plate-matched grain to the face"),
            Choice("outputs", ("all", "composite", "layers", "flat"), default="all",
                   help="composite + face/matte layers (a second EXR part around the faces), the composite "
                        "only, the layers only, or composite + layers in one full-frame part (Blender)"),
            String("face_ids", default="", pattern=r"\s*\d+\s*(,\s*\d+\s*)*",
                   help="comma list of face ids to replace, e.g. 0,2 (empty: all)"),
            String("device", default="cpu", pattern=r"cpu|cuda(:\d+)?|mps",
                   help="torch device: cpu, cuda, cuda:N or mps"),
            Int("batch", default=4, low=1, high=256, help="frames per network call"),
            Int("seed", default=0, low=0, help="seed of random color/grain steps"),
            String("colorspace", default="", help="the plate's color space, if its files do not say"),
            Bool("repair_nonfinite", default=False, help="replace NaN/Inf plate pixels by 0")),
    output=Plane("out", "rgba"), passthrough="plate", kind="sequence",
    help="Swap faces into the plate; EXR out with the composite in RGBA plus face/matte layers.")


def settings_from(values: dict[str, Any], *, force: bool = False, mask_model_id: str = "") -> "ConvertSettings":
    """The core's convert settings from validated parameter values (`mask_model_id`: the loaded
    mask model's id, recorded so that a re-run with another mask model redoes the frames)."""
    from facegraft.core.convert.settings import ConvertSettings
    from facegraft.nodes.schema import ParameterError

    if values["mask"] == "segment" and not values["mask_model"]:
        raise ParameterError("Convert: mask 'segment' needs a mask model; pass --mask-model (facegraft mask train)")

    face_ids = tuple(int(x) for x in values["face_ids"].split(",") if x.strip()) or None
    return ConvertSettings(
        mask=values["mask"], erode=values["erode"], feather=values["feather"], feather_mode=values["feather_mode"],
        matte_smoothing=values["matte_smoothing"], color_match=values["color_match"],
        color_amount=values["color_amount"], color_smoothing=values["color_smoothing"], blend=values["blend"],
        sharpen=values["sharpen"], grain=values["grain"], outputs=values["outputs"], face_ids=face_ids,
        batch=values["batch"], seed=values["seed"], force=force, mask_model=mask_model_id)


def run(plate: str, output: str, frames: Sequence[int] | None, *, force: bool = False,
        progress: Callable[[int, int, int], None] | None = None, **params: Any) -> "ConvertReport":
    """Convert `frames` (None: every frame of the alignments) of the sequence `plate` into `output`.

    Raises: ParameterError for a bad parameter; the core's FacegraftErrors (model, alignments, media).
    """
    from facegraft.core.alignments.format import load_alignments
    from facegraft.core.color import ColorManager
    from facegraft.core.convert.run import convert_plate
    from facegraft.core.convert.swapper import ModelSwapper
    from facegraft.core.media.source import open_source
    from facegraft.core.models.files import load_model

    values = SPEC.validate(params)
    SPEC.require(values)
    settings_from(values, mask_model_id=values["mask_model"])  # parameter errors before any file is opened
    segmenter, mask_model_id = None, ""
    if values["mask_model"]:
        from facegraft.core.masks.segment import SegmentMasker, load_mask_model

        masker = SegmentMasker(load_mask_model(values["mask_model"], device=values["device"]))
        segmenter, mask_model_id = masker.many, masker.model.model_id
    settings = settings_from(values, force=force, mask_model_id=mask_model_id)
    color = ColorManager.from_environment()
    source = open_source(plate, colorspace=values["colorspace"] or None,
                         nonfinite="repair" if values["repair_nonfinite"] else "error", color=color)
    alignments = load_alignments(values["alignments"])
    swapper = ModelSwapper(load_model(values["model"], device=values["device"]), batch=values["batch"])
    wanted = list(frames) if frames is not None else alignments.frames
    if segmenter is not None:
        from facegraft.core.masks.segment import check_mask_face_type

        check_mask_face_type(masker.model, alignments.header.face_type, where=values["alignments"])

    def counted(it, total):  # type: ignore[no-untyped-def]
        for done, frame in enumerate(it, 1):
            yield frame
            if progress is not None:
                progress(done, total, frame.number)

    return convert_plate(source, alignments, swapper, output, wanted, settings,
                         color=color, alignments_path=values["alignments"],
                         progress=counted, segmenter=segmenter)


def process(plate: str, output: str, frames: Sequence[int] | None, *, force: bool = False,
            progress: Callable[[int, int, int], None] | None = None, **params: Any) -> tuple[int, ...]:
    """`run`, returning the frame numbers written (the sequence-node contract)."""
    return run(plate, output, frames, force=force, progress=progress, **params).written
