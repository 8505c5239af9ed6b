"""`facegraft eval --swapped OUT --source A --target B`: how good is a swap, in numbers."""
import argparse
import json
import sys
from pathlib import Path

from facegraft.plugins.cli.arg_types import INDEX


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "eval", help="judge a swap: identity, expression, detail, color, temporal; a verdict and an HTML report",
        description="Judge a swapped sequence against its plate on five criteria, each pass/fail, and a verdict "
                    "('usable' only when all pass): identity (closer to A than to B), expression (the swap's own "
                    "landmarks: mouth and eye opening follow the plate's), detail (band-pass energy inside the "
                    "face vs the plate's and A's own faces), color (skin ΔE in OKLab through OCIO, seam at the "
                    "matte edge), temporal (flicker, jitter). With --model, also masked SSIM/PSNR on held-out "
                    "faces. Thresholds: facegraft/core/evaluate/criteria.py.")
    parser.add_argument("--swapped", required=True, metavar="OUT",
                        help="the converted sequence, e.g. out/swap.####.exr")
    parser.add_argument("--source", required=True, metavar="A",
                        help="identity A: its alignments (.json), face set folder, clip or image")
    parser.add_argument("--target", required=True, metavar="B", help="the original plate (sequence or clip)")
    parser.add_argument("--alignments", help="the plate's alignments (picks the face; default: the largest face)")
    parser.add_argument("--model", help="model folder: also measure reconstruction on its held-out faces")
    parser.add_argument("--holdout", nargs=2, metavar=("FACES_A", "FACES_B"),
                        help="with --model: face sets of other clips of the same two people to measure "
                             "reconstruction on (default: the held-out block training kept apart)")
    parser.add_argument("--frames", metavar="RANGE", help="frames to evaluate (default: all shared)")
    parser.add_argument("--face-id", type=INDEX, help="with --alignments: the face id to follow")
    parser.add_argument("--colorspace", help="the plate's color space, if its files do not say")
    parser.add_argument("--json", action="store_true", help="print the full result as JSON on stdout")
    parser.add_argument("--report", metavar="DIR", type=Path, help="write report.html, plots and a contact sheet here")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from facegraft.core.alignments.format import load_alignments
    from facegraft.core.color import ColorManager
    from facegraft.core.evaluate.report import summary_lines
    from facegraft.core.evaluate.run import EvalSettings
    from facegraft.core.media.atomic import prepare_output
    from facegraft.core.media.sequence import parse_frame_range
    from facegraft.core.media.source import open_source
    from facegraft.core.evaluate.identity import measuring_probe
    from facegraft.core.evaluate.job import evaluate_files
    from facegraft.plugins.cli.progress import progress

    quiet = bool(getattr(args, "quiet", False))
    if args.report:
        inputs = [args.swapped, args.target, args.source, args.alignments, args.model]
        prepare_output(args.report, inputs=[i for i in inputs if i], folder=True)
    color = ColorManager.from_environment()
    alignments = load_alignments(args.alignments) if args.alignments else None
    evaluation = evaluate_files(
        swapped=open_source(args.swapped, color=color),
        plate=open_source(args.target, colorspace=args.colorspace, color=color),
        source_a=args.source, probe=measuring_probe(alignments.header.landmarks if alignments else None),
        color=color, alignments=alignments,
        frames=parse_frame_range(args.frames) if args.frames else None, model=args.model, holdout=args.holdout,
        settings=EvalSettings(face_id=args.face_id), report=args.report,
        progress=lambda it, n: progress(it, total=n, unit="frame", desc="eval", quiet=quiet))
    if args.json:
        print(json.dumps(evaluation.to_json(), indent=1))
    elif not quiet:
        width = max(len(k) for k, _ in summary_lines(evaluation.summary))
        for key, value in summary_lines(evaluation.summary):
            print(f"{key.ljust(width)}  {value}")
    if args.report and not quiet:
        print(f"report: {args.report / 'report.html'}", file=sys.stderr)
    return 0
