"""`facegraft pretrain FACESETS... -o BASE`: train a base model on a pool of many identities.

A pair then starts from it: `facegraft train --from BASE` or `facegraft swap --base BASE`.
"""
import argparse
import dataclasses
import sys

from facegraft.core.faceset import load_faceset
from facegraft.core.media.atomic import prepare_output
from facegraft.core.project.settings import PRESETS
from facegraft.core.train.errors import TrainingError
from facegraft.plugins.cli.arg_types import COUNT, SEED, device_name
from facegraft.plugins.cli.train import MINUTES


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "pretrain", help="train a base model on face sets of many identities (train --from / swap --base use it)",
        description="Train a base model on a pool of identities (one face set each, all extracted with the same "
                    "--size and --face-type). Pairs started from it (train --from BASE, swap --base BASE) keep its "
                    "encoder and decoders and learn the per-pair parts afresh. Keep bases outside the repository.")
    p.add_argument("facesets", nargs="+", metavar="FACESET", help="face set folders, one identity each (at least 2)")
    p.add_argument("-o", "--output", required=True, metavar="BASE", help="base model folder (checkpoints)")
    p.add_argument("--preset", choices=PRESETS, default="quick",
                   help="network shape and training recipe of the swap preset the base is for (default quick)")
    stop = p.add_mutually_exclusive_group()
    stop.add_argument("--iterations", type=COUNT, help="stop at this total iteration count")
    stop.add_argument("--minutes", type=MINUTES, help="stop after this many minutes of this run (default 30)")
    p.add_argument("--resume", action="store_true", help="continue the checkpoint in BASE")
    p.add_argument("--device", type=device_name, default="cpu", help="cpu, cuda or cuda:N (default cpu)")
    p.add_argument("--seed", type=SEED, default=0, help="random seed (default 0)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from facegraft.core.project.settings import swap_preset
    from facegraft.core.train.pretrain import pretrain
    from facegraft.core.train.settings import GanSettings, ScheduleSettings

    prepare_output(args.output, inputs=list(args.facesets), folder=True)
    facesets = [load_faceset(path) for path in args.facesets]
    chosen = swap_preset(args.preset, device=args.device, face_type=facesets[0].face_type)
    if facesets[0].size != chosen.model.resolution:
        raise TrainingError(f"{args.facesets[0]}: faces are {facesets[0].size}px but the {args.preset} preset's model "
                            f"is {chosen.model.resolution}px; extract with --size {chosen.model.resolution}")
    minutes = 30.0 if args.iterations is None and args.minutes is None else args.minutes
    # no sharpening phase and no GAN term: a base is a starting point, its pairs sharpen at their own end
    settings = dataclasses.replace(chosen.train, iterations=args.iterations, minutes=minutes, seed=args.seed,
                                   schedule=ScheduleSettings(), gan=GanSettings())
    quiet = bool(getattr(args, "quiet", False))
    result = pretrain(facesets, args.output, model_config=chosen.model, settings=settings, resume=args.resume,
                      show_progress=not quiet)
    if not quiet:
        print(f"facegraft: pretrained to iteration {result.iteration} on {len(facesets)} identities; base model in "
              f"{result.folder} (use it with train --from or swap --base)", file=sys.stderr)
    return 0
