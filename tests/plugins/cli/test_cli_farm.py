"""`facegraft farm submit|task|status` end to end, and every bad input: one line, exit code 2."""
import json

import pytest

from facegraft.plugins.cli.farm import split_submit_arguments, strip_frames
from facegraft.plugins.cli.main import build_parser, main

SPACE = "sRGB Encoded Rec.709 (sRGB)"


@pytest.fixture
def plate(tmp_path, clips):
    from facegraft.core.media.image_io import new_image, write_image
    from facegraft.core.media.video import read_video

    folder = tmp_path / "plate"
    folder.mkdir()
    for number, pixels in read_video(clips / "d18.mp4", frames=range(1, 13)):
        write_image(folder / f"plate.{1000 + number}.exr",
                    new_image(pixels[100:356, 112:368].copy(), ("R", "G", "B"), pixel_type="half"))
    return str(folder / "plate.####.exr")


def run_cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_user_error(code, err, *fragments):
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("facegraft: error: "), err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_farm_options_before_after_and_past_a_double_dash():
    parser = build_parser()
    args = parser.parse_args(["farm", "submit", "--engine", "opencue", "media", "convert", "a.####.exr",
                              "b.####.exr", "--frames", "1-9", "--chunk", "3", "--", "--threads", "4"])
    merged, verb = split_submit_arguments(args)
    assert merged.engine == "opencue" and merged.chunk == 3 and merged.threads is None
    assert verb == ["media", "convert", "a.####.exr", "b.####.exr", "--frames", "1-9", "--threads", "4"]
    assert strip_frames(verb) == ["media", "convert", "a.####.exr", "b.####.exr", "--threads", "4"]
    assert strip_frames(["x", "--frames=1-3", "y"]) == ["x", "y"]


def test_submit_on_a_local_dask_cluster_then_status(capsys, tmp_path, plate, monkeypatch):
    monkeypatch.chdir(tmp_path)  # relative paths in the command resolve where it was submitted
    code, out, err = run_cli(capsys, "farm", "submit", "media", "convert", plate, "out/conv.####.exr",
                             "--to-colorspace", SPACE, "--frames", "1001-1010", "--engine", "dask", "--chunk", "5",
                             "--threads", "1", "--job-dir", "job", "--name", "conv_cli")
    assert code == 0, err
    assert "job conv_cli: 2 chunks" in out and "2 chunks done, 0 failed" in out
    assert sorted(p.name for p in (tmp_path / "out").glob("conv.*.exr")) == [f"conv.{f}.exr" for f in range(1001, 1011)]
    code, out, _ = run_cli(capsys, "farm", "status", tmp_path / "job", "--json")
    report = json.loads(out)
    assert code == 0 and report["complete"] and report["layers"]["media_convert"]["done"] == 2
    code, out, _ = run_cli(capsys, "farm", "status", tmp_path / "job")
    assert "complete" in out and "2 done" in out
    # the farm task verb re-runs a chunk: every frame is skipped, exit 0
    code, out, _ = run_cli(capsys, "farm", "task", tmp_path / "job", "--layer", "media_convert",
                           "--start", "1001", "--end", "1005")
    assert code == 0 and "done, 5 frames done" in out


def test_dry_runs_write_job_files_for_each_engine(capsys, tmp_path, plate):
    for engine in ("deadline", "opencue"):
        code, out, err = run_cli(capsys, "farm", "submit", "--engine", engine, "--dry-run", "--chunk", "4",
                                 "--priority", "75", "media", "convert", plate, tmp_path / "out/conv.####.exr",
                                 "--frames", "1001-1012")
        assert code == 0, err
    [job_dir] = (tmp_path / "out/.facegraft-farm").iterdir()
    assert (job_dir / "deadline/media_convert.job_info.job").is_file()
    assert "ChunkSize=4" in (job_dir / "deadline/media_convert.job_info.job").read_text()
    assert len(list((job_dir / "opencue").glob("*.xml"))) == 1
    assert not list((tmp_path / "out").glob("conv.*.exr"))  # nothing ran


@pytest.mark.parametrize("argv, fragments", [
    (("--engine", "slurm"), ("unknown engine 'slurm'", "deadline, opencue, dask")),
    (("--chunk", "0"), ("argument --chunk: 0 is outside [1,",)),
    (("--frames", "1010-1001"), ("'1010-1001' is empty",)),
    (("--frames", "995-1003"), ("frames 995-1000 are outside the plate",)),
    (("--engine", "dask", "--start-frame", "1"), ("--start-frame",)),
    (("--threads", "0"), ("argument --threads: 0 is outside [1,",)),
])
def test_bad_submissions_are_one_line_errors(capsys, tmp_path, plate, argv, fragments):
    code, _, err = run_cli(capsys, "farm", "submit", "--dry-run", "media", "convert", plate,
                           tmp_path / "out/conv.####.exr", "--frames", "1001-1004", *argv)
    assert_user_error(code, err, *fragments)
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").glob("conv.*.exr"))


def test_commands_that_cannot_be_split_are_refused(capsys, tmp_path, plate):
    code, _, err = run_cli(capsys, "farm", "submit", "info", plate)
    assert_user_error(code, err, "takes no --frames")
    code, _, err = run_cli(capsys, "farm", "submit", "--engine", "dask")
    assert_user_error(code, err, "no facegraft command given")
    code, _, err = run_cli(capsys, "farm", "submit", "media", "convert", "--bogus")
    assert_user_error(code, err, "farm submit: media convert --bogus:")


def test_output_folder_of_a_job_with_other_settings_is_refused(capsys, tmp_path, plate):
    base = ("farm", "submit", "--engine", "deadline", "--dry-run", "media", "convert", plate,
            tmp_path / "out/conv.####.exr", "--frames", "1001-1004")
    assert run_cli(capsys, *base)[0] == 0
    assert run_cli(capsys, *base)[0] == 0  # the same job again is fine
    code, _, err = run_cli(capsys, *base, "--to-colorspace", SPACE)
    assert_user_error(code, err, f"{tmp_path / 'out'}: already holds conv.####.exr written by job")


def test_status_of_a_folder_without_a_job(capsys, tmp_path):
    code, _, err = run_cli(capsys, "farm", "status", tmp_path)
    assert_user_error(code, err, "no farm job here")


def test_submit_shot_builds_extract_merge_convert(capsys, tmp_path, plate):
    from facegraft.plugins.farm import deadline
    from facegraft.plugins.farm.job import load_job
    from facegraft.plugins.farm.task import chunk_command

    code, out, err = run_cli(capsys, "farm", "submit-shot", plate, "--alignments", tmp_path / "align/plate.json",
                             "--model", tmp_path / "model", "-o", tmp_path / "out/swap.####.exr",
                             "--frames", "1001-1012", "--extract-chunk", "6", "--chunk", "4",
                             "--convert-args", "--blend poisson", "--engine", "deadline", "--dry-run")
    assert code == 0, err
    [job_dir] = (tmp_path / "out/.facegraft-farm").iterdir()
    job = load_job(job_dir)
    assert [layer.name for layer in job.ordered_layers()] == ["extract", "merge", "convert"]
    merge = job.layer("merge")
    shards = [a for a in merge.command if a.endswith(".json") and ".shards" in a]
    assert [a.rsplit("/", 1)[1] for a in shards] == ["plate.1001-1006.json", "plate.1007-1012.json"]
    # every task's command is one the facegraft command accepts, and extract writes its own shard
    parser = build_parser()
    written = []
    for layer in job.layers:
        for chunk in layer.chunks():
            command = chunk_command(job, layer, chunk)[len(job.executable):]
            args = parser.parse_args(command)
            if layer.name == "extract":
                written.append(args.output)
    assert written == shards
    convert = parser.parse_args(chunk_command(job, job.layer("convert"), job.layer("convert").chunks()[0])[3:])
    assert convert.frames == "1001-1004" and convert.blend == "poisson"
    files = {f.layer: deadline.read_info_file(f.job_info) for f in deadline.write_job_files(job, job_dir)}
    assert files["extract"]["ChunkSize"] == "6" and files["convert"]["ChunkSize"] == "4"
    assert files["merge"]["Frames"] == "0"


def test_submit_shot_refuses_bad_options(capsys, tmp_path, plate):
    base = ("farm", "submit-shot", plate, "--alignments", tmp_path / "a.json", "--model", tmp_path / "m",
            "--dry-run", "--engine", "opencue")
    code, _, err = run_cli(capsys, *base, "-o", tmp_path / "out/swap.exr")
    assert_user_error(code, err, "is not a frame sequence")
    code, _, err = run_cli(capsys, *base, "-o", tmp_path / "out/swap.####.exr", "--convert-args", "--blend bogus")
    assert_user_error(code, err, "invalid choice: 'bogus'")
    code, _, err = run_cli(capsys, *base, "-o", tmp_path / "out/swap.####.exr", "--frames", "2000-2004")
    assert_user_error(code, err, "outside the plate")
