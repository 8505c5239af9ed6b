"""`facegraft mask train|matte`: occlusion-aware face segmentation for a shot.

    facegraft mask train FACESET... -o MASK_MODEL [--matte PATTERN[:LAYER]]... [--steps N] [--resume]
    facegraft mask matte PLATE --alignments A --mask-model M -o OUT.####.exr [--grow N --feather PX]

`train` teaches a small U-Net the visible face of the shot's own face sets: landmark hulls with
synthetic occluders pasted over them, plus the compositor's roto where given (`--matte`, one
per face set, in the order of the face sets). `matte` is the FaceMatte node: the plate's face
matte for the comp. Use the model in `extract --mask-model` and `convert --mask-model`.
"""
import argparse
import sys
from pathlib import Path

from facegraft.nodes.face_matte import SPEC as MATTE_SPEC
from facegraft.plugins.cli.arg_types import COUNT, SEED, device_name, integer, real
from facegraft.plugins.cli.spec_flags import add_spec_flags, spec_values


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("mask", help="train a face segmentation model on a shot; write face mattes",
                                   description="Occlusion-aware face masks: a small segmentation network trained "
                                               "on the shot's face sets and the compositor's roto.")
    actions = parser.add_subparsers(title="actions", metavar="ACTION", required=True)
    train = actions.add_parser("train", help="train (or continue) a mask model on face sets",
                               description="Train a mask model: landmark hulls with synthetic occluders as labels, "
                                           "plus roto mattes (--matte), weighted above them.")
    train.add_argument("facesets", metavar="FACESET", nargs="+", help="face set folders (extract --faces-out)")
    train.add_argument("-o", "--output", required=True, metavar="MASK_MODEL", help="mask model folder to write")
    train.add_argument("--matte", action="append", default=[], metavar="PATTERN[:LAYER]",
                       help="roto of some plate frames (EXR/PNG alpha, or LAYER), numbered like the plate; one per "
                            "face set, in order (repeat the flag)")
    train.add_argument("--steps", type=COUNT, default=1500, help="total training steps (default 1500)")
    train.add_argument("--resume", action="store_true",
                       help="continue the model in -o up to --steps (also: fine-tune it with new --matte roto)")
    train.add_argument("--resolution", type=_resolution, default=128,
                       help="the network's working size in px, a multiple of 8 (default 128)")
    train.add_argument("--batch", type=integer(1, 256), default=16, help="crops per step (default 16)")
    train.add_argument("--lr", type=real(0, 1, low_open=True), default=4e-3, help="learning rate (default 0.004)")
    train.add_argument("--roto-weight", type=real(1, 100), default=4.0,
                       help="weight of a roto-labelled face against a synthetic one (default 4)")
    train.add_argument("--seed", type=SEED, default=0, help="random seed (batches are a function of it and the step)")
    train.add_argument("--threads", type=integer(1, 256), default=None,
                       help="torch CPU threads (default: torch's; 1 is often faster on a busy machine)")
    train.add_argument("--save-every", type=COUNT, default=250, help="save the folder every N steps (default 250)")
    train.add_argument("--device", type=device_name, default="cpu", help="torch device: cpu, cuda, cuda:N or mps")
    train.set_defaults(func=run_train)

    matte = actions.add_parser("matte", help="write the face matte of a plate (the FaceMatte node)",
                               description=MATTE_SPEC.help)
    matte.add_argument("plate", metavar="PLATE", help="plate sequence, e.g. shot.####.exr")
    matte.add_argument("-o", "--output", required=True, help="output pattern, e.g. out/shot_facematte.####.exr")
    matte.add_argument("--frames", help="frame range (default: every frame of the alignments)")
    matte.add_argument("--force", action="store_true", help="redo frames already written")
    add_spec_flags(matte, MATTE_SPEC)
    matte.set_defaults(func=run_matte)


def _resolution(text: str) -> int:
    """A working size in 32..512 px that the U-Net's three halvings divide (a multiple of 8)."""
    value = integer(32, 512)(text)
    if value % 8:
        raise argparse.ArgumentTypeError(f"{value} is not a multiple of 8; try {value // 8 * 8}")
    return value


def run_train(args: argparse.Namespace) -> int:
    from facegraft.core.device import torch_device
    from facegraft.core.errors import MediaError, ModelMismatchError
    from facegraft.core.faceset import load_faceset
    from facegraft.core.masks.roto import roto_labels, split_matte_argument
    from facegraft.core.masks.segment import CONFIG_NAME, SegmentConfig, load_mask_model
    from facegraft.core.masks.segment_train import load_samples, train_segmenter
    from facegraft.plugins.cli.progress import ProgressBar

    facesets = [load_faceset(path) for path in args.facesets]
    kinds = {(f.face_type, f.color_encoding) for f in facesets}
    if len(kinds) > 1:
        raise ModelMismatchError(f"{args.facesets[0]} and the others hold different face types or encodings "
                                 f"({sorted(kinds)}); train one mask model per face type")
    if len(args.matte) > len(facesets):
        raise MediaError(f"--matte {args.matte[len(facesets)]}: {len(args.matte)} roto sequences for "
                         f"{len(facesets)} face sets; give at most one per face set, in the same order")
    roto = [{} for _ in facesets]
    for i, text in enumerate(args.matte):
        pattern, layer = split_matte_argument(text)
        roto[i] = roto_labels(facesets[i], pattern, layer=layer)
    device = str(torch_device(args.device))
    config = SegmentConfig(resolution=args.resolution, face_type=facesets[0].face_type,
                           color_encoding=facesets[0].color_encoding)
    if args.resume and (Path(args.output) / CONFIG_NAME).exists():
        config = load_mask_model(args.output).config
    samples = load_samples(facesets, resolution=config.resolution, roto=roto)
    with ProgressBar(unit="step", desc="mask train", quiet=args.quiet) as bar:
        report = train_segmenter(samples, args.output, steps=args.steps, config=config, batch=args.batch,
                                 learning_rate=args.lr, roto_weight=args.roto_weight, seed=args.seed,
                                 resume=args.resume, save_every=args.save_every, device=device,
                                 threads=args.threads, sources=[*args.facesets, *args.matte],
                                 progress=lambda done, total: bar(done, total, done))
    if not args.quiet:
        roto_faces = int(samples.roto.sum())
        print(f"{report.folder}: step {report.step} ({report.steps_done} this run, {report.seconds:.0f} s), "
              f"loss {report.loss:.4f}; {len(samples)} faces, {roto_faces} with roto", file=sys.stderr)
    return 0


def run_matte(args: argparse.Namespace) -> int:
    from facegraft.core.media.sequence import parse_frame_range
    from facegraft.nodes.face_matte import process
    from facegraft.plugins.cli.progress import ProgressBar

    frames = parse_frame_range(args.frames) if args.frames else None
    with ProgressBar(unit="frame", desc="face matte", quiet=args.quiet) as bar:
        written = process(args.plate, args.output, frames, force=args.force, progress=bar,
                          **spec_values(args, MATTE_SPEC))
    if not args.quiet:
        print(f"wrote {len(written)} face matte frames", file=sys.stderr)
    return 0
