"""Dask distributed: the job's chunks as tasks on a real cluster, or on a local one started here.

Each task calls `task.run_chunk` in a worker process, which runs the facegraft command as a
child process; a chunk whose command fails raises `ChunkFailed`, and Dask re-runs it up to
`retries` times. A worker killed mid-chunk takes its child with it (Linux) and the scheduler
re-runs the chunk on another worker (the `distributed.scheduler.allowed-failures` setting);
the re-run skips the frames already written. Dependent layers start when the chunks they
depend on finish. The job folder and the outputs must be on storage every worker sees.
"""
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from facegraft.plugins.farm.job import FarmError, JobSpec

_LOCALHOST = "127.0.0.1"


class ChunkFailed(RuntimeError):
    """A chunk's command exited non-zero or left frames without output (Dask retries it)."""


@dataclass(frozen=True)
class DaskSettings:
    """Where to run. scheduler: `tcp://host:8786`, or None to start a local cluster of `workers`
    processes on 127.0.0.1 (closed at the end). timeout: seconds to wait for the whole job."""

    scheduler: str | None = None
    workers: int = 2
    timeout: float | None = None


@dataclass(frozen=True)
class DaskReport:
    """Per task key (`layer-chunk`): the final chunk summary dict, or the error text."""

    done: dict[str, dict]
    failed: dict[str, str]
    scheduler: str


def run_chunk_task(job_dir: str, layer: str, start: int | None, end: int | None, *upstream: object) -> dict:
    """The Dask task: run one chunk; raise `ChunkFailed` when it failed so Dask retries it."""
    from dataclasses import asdict

    from facegraft.plugins.farm.task import run_chunk

    summary = run_chunk(job_dir, layer, start=start, end=end)
    if summary.exit_code != 0:
        raise ChunkFailed(f"layer {layer} chunk {summary.chunk}: exit code {summary.exit_code}; "
                          f"see {summary.log}")
    return asdict(summary)


def run_job(job: JobSpec, job_dir: str | Path, *, settings: DaskSettings,
            on_submitted: Callable[[object, dict[str, object]], None] | None = None) -> DaskReport:
    """Run every chunk of `job` on Dask and wait for them.

    Args:
        job, job_dir: a job written with `job.write_job` to `job_dir`.
        settings: the cluster to use. on_submitted: called with (client, {key: future}) once the
            tasks are queued (progress display, tests).
    Returns: which chunks finished and which failed after their retries.
    Raises: FarmError if the scheduler cannot be reached or the job times out.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise FarmError(f"--engine dask needs the distributed package ({exc}); pip install distributed") from None
    if settings.scheduler is None:
        if settings.workers < 1:
            raise FarmError(f"--workers {settings.workers} is below 1")
        cluster = LocalCluster(n_workers=settings.workers, threads_per_worker=1, processes=True,
                               host=_LOCALHOST, scheduler_port=0, dashboard_address=f"{_LOCALHOST}:0",
                               silence_logs=logging.ERROR)
        with cluster, Client(cluster) as client:
            return _run(client, job, Path(job_dir), settings, on_submitted)
    try:
        client = Client(settings.scheduler, timeout="20s")
    except (OSError, TimeoutError) as exc:
        raise FarmError(f"cannot reach the Dask scheduler at {settings.scheduler} ({exc}); "
                        "check --scheduler, or leave it out to start a local cluster") from None
    with client:
        return _run(client, job, Path(job_dir), settings, on_submitted)


def _run(client, job: JobSpec, job_dir: Path, settings: DaskSettings,
         on_submitted: Callable[[object, dict[str, object]], None] | None) -> DaskReport:
    from distributed import as_completed

    futures: dict[str, object] = {}
    by_layer: dict[str, list[object]] = {}
    for layer in job.ordered_layers():
        upstream = [f for dep in layer.depends for f in by_layer[dep]]
        by_layer[layer.name] = []
        for chunk in layer.chunks():
            start, end = (chunk.start, chunk.end) if layer.frames else (None, None)
            key = f"{job.name}-{layer.name}-{chunk.name}"
            future = client.submit(run_chunk_task, str(job_dir.resolve()), layer.name, start, end, *upstream,
                                   key=key, retries=job.settings.retries, pure=False)
            futures[key] = future
            by_layer[layer.name].append(future)
    if on_submitted is not None:
        on_submitted(client, futures)
    done, failed = {}, {}
    try:
        for future in as_completed(list(futures.values()), timeout=settings.timeout):
            if future.status == "finished":
                done[future.key] = future.result()
            else:
                failed[future.key] = f"{type(future.exception()).__name__}: {future.exception()}"
            future.release()  # a finished chunk is on disk: never recompute it when its worker dies
    except TimeoutError:
        client.cancel(list(futures.values()))
        raise FarmError(f"job {job.name}: unfinished after {settings.timeout} s; see `facegraft farm status "
                        f"{job_dir}`, then submit again to finish the remaining chunks") from None
    return DaskReport(done, failed, client.scheduler.address)
