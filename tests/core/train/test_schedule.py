"""Training phases: progress, the sharpening phase's start, its learning-rate decay, its resume."""
import dataclasses
import json

import pytest
import torch

from facegraft.core.models.files import load_model
from facegraft.core.train import loop
from facegraft.core.train.checkpoint import read_state
from facegraft.core.train.schedule import lr_scale, phase_augment, progress, sharpen_due
from facegraft.core.train.settings import AugmentSettings, ScheduleSettings, TrainSettings
from interrupt import stopped_by_ctrl_c  # tests/core/train, on sys.path by conftest

from test_loop import FAST, TINY

SHARP = ScheduleSettings(sharpen_fraction=0.25, final_lr_fraction=0.1)


def test_progress_and_phase_start() -> None:
    its = TrainSettings(iterations=100)
    assert progress(its, iteration=50, seconds=1e9) == 0.5
    both = TrainSettings(iterations=100, minutes=1.0)
    assert progress(both, iteration=10, seconds=30) == 0.5 and progress(both, iteration=400, seconds=0) == 1.0
    assert not sharpen_due(SHARP, 0.74) and sharpen_due(SHARP, 0.75)
    assert not sharpen_due(ScheduleSettings(), 1.0)


def test_lr_decays_along_a_cosine_in_the_phase_only() -> None:
    assert lr_scale(SHARP, done=0.9, phase_start=None) == 1.0
    assert lr_scale(SHARP, done=0.75, phase_start=0.75) == pytest.approx(1.0)
    assert lr_scale(SHARP, done=0.875, phase_start=0.75) == pytest.approx(0.55)
    assert lr_scale(SHARP, done=1.0, phase_start=0.75) == pytest.approx(0.1)
    assert phase_augment(AugmentSettings(warp=0.7), sharpening=True).warp == 0.0
    assert phase_augment(AugmentSettings(warp=0.7), sharpening=False).warp == 0.7
    with pytest.raises(ValueError):
        ScheduleSettings(sharpen_fraction=1.0)


def _train(a, b, folder, *, iterations, resume=False):
    settings = dataclasses.replace(FAST, iterations=iterations, schedule=SHARP)
    return loop.train(a, b, folder, model_config=TINY, settings=settings, resume=resume, show_progress=False)


def test_phase_recorded_and_resume_across_it_is_exact(faceset_a, faceset_b, tmp_path, monkeypatch) -> None:
    """8 iterations, the last quarter sharpening: the phase starts at iteration 6; runs stopped
    at 5 (before it) and at 7 (inside it) resume to the uninterrupted run's weights exactly."""
    _train(faceset_a, faceset_b, tmp_path / "straight", iterations=8)
    assert read_state(tmp_path / "straight")["phase"] == {"sharpen_from": 6}
    rows = [json.loads(r) for r in (tmp_path / "straight" / "training" / "history.jsonl").read_text().splitlines()]
    lrs = [r["lr"] for r in rows]
    peak = FAST.optim.learning_rate  # warm-up (5 iterations) done by then
    assert lrs[5] == pytest.approx(peak) and lrs[6] == pytest.approx(peak)  # the phase starts at 1x
    assert lrs[7] == pytest.approx(0.55 * peak)  # half-way along the cosine to 0.1x
    straight = load_model(tmp_path / "straight").network.state_dict()
    for stop in (5, 7):
        folder = tmp_path / f"split{stop}"
        stopped_by_ctrl_c(lambda: _train(faceset_a, faceset_b, folder, iterations=8), monkeypatch, after=stop)
        assert read_state(folder)["iteration"] == stop
        assert read_state(folder)["phase"] == ({} if stop < 6 else {"sharpen_from": 6})
        _train(faceset_a, faceset_b, folder, iterations=8, resume=True)
        split = load_model(folder).network.state_dict()
        assert all(torch.equal(split[k], straight[k]) for k in straight), stop
        assert read_state(folder)["phase"] == {"sharpen_from": 6}
