"""Run one chunk of a farm layer: the command behind `facegraft farm task`, the same for every engine.

The chunk's facegraft command runs as a child process (a killed task loses only its chunk, and
the child dies with it), with a thread limit and GPU choice in its environment, its output
appended to `JOB_DIR/logs/LAYER/CHUNK.log`. `JOB_DIR/summaries/LAYER/CHUNK.json` is written when
the chunk starts (`"state": "running"`) and replaced when it ends (`"done"` or `"failed"`, frames
done/failed, timings, exit code). The exit code is non-zero when the command failed or an output
frame is missing, so the farm retries the chunk; a retry skips the frames already written.
"""
import ctypes
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from facegraft.core.media import atomic
from facegraft.core.media.sequence import SequencePattern
from facegraft.plugins.farm.chunks import Chunk, chunk_frames, frame_list_spec
from facegraft.plugins.farm.job import FarmError, FarmSettings, JobSpec, LayerSpec, load_job
from facegraft.plugins.farm.record import claim_outputs

SUMMARY_SCHEMA = "FarmChunkSummary"
SUMMARY_VERSION = 1
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS",
                    "VECLIB_MAXIMUM_THREADS", "OPENIMAGEIO_THREADS", "FACEGRAFT_THREADS")
EXIT_MISSING_OUTPUTS = 3


@dataclass(frozen=True)
class ChunkSummary:
    """What one run of a chunk did. `state` is "running", "done" or "failed"."""

    layer: str
    chunk: str
    frames: list[int]
    state: str
    exit_code: int | None
    frames_done: list[int]
    frames_failed: list[int]
    frames_skipped: list[int]
    attempt: int
    host: str
    pid: int
    started: float
    finished: float | None
    seconds: float | None
    command: list[str]
    log: str


def log_path(job_dir: str | Path, layer: str, chunk: Chunk) -> Path:
    return Path(job_dir) / "logs" / layer / f"{chunk.name}.log"


def summary_path(job_dir: str | Path, layer: str, chunk: Chunk) -> Path:
    return Path(job_dir) / "summaries" / layer / f"{chunk.name}.json"


def task_environment(settings: FarmSettings, base: dict[str, str]) -> dict[str, str]:
    """`base` with the thread limit and GPU choice applied; progress bars off (logs are files)."""
    env = dict(base)
    if settings.threads is not None:
        env.update({name: str(settings.threads) for name in THREAD_VARIABLES})
    if settings.gpu is not None:
        env["CUDA_VISIBLE_DEVICES"] = settings.gpu
    env["TQDM_DISABLE"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def find_chunk(layer: LayerSpec, *, start: int | None, end: int | None) -> Chunk:
    """The chunk of `layer` for the task range [start, end] (what `<STARTFRAME>`/`<ENDFRAME>` name).

    Raises: FarmError when the range holds none of the layer's frames.
    """
    if not layer.frames:
        return layer.chunks()[0]
    if start is None or end is None:
        raise FarmError(f"layer {layer.name}: give the chunk as --start FIRST --end LAST")
    frames = chunk_frames(layer.frames, start=start, end=end)
    if not frames:
        raise FarmError(f"layer {layer.name}: frames {start}-{end} hold none of its frames "
                        f"({frame_list_spec(layer.frames)}); check the task's frame range")
    return Chunk(tuple(frames))


def chunk_command(job: JobSpec, layer: LayerSpec, chunk: Chunk) -> list[str]:
    """The facegraft command line that renders `chunk` of `layer`.

    `{chunk}`, `{start}` and `{end}` in the layer's arguments become the chunk's name, first and
    last frame, so a verb that writes one file per run can write one shard per chunk
    (`extract PLATE -o shards/plate.{chunk}.json`).
    """
    fields = {"{chunk}": chunk.name, "{start}": str(chunk.start), "{end}": str(chunk.end)}
    args = list(layer.command)
    for token, value in fields.items():
        args = [arg.replace(token, value) for arg in args]
    command = [*job.executable, *args]
    if layer.frames:
        command += ["--frames", frame_list_spec(chunk.frames)]
    return command


def output_frames(layer: LayerSpec, frames: list[int]) -> list[int]:
    """Those of `frames` whose output file exists (all of them when the layer names no outputs)."""
    if layer.outputs is None:
        return list(frames)
    pattern = SequencePattern.parse(layer.outputs)
    return [f for f in frames if pattern.path(f).is_file()]


def run_chunk(job_dir: str | Path, layer_name: str, *, start: int | None = None, end: int | None = None,
              environ: dict[str, str] | None = None) -> ChunkSummary:
    """Run one chunk of a submitted job to completion and record it on disk.

    Args:
        job_dir: a folder written by `farm submit` (holds job.json).
        layer_name: the layer to run. start, end: the chunk's first and last frame.
        environ: the environment to start from (default: this process's).
    Returns: the final summary; `exit_code` 0 only when every frame of the chunk has its output.
    Raises: FarmError for an unknown job, layer or range; OutputError for an output-folder clash.
    """
    job = load_job(job_dir)
    layer = job.layer(layer_name)
    chunk = find_chunk(layer, start=start, end=end)
    claim_outputs(JobSpec(job.name, (layer,), job.settings, job.executable))
    frames = list(chunk.frames) if layer.frames else []
    log = log_path(job_dir, layer.name, chunk)
    log.parent.mkdir(parents=True, exist_ok=True)
    summary_file = summary_path(job_dir, layer.name, chunk)
    summary_file.parent.mkdir(parents=True, exist_ok=True)
    attempt = _previous_attempts(summary_file) + 1
    command = chunk_command(job, layer, chunk)
    skipped = output_frames(layer, frames) if layer.outputs else []
    removed = remove_stale_temporaries(layer)
    started = time.time()
    base = dict(_summary_base(layer, chunk, frames, attempt, started, command, log))
    _write_summary(summary_file, ChunkSummary(**base, state="running", exit_code=None, frames_done=[],
                                              frames_failed=[], frames_skipped=skipped, finished=None, seconds=None))
    with log.open("a", encoding="utf-8") as stream:
        stream.write(f"=== facegraft farm task: {layer.name} {chunk.name} attempt {attempt} on "
                     f"{socket.gethostname()} pid {os.getpid()} at {time.strftime('%Y-%m-%d %H:%M:%S')}\n"
                     f"=== {shlex.join(command)}\n")
        if removed:
            stream.write(f"=== removed {len(removed)} temporary files of a killed run: "
                         f"{', '.join(p.name for p in removed)}\n")
        stream.flush()
        if layer.outputs and frames and len(skipped) == len(frames) and "--force" not in layer.command:
            stream.write("=== every frame of the chunk is already written; nothing to run\n")
            code = 0
        else:
            env = task_environment(job.settings, dict(os.environ if environ is None else environ))
            code = _run_child(command, env, stream, cwd=layer.workdir)
        done = output_frames(layer, frames)
        failed = sorted(set(frames) - set(done))
        if code == 0 and failed:
            code = EXIT_MISSING_OUTPUTS
            stream.write(f"=== command succeeded but frames {frame_list_spec(failed)} have no output "
                         f"({layer.outputs}); failing the chunk so the farm retries it\n")
        finished = time.time()
        stream.write(f"=== exit code {code} after {finished - started:.1f} s\n")
    summary = ChunkSummary(**base, state="done" if code == 0 else "failed", exit_code=code, frames_done=done,
                           frames_failed=failed, frames_skipped=skipped, finished=finished,
                           seconds=round(finished - started, 3))
    _write_summary(summary_file, summary)
    return summary


def remove_stale_temporaries(layer: LayerSpec) -> list[Path]:
    """Delete the temporaries of killed writers in the layer's output folder (core.media.atomic)."""
    if layer.outputs is None:
        return []
    return atomic.remove_stale_temporaries(SequencePattern.parse(layer.outputs).path(0).parent)


def read_summary(path: Path) -> dict | None:
    """A chunk summary as a dict, or None when absent or unreadable (a task killed mid-write)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) and data.get("schema") == SUMMARY_SCHEMA else None


def _summary_base(layer: LayerSpec, chunk: Chunk, frames: list[int], attempt: int, started: float,
                  command: list[str], log: Path) -> dict:
    return {"layer": layer.name, "chunk": chunk.name, "frames": frames, "attempt": attempt,
            "host": socket.gethostname(), "pid": os.getpid(), "started": started, "command": command,
            "log": str(log)}


def _previous_attempts(path: Path) -> int:
    data = read_summary(path)
    return int(data.get("attempt", 0)) if data else 0


def _write_summary(path: Path, summary: ChunkSummary) -> None:
    data = {"schema": SUMMARY_SCHEMA, "version": SUMMARY_VERSION, **asdict(summary)}
    atomic.atomic_write_text(path, json.dumps(data, indent=2) + "\n")


def _run_child(command: list[str], env: dict[str, str], stream, *, cwd: str) -> int:
    """Run `command` with output to `stream`; the child is killed if this process dies (Linux)."""
    try:
        child = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=stream, stderr=subprocess.STDOUT,
                                 env=env, cwd=cwd, preexec_fn=_die_with_parent if sys.platform == "linux" else None)
    except OSError as exc:
        stream.write(f"=== cannot start {command[0]}: {exc}\n")
        return 127
    try:
        return child.wait()
    except BaseException:
        child.kill()
        child.wait()
        raise


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux to SIGKILL it when the task process dies."""
    pr_set_pdeathsig = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
