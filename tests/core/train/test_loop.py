"""The training loop on real tiny face sets: learning, exact resume, checkpoints, bad inputs."""
import dataclasses
import json

import pytest
import torch

from facegraft.core.errors import ModelMismatchError
from facegraft.core.models.config import ModelConfig
from facegraft.core.models.files import WEIGHTS_NAME, load_model
from facegraft.core.models.registry import list_architectures
from facegraft.core.train import loop, step
from facegraft.core.train.checkpoint import PREVIOUS_DIR, read_state
from facegraft.core.train.errors import TrainingDivergedError, TrainingError
from facegraft.core.train.settings import OptimSettings, TrainSettings

TINY = ModelConfig("df", encoder_width=16, bottleneck_dims=64, decoder_width=16, decoder_depth=0)
FAST = TrainSettings(iterations=2, batch_size=4, log_every=1, preview_every=1000, workers=1,
                     optim=OptimSettings(learning_rate=1e-3, warmup_iterations=5))


def _train(a, b, folder, *, iterations, resume=False, config=TINY, **changes):
    settings = dataclasses.replace(FAST, iterations=iterations, **changes)
    return loop.train(a, b, folder, model_config=config, settings=settings, resume=resume, show_progress=False)


# "original" is the peer baseline for benchmarks (50M parameters, its own learning rate of 5e-5).
@pytest.mark.parametrize("architecture", [a for a in list_architectures() if a != "original"])
def test_loss_falls_and_outputs_written(faceset_a, faceset_b, tmp_path, architecture) -> None:
    config = dataclasses.replace(TINY, architecture=architecture)
    result = _train(faceset_a, faceset_b, tmp_path, iterations=36, config=config, batch_size=8, preview_every=18)
    rows = [json.loads(line) for line in (tmp_path / "training" / "history.jsonl").read_text().splitlines()]
    assert [r["iteration"] for r in rows] == list(range(1, 37))
    first, last = sum(r["loss"] for r in rows[:5]) / 5, sum(r["loss"] for r in rows[-5:]) / 5
    assert last < 0.75 * first, (first, last)
    assert result.iteration == 36 and result.stopped == "iterations"
    for name in ("previews/preview.png", "training/history.csv", "training/loss.png"):
        assert (tmp_path / name).is_file(), name
    model = load_model(tmp_path)
    assert model.config == config and model.training_state["iteration"] == 36
    faces, masks = model.swap(torch.rand(2, 3, 64, 64))
    assert faces.shape == (2, 3, 64, 64) and masks.shape == (2, 1, 64, 64)


def _weights(folder):
    return load_model(folder).network.state_dict()


def test_expression_head_learns_and_resumes_exactly(faceset_a, faceset_b, tmp_path) -> None:
    config = dataclasses.replace(TINY, expression=True)
    _train(faceset_a, faceset_b, tmp_path / "run", iterations=36, config=config, batch_size=8)
    rows = [json.loads(line) for line in (tmp_path / "run" / "training" / "history.jsonl").read_text().splitlines()]
    error = [r["expression_a"] + r["expression_b"] for r in rows]
    assert sum(error[-5:]) < 0.8 * sum(error[:5]), error  # 1.0 → 0.63 when written
    _train(faceset_a, faceset_b, tmp_path / "split", iterations=3, config=config)
    _train(faceset_a, faceset_b, tmp_path / "split", iterations=4, resume=True, config=config)
    _train(faceset_a, faceset_b, tmp_path / "straight", iterations=4, config=config)
    split, straight = _weights(tmp_path / "split"), _weights(tmp_path / "straight")
    assert "expression_head.out.weight" in straight
    assert all(torch.equal(split[k], straight[k]) for k in straight)


@pytest.mark.parametrize("channels_last", [False, True])
def test_resume_reproduces_the_next_step(faceset_a, faceset_b, tmp_path, channels_last) -> None:
    _train(faceset_a, faceset_b, tmp_path / "split", iterations=3, channels_last=channels_last)
    _train(faceset_a, faceset_b, tmp_path / "split", iterations=4, resume=True, channels_last=channels_last)
    _train(faceset_a, faceset_b, tmp_path / "straight", iterations=4, channels_last=channels_last)
    split, straight = _weights(tmp_path / "split"), _weights(tmp_path / "straight")
    assert all(torch.equal(split[k], straight[k]) for k in straight)
    history = (tmp_path / "split" / "training" / "history.jsonl").read_text().splitlines()
    assert [json.loads(r)["iteration"] for r in history] == [1, 2, 3, 4]


def test_damaged_checkpoint_falls_back_to_previous(faceset_a, faceset_b, tmp_path, caplog) -> None:
    _train(faceset_a, faceset_b, tmp_path / "straight", iterations=3)
    _train(faceset_a, faceset_b, tmp_path, iterations=1)
    _train(faceset_a, faceset_b, tmp_path, iterations=2, resume=True)
    weights = tmp_path / WEIGHTS_NAME
    weights.write_bytes(weights.read_bytes()[:1000])  # as a save killed mid-way, or a damaged disk
    with pytest.raises(ModelMismatchError, match="checksum differs"):
        load_model(tmp_path)
    assert read_state(tmp_path / PREVIOUS_DIR)["iteration"] == 1
    with caplog.at_level("WARNING"):
        assert _train(faceset_a, faceset_b, tmp_path, iterations=3, resume=True).iteration == 3
    assert "resuming from the one before it, iteration 1" in caplog.text
    assert load_model(tmp_path).training_state["iteration"] == 3
    restored, straight = _weights(tmp_path), _weights(tmp_path / "straight")
    assert all(torch.equal(restored[k], straight[k]) for k in straight)
    (tmp_path / PREVIOUS_DIR / WEIGHTS_NAME).write_bytes(b"x")
    (tmp_path / "training" / "state.json").write_text("{")
    with pytest.raises(ModelMismatchError, match="holds no complete checkpoint either"):
        _train(faceset_a, faceset_b, tmp_path, iterations=4, resume=True)


def test_nan_loss_stops_and_keeps_last_good_checkpoint(faceset_a, faceset_b, tmp_path, monkeypatch) -> None:
    _train(faceset_a, faceset_b, tmp_path, iterations=2)
    before = (tmp_path / WEIGHTS_NAME).read_bytes()
    real = step.reconstruction_loss

    def poisoned(*args, **kwargs):
        out = real(*args, **kwargs)
        return {**out, "total": out["total"] * float("nan")}

    monkeypatch.setattr(step, "reconstruction_loss", poisoned)
    with pytest.raises(TrainingDivergedError, match=r"iteration 3.*last good checkpoint \(iteration 2\)"):
        _train(faceset_a, faceset_b, tmp_path, iterations=5, resume=True)
    assert (tmp_path / WEIGHTS_NAME).read_bytes() == before
    assert read_state(tmp_path)["iteration"] == 2


def test_ctrl_c_saves_a_resumable_checkpoint(faceset_a, faceset_b, tmp_path, monkeypatch) -> None:
    real, calls = loop.training_step, []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(loop, "training_step", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _train(faceset_a, faceset_b, tmp_path, iterations=10)
    assert read_state(tmp_path)["iteration"] == 2
    monkeypatch.setattr(loop, "training_step", real)
    assert _train(faceset_a, faceset_b, tmp_path, iterations=3, resume=True).iteration == 3


def test_out_of_memory_suggests_a_batch(faceset_a, faceset_b, tmp_path, monkeypatch) -> None:
    def oom(*args, **kwargs):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(loop, "training_step", oom)
    with pytest.raises(TrainingError, match="--batch 2"):
        _train(faceset_a, faceset_b, tmp_path, iterations=2)


def test_minutes_stop(faceset_a, faceset_b, tmp_path) -> None:
    settings = dataclasses.replace(FAST, iterations=None, minutes=1e-6)
    result = loop.train(faceset_a, faceset_b, tmp_path, model_config=TINY, settings=settings, show_progress=False)
    assert result.stopped == "minutes" and result.iteration == 1


def test_refuses_to_overwrite_without_resume(faceset_a, faceset_b, tmp_path) -> None:
    _train(faceset_a, faceset_b, tmp_path, iterations=1)
    with pytest.raises(TrainingError, match="--resume"):
        _train(faceset_a, faceset_b, tmp_path, iterations=2)


def test_resume_with_incompatible_option(faceset_a, faceset_b, tmp_path) -> None:
    _train(faceset_a, faceset_b, tmp_path, iterations=1)
    with pytest.raises(TrainingError, match="decoder_width"):
        _train(faceset_a, faceset_b, tmp_path, iterations=2, resume=True,
               config=dataclasses.replace(TINY, decoder_width=8))
    with pytest.raises(ModelMismatchError, match="no checkpoint"):
        _train(faceset_a, faceset_b, tmp_path / "empty", iterations=2, resume=True)


@pytest.mark.parametrize("count", [0, 11])
def test_too_few_faces(faceset_a, faceset_b, tmp_path, count) -> None:
    small = faceset_a.with_faces(faceset_a.faces[:count])
    with pytest.raises(TrainingError, match="remain to train on"):
        _train(small, faceset_b, tmp_path, iterations=1)


def test_mismatched_face_sets(faceset_a, faceset_b, tmp_path) -> None:
    with pytest.raises(TrainingError, match="face type"):
        _train(faceset_a, dataclasses.replace(faceset_b, face_type="head"), tmp_path, iterations=1)
    with pytest.raises(TrainingError, match="crop size"):
        _train(faceset_a, dataclasses.replace(faceset_b, size=128), tmp_path, iterations=1)
    with pytest.raises(ModelMismatchError, match="128px"):
        _train(faceset_a, faceset_b, tmp_path, iterations=1, config=dataclasses.replace(TINY, resolution=128))


def test_holdout_quality_improves_with_training(faceset_a, faceset_b, tmp_path) -> None:
    from facegraft.core.train.data import load_face_data
    from facegraft.core.train.evaluate import holdout_quality
    a, b = load_face_data(faceset_a, holdout=4, gap=0, name="A"), load_face_data(faceset_b, holdout=4, gap=0, name="B")
    untrained = loop.build(TINY, FAST, torch.device("cpu"), channels_last=False)[0]
    before = holdout_quality(untrained, a.holdout, b.holdout)
    after = holdout_quality(_train(faceset_a, faceset_b, tmp_path, iterations=30, batch_size=8).network,
                            a.holdout, b.holdout)
    assert set(before) == {"ssim_a", "psnr_a", "ssim_b", "psnr_b"}
    assert after["psnr_a"] > before["psnr_a"] and after["psnr_b"] > before["psnr_b"]


def test_preview_grid_layout(faceset_a, faceset_b) -> None:
    from facegraft.core.train.data import load_face_data
    from facegraft.core.train.evaluate import preview_grid
    a = load_face_data(faceset_a, holdout=3, gap=0, name="A")
    b = load_face_data(faceset_b, holdout=3, gap=0, name="B")
    network = loop.build(TINY, FAST, torch.device("cpu"), channels_last=False)[0]
    grid = preview_grid(network, a.holdout, b.holdout)
    assert grid.shape == (3 * 64, 5 * 64, 3) and grid.dtype.name == "uint8"
    first = (a.holdout[0, :3].float().permute(1, 2, 0).numpy() * 255 + 0.5).astype("uint8")
    assert abs(grid[:64, :64].astype(int) - first.astype(int)).max() <= 1  # column 0 is the input A face


def test_a_collapsed_loss_stops_before_a_bad_checkpoint_is_saved(faceset_a, faceset_b, tmp_path, monkeypatch) -> None:
    real = loop.training_step

    def collapsing(model, optimizer, batch, **kwargs):  # a finite loss that jumps 10x at iteration 61
        out = real(model, optimizer, batch, **kwargs)
        return {**out, "loss": out["loss"] * (10.0 if batch.iteration >= 60 else 1.0)}

    monkeypatch.setattr(loop, "training_step", collapsing)
    with pytest.raises(TrainingDivergedError, match=r"loss jumped .*\(iteration 80\): the run collapsed.*checkpoint \(iteration 60\)"):
        _train(faceset_a, faceset_b, tmp_path, iterations=200, save_every_minutes=0.0)
    assert read_state(tmp_path)["iteration"] == 60  # saved every step until the jump, never after


def test_bf16_autocast_follows_the_settings_and_the_cpu() -> None:
    cpu = torch.device("cpu")
    assert not loop.bf16_autocast(FAST, cpu)  # float32 on the CPU unless asked
    assert loop.bf16_autocast(dataclasses.replace(FAST, cpu_bf16=True), cpu) == loop.cpu_native_bf16()
    assert not loop.bf16_autocast(dataclasses.replace(FAST, cpu_bf16=True, mixed_precision=False), cpu)


@pytest.mark.skipif(not loop.cpu_native_bf16(), reason="this CPU has no native bf16 (AVX512-BF16 or AMX)")
def test_cpu_bf16_trains_and_resumes_bit_exact(faceset_a, faceset_b, tmp_path) -> None:
    """Under bf16 autocast the loss still falls, the weights stay float32, and resume is exact."""
    result = _train(faceset_a, faceset_b, tmp_path / "straight", iterations=24, batch_size=8, cpu_bf16=True)
    rows = [json.loads(line) for line in (tmp_path / "straight" / "training" / "history.jsonl").read_text().splitlines()]
    first, last = sum(r["loss"] for r in rows[:4]) / 4, sum(r["loss"] for r in rows[-4:]) / 4
    assert result.iteration == 24 and last < 0.8 * first, (first, last)
    weights = _weights(tmp_path / "straight")
    assert all(w.dtype == torch.float32 for w in weights.values())
    _train(faceset_a, faceset_b, tmp_path / "split", iterations=20, batch_size=8, cpu_bf16=True)
    _train(faceset_a, faceset_b, tmp_path / "split", iterations=24, batch_size=8, cpu_bf16=True, resume=True)
    split = _weights(tmp_path / "split")
    assert all(torch.equal(split[k], weights[k]) for k in weights)
    fp32 = _train(faceset_a, faceset_b, tmp_path / "fp32", iterations=24, batch_size=8)
    assert not all(torch.equal(_weights(tmp_path / "fp32")[k], weights[k]) for k in weights)  # bf16 really ran
    assert fp32.iteration == 24
