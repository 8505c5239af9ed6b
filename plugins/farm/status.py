"""`farm status`: which chunks of a job are done, failed, running or missing, read from disk only.

A chunk is `done` when every frame has its output file (or, for a layer without per-frame
outputs, its last summary says done), `failed` when its last summary says failed, `running`
when a task started it and has not finished (or was killed: it is retried or shows as running
until resubmitted), and `missing` when nothing ran it. Works whatever engine ran the job.
"""
from dataclasses import dataclass
from pathlib import Path

from facegraft.plugins.farm.chunks import Chunk
from facegraft.plugins.farm.job import JobSpec, LayerSpec, load_job
from facegraft.plugins.farm.task import output_frames, read_summary, summary_path

STATES = ("done", "failed", "running", "missing")


@dataclass(frozen=True)
class ChunkStatus:
    layer: str
    chunk: str
    state: str
    frames: int
    frames_present: int
    attempts: int
    exit_code: int | None
    seconds: float | None
    log: str | None


@dataclass(frozen=True)
class JobStatus:
    job: str
    chunks: tuple[ChunkStatus, ...]

    def count(self, state: str, layer: str | None = None) -> int:
        return sum(1 for c in self.chunks if c.state == state and (layer is None or c.layer == layer))

    @property
    def complete(self) -> bool:
        return all(c.state == "done" for c in self.chunks)


def chunk_status(job_dir: str | Path, layer: LayerSpec, chunk: Chunk) -> ChunkStatus:
    """The state of one chunk from its outputs and its summary."""
    frames = list(chunk.frames) if layer.frames else []
    present = output_frames(layer, frames) if layer.outputs else []
    summary = read_summary(summary_path(job_dir, layer.name, chunk))
    if layer.outputs is not None and frames and len(present) == len(frames):
        state = "done"
    elif summary is None:
        state = "missing"
    elif summary["state"] == "done" and layer.outputs is None:
        state = "done"
    elif summary["state"] == "running":
        state = "running"
    else:
        state = "failed"
    return ChunkStatus(layer.name, chunk.name, state, len(frames), len(present),
                       int(summary["attempt"]) if summary else 0, summary["exit_code"] if summary else None,
                       summary["seconds"] if summary else None, summary["log"] if summary else None)


def job_status(job_dir: str | Path, *, job: JobSpec | None = None) -> JobStatus:
    """Every chunk of every layer, in submission order. Raises: FarmError if no job is there."""
    job = job or load_job(job_dir)
    return JobStatus(job.name, tuple(chunk_status(job_dir, layer, chunk)
                                     for layer in job.ordered_layers() for chunk in layer.chunks()))


def status_report(status: JobStatus) -> dict:
    """A JSON-ready report: totals per layer and state, and the chunks that are not done."""
    layers: dict[str, dict[str, int]] = {}
    for c in status.chunks:
        layers.setdefault(c.layer, {s: 0 for s in STATES})[c.state] += 1
    return {"job": status.job, "complete": status.complete, "layers": layers,
            "chunks": [{"layer": c.layer, "chunk": c.chunk, "state": c.state, "frames": c.frames,
                        "frames_present": c.frames_present, "attempts": c.attempts, "exit_code": c.exit_code,
                        "seconds": c.seconds, "log": c.log} for c in status.chunks]}
