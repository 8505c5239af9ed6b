import json

import pytest

from facegraft.plugins.farm.job import (FarmError, FarmSettings, JobSpec, LayerSpec, load_job, task_command,
                                        validate_job, write_job)


def three_layer_job(**settings) -> JobSpec:
    """extract (chunked, one shard per chunk) -> merge (once) -> convert (chunked)."""
    return JobSpec("shot010", (
        LayerSpec("convert", ("convert", "/p/plate.####.exr", "-o", "/o/swap.####.exr"), tuple(range(1001, 1021)),
                  5, "/o/swap.####.exr", ("merge",)),
        LayerSpec("extract", ("extract", "/p/plate.####.exr", "-o", "/a/shard.{chunk}.json"),
                  tuple(range(1001, 1021)), 10),
        LayerSpec("merge", ("alignments", "merge", "/a/shard.*.json", "-o", "/a/plate.json"), depends=("extract",)),
    ), FarmSettings(**settings))


def test_order_puts_dependencies_first():
    assert [layer.name for layer in three_layer_job().ordered_layers()] == ["extract", "merge", "convert"]


def test_chunks_of_a_layer_without_frames_is_one_task():
    job = three_layer_job()
    assert len(job.layer("extract").chunks()) == 2 and len(job.layer("convert").chunks()) == 4
    assert len(job.layer("merge").chunks()) == 1


def test_task_command_has_tokens_only_for_chunked_layers(tmp_path):
    job = three_layer_job()
    convert = task_command(job, tmp_path, job.layer("convert"), start="<S>", end="<E>")
    assert convert[-6:] == ["--layer", "convert", "--start", "<S>", "--end", "<E>"]
    assert task_command(job, tmp_path, job.layer("merge"), start="<S>", end="<E>")[-2:] == ["--layer", "merge"]


@pytest.mark.parametrize("change, message", [
    (lambda j: JobSpec(j.name, j.layers[:1] + j.layers[2:]), "depends on 'extract'"),
    (lambda j: JobSpec(j.name, j.layers + j.layers[:1]), "two layers named convert"),
    (lambda j: JobSpec(j.name, (LayerSpec("a", ("x",), (1,), 1, depends=("b",)),
                                LayerSpec("b", ("x",), (1,), 1, depends=("a",)))), "cycle"),
    (lambda j: JobSpec(j.name, (LayerSpec("a", ("x",), (1, 2), 0),)), "chunk size 0 is below 1"),
    (lambda j: JobSpec(j.name, (LayerSpec("bad name", ("x",), (1,)),)), "layer name"),
    (lambda j: JobSpec(j.name, ()), "no layers"),
    (lambda j: JobSpec(j.name, j.layers, FarmSettings(threads=0)), "--threads 0"),
])
def test_validate_refuses_bad_jobs(change, message):
    with pytest.raises(FarmError, match=message):
        validate_job(change(three_layer_job()))


def test_write_and_load_round_trip(tmp_path):
    job = three_layer_job(threads=2, gpu="0", priority=70, retries=1)
    path = write_job(job, tmp_path / "job")
    assert json.loads(path.read_text())["schema"] == "FarmJob"
    assert load_job(tmp_path / "job") == job
    write_job(job, tmp_path / "job")  # resubmitting the same job is fine


def test_job_folder_holding_another_job_is_refused(tmp_path):
    write_job(three_layer_job(), tmp_path)
    with pytest.raises(FarmError, match="already holds job shot010 with other settings"):
        write_job(three_layer_job(priority=10), tmp_path)


def test_load_errors_name_the_folder(tmp_path):
    with pytest.raises(FarmError, match="no farm job here"):
        load_job(tmp_path)
    (tmp_path / "job.json").write_text('{"schema": "FarmJob", "version": 99}')
    with pytest.raises(FarmError, match="version 99"):
        load_job(tmp_path)
