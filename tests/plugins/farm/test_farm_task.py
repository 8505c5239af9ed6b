"""The chunk runner on real EXR frames: logs, summaries, exit codes, retries, thread/GPU environment."""
import json
import os
import sys

import numpy as np
import pytest

from facegraft.core.media.atomic import host_tag
from facegraft.core.media.image_io import read_image
from facegraft.plugins.farm.job import FarmError, write_job
from facegraft.plugins.farm.task import (EXIT_MISSING_OUTPUTS, THREAD_VARIABLES, read_summary, run_chunk,
                                         task_environment)
from facegraft.plugins.farm.job import FarmSettings


def test_chunk_converts_its_frames_and_records_them(tmp_path, convert_job):
    job = convert_job(tmp_path / "out", chunk=5, threads=1)
    write_job(job, tmp_path / "job")
    summary = run_chunk(tmp_path / "job", "convert", start=1006, end=1010)
    assert summary.exit_code == 0 and summary.state == "done"
    assert summary.frames_done == [1006, 1007, 1008, 1009, 1010] and summary.frames_failed == []
    assert sorted(p.name for p in (tmp_path / "out").glob("conv.*.exr")) == [f"conv.{f}.exr" for f in range(1006, 1011)]
    on_disk = json.loads((tmp_path / "job/summaries/convert/1006-1010.json").read_text())
    assert on_disk["schema"] == "FarmChunkSummary" and on_disk["exit_code"] == 0 and on_disk["seconds"] > 0
    log = (tmp_path / "job/logs/convert/1006-1010.log").read_text()
    assert "attempt 1" in log and "--frames 1006-1010" in log and "exit code 0" in log
    assert (tmp_path / "out/facegraft-job.json").is_file()
    # no temporary files left beside the frames
    assert not list((tmp_path / "out").glob(".*tmp*"))


def test_rerun_skips_complete_frames_and_gives_identical_frames(tmp_path, convert_job):
    write_job(convert_job(tmp_path / "out", chunk=5), tmp_path / "job")
    run_chunk(tmp_path / "job", "convert", start=1001, end=1005)
    first = {p.name: read_image(p).pixels for p in (tmp_path / "out").glob("conv.*.exr")}
    (tmp_path / "out/conv.1003.exr").unlink()  # as if killed before this frame
    again = run_chunk(tmp_path / "job", "convert", start=1001, end=1005)
    assert again.exit_code == 0 and again.attempt == 2
    assert again.frames_skipped == [1001, 1002, 1004, 1005]
    for name, pixels in first.items():
        np.testing.assert_array_equal(read_image(tmp_path / "out" / name).pixels, pixels)


def test_failing_command_exits_non_zero_and_says_why(tmp_path, convert_job):
    job = convert_job(tmp_path / "out", extra=("--to-colorspace", "no such space"))
    write_job(job, tmp_path / "job")
    summary = run_chunk(tmp_path / "job", "convert", start=1001, end=1010)
    assert summary.exit_code == 2 and summary.state == "failed" and len(summary.frames_failed) == 10
    assert "no such space" in (tmp_path / "job/logs/convert/1001-1010.log").read_text()


def test_success_without_outputs_is_a_failure(tmp_path, convert_job):
    # a command that exits 0 but writes nothing must not pass as done
    job = convert_job(tmp_path / "out", executable=(sys.executable, "-c", "pass"))
    write_job(job, tmp_path / "job")
    summary = run_chunk(tmp_path / "job", "convert", start=1001, end=1010)
    assert summary.exit_code == EXIT_MISSING_OUTPUTS and summary.frames_done == []
    assert read_summary(tmp_path / "job/summaries/convert/1001-1010.json")["state"] == "failed"


def test_thread_limit_and_gpu_reach_the_command(tmp_path, convert_job):
    probe = "import os, sys; print('ENV', *(os.environ.get(k) for k in sys.argv[1].split(',')))"
    names = ",".join((*THREAD_VARIABLES, "CUDA_VISIBLE_DEVICES"))
    job = convert_job(tmp_path / "out", executable=(sys.executable, "-c", probe, names), threads=3, gpu="1")
    write_job(job, tmp_path / "job")
    run_chunk(tmp_path / "job", "convert", start=1001, end=1001)
    line = next(l for l in (tmp_path / "job/logs/convert/1001.log").read_text().splitlines() if l.startswith("ENV"))
    assert line.split()[1:] == ["3"] * len(THREAD_VARIABLES) + ["1"]


def test_environment_untouched_without_limits():
    env = task_environment(FarmSettings(), {"OMP_NUM_THREADS": "8", "CUDA_VISIBLE_DEVICES": "2"})
    assert env["OMP_NUM_THREADS"] == "8" and env["CUDA_VISIBLE_DEVICES"] == "2"


def test_range_outside_the_layer_is_refused(tmp_path, convert_job):
    write_job(convert_job(tmp_path / "out"), tmp_path / "job")
    with pytest.raises(FarmError, match="hold none of its frames"):
        run_chunk(tmp_path / "job", "convert", start=1, end=10)
    with pytest.raises(FarmError, match="no layer named 'extract'"):
        run_chunk(tmp_path / "job", "extract", start=1001, end=1010)


def test_temporaries_of_a_killed_run_are_removed(tmp_path, convert_job):
    job = convert_job(tmp_path / "out", chunk=5)
    write_job(job, tmp_path / "job")
    (tmp_path / "out").mkdir()
    dead = tmp_path / f"out/.conv.1002.tmp-{host_tag()}-999999999.exr"   # no such process
    untagged = tmp_path / "out/.conv.1004.tmp-999999998.exr"   # named before temporaries carried the host
    alive = tmp_path / f"out/.conv.1003.tmp-{host_tag()}-{os.getpid()}.exr"  # a writer still running
    other_host = tmp_path / "out/.conv.1005.tmp-otherhost-999999999.exr"  # shared storage: not ours to judge
    untagged.write_bytes(b"half")
    other_host.write_bytes(b"half")
    dead.write_bytes(b"half")
    alive.write_bytes(b"half")
    run_chunk(tmp_path / "job", "convert", start=1001, end=1005)
    assert not dead.exists() and not untagged.exists() and alive.exists() and other_host.exists()
    assert "removed 2 temporary files" in (tmp_path / "job/logs/convert/1001-1005.log").read_text()


def test_complete_chunk_runs_nothing(tmp_path, convert_job):
    write_job(convert_job(tmp_path / "out", chunk=5), tmp_path / "job")
    run_chunk(tmp_path / "job", "convert", start=1001, end=1005)
    before = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "out").glob("conv.*.exr")}
    again = run_chunk(tmp_path / "job", "convert", start=1001, end=1005)
    assert again.exit_code == 0 and again.frames_skipped == again.frames_done == list(range(1001, 1006))
    assert "nothing to run" in (tmp_path / "job/logs/convert/1001-1005.log").read_text()
    assert {p.name: p.stat().st_mtime_ns for p in (tmp_path / "out").glob("conv.*.exr")} == before
