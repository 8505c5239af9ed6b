import json
import shutil

from facegraft.plugins.farm.job import write_job
from facegraft.plugins.farm.status import job_status, status_report
from facegraft.plugins.farm.task import run_chunk


def test_status_from_outputs_and_summaries(tmp_path, convert_job):
    job = convert_job(tmp_path / "out", frames=range(1001, 1021), chunk=5)
    write_job(job, tmp_path / "job")
    run_chunk(tmp_path / "job", "convert", start=1001, end=1005)           # done
    run_chunk(tmp_path / "job", "convert", start=1006, end=1010)           # will fail: frames removed
    for f in (1007, 1008):
        (tmp_path / f"out/conv.{f}.exr").unlink()
    summary = tmp_path / "job/summaries/convert/1006-1010.json"
    data = json.loads(summary.read_text())
    summary.write_text(json.dumps({**data, "state": "failed", "exit_code": 1}))
    running = tmp_path / "job/summaries/convert/1011-1015.json"        # started, never finished
    running.write_text(json.dumps({**data, "chunk": "1011-1015", "state": "running", "exit_code": None}))
    status = job_status(tmp_path / "job")
    assert [(c.chunk, c.state) for c in status.chunks] == [
        ("1001-1005", "done"), ("1006-1010", "failed"), ("1011-1015", "running"), ("1016-1020", "missing")]
    assert status.chunks[1].frames_present == 3 and not status.complete
    report = status_report(status)
    assert report["layers"]["convert"] == {"done": 1, "failed": 1, "running": 1, "missing": 1}


def test_frames_on_disk_count_as_done_without_summaries(tmp_path, convert_job):
    # whatever ran the frames (another engine, a hand run), their outputs make the chunk done
    job = convert_job(tmp_path / "out", frames=range(1001, 1011), chunk=5)
    write_job(job, tmp_path / "job")
    run_chunk(tmp_path / "job", "convert", start=1001, end=1005)
    shutil.rmtree(tmp_path / "job/summaries")
    assert [c.state for c in job_status(tmp_path / "job").chunks] == ["done", "missing"]
