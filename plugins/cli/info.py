"""`facegraft info PATH_OR_PATTERN`: what a video, sequence or image holds."""
import argparse
import json

from facegraft.core.color import ColorManager
from facegraft.core.media.sequence import format_frame_range
from facegraft.core.media.source import SourceInfo, open_source


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("info", help="frames, gaps, resolution, channels, pixel type, color space",
                                   description="Describe a video file, a frame sequence or an image; the color "
                                               "space comes with the rule that decided it (option, "
                                               "facegraft/colorspace, oiio:ColorSpace, chromaticities, OCIO file "
                                               "rules, default).")
    parser.add_argument("path", metavar="PATH_OR_PATTERN", help="clip.mp4, plate.####.exr, plate.%%04d.exr, ...")
    parser.add_argument("--colorspace", help="the source's color space, if its files do not say")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.set_defaults(func=run)


def describe(info: SourceInfo) -> dict:
    """A JSON-ready summary of a source."""
    return {
        "path": info.path, "kind": info.kind, "frame_count": len(info.frames),
        "frames": format_frame_range(info.frames), "gaps": format_frame_range(info.gaps),
        "first_frame": info.frames[0], "last_frame": info.frames[-1],
        "width": info.width, "height": info.height, "channels": list(info.channels),
        "pixel_type": info.pixel_type, "colorspace": info.colorspace, "colorspace_rule": info.colorspace_rule,
        "fps": float(info.fps) if info.fps else None,
    }


def run(args: argparse.Namespace) -> int:
    summary = describe(open_source(args.path, colorspace=args.colorspace, color=ColorManager.from_environment()).info)
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    for key, value in summary.items():
        if isinstance(value, list):
            value = ", ".join(value)
        print(f"{key:12} {value if value not in (None, '') else '-'}")
    return 0
