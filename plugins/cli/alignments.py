"""`facegraft alignments merge|info|export`: join farm shards, summarise, export plain JSON."""
import argparse
import json
import sys

from facegraft.core.alignments.export import export_json
from facegraft.core.alignments.format import load_alignments, save_alignments
from facegraft.core.alignments.merge import merge_alignments
from facegraft.core.alignments.stats import summarize
from facegraft.core.media.atomic import atomic_write_text, prepare_output
from facegraft.core.media.sequence import format_frame_range


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("alignments", help="merge farm shards, summarise or export alignments files",
                                   description="Work with alignments files written by facegraft extract.")
    verbs = parser.add_subparsers(title="actions", metavar="ACTION", required=True)
    merge = verbs.add_parser("merge", help="join shards (disjoint frame ranges of one plate) into one file")
    merge.add_argument("shards", nargs="+", metavar="SHARD", help="alignments files of farm chunks")
    merge.add_argument("-o", "--output", required=True, help="merged alignments file to write")
    merge.set_defaults(func=run_merge)
    info = verbs.add_parser("info", help="faces per frame, frames without faces, ids, landmark jitter")
    info.add_argument("file", metavar="ALIGNMENTS")
    info.add_argument("--json", action="store_true", help="print JSON instead of text")
    info.set_defaults(func=run_info)
    export = verbs.add_parser("export", help="write a documented plain JSON (frame → faces → box, landmarks, matrix)")
    export.add_argument("file", metavar="ALIGNMENTS")
    export.add_argument("--json", action="store_true", required=True, help="export format (JSON, the only one)")
    export.add_argument("-o", "--output", help="file to write (default: standard output)")
    export.set_defaults(func=run_export)


def run(args: argparse.Namespace) -> int:
    return args.func(args)


def run_merge(args: argparse.Namespace) -> int:
    prepare_output(args.output, inputs=args.shards)
    merged = merge_alignments([load_alignments(p) for p in args.shards], names=args.shards)
    save_alignments(merged, args.output)
    if not getattr(args, "quiet", False):
        print(f"{args.output}: {len(merged.frames)} frames ({format_frame_range(merged.frames)}) from "
              f"{len(args.shards)} shards", file=sys.stderr)
    return 0


def run_info(args: argparse.Namespace) -> int:
    alignments = load_alignments(args.file)
    s = summarize(alignments)
    h = alignments.header
    data = {"source": h.source, "width": h.width, "height": h.height, "face_type": h.face_type, "size": h.size,
            "detector": h.detector, "landmarks": h.landmarks, "frames": format_frame_range(alignments.frames),
            "frame_count": s.frames, "keyframes": s.detected_frames,
            "frames_without_faces": format_frame_range(s.frames_without_faces),
            "faces_per_frame": {str(k): v for k, v in s.faces_per_frame.items()},
            "faces_per_id": {str(k): v for k, v in s.faces_per_id.items()},
            "jitter": [{"face_id": j.face_id, "frames": j.frames, "raw": round(j.raw, 5),
                        "smoothed": round(j.smoothed, 5)} for j in s.jitter]}
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    for key in ("source", "width", "height", "face_type", "size", "detector", "landmarks", "frames", "frame_count",
                "keyframes", "frames_without_faces"):
        print(f"{key:22} {data[key] if data[key] not in ('', None) else '-'}")
    print(f"{'faces_per_frame':22} " + ", ".join(f"{k} faces: {v} frames" for k, v in s.faces_per_frame.items()))
    print(f"{'faces_per_id':22} " + (", ".join(f"id {k}: {v}" for k, v in s.faces_per_id.items()) or "-"))
    for j in s.jitter:
        print(f"{'jitter id ' + str(j.face_id):22} raw {j.raw:.5f}  smoothed {j.smoothed:.5f}  "
              f"(RMS 2nd difference / eye distance, {j.frames} frames)")
    return 0


def run_export(args: argparse.Namespace) -> int:
    text = json.dumps(export_json(load_alignments(args.file)), indent=1)
    if args.output is None:
        print(text)
        return 0
    prepare_output(args.output, inputs=[args.file])
    atomic_write_text(args.output, text + "\n")
    return 0
