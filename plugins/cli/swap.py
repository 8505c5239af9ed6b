"""`facegraft swap --source A --target B -o OUTDIR`: the whole job in one resumable project folder.

Stages: plate (video → EXR), extract_source, extract_target, pair_check, train, convert, review
(H.264 side by side), eval. Re-running the same command skips finished stages; `--resume -o OUTDIR`
continues a project with the options it was started with; `--stage NAME` re-runs one stage alone.
"""
import argparse
import dataclasses
import sys

from facegraft.core.project.layout import STAGES
from facegraft.core.project.settings import PRESETS
from facegraft.plugins.cli.arg_types import COUNT, device_name, real

_RECORDED = ("preset", "frames", "source_frames", "reference", "iterations", "minutes", "device", "no_eval", "base")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "swap", help="extract, check, train, convert, review and evaluate in one resumable project",
        description="Swap the face of --source (A) onto --target (B). Every intermediate lands in OUTDIR "
                    "(alignments, face sets, model, converted EXR sequence + layers, review.mp4, eval report); "
                    "re-running skips the finished stages.")
    p.add_argument("--source", metavar="A", help="clip, sequence or image of the face to put in")
    p.add_argument("--target", metavar="B", help="the plate: clip or sequence (a clip is converted to EXR first)")
    p.add_argument("-o", "--output", required=True, metavar="OUTDIR", help="project folder")
    p.add_argument("--preset", choices=PRESETS, default="quick",
                   help="quick: 64 px, ~3 min training on a CPU; standard: 128 px, 1 h; quality: 256 px, for a GPU")
    p.add_argument("--frames", metavar="RANGE", help="target frames to swap (default all), e.g. 1-48")
    p.add_argument("--source-frames", metavar="RANGE", help="source frames to learn from (default all)")
    p.add_argument("--reference", metavar="IMAGE", help="photo of the target person to replace (several people)")
    p.add_argument("--base", metavar="BASE", help="start training from this pretrained base model (facegraft pretrain "
                                                   "with the same --preset); default: from scratch")
    stop = p.add_mutually_exclusive_group()
    stop.add_argument("--iterations", type=COUNT, help="train to this iteration count instead of the preset's")
    stop.add_argument("--minutes", type=real(0, 10**7, low_open=True), help="train this many minutes instead of the preset's")
    p.add_argument("--device", type=device_name, default=None, help="torch device for training and convert (default cpu)")
    p.add_argument("--no-eval", action="store_true", help="skip the eval report")
    p.add_argument("--resume", action="store_true", help="continue the project in OUTDIR with its recorded options")
    p.add_argument("--stage", choices=STAGES, help="re-run this one stage alone (its inputs must be done)")
    p.set_defaults(func=run)


def _options(args: argparse.Namespace) -> dict:
    """The project's options: recorded ones on --resume, overridden by those given now."""
    from pathlib import Path

    from facegraft.core.errors import OutputError
    from facegraft.core.project.layout import ProjectLayout, read_project

    given = {k: getattr(args, k) for k in _RECORDED}
    if not args.resume:
        if not args.source or not args.target:
            raise OutputError("give --source and --target (or --resume to continue the project in -o)")
        return {"source": args.source, "target": args.target, **given}
    project = read_project(ProjectLayout(Path(args.output)))
    recorded = dict(project.get("options") or {})
    defaults = {"preset": "quick", "no_eval": False}
    for key, value in given.items():
        if value is not None and value != defaults.get(key):
            recorded[key] = value
    recorded.setdefault("preset", "quick")
    return {**recorded, "source": args.source or project["source"], "target": args.target or project["target"]}


def build_settings(options: dict):
    """Swap settings from the options (preset, frames, stop, device, reference)."""
    from facegraft.core.media.sequence import parse_frame_range
    from facegraft.core.project.settings import swap_preset
    from facegraft.core.train.settings import with_stop

    settings = swap_preset(options.get("preset") or "quick", device=options.get("device") or "cpu")
    train = with_stop(settings.train, iterations=options.get("iterations"), minutes=options.get("minutes"))
    if options.get("base"):
        settings = with_base(settings, options["base"])
    return dataclasses.replace(
        settings, train=train, reference=options.get("reference"), evaluate=not options.get("no_eval"),
        frames=tuple(parse_frame_range(options["frames"])) if options.get("frames") else None,
        source_frames=tuple(parse_frame_range(options["source_frames"])) if options.get("source_frames") else None)


def with_base(settings, base: str):
    """`settings` starting from the base model in folder `base`, whose network shape must be the preset's."""
    from facegraft.core.errors import ModelMismatchError
    from facegraft.core.train.base import base_config

    config = base_config(base)
    if dataclasses.replace(config, face_type=settings.model.face_type) != settings.model:
        raise ModelMismatchError(f"{base}: the base model is a {config.resolution}px {config.architecture} network "
                                 f"unlike the {settings.preset} preset's; pretrain a base with --preset {settings.preset}")
    return dataclasses.replace(settings, base=str(base))


def run(args: argparse.Namespace) -> int:
    from facegraft.core.color import ColorManager
    from facegraft.core.detect.registry import default_registry
    from facegraft.core.extract.pipeline import ExtractModels
    from facegraft.core.media.atomic import prepare_output
    from facegraft.core.project.run import run_swap
    from facegraft.plugins.cli.progress import progress

    quiet = bool(getattr(args, "quiet", False))
    options = _options(args)
    prepare_output(args.output, inputs=[options["source"], options["target"]], folder=True)
    settings = build_settings(options)
    registry = default_registry()
    ex = settings.extract

    def models() -> ExtractModels:
        return ExtractModels(registry.detector(ex.detector), registry.landmarks(ex.landmarks),
                             registry.identity("dlib_resnet"))

    result = run_swap(
        options["source"], options["target"], args.output, settings=settings, color=ColorManager.from_environment(),
        models=models, only=args.stage, show_training=not quiet, options={k: options.get(k) for k in _RECORDED},
        progress=lambda it, n, desc: progress(it, total=n, unit="it", desc=desc, quiet=quiet),
        log=lambda line: None if quiet else print(f"facegraft: {line}", file=sys.stderr))
    if not quiet:
        print(stage_table(result))
    return 0


def stage_table(result) -> str:
    """The per-stage wall-clock table and where the outputs are."""
    lines = [f"{'stage':16}{'this run':>10}{'finished in':>13}", "-" * 39]
    for o in result.outcomes:
        lines.append(f"{o.stage:16}{(f'{o.seconds:.1f} s' if o.ran else 'skipped'):>10}{o.recorded_seconds:>11.1f} s")
    lines.append(f"project: {result.layout.root}")
    return "\n".join(lines)
