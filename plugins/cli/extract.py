"""`facegraft extract SOURCE -o ALIGNMENTS`: find, track and align the faces of a plate.

Exit codes: 0 done; 2 a user error (printed as one line); 3 done, but some frames could not be
read (they are listed, skipped and not stored: re-run to retry them).
"""
import argparse
import sys
from pathlib import Path

from facegraft.core.align.geometry import FACE_TYPES
from facegraft.core.alignments.format import load_alignments, save_alignments
from facegraft.core.color import ColorManager
from facegraft.core.detect.registry import DEFAULT_DETECTOR, DEFAULT_LANDMARKS, BackendOptions, default_registry
from facegraft.core.errors import NoFaceError, OutputError
from facegraft.core.extract.faceset_export import write_faceset
from facegraft.core.extract.finalize import IdentitySettings
from facegraft.core.extract.pipeline import (ExtractModels, ExtractSettings, embed_reference, extract_alignments,
                                             require_faces)
from facegraft.core.extract.smoothing import SMOOTHING_PRESETS
from facegraft.core.extract.tracking import TrackingSettings
from facegraft.core.faceset import INDEX_NAME, MAX_FACE_SIZE
from facegraft.core.media.atomic import exclusive_writer, prepare_output
from facegraft.core.media.sequence import format_frame_range, parse_frame_range
from facegraft.core.media.source import open_source
from facegraft.plugins.cli.arg_types import COUNT, device_name, integer, real
from facegraft.plugins.cli.progress import progress

EXIT_UNREADABLE = 3


def register(subparsers: argparse._SubParsersAction) -> None:
    registry = default_registry()
    parser = subparsers.add_parser(
        "extract", help="detect, track and align faces; write the plate's alignments (and a face set)",
        description="Find the faces of a video or frame sequence, place 68 landmarks, track and smooth them, "
                    "pick the person, and write the alignments file. Re-running resumes: frames already in "
                    "ALIGNMENTS are kept unless --force. Exit code 3: some frames were unreadable.")
    parser.add_argument("source", metavar="SOURCE", help="clip.mp4, plate.####.exr, plate.%%04d.exr, still.png")
    parser.add_argument("-o", "--output", required=True, metavar="ALIGNMENTS", help="alignments file to write (.json)")
    parser.add_argument("--frames", metavar="RANGE", help="frames to process, e.g. 1001-1100, 1001-1100x2,1200")
    parser.add_argument("--colorspace", help="the source's color space, if its files do not say")
    parser.add_argument("--faces-out", metavar="DIR", type=Path, help="also write a face set (crops + masks) here")
    parser.add_argument("--mask-model", metavar="MASK_MODEL", type=Path,
                        help="write this mask model's segmentation (facegraft mask train) as the face set's masks "
                             "instead of the landmark face oval")
    parser.add_argument("--size", type=integer(8, MAX_FACE_SIZE), default=256, help="face crop size in pixels (default 256)")
    parser.add_argument("--face-type", choices=tuple(FACE_TYPES), default="full", help="crop coverage (default full)")
    parser.add_argument("--reference", metavar="IMAGE", help="keep only the person shown in this image")
    parser.add_argument("--detector", choices=registry.names("detector"), default=DEFAULT_DETECTOR,
                        help="; ".join(f"{k}: {v}" for k, v in registry.describe("detector").items()))
    parser.add_argument("--landmarks", choices=registry.names("landmarks"), default=DEFAULT_LANDMARKS,
                        help="; ".join(f"{k}: {v}" for k, v in registry.describe("landmarks").items()))
    parser.add_argument("--upsample", type=int, default=0, choices=(0, 1, 2),
                        help="find smaller faces: hog/mmod double the frame this many times (faces under ~80 px); "
                             "blazeface halves its smallest face (80 px) per step")
    parser.add_argument("--redetect-every", type=COUNT, default=10, metavar="N",
                        help="run the detector every N frames and track in between (1: every frame)")
    parser.add_argument("--smooth", choices=tuple(SMOOTHING_PRESETS), default="medium",
                        help="temporal landmark smoothing strength (zero-phase One-Euro)")
    parser.add_argument("--cluster-distance", type=real(0, 10, low_open=True), default=0.5,
                        help="identity embedding distance that separates people (default 0.5)")
    parser.add_argument("--model-dir", type=Path, help="folder of face-alignment checkpoints "
                        "(default $TORCH_HOME/hub/checkpoints)")
    parser.add_argument("--device", type=device_name, default="cpu", help="torch device for face-alignment backends")
    parser.add_argument("--force", action="store_true",
                        help="recompute frames already in ALIGNMENTS (with --frames: only those; the others are kept)")
    parser.add_argument("--save-seconds", type=real(0, 86400), default=30.0, metavar="S",
                        help="save the alignments found so far every S seconds, so a killed run resumes (default 30)")
    parser.add_argument("--allow-empty", action="store_true",
                        help="write the file and succeed even if no face is found (farm chunks)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    quiet = getattr(args, "quiet", False)
    output = Path(args.output)
    if output.suffix.lower() != ".json":
        raise OutputError(f"{output}: alignments files are JSON; name the output *.json")
    inputs = [args.source] + ([args.reference] if args.reference else [])
    prepare_output(output, inputs=inputs)
    if args.mask_model is not None and not args.faces_out:
        raise OutputError("--mask-model: writes the masks of a face set; pass --faces-out DIR as well")
    masker_kw = {}
    if args.mask_model is not None:
        from facegraft.core.masks.segment import SegmentMasker, check_mask_face_type, load_mask_model

        mask_model = load_mask_model(args.mask_model)
        check_mask_face_type(mask_model, args.face_type, where="--face-type")
        masker_kw = {"masker": SegmentMasker(mask_model)}
    if args.faces_out:
        prepare_output(args.faces_out, inputs=[*inputs, output], folder=True)
    color = ColorManager.from_environment()
    source = open_source(args.source, colorspace=args.colorspace, color=color)
    frames = parse_frame_range(args.frames) if args.frames else None
    registry = default_registry()
    options = BackendOptions(upsample=args.upsample, model_dir=args.model_dir, device=args.device)
    models = ExtractModels(registry.detector(args.detector, options), registry.landmarks(args.landmarks, options),
                           registry.identity("dlib_resnet", options))
    identity = IdentitySettings(cluster_distance=args.cluster_distance)
    if args.reference:
        reference = embed_reference(args.reference, models=models, color=color)
        identity = IdentitySettings(cluster_distance=args.cluster_distance,
                                    reference=tuple(float(v) for v in reference), reference_name=Path(args.reference).name)
    settings = ExtractSettings(face_type=args.face_type, size=args.size, upsample=args.upsample,
                               tracking=TrackingSettings(redetect_every=args.redetect_every),
                               smoothing=SMOOTHING_PRESETS[args.smooth], identity=identity)
    existed = output.exists()
    with exclusive_writer(output):
        result = extract_alignments(
            source, models=models, settings=settings, color=color, frames=frames,
            previous=load_alignments(output) if output.exists() else None, recompute=args.force,
            previous_name=str(output), save=lambda found: save_alignments(found, output),
            save_seconds=args.save_seconds,
            progress=lambda it, n: progress(it, total=n, unit="frame", desc="extract", quiet=quiet))
        if not args.allow_empty:
            try:
                require_faces(result.alignments, where=args.source)
            except NoFaceError:
                if not existed:  # what was saved while running holds nothing: leave no file behind
                    output.unlink(missing_ok=True)
                raise
        save_alignments(result.alignments, output)
        wanted = source.check_frames(frames if frames is not None else source.frames)
        if args.faces_out:
            done = [n for n in wanted if n in result.alignments.by_frame]
            with exclusive_writer(args.faces_out / INDEX_NAME):
                write_faceset(source, result.alignments, args.faces_out, color=color, frames=done, **masker_kw,
                              progress=lambda it, n: progress(it, total=n, unit="frame", desc="faces", quiet=quiet))
    if not quiet:
        kept = sum(1 for n in wanted if result.alignments.by_frame.get(n))
        print(f"{output}: {len(result.computed)} frames computed, {len(wanted) - len(result.computed) - len(result.unreadable)}"
              f" kept from before; {kept} of {len(wanted)} frames have faces; ids "
              f"{', '.join(map(str, result.alignments.face_ids())) or '-'}", file=sys.stderr)
    if result.unreadable:
        print(f"facegraft: warning: {len(result.unreadable)} unreadable frames skipped: "
              f"{format_frame_range(result.unreadable)} (first: {result.unreadable_reason}); re-run to retry them",
              file=sys.stderr)
    return EXIT_UNREADABLE if result.unreadable else 0
