"""Deadline job files, checked against the CommandLine plugin's documented keys and run as Deadline would."""
import os
import shlex
import stat
import subprocess

import numpy as np

from facegraft.core.media.image_io import read_image
from facegraft.core.media.sequence import parse_frame_range
from facegraft.plugins.farm import deadline
from facegraft.plugins.farm.job import write_job
from facegraft.plugins.farm.status import job_status
from test_farm_job import three_layer_job

REQUIRED_JOB_KEYS = {"Plugin", "Name", "Frames", "ChunkSize", "Priority", "BatchName"}


def deadline_tasks(job_info: dict[str, str]) -> list[tuple[int, int]]:
    """(STARTFRAME, ENDFRAME) per task, as Deadline splits `Frames` by `ChunkSize`."""
    frames = parse_frame_range(job_info["Frames"])
    size = int(job_info["ChunkSize"])
    return [(frames[i], frames[min(i + size, len(frames)) - 1]) for i in range(0, len(frames), size)]


def deadline_command(plugin_info: dict[str, str], start: int, end: int) -> list[str]:
    arguments = plugin_info["Arguments"].replace("<STARTFRAME>", str(start)).replace("<ENDFRAME>", str(end))
    return [plugin_info["Executable"], *shlex.split(arguments)]


def test_dry_run_files_run_as_deadline_runs_them(tmp_path, convert_job):
    job = convert_job(tmp_path / "out", frames=range(1001, 1016), chunk=10, priority=80, threads=1)
    write_job(job, tmp_path / "job")
    result = deadline.submit(job, tmp_path / "job", dry_run=True)
    assert result.job_ids == {}
    [files] = result.files
    job_info = deadline.read_info_file(files.job_info)
    plugin_info = deadline.read_info_file(files.plugin_info)
    assert REQUIRED_JOB_KEYS <= set(job_info)
    assert job_info["Plugin"] == "CommandLine" and job_info["ChunkSize"] == "10" and job_info["Priority"] == "80"
    assert parse_frame_range(job_info["Frames"]) == list(range(1001, 1016))
    assert job_info["OutputFilename0"] == "conv.####.exr"
    assert "<STARTFRAME>" in plugin_info["Arguments"] and "<ENDFRAME>" in plugin_info["Arguments"]
    assert os.access(plugin_info["Executable"], os.X_OK)
    tasks = deadline_tasks(job_info)
    assert tasks == [(1001, 1010), (1011, 1015)]
    for start, end in tasks:
        subprocess.run(deadline_command(plugin_info, start, end), check=True, capture_output=True,
                       cwd=plugin_info["StartupDirectory"], timeout=120)
    assert job_status(tmp_path / "job").complete
    reference = read_image(tmp_path / "out/conv.1015.exr").pixels
    assert reference.shape == (256, 256, 3) and np.isfinite(reference).all()


def test_arguments_with_spaces_survive_deadline_splitting():
    args = ["--to-colorspace", "sRGB Encoded Rec.709 (sRGB)", 'say "hi"', "<STARTFRAME>"]
    assert shlex.split(deadline.join_arguments(args)) == args


def test_submission_follows_dependencies(tmp_path, monkeypatch):
    calls = tmp_path / "calls.txt"
    fake = tmp_path / "bin" / "deadlinecommand"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\necho "$1" >> {calls}\nn=$(wc -l < {calls})\necho Result=Success\necho JobID=id$n\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    job = three_layer_job()
    write_job(job, tmp_path / "job")
    result = deadline.submit(job, tmp_path / "job")
    assert result.job_ids == {"extract": "id1", "merge": "id2", "convert": "id3"}
    assert [line.rsplit("/", 1)[1] for line in calls.read_text().split()] == [
        "extract.job_info.job", "merge.job_info.job", "convert.job_info.job"]
    folder = tmp_path / "job/deadline"
    assert deadline.read_info_file(folder / "merge.job_info.job")["JobDependencies"] == "id1"
    assert deadline.read_info_file(folder / "convert.job_info.job")["JobDependencies"] == "id2"
    merge = deadline.read_info_file(folder / "merge.job_info.job")
    assert merge["Frames"] == "0" and "<STARTFRAME>" not in deadline.read_info_file(
        folder / "merge.plugin_info.job")["Arguments"]


def test_refused_submission_is_a_one_line_error(tmp_path):
    import pytest

    from facegraft.plugins.farm.job import FarmError

    fake = tmp_path / "deadlinecommand"
    fake.write_text("#!/bin/sh\necho 'Error: could not connect to repository'\nexit 1\n")
    fake.chmod(0o755)
    job = three_layer_job()
    write_job(job, tmp_path / "job")
    with pytest.raises(FarmError, match="refused layer extract.*could not connect"):
        deadline.submit(job, tmp_path / "job", deadlinecommand=str(fake))
