"""`facegraft swap`, `eval` and `check-pair` end to end on a few frames of two real clips.

One tiny project (d18 → d19, 12 frames each, 2 training iterations) is made once per module;
the tests then resume it, re-run single stages, and break it in the ways users do.
"""
import errno
import json

import cv2
import numpy as np
import pytest

from facegraft.core.media.source import open_source
from facegraft.core.project import run as project_run
from facegraft.plugins.cli.main import main

FRAMES = ["--frames", "1-12", "--source-frames", "1-12", "--iterations", "2"]


def run_cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_user_error(code, err, *fragments):
    assert code == 2, err
    lines = [line for line in err.strip().splitlines() if line.startswith("facegraft: error: ")]
    assert len(lines) == 1 and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.fixture(scope="module")
def project(clips, tmp_path_factory):
    out = tmp_path_factory.mktemp("swap") / "project"
    code = main(["-q", "swap", "--source", str(clips / "d18.mp4"), "--target", str(clips / "d19.mp4"), "-o", str(out),
                 *FRAMES])
    assert code == 0
    return out


def records(out):
    return {p.stem: json.loads(p.read_text()) for p in (out / "stages").glob("*.json")}


def test_swap_writes_every_output(project):
    assert len(list((project / "plate").glob("target.*.exr"))) == 12
    assert len(list((project / "converted").glob("swap.*.exr"))) == 12
    for name in ("source/alignments.json", "target/alignments.json", "source/faces/faceset.json",
                 "target/faces/faceset.json", "model/config.json", "model/model.safetensors", "pair_check.txt",
                 "review.mp4", "eval/report.html", "eval/eval.json", "logs/swap.log", "project.json"):
        assert (project / name).is_file(), name
    import av

    with av.open(str(project / "review.mp4")) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264" and stream.width == 960
        assert sum(1 for _ in container.decode(stream)) == 12
    done = records(project)
    assert sorted(done) == sorted(project_run.STAGES)
    assert done["train"]["results"]["iteration"] == 2
    summary = done["eval"]["results"]["summary"]
    assert summary["faces"] > 0 and summary["verdict"] == "not usable"  # two iterations cannot make a usable swap


def test_rerun_skips_finished_stages(project, capsys):
    before = records(project)
    code, out, err = run_cli(capsys, "swap", "--resume", "-o", project)
    assert code == 0, err
    assert out.count("skipped") == len(project_run.STAGES)
    assert records(project) == before


def test_interrupted_convert_resumes_missing_frames_only(project, capsys):
    (project / "stages" / "convert.json").unlink()
    for n in (11, 12):
        (project / "converted" / f"swap.{n:04d}.exr").unlink()
    code, out, err = run_cli(capsys, "-q", "swap", "--resume", "-o", project)
    assert code == 0, err
    convert = records(project)["convert"]["results"]
    assert (convert["written"], convert["skipped"]) == (2, 10)
    assert len(list((project / "converted").glob("swap.*.exr"))) == 12


def test_one_stage_reruns_alone(project, capsys):
    before = records(project)
    code, out, err = run_cli(capsys, "swap", "--resume", "-o", project, "--stage", "pair_check")
    assert code == 0, err
    after = records(project)
    assert after["pair_check"]["finished"] >= before["pair_check"]["finished"]
    others = [k for k in before if k != "pair_check"]
    assert {k: after[k] for k in others} == {k: before[k] for k in others}
    assert "pair_check" in out and "train" not in out


def test_a_longer_budget_continues_training(project, capsys):
    code, out, err = run_cli(capsys, "-q", "swap", "--resume", "-o", project, "--iterations", "3", "--no-eval")
    assert code == 0, err
    done = records(project)
    assert done["train"]["results"]["iteration"] == 3 and done["train"]["results"]["resumed"] is True
    assert done["convert"]["results"]["written"] == 12  # a new model: every frame again
    assert json.loads((project / "project.json").read_text())["options"]["iterations"] == 3


def test_full_disk_is_a_clear_error_and_keeps_finished_stages(project, capsys, monkeypatch):
    def full(ctx, redo):
        raise OSError(errno.ENOSPC, "No space left on device", str(project / "review.mp4"))

    monkeypatch.setitem(project_run._PLAN, "review", (full, project_run._PLAN["review"][1]))
    before = records(project)
    code, out, err = run_cli(capsys, "swap", "--resume", "-o", project, "--stage", "review")
    assert_user_error(code, err, "disk full during stage review", "finished stages are kept")
    after = records(project)
    assert "review" not in after
    assert {k: v for k, v in after.items()} == {k: v for k, v in before.items() if k != "review"}
    monkeypatch.undo()
    assert main(["-q", "swap", "--resume", "-o", str(project)]) == 0
    assert "review" in records(project)


def test_eval_and_check_pair_verbs(project, clips, capsys):
    code, out, err = run_cli(capsys, "eval", "--swapped", project / "plate" / "target.####.exr",
                             "--target", project / "plate" / "target.####.exr",
                             "--source", project / "source" / "alignments.json",
                             "--alignments", project / "target" / "alignments.json", "--frames", "1-4", "--json")
    assert code == 0, err
    summary = json.loads(out)["summary"]
    assert summary["dist_b"] == 0.0 and summary["landmark_error"] == 0.0 and summary["closer_to_a"] == 0.0
    code, out, err = run_cli(capsys, "check-pair", project / "source" / "faces", project / "target" / "faces")
    assert code == 0, err
    assert out.startswith("verdict: ") and "yaw (deg)" in out
    code, out, err = run_cli(capsys, "check-pair", project / "source" / "alignments.json",
                             project / "target" / "alignments.json", "--json")
    assert code == 0 and json.loads(out)["faces_a"] == 12


@pytest.fixture
def blank(tmp_path):
    folder = tmp_path / "blank"
    folder.mkdir()
    for n in range(1, 4):
        cv2.imwrite(str(folder / f"blank.{n:04d}.png"), np.full((96, 96, 3), 128, np.uint8))
    return folder / "blank.####.png"


def test_source_without_faces(blank, clips, tmp_path, capsys):
    code, out, err = run_cli(capsys, "-q", "swap", "--source", blank, "--target", clips / "d19.mp4",
                             "-o", tmp_path / "p", "--frames", "1-3")
    assert_user_error(code, err, "blank.####.png", "no face found")
    assert (tmp_path / "p" / "stages" / "plate.json").is_file()  # what finished is kept


def test_same_clip_is_warned(blank, tmp_path, capsys):
    code, out, err = run_cli(capsys, "swap", "--source", blank, "--target", blank, "-o", tmp_path / "p")
    assert "same clip" in err
    assert_user_error(code, err, "no face found")


def test_reference_matching_no_one(clips, tmp_path, capsys):
    frame = open_source(clips / "d18.mp4").read(1)
    photo = tmp_path / "someone_else.png"
    cv2.imwrite(str(photo), (frame.pixels[..., ::-1] * 255 + 0.5).astype(np.uint8))
    code, out, err = run_cli(capsys, "-q", "swap", "--source", clips / "d18.mp4", "--target", clips / "d19.mp4",
                             "-o", tmp_path / "p", "--frames", "1-3", "--source-frames", "1-3",
                             "--reference", photo)
    assert_user_error(code, err, "someone_else.png", "matches no face")


def test_missing_arguments_and_foreign_folder(tmp_path, capsys, clips):
    code, out, err = run_cli(capsys, "swap", "-o", tmp_path / "p")
    assert_user_error(code, err, "--source and --target")
    code, out, err = run_cli(capsys, "swap", "--resume", "-o", tmp_path / "nothing")
    assert_user_error(code, err, "no swap project to resume")


@pytest.mark.slow
def test_swap_from_a_pretrained_base(project, clips, tmp_path, capsys):
    code, _, err = run_cli(capsys, "-q", "pretrain", project / "source" / "faces", project / "target" / "faces",
                           "-o", tmp_path / "base", "--iterations", "1")
    assert code == 0, err
    code, _, err = run_cli(capsys, "-q", "swap", "--source", clips / "d18.mp4", "--target", clips / "d19.mp4",
                           "-o", tmp_path / "pair", *FRAMES, "--no-eval", "--base", tmp_path / "base")
    assert code == 0, err
    state = json.loads((tmp_path / "pair" / "model" / "config.json").read_text())["training_state"]
    assert state["base"] == str(tmp_path / "base") and state["iteration"] == 2
    from facegraft.core.models.config import ModelConfig
    from facegraft.core.models.files import save_model
    from facegraft.core.models.registry import create_model
    other = ModelConfig("df", encoder_width=8, bottleneck_dims=16, decoder_width=8)
    save_model(create_model(other), other, tmp_path / "small", training_state={})
    code, _, err = run_cli(capsys, "swap", "--source", clips / "d18.mp4", "--target", clips / "d19.mp4",
                           "-o", tmp_path / "pair2", *FRAMES, "--base", tmp_path / "small")
    assert_user_error(code, err, "small", "--preset quick")
