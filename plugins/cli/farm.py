"""`facegraft farm submit|task|status`: run any verb that takes `--frames` on a render farm.

    facegraft farm submit media convert IN OUT --frames 1001-1100 --engine dask --chunk 10
    facegraft farm submit --engine deadline --dry-run -- convert PLATE --alignments A --model M -o OUT
    facegraft farm submit-shot PLATE --alignments A --model M -o OUT --engine deadline
    facegraft farm status JOB_DIR

Farm options may come before the verb or after its arguments; after a `--` everything is the
verb's. `farm task` is what the farm runs per chunk (engines write it into their job files).
"""
import argparse
import contextlib
import hashlib
import io
import json
import logging
import os
import shlex
from pathlib import Path

from facegraft.core.errors import FacegraftError, OutputError
from facegraft.core.media.atomic import refuse_overwrite
from facegraft.core.media.sequence import SequencePattern, is_sequence_pattern, parse_frame_range
from facegraft.core.media.source import open_source
from facegraft.plugins.cli.arg_types import COUNT, FRAME_NUMBER, integer, real
from facegraft.plugins.farm import cue, deadline
from facegraft.plugins.farm.chunks import frame_list_spec
from facegraft.plugins.farm.dask_engine import DaskSettings, run_job
from facegraft.plugins.farm.job import (ENGINES, FarmError, FarmSettings, JobSpec, LayerSpec, default_executable,
                                        validate_job, write_job)
from facegraft.plugins.farm.record import claim_outputs
from facegraft.plugins.farm.shot import ShotSettings, shot_layers
from facegraft.plugins.farm.status import job_status, status_report
from facegraft.plugins.farm.task import run_chunk

_SOURCE_ARGUMENTS = ("input", "plate", "source")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("farm", help="split a verb's frames into chunks on Deadline, OpenCue or Dask")
    verbs = parser.add_subparsers(title="farm verbs", metavar="VERB", required=True)
    submit = verbs.add_parser("submit", help="submit VERB ... as one task per chunk of frames",
                              description="Split the frame range of a facegraft command into chunks and run "
                                          "or submit one task per chunk. Options may follow the verb's arguments.")
    _add_submit_options(submit, defaults=True)
    submit.add_argument("command", nargs=argparse.REMAINDER, metavar="VERB ...",
                        help="the facegraft command, e.g. media convert IN OUT --frames 1001-1100")
    submit.set_defaults(func=run_submit)
    shot = verbs.add_parser("submit-shot", help="extract → merge → convert of one plate as one job",
                            description="Submit a whole shot: extract in chunks (one alignments shard each), "
                                        "merge the shards, then convert in chunks.")
    shot.add_argument("plate", metavar="PLATE", help="plate sequence, e.g. shot.####.exr")
    shot.add_argument("--alignments", required=True, help="merged alignments file to write (.json)")
    shot.add_argument("--model", required=True, help="model folder (facegraft train)")
    shot.add_argument("-o", "--output", required=True, help="output pattern, e.g. out/shot_swap.####.exr")
    shot.add_argument("--frames", help="frame range (default: every frame of the plate)")
    shot.add_argument("--extract-chunk", type=COUNT, default=20, help="frames per extract task (default 20)")
    shot.add_argument("--extract-args", default="", help="more extract options, quoted, e.g. '--detector hog'")
    shot.add_argument("--convert-args", default="", help="more convert options, quoted, e.g. '--blend poisson'")
    _add_submit_options(shot, defaults=True)
    shot.set_defaults(func=run_submit_shot)
    task = verbs.add_parser("task", help="run one chunk of a submitted job (what the farm runs)")
    task.add_argument("job_dir", metavar="JOB_DIR")
    task.add_argument("--layer", required=True, help="layer name in the job")
    task.add_argument("--start", type=FRAME_NUMBER, help="the chunk's first frame")
    task.add_argument("--end", type=FRAME_NUMBER, help="the chunk's last frame")
    task.set_defaults(func=run_task)
    status = verbs.add_parser("status", help="done, failed, running and missing chunks of a job folder")
    status.add_argument("job_dir", metavar="JOB_DIR")
    status.add_argument("--json", action="store_true", help="print JSON")
    status.set_defaults(func=run_status)


def _add_submit_options(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    d = (lambda value: value) if defaults else (lambda value: argparse.SUPPRESS)
    parser.add_argument("--engine", default=d("dask"), help=f"one of {', '.join(ENGINES)} (default dask)")
    parser.add_argument("--chunk", type=COUNT, default=d(10), help="frames per task (default 10)")
    parser.add_argument("--priority", type=integer(0, 10**6), default=d(50), help="queue priority (default 50)")
    parser.add_argument("--retries", type=integer(0, 1000), default=d(2), help="re-runs of a failed task (default 2)")
    parser.add_argument("--dry-run", action="store_true", default=d(False),
                        help="write the job files only (Deadline/OpenCue); Dask: plan only")
    parser.add_argument("--job-dir", default=d(None), help="job folder (default OUT's folder/.facegraft-farm/NAME)")
    parser.add_argument("--name", default=d(None), help="job name (default from the verb and its settings)")
    parser.add_argument("--scheduler", default=d(None),
                        help="Dask scheduler tcp://HOST:PORT or Cuebot HOST (default: a local Dask cluster)")
    parser.add_argument("--workers", type=integer(1, 1024), default=d(2),
                        help="worker processes of a local Dask cluster")
    parser.add_argument("--threads", type=integer(1, 1024), default=d(None),
                        help="CPU threads per task (OMP, torch, OIIO)")
    parser.add_argument("--gpu", default=d(None), help="CUDA_VISIBLE_DEVICES for tasks, e.g. 0 or '' for none")
    parser.add_argument("--executable", default=d(None),
                        help="how farm hosts start facegraft (default: this Python -m facegraft.plugins.farm.launch)")
    parser.add_argument("--timeout", type=real(0, None, low_open=True), default=d(None),
                        help="Dask: seconds to wait for the job")


def split_submit_arguments(args: argparse.Namespace) -> tuple[argparse.Namespace, list[str]]:
    """Farm options given after the verb's arguments, merged into `args`; the verb argv returned.

    Raises: FarmError when no verb is given.
    """
    tokens = list(args.command)
    if tokens and tokens[0] == "--":
        tokens = tokens[1:]
    verbatim: list[str] = []
    if "--" in tokens:
        cut = tokens.index("--")
        tokens, verbatim = tokens[:cut], tokens[cut + 1:]
    late = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    _add_submit_options(late, defaults=False)
    errors = io.StringIO()
    with contextlib.redirect_stderr(errors):
        try:
            options, verb = late.parse_known_args(tokens)
        except SystemExit:
            why = (errors.getvalue().strip().splitlines() or ["unreadable"])[-1].split("error: ", 1)[-1]
            raise FarmError(f"farm submit: cannot read the farm options in {shlex.join(tokens)} ({why})") from None
    merged = argparse.Namespace(**{**vars(args), **vars(options)})
    verb = verb + verbatim
    if not verb:
        raise FarmError("farm submit: no facegraft command given; e.g. farm submit media convert IN OUT --frames 1-100")
    return merged, verb


def parse_verb(verb: list[str], *, need_frames: bool = True) -> argparse.Namespace:
    """The verb's arguments as the facegraft command reads them. Raises: FarmError with argparse's message."""
    from facegraft.plugins.cli.main import build_parser

    errors = io.StringIO()
    with contextlib.redirect_stderr(errors), contextlib.redirect_stdout(io.StringIO()):
        try:
            namespace = build_parser().parse_args(verb)
        except SystemExit:
            last = (errors.getvalue().strip().splitlines() or ["invalid arguments"])[-1]
            raise FarmError(f"farm submit: {shlex.join(verb)}: {last}") from None
    if verb[0] == "farm":
        raise FarmError("farm submit: the command to run cannot itself be a farm verb")
    if need_frames and not hasattr(namespace, "frames"):
        raise FarmError(f"farm submit: `{' '.join(verb[:2])}` takes no --frames, so it cannot be split into chunks")
    if getattr(namespace, "start_frame", None) is not None:
        raise FarmError("farm submit: --start-frame renumbers per chunk; renumber in a separate run after the farm job")
    return namespace


def layer_frames(namespace: argparse.Namespace) -> list[int]:
    """The frames to render: --frames checked against the plate, or all the plate's frames.

    Raises: SequencePatternError for an empty range; FarmError for frames outside the plate.
    """
    wanted = parse_frame_range(namespace.frames) if namespace.frames else None
    source_path = next((getattr(namespace, a) for a in _SOURCE_ARGUMENTS if getattr(namespace, a, None)), None)
    if source_path is None:
        if wanted is None:
            raise FarmError("farm submit: give --frames; the command names no plate to take its frames from")
        return wanted
    source = open_source(source_path)
    if wanted is None:
        return source.frames
    outside = sorted(set(wanted) - set(source.frames))
    if outside:
        raise FarmError(f"farm submit: frames {frame_list_spec(outside[:20])} are outside the plate {source_path} "
                        f"(frames {frame_list_spec(source.frames)}); fix --frames")
    return wanted


def verb_inputs(namespace: argparse.Namespace, *, outputs: list[str]) -> list[str]:
    """What a parsed verb reads: each text argument (or list item, or the PATTERN of a
    `PLANE=PATTERN[:LAYER]` binding) that names an existing file or folder or a sequence on disk,
    other than `outputs`."""
    found: list[str] = []
    for value in vars(namespace).values():
        for text in value if isinstance(value, list | tuple) else [value]:
            if not isinstance(text, str | os.PathLike) or os.fspath(text) in outputs:
                continue
            text = os.fspath(text)
            binding = text.split("=", 1)[-1]
            for candidate in dict.fromkeys((text, binding, binding.rsplit(":", 1)[0])):
                if _names_files(candidate) and candidate not in found:
                    found.append(candidate)
    return found


def _names_files(text: str) -> bool:
    if not text or "{" in text:
        return False
    if os.path.exists(text):
        return True
    try:
        return is_sequence_pattern(text) and bool(SequencePattern.parse(text).discover())
    except FacegraftError:
        return False


def refuse_input_outputs(output: str, inputs: list[str], frames: list[int]) -> None:
    """Farm planning applies the writers' rule (core.media.atomic): a job whose output is one of its
    own inputs is refused before it is planned. Raises: OutputError."""
    if "{" in output:  # per-chunk outputs (`{chunk}`): checked by each task as it runs
        return
    refuse_overwrite(output, inputs, frames=frames if is_sequence_pattern(output) else None)


def strip_frames(verb: list[str]) -> list[str]:
    """`verb` without its `--frames R` (the task adds each chunk's range)."""
    out, skip = [], False
    for arg in verb:
        if skip:
            skip = False
        elif arg == "--frames":
            skip = True
        elif not arg.startswith("--frames="):
            out.append(arg)
    return out


def build_job(args: argparse.Namespace, verb: list[str]) -> tuple[JobSpec, Path]:
    """The job and its folder from the submit arguments. Raises: FarmError for bad options."""
    if args.engine not in ENGINES:
        raise FarmError(f"farm submit: unknown engine {args.engine!r}; use one of {', '.join(ENGINES)}")
    namespace = parse_verb(verb)
    frames = layer_frames(namespace)
    output = getattr(namespace, "output", None)
    if output:
        refuse_input_outputs(output, verb_inputs(namespace, outputs=[output]), frames)
    outputs = os.path.abspath(output) if output and is_sequence_pattern(output) else None
    command = strip_frames(verb)
    layer_name = "_".join(t for t in verb[:2] if t.isidentifier()) or "task"
    digest = hashlib.sha256(json.dumps([command, frames, args.chunk]).encode()).hexdigest()[:8]
    name = args.name or f"fg_{layer_name}_{digest}"
    executable = tuple(shlex.split(args.executable)) if args.executable else default_executable()
    settings = FarmSettings(threads=args.threads, gpu=args.gpu, priority=args.priority, retries=args.retries)
    job = validate_job(JobSpec(name, (LayerSpec(layer_name, tuple(command), tuple(frames), args.chunk, outputs,
                                                  workdir=os.getcwd()),),
                               settings, executable))
    if args.job_dir:
        job_dir = Path(args.job_dir)
    elif outputs:
        job_dir = SequencePattern.parse(outputs).path(0).parent / ".facegraft-farm" / name
    else:
        raise FarmError("farm submit: the command writes no frame sequence; pass --job-dir")
    return job, job_dir


def run_submit(args: argparse.Namespace) -> int:
    args, verb = split_submit_arguments(args)
    job, job_dir = build_job(args, verb)
    return submit_job(job, job_dir, args)


def build_shot_job(args: argparse.Namespace) -> tuple[JobSpec, Path]:
    """The extract → merge → convert job of `farm submit-shot`, each command checked by the CLI parser."""
    if args.engine not in ENGINES:
        raise FarmError(f"farm submit-shot: unknown engine {args.engine!r}; use one of {', '.join(ENGINES)}")
    frames = layer_frames(argparse.Namespace(frames=args.frames, plate=args.plate))
    output = os.path.abspath(args.output)
    if not is_sequence_pattern(output):
        raise FarmError(f"farm submit-shot: -o {args.output} is not a frame sequence; write e.g. out/shot.####.exr")
    settings = ShotSettings(args.plate, args.alignments, args.model, output, tuple(frames), args.extract_chunk,
                            args.chunk, tuple(shlex.split(args.extract_args)), tuple(shlex.split(args.convert_args)),
                            os.getcwd())
    existing = [p for p in (args.plate, args.model, args.alignments) if _names_files(p)]
    refuse_input_outputs(output, existing, frames)
    refuse_input_outputs(args.alignments, [args.plate, args.model], frames)
    layers = shot_layers(settings)
    for layer in layers:
        parse_verb([*layer.command, *(["--frames", "1"] if layer.frames else [])], need_frames=bool(layer.frames))
    digest = hashlib.sha256(json.dumps([[l.command for l in layers], frames]).encode()).hexdigest()[:8]
    name = args.name or f"fg_shot_{digest}"
    executable = tuple(shlex.split(args.executable)) if args.executable else default_executable()
    job = validate_job(JobSpec(name, layers, FarmSettings(threads=args.threads, gpu=args.gpu,
                                                          priority=args.priority, retries=args.retries), executable))
    job_dir = Path(args.job_dir) if args.job_dir else SequencePattern.parse(output).path(0).parent / ".facegraft-farm" / name
    return job, job_dir


def run_submit_shot(args: argparse.Namespace) -> int:
    job, job_dir = build_shot_job(args)
    return submit_job(job, job_dir, args)


def submit_job(job: JobSpec, job_dir: Path, args: argparse.Namespace) -> int:
    """Record the job with its outputs and in its folder, then hand it to the chosen engine."""
    if job_dir.exists() and not job_dir.is_dir():
        raise OutputError(f"{job_dir}: is a file where the job folder goes; pass another --job-dir")
    claim_outputs(job)
    write_job(job, job_dir)
    chunks = sum(len(layer.chunks()) for layer in job.layers)
    print(f"job {job.name}: {chunks} chunks in {job_dir}")
    if args.engine == "deadline":
        result = deadline.submit(job, job_dir, dry_run=args.dry_run)
        for files in result.files:
            print(f"deadline {files.layer}: {files.job_info} {files.plugin_info}"
                  + (f" -> job {result.job_ids[files.layer]}" if files.layer in result.job_ids else ""))
        if not result.job_ids:
            print(f"not submitted (dry run or no deadlinecommand on PATH); see {job_dir / 'deadline' / 'submit.sh'}")
        return 0
    if args.engine == "opencue":
        result = cue.submit(job, job_dir, dry_run=args.dry_run, address=args.scheduler)
        print(f"opencue spec: {result.spec_path}" + (f" -> {', '.join(result.launched)}" if result.launched
                                                      else " (not launched: dry run or no Cuebot configured)"))
        return 0
    if args.dry_run:
        return 0
    if not args.verbose:  # the cluster's own INFO lines would bury the result
        logging.getLogger("distributed").setLevel(logging.WARNING)
    report = run_job(job, job_dir, settings=DaskSettings(args.scheduler, args.workers, args.timeout))
    print(f"dask {report.scheduler}: {len(report.done)} chunks done, {len(report.failed)} failed")
    for key, error in sorted(report.failed.items()):
        print(f"  failed {key}: {error}")
    return 0 if not report.failed else 1


def run_task(args: argparse.Namespace) -> int:
    summary = run_chunk(args.job_dir, args.layer, start=args.start, end=args.end)
    print(f"{summary.layer} {summary.chunk}: {summary.state}, {len(summary.frames_done)} frames done, "
          f"{len(summary.frames_failed)} failed, exit {summary.exit_code} ({summary.log})")
    return int(summary.exit_code or 0)


def run_status(args: argparse.Namespace) -> int:
    report = status_report(job_status(args.job_dir))
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"job {report['job']}: {'complete' if report['complete'] else 'incomplete'}")
    for layer, counts in report["layers"].items():
        print(f"  {layer}: " + ", ".join(f"{n} {state}" for state, n in counts.items()))
    for chunk in report["chunks"]:
        if chunk["state"] != "done":
            print(f"  {chunk['layer']} {chunk['chunk']}: {chunk['state']} ({chunk['frames_present']}/"
                  f"{chunk['frames']} frames, {chunk['attempts']} attempts, log {chunk['log'] or '-'})")
    return 0
