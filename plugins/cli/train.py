"""`facegraft train --a FACESET_A --b FACESET_B -o MODEL_DIR ...`: train a face-swap model.

Launch with `torchrun --nproc_per_node N -m facegraft.plugins.cli.main train ...` for
DistributedDataParallel (each process trains on --batch faces per identity).
"""
import argparse
import dataclasses
import sys
from typing import Any

from facegraft.core.faceset import load_faceset
from facegraft.core.media.atomic import prepare_output
from facegraft.core.models.config import MAX_RESOLUTION, MIN_RESOLUTION, ModelConfig
from facegraft.core.models.registry import list_architectures
from facegraft.core.train.errors import TrainingError
from facegraft.core.train.settings import PRESETS, OptimSettings, TrainSettings, preset
from facegraft.plugins.cli.arg_types import COUNT, INDEX, SEED, device_name, integer, real

WIDTH = integer(4, 4096)  # channels of a network stage
MINUTES = real(0, 10**7, low_open=True)
_MODEL_OPTIONS = ("resolution", "encoder_width", "bottleneck_dims", "decoder_width", "decoder_depth")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("train", help="train a model on two face sets (A = the face to put in)",
                              description="Train a shared-encoder face-swap model on face sets A and B.")
    p.add_argument("--a", required=True, metavar="FACESET_A", help="face set of the identity to put in")
    p.add_argument("--b", required=True, metavar="FACESET_B", help="face set of the plate's identity")
    p.add_argument("-o", "--output", required=True, metavar="MODEL_DIR", help="model folder (checkpoints)")
    p.add_argument("--layout", choices=list_architectures(), help="network layout (default df)")
    p.add_argument("--resolution", type=integer(MIN_RESOLUTION, MAX_RESOLUTION), help="crop size, 64..512, multiple of 16 (default: the face sets')")
    p.add_argument("--encoder-width", type=WIDTH, help="first encoder stage channels (default 32)")
    p.add_argument("--bottleneck-dims", type=integer(4, 65536), help="dense code width (default 256)")
    p.add_argument("--decoder-width", type=WIDTH, help="last decoder stage channels (default 32)")
    p.add_argument("--decoder-depth", type=integer(0, 3), help="residual blocks per decoder stage (default 1)")
    p.add_argument("--expression", action=argparse.BooleanOptionalAction,
                   help="condition the code on mouth and eye opening, so the swap's mouth follows the plate's "
                        "(df and liae; default: the preset's, else off)")
    p.add_argument("--batch", type=integer(1, 65536), help="faces per identity per step (default 16)")
    stop = p.add_mutually_exclusive_group()
    stop.add_argument("--iterations", type=COUNT, help="stop at this total iteration count")
    stop.add_argument("--minutes", type=MINUTES, help="stop after this many minutes of this run")
    p.add_argument("--resume", action="store_true", help="continue the checkpoint in MODEL_DIR exactly")
    p.add_argument("--from", dest="from_base", metavar="BASE",
                   help="start from a pretrained base model (facegraft pretrain); its model options are the defaults")
    p.add_argument("--device", type=device_name, default="cpu", help="cpu, cuda or cuda:N (default cpu)")
    p.add_argument("--seed", type=SEED, help="random seed (default 0)")
    p.add_argument("--preset", choices=PRESETS, help="quick: 64px, learns a likeness in minutes on a CPU")
    p.add_argument("--lr", type=real(0, 1, low_open=True), help="peak learning rate (default 5e-4)")
    p.add_argument("--gan-weight", type=real(0, 10), metavar="W",
                   help="weight of a patch-GAN term in the late phase (default 0: off; DeepFaceLab uses ~0.1)")
    p.add_argument("--gan-from", type=real(0, 1, high_open=True), metavar="F",
                   help="share of the budget done when the GAN term starts (default 0.8)")
    p.add_argument("--cpu-bf16", action="store_true",
                   help="bf16 autocast on a CPU with native bf16 (AVX512-BF16 or AMX; ignored on others): ~1.6x "
                        "the steps per minute; on the quick budget its mouth followed the plate worse")
    p.add_argument("--workers", type=integer(0, 64), help="batch-preparing threads (default 1; 0 = inline)")
    p.add_argument("--save-minutes", type=real(0, 10**6), help="checkpoint interval in minutes (default 10)")
    p.add_argument("--preview-every", type=COUNT, help="preview grid interval in iterations")
    p.add_argument("--holdout", type=INDEX, metavar="N",
                   help="faces at the end of each set kept apart to measure on (default 12)")
    p.add_argument("--holdout-gap", type=INDEX, metavar="FRAMES",
                   help="frames before the held-out faces not trained on either (default 15)")
    p.set_defaults(func=run)


def _model_config(args: argparse.Namespace, base: ModelConfig | None, face_type: str, size: int) -> ModelConfig:
    given = {k: getattr(args, k) for k in _MODEL_OPTIONS if getattr(args, k) is not None}
    if args.layout is not None:
        given["architecture"] = args.layout
    if args.expression is not None:
        given["expression"] = args.expression
    try:
        if base is None:
            base = ModelConfig(given.get("architecture", "df"), resolution=given.get("resolution", size))
        return dataclasses.replace(base, face_type=face_type, **given)
    except ValueError as exc:
        raise TrainingError(f"invalid model option: {exc}") from None


def _settings(args: argparse.Namespace, base: TrainSettings) -> TrainSettings:
    changes: dict[str, Any] = {"device": args.device}
    for arg, field in (("batch", "batch_size"), ("seed", "seed"), ("workers", "workers"),
                       ("save_minutes", "save_every_minutes"), ("preview_every", "preview_every"),
                       ("holdout", "holdout"), ("holdout_gap", "holdout_gap")):
        if getattr(args, arg) is not None:
            changes[field] = getattr(args, arg)
    if args.iterations is not None or args.minutes is not None:
        changes.update(iterations=args.iterations, minutes=args.minutes)
    if args.lr is not None:
        changes["optim"] = dataclasses.replace(base.optim, learning_rate=args.lr)
    if args.cpu_bf16:
        changes["cpu_bf16"] = True
    gan = {k: v for k, v in (("weight", args.gan_weight), ("start", args.gan_from)) if v is not None}
    if gan:
        changes["gan"] = dataclasses.replace(base.gan, **gan)
    try:
        if "gan" in changes and not changes["gan"].enabled and args.gan_from is not None:
            raise ValueError("--gan-from needs --gan-weight above 0 (the GAN term is off)")
        return dataclasses.replace(base, **changes)
    except ValueError as exc:
        raise TrainingError(f"invalid training option: {exc}") from None


def build_settings(args: argparse.Namespace, *, face_type: str, size: int) -> tuple[ModelConfig, TrainSettings]:
    """Turn arguments into (model config, training settings); on --resume the saved model options
    are the defaults, so a differing explicit option is refused by the library."""
    if args.preset:
        chosen = preset(args.preset, face_type=face_type, **({"architecture": args.layout} if args.layout else {}))
        base_model, base_settings = chosen.model, chosen.settings
    else:
        base_model = None
        base_settings = TrainSettings(iterations=None, minutes=60.0 * 24, optim=OptimSettings())
    if args.resume:
        from facegraft.core.train.checkpoint import saved_model_config

        base_model = saved_model_config(args.output)
    elif args.from_base:
        from facegraft.core.train.base import base_config

        base_model = base_config(args.from_base)
    model = _model_config(args, base_model, face_type, size)
    if args.iterations is None and args.minutes is None and not args.preset:
        raise TrainingError("say how long to train: --iterations N or --minutes M (or --preset quick)")
    return model, _settings(args, base_settings)


def run(args: argparse.Namespace, ctx: object = None) -> int:
    from facegraft.core.train.distributed import DistContext  # torch is imported only when training
    from facegraft.core.train.loop import train

    prepare_output(args.output, inputs=[args.a, args.b] + ([args.from_base] if args.from_base else []), folder=True)
    faceset_a, faceset_b = load_faceset(args.a), load_faceset(args.b)
    model, settings = build_settings(args, face_type=faceset_a.face_type, size=faceset_a.size)
    dist = DistContext.from_environment()
    quiet = bool(getattr(args, "quiet", False))
    result = train(faceset_a, faceset_b, args.output, model_config=model, settings=settings, resume=args.resume,
                   dist=dist, show_progress=not quiet, base=args.from_base)
    if dist.is_main and not quiet:
        loss = result.losses.get("loss", float("nan"))
        print(f"facegraft: trained to iteration {result.iteration} ({result.stopped} reached), "
              f"loss {loss:.4f}; model in {result.folder}", file=sys.stderr)
    return 0
