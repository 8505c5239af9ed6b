"""A real local Dask cluster (2 worker processes on 127.0.0.1) runs the face convert (a model trained
in the test) in chunks while one worker is killed mid-chunk: the chunk is retried, and every frame
is byte-identical to a single-process run."""
import json
import os
import signal
import sys
import threading
import time

import numpy as np
import psutil
import pytest

from facegraft.core.media.image_io import read_image
from facegraft.plugins.cli.main import main
from facegraft.plugins.farm.dask_engine import DaskSettings, run_job
from facegraft.plugins.farm.job import write_job
from facegraft.plugins.farm.record import claim_outputs
from facegraft.plugins.farm.status import job_status

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


class Killer:
    """Watches the job's summaries and SIGKILLs the worker running a chunk once it has written part of it."""

    def __init__(self, job_dir, out, *, give_up_s: float = 120.0):
        self.job_dir, self.out, self.give_up_s = job_dir, out, give_up_s
        self.killed: dict | None = None
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)

    def start(self, client, futures) -> None:
        self.thread.start()

    def _watch(self) -> None:
        deadline = time.monotonic() + self.give_up_s
        while not self.stop.is_set() and time.monotonic() < deadline:
            for path in (self.job_dir / "summaries").rglob("*.json"):
                try:
                    summary = json.loads(path.read_text())
                except (OSError, json.JSONDecodeError):
                    continue
                written = [f for f in summary["frames"] if (self.out / f"conv.{f}.exr").is_file()]
                if summary["state"] == "running" and 0 < len(written) < len(summary["frames"]):
                    os.kill(summary["pid"], signal.SIGKILL)
                    self.killed = {**summary, "written_before_kill": written}
                    return
            time.sleep(0.002)


def test_killed_worker_chunk_is_retried_and_frames_match_one_process(tmp_path, plate, face_convert_options):
    from distributed import LocalCluster

    out, job_dir = tmp_path / "out", tmp_path / "job"
    from facegraft.plugins.farm.job import FarmSettings, JobSpec, LayerSpec

    pattern = str(out / "conv.####.exr")
    options = face_convert_options
    layer = LayerSpec("convert", ("convert", plate, "-o", pattern, *options), tuple(range(1001, 1031)), 10, pattern)
    job = JobSpec("conv_dask", (layer,), FarmSettings(threads=1, retries=2))
    claim_outputs(job)
    write_job(job, job_dir)
    killer = Killer(job_dir, out)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", scheduler_port=0,
                      dashboard_address="127.0.0.1:0") as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        try:
            report = run_job(job, job_dir, settings=DaskSettings(cluster.scheduler_address, timeout=240),
                             on_submitted=killer.start)
        finally:
            killer.stop.set()
            killer.thread.join(timeout=5)
    assert killer.killed is not None, "no chunk was caught mid-way"
    assert report.failed == {} and len(report.done) == 3
    chunk = killer.killed["chunk"]
    final = json.loads((job_dir / "summaries/convert" / f"{chunk}.json").read_text())
    assert final["state"] == "done" and final["attempt"] >= 2
    assert set(killer.killed["written_before_kill"]) <= set(final["frames_skipped"])
    assert "attempt 2" in (job_dir / "logs/convert" / f"{chunk}.log").read_text()
    assert job_status(job_dir).complete

    single = tmp_path / "single"
    assert main(["-q", "convert", plate, "-o", str(single / "conv.####.exr"), *options, "--frames", "1001-1030"]) == 0
    farm_frames = sorted(p.name for p in out.glob("conv.*.exr"))
    assert farm_frames == [f"conv.{f}.exr" for f in range(1001, 1031)]
    for name in farm_frames:
        assert (out / name).read_bytes() == (single / name).read_bytes(), name
    swapped = read_image(out / "conv.1015.exr")  # a face was really swapped in: a positive control
    matte = swapped.select(["matte.A"]).pixels[..., 0]
    source = read_image(plate.replace("####", "1015")).pixels
    assert swapped.metadata["facegraft/synthetic"] == 1 and matte.max() > 0.1
    assert np.abs(swapped.select(["R", "G", "B"]).pixels - source)[matte > 0.1].mean() > 1e-3
    assert not [p for p in out.iterdir() if ".tmp-" in p.name]
    # the killed worker's child process died with it: nothing of this job is left running
    time.sleep(0.5)
    leftovers = [p for p in psutil.process_iter(["cmdline"]) if str(job_dir) in " ".join(p.info["cmdline"] or [])]
    assert leftovers == []


def test_local_cluster_runs_layers_in_dependency_order_and_reports_failures(tmp_path):
    from facegraft.plugins.farm.job import FarmSettings, JobSpec, LayerSpec

    trace = tmp_path / "trace.txt"
    record = f"import sys; open({str(trace)!r}, 'a').write(' '.join(sys.argv[1:]) + chr(10)); " \
             "sys.exit(1 if sys.argv[1] == 'bad' else 0)"
    job = JobSpec("deps", (
        LayerSpec("merge", ("merge",), depends=("extract",)),
        LayerSpec("extract", ("extract",), (1, 2, 3, 4), 2),
        LayerSpec("bad", ("bad",)),
    ), FarmSettings(retries=1), (sys.executable, "-c", record))
    write_job(job, tmp_path / "job")
    report = run_job(job, tmp_path / "job", settings=DaskSettings(workers=2, timeout=120))
    lines = trace.read_text().splitlines()
    assert lines.index("merge") > max(lines.index("extract --frames 1-2"), lines.index("extract --frames 3-4"))
    assert set(report.done) == {"deps-extract-1-2", "deps-extract-3-4", "deps-merge-0"}
    assert list(report.failed) == ["deps-bad-0"] and "ChunkFailed" in report.failed["deps-bad-0"]
    assert lines.count("bad") == 2  # first run + one retry
    status = {(c.layer, c.state) for c in job_status(tmp_path / "job").chunks}
    assert status == {("extract", "done"), ("merge", "done"), ("bad", "failed")}
