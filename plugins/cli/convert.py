"""`facegraft convert PLATE --alignments F --model M -o OUT`: swap identity A onto plate B's faces.

The flags are the Convert node's parameters (facegraft.nodes.convert.SPEC): one description
serves this verb, `facegraft node run Convert`, and the Nuke and Blender panels.
"""
import argparse

from facegraft.nodes.convert import SPEC
from facegraft.plugins.cli.spec_flags import add_spec_flags, spec_values


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("convert", help="swap faces into a plate (decoder A on B's faces)",
                                   description="Swap identity A onto the faces of plate B and write EXR frames with "
                                               "the composite in RGBA and face/matte layers.")
    parser.add_argument("plate", metavar="PLATE", help="plate sequence, e.g. shot.####.exr")
    parser.add_argument("-o", "--output", required=True, help="output pattern, e.g. out/shot_swap.####.exr")
    parser.add_argument("--frames", help="frame range (default: every frame of the alignments)")
    parser.add_argument("--force", action="store_true", help="redo frames already written")
    add_spec_flags(parser, SPEC)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from facegraft.core.media.sequence import parse_frame_range
    from facegraft.nodes.convert import run as run_convert
    from facegraft.plugins.cli.progress import ProgressBar

    frames = parse_frame_range(args.frames) if args.frames else None
    with ProgressBar(unit="frame", desc="convert", quiet=args.quiet) as bar:
        report = run_convert(args.plate, args.output, frames, force=args.force, progress=bar,
                             **spec_values(args, SPEC))
    if report.nonfinite:
        print(f"facegraft: warning: the model gave NaN/Inf on frames {', '.join(map(str, report.nonfinite))}; "
              "those frames were passed through unchanged")
    if not args.quiet:
        print(f"wrote {len(report.written)} frames ({report.faces} faces), skipped {len(report.skipped)} already written")
    return 0
