"""`facegraft media convert IN OUT`: sequence or video → sequence, with color conversion."""
import argparse

from facegraft.core.color import ColorManager
from facegraft.core.media.sequence import parse_frame_range
from facegraft.core.media.source import open_source
from facegraft.core.media.transcode import TranscodeSettings, transcode
from facegraft.plugins.cli.arg_types import FRAME_NUMBER
from facegraft.plugins.cli.progress import progress

PIXEL_TYPES = ("half", "float", "uint8", "uint16")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("media", help="convert videos and frame sequences")
    verbs = parser.add_subparsers(title="media verbs", metavar="VERB", required=True)
    convert = verbs.add_parser("convert", help="sequence or video → sequence, with color conversion",
                               description="Read a video or sequence and write a frame sequence.")
    convert.add_argument("input", metavar="IN", help="clip.mp4 or plate.####.exr")
    convert.add_argument("output", metavar="OUT", help="output pattern, e.g. out/plate.####.exr")
    convert.add_argument("--frames", help="frame range, e.g. 1001-1100, 1001-1100x2, 1,5,10-20 (default: all)")
    convert.add_argument("--from-colorspace", help="the input's color space, if its files do not say")
    convert.add_argument("--to-colorspace", help="color space to write (default: the input's)")
    convert.add_argument("--channels", help="comma list of channels to keep, e.g. R,G,B,A")
    convert.add_argument("--pixel-type", choices=PIXEL_TYPES, help="storage type of every output channel")
    convert.add_argument("--compression", help="e.g. zip, piz, dwaa for EXR (default: the input's)")
    convert.add_argument("--start-frame", type=FRAME_NUMBER, help="number the first output frame so (default: keep numbers)")
    convert.add_argument("--repair-nonfinite", action="store_true", help="replace NaN/Inf pixels by 0")
    convert.add_argument("--force", action="store_true", help="rewrite frames already written")
    convert.set_defaults(func=run_convert)


def run_convert(args: argparse.Namespace) -> int:
    color = ColorManager.from_environment()
    source = open_source(args.input, colorspace=args.from_colorspace,
                         nonfinite="repair" if args.repair_nonfinite else "error", color=color)
    if not args.frames:
        source.require_complete()
    frames = parse_frame_range(args.frames) if args.frames else source.frames
    offset = 0 if args.start_frame is None else args.start_frame - min(frames)
    settings = TranscodeSettings(
        to_colorspace=args.to_colorspace,
        channels=tuple(c.strip() for c in args.channels.split(",")) if args.channels else None,
        pixel_type=args.pixel_type, compression=args.compression, frame_offset=offset, force=args.force)
    report = transcode(source, args.output, frames, settings, color=color,
                       progress=lambda it, n: progress(it, total=n, unit="frame", desc="convert", quiet=args.quiet))
    if not args.quiet:
        print(f"wrote {len(report.written)} frames, skipped {len(report.skipped)} already written")
    return 0
