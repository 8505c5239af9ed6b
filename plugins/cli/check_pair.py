"""`facegraft check-pair A B`: does source A's footage cover the poses and expressions of target B?"""
import argparse
import json

from facegraft.plugins.cli.arg_types import real


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "check-pair", help="compare two face sets (or alignments) before training: coverage and resemblance",
        description="Compare source A (the face to put in) with target B: head-pose coverage, mouth and eye "
                    "opening ranges, face shape and skin tone; list B's frames whose pose or expression A never "
                    "shows. A and B are face set folders or alignments files.")
    parser.add_argument("a", metavar="A", help="source: face set folder or alignments .json")
    parser.add_argument("b", metavar="B", help="target: face set folder or alignments .json")
    parser.add_argument("--pose-tolerance", type=real(0, 180, low_open=True), default=10.0, help="degrees of yaw/pitch (default 10)")
    parser.add_argument("--no-mirror", action="store_true",
                        help="do not count A's faces flipped left-right (training without flip augmentation)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from facegraft.core.pair.check import PairSettings, check_pair, load_samples
    from facegraft.core.pair.text import report_text

    report = check_pair(load_samples(args.a, name="A"), load_samples(args.b, name="B"),
                        settings=PairSettings(pose_tolerance=args.pose_tolerance, mirrored=not args.no_mirror))
    print(json.dumps(report.to_json(), indent=1, ensure_ascii=False) if args.json else report_text(report))
    return 0
