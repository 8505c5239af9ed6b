"""`facegraft convert PLATE --alignments F --model M -o OUT`: swap identity A onto plate B's faces."""
import argparse

from facegraft.core.convert.settings import COLOR_METHODS, ConvertSettings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("convert", help="swap faces into a plate (decoder A on B's faces)",
                                   description="Swap identity A onto the faces of plate B and write EXR frames with "
                                               "the composite in RGBA and face/matte layers.")
    parser.add_argument("plate", metavar="PLATE", help="plate sequence, e.g. shot.####.exr")
    parser.add_argument("--alignments", required=True, help="the plate's alignments file (facegraft extract)")
    parser.add_argument("--model", required=True, help="model folder (facegraft train)")
    parser.add_argument("-o", "--output", required=True, help="output pattern, e.g. out/shot_swap.####.exr")
    parser.add_argument("--frames", help="frame range (default: every frame of the alignments)")
    parser.add_argument("--colorspace", help="the plate's color space, if its files do not say")
    parser.add_argument("--face-id", type=int, action="append", help="replace only this face id (repeatable)")
    parser.add_argument("--mask", choices=("learned", "landmarks", "product", "union"), default="product")
    parser.add_argument("--color-match", choices=COLOR_METHODS, default="rct")
    parser.add_argument("--color-amount", type=float, default=1.0, help="0 keeps the face's colors, 1 full match")
    parser.add_argument("--color-smoothing", type=int, default=0,
                        help="average color statistics over N frames each side (avg, rct, lct, mkl)")
    parser.add_argument("--blend", choices=("alpha", "poisson"), default="alpha")
    parser.add_argument("--erode", type=int, default=0, help="shrink the matte by PX plate pixels (negative grows)")
    parser.add_argument("--feather", type=float, default=6.0, help="soft edge width in plate pixels")
    parser.add_argument("--feather-mode", choices=("gaussian", "distance"), default="gaussian")
    parser.add_argument("--matte-smoothing", type=int, default=0,
                        help="average the learned mask over N frames each side (0 = off)")
    parser.add_argument("--sharpen", type=float, default=0.0, help="unsharp-mask amount (0 = off)")
    parser.add_argument("--grain", choices=("match", "off"), default="off")
    parser.add_argument("--outputs", choices=("all", "composite", "layers"), default="all",
                        help="composite + face/matte layers, the composite only, or the layers only")
    parser.add_argument("--device", default="cpu", help="torch device, e.g. cpu or cuda")
    parser.add_argument("--batch", type=int, default=4, help="frames per network call")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repair-nonfinite", action="store_true", help="replace NaN/Inf plate pixels by 0")
    parser.add_argument("--force", action="store_true", help="redo frames already written")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from facegraft.core.alignments.format import load_alignments
    from facegraft.core.color import ColorManager
    from facegraft.core.convert.run import convert_plate
    from facegraft.core.convert.swapper import ModelSwapper
    from facegraft.core.media.sequence import parse_frame_range
    from facegraft.core.media.source import open_source
    from facegraft.core.models.files import load_model
    from facegraft.plugins.cli.progress import progress

    settings = ConvertSettings(
        mask=args.mask, erode=args.erode, feather=args.feather, feather_mode=args.feather_mode,
        matte_smoothing=args.matte_smoothing,
        color_match=args.color_match, color_amount=args.color_amount,
        color_smoothing=args.color_smoothing, blend=args.blend, sharpen=args.sharpen,
        grain=args.grain, outputs=args.outputs, face_ids=tuple(args.face_id) if args.face_id else None,
        batch=args.batch, seed=args.seed, force=args.force)
    color = ColorManager.from_environment()
    source = open_source(args.plate, colorspace=args.colorspace,
                         nonfinite="repair" if args.repair_nonfinite else "error")
    alignments = load_alignments(args.alignments)
    swapper = ModelSwapper(load_model(args.model, device=args.device), batch=max(1, args.batch))
    frames = parse_frame_range(args.frames) if args.frames else alignments.frames
    report = convert_plate(source, alignments, swapper, args.output, frames, settings, color=color,
                           alignments_path=args.alignments,
                           progress=lambda it, n: progress(it, total=n, unit="frame", desc="convert", quiet=args.quiet))
    if report.nonfinite:
        print(f"facegraft: warning: the model gave NaN/Inf on frames {', '.join(map(str, report.nonfinite))}; "
              "those frames were passed through unchanged")
    if not args.quiet:
        print(f"wrote {len(report.written)} frames ({report.faces} faces), skipped {len(report.skipped)} already written")
    return 0
