"""`facegraft node list | run`: list the nodes, or run one headless on a frame range.

    facegraft node list [--json]
    facegraft node run NAME --input [PLANE=]PATTERN[:LAYER] ... --output PATTERN [--frames R]
                       [--set key=value ...] [--force] [--progress bar|lines|none]

The flags of each node's parameters come from its schema (`--set key=value`, validated there, the
message names the knob). `--progress lines` prints `facegraft-progress DONE TOTAL FRAME` lines on
stdout, which the Nuke and Blender add-ons read. Input binding: see facegraft.nodes.binding.
"""
import argparse
import json
import sys

from facegraft.core import __version__
from facegraft.nodes.schema import PROGRESS_PREFIX
from facegraft.plugins.cli.arg_types import INDEX, THREADS


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("node", help="list the nodes or run one on a frame range",
                                   description="Run compositing nodes headless (the farm and the host add-ons use this).")
    verbs = parser.add_subparsers(title="node verbs", metavar="VERB", required=True)
    listing = verbs.add_parser("list", help="the nodes, their inputs and parameters")
    listing.add_argument("--json", action="store_true", help="print the node manifest as JSON")
    listing.set_defaults(func=run_list)
    run = verbs.add_parser("run", help="run a node on a frame range of sequences",
                           description="Example: facegraft node run MaskFeather --input m.####.exr:matte.A "
                                       "--output out/m.####.exr --frames 1001-1010 --set grow=-2 --set feather=6")
    run.add_argument("name", metavar="NAME", help="node name (facegraft node list)")
    run.add_argument("--input", dest="bindings", action="append", default=[], metavar="[PLANE=]PATTERN[:LAYER]",
                     help="bind an input plane, e.g. plate=shot.####.exr or matte=swap.####.exr:matte.A (repeat)")
    run.add_argument("-o", "--output", required=True, help="output pattern, e.g. out/shot.####.exr")
    run.add_argument("--frames", help="frame range, e.g. 1001-1100, 1001-1100x2 (default: every input frame)")
    run.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a node parameter (repeat)")
    run.add_argument("--force", action="store_true", help="redo frames already written with these parameters")
    run.add_argument("--workers", type=THREADS, default=2, help="reader/writer threads (0: none)")
    run.add_argument("--progress", choices=("bar", "lines", "none"), default="bar",
                     help="bar on stderr, machine-readable lines on stdout (for hosts), or nothing")
    run.set_defaults(func=run_node)
    nk = verbs.add_parser("nk", help="write a face's per-frame frame→crop matrices as an animated Nuke node",
                          description="Write an animated Transform (similarity) or CornerPin2D (any affine) .nk "
                                      "from an alignments file, converted to Nuke's bottom-left origin.")
    nk.add_argument("alignments", metavar="ALIGNMENTS", help="alignments file (facegraft extract)")
    nk.add_argument("-o", "--output", required=True, help="the .nk file to write (paste it into Nuke)")
    nk.add_argument("--face-id", type=INDEX, default=0, help="which face (default 0)")
    nk.add_argument("--node", choices=("transform", "cornerpin"), default="transform")
    nk.add_argument("--crop-to-frame", action="store_true",
                    help="Transform only: set invert, to place the crop back over the plate")
    nk.set_defaults(func=run_nk)


def run_list(args: argparse.Namespace) -> int:
    from facegraft.nodes.registry import builtin_registry

    registry = builtin_registry()
    if args.json:
        print(json.dumps({**registry.manifest(), "facegraft_version": __version__}, indent=2))
        return 0
    for entry in registry:
        spec = entry.spec
        inputs = ", ".join(f"{p.name}:{p.kind}" for p in spec.inputs)
        print(f"{spec.name} v{spec.version} [{spec.category}] inputs {inputs} -> {spec.output.kind}")
        for p in spec.params:
            print(f"    --set {p.name}=<{p.type}> default {p.default!r}  {p.help}")
    return 0


def run_node(args: argparse.Namespace) -> int:
    from facegraft.core.media.sequence import parse_frame_range
    from facegraft.nodes.binding import parse_binding
    from facegraft.nodes.registry import builtin_registry
    from facegraft.nodes.runner import run_node as run
    from facegraft.plugins.cli.progress import ProgressBar

    entry = builtin_registry().get(args.name)
    params = entry.spec.parse_settings(args.set)
    bindings = [parse_binding(text, entry.spec) for text in args.bindings]
    frames = parse_frame_range(args.frames) if args.frames else None
    shown = None if args.quiet or args.progress == "none" else args.progress

    def lines(done: int, total: int, frame: int) -> None:
        print(f"{PROGRESS_PREFIX} {done} {total} {frame}", flush=True)

    with ProgressBar(unit="frame", desc=entry.spec.name, quiet=shown != "bar") as bar:
        result = run(entry, bindings, args.output, params, frames=frames, force=args.force, workers=args.workers,
                     progress=lines if shown == "lines" else bar)
    if not args.quiet:
        print(f"{entry.spec.name}: wrote {len(result.written)} frames, skipped {len(result.skipped)} already written",
              file=sys.stderr if shown == "lines" else sys.stdout)
    return 0


def run_nk(args: argparse.Namespace) -> int:
    from facegraft.core.alignments.export import export_json
    from facegraft.core.alignments.format import load_alignments
    from facegraft.core.errors import AlignmentsError
    from facegraft.core.media.atomic import atomic_write_text, prepare_output
    from facegraft.plugins.nuke.nk import cornerpin_nk, matrices_from_export, transform_nk

    prepare_output(args.output, inputs=[args.alignments])
    export = export_json(load_alignments(args.alignments))
    matrices = matrices_from_export(export, face_id=args.face_id)
    if not matrices:
        raise AlignmentsError(f"{args.alignments}: no face id {args.face_id} on any frame; pick another --face-id")
    name = f"facegraft_face{args.face_id}"
    if args.node == "cornerpin":
        text = cornerpin_nk(matrices, frame_width=export["width"], frame_height=export["height"],
                            crop_size=export["size"], name=name)
    else:
        try:
            text = transform_nk(matrices, frame_height=export["height"], crop_size=export["size"], name=name,
                                invert=args.crop_to_frame)
        except ValueError as error:
            raise AlignmentsError(f"{args.alignments}: {error}; pass --node cornerpin") from None
    atomic_write_text(args.output, text)
    if not args.quiet:
        print(f"wrote {args.output}: {len(matrices)} frames of face {args.face_id}")
    return 0
