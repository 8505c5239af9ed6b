"""The patch-GAN term: its losses, the discriminator's update, and training with it on (stability,
exact resume with the discriminator checkpointed, resume of a checkpoint saved without one)."""
import dataclasses
import json
import math

import pytest
import torch

from facegraft.core.models.files import WEIGHTS_NAME, load_model
from facegraft.core.models.tensor_files import read_tensors
from facegraft.core.train import loop
from facegraft.core.train.adversarial import (build_adversary, discriminator_loss, discriminator_step,
                                              fake_logits_for_generator, gan_instability, generator_loss,
                                              patch_weights)
from facegraft.core.train.checkpoint import DISCRIMINATOR_NAME, PREVIOUS_DIR, load_checkpoint, read_state
from facegraft.core.train.errors import TrainingDivergedError
from facegraft.core.train.settings import GanSettings, TrainSettings
from interrupt import stopped_by_ctrl_c  # tests/core/train, on sys.path by conftest

from test_loop import FAST, TINY

GAN = GanSettings(weight=0.1, start=0.25, width=16)


def test_settings_validate() -> None:
    assert not GanSettings().enabled and GanSettings(weight=0.1).enabled
    for bad in ({"weight": -0.1}, {"weight": math.nan}, {"start": 1.0}, {"learning_rate": 0.0}, {"width": 0}):
        with pytest.raises(ValueError):
            GanSettings(**bad)
    assert TrainSettings(iterations=1).gan == GanSettings()  # off unless asked for


def test_losses_known_values_and_face_weighting() -> None:
    zeros = torch.zeros(2, 1, 4, 4)
    ones = torch.ones(2, 1, 4, 4)
    assert float(generator_loss(zeros, ones)) == pytest.approx(math.log(2))
    assert float(discriminator_loss(zeros, zeros, ones, ones)) == pytest.approx(2 * math.log(2))
    # patches with no face teach nothing: a wild logit there changes neither loss
    weights = ones.clone()
    weights[:, :, :, :2] = 0
    wild = zeros.clone()
    wild[:, :, :, 0] = -50.0
    assert float(generator_loss(wild, weights)) == pytest.approx(math.log(2))
    assert float(generator_loss(wild, ones)) > 10 * math.log(2)  # the control: counted when weighted
    # a confident, correct discriminator has a loss near 0; a fooled one a large loss
    assert float(discriminator_loss(ones * 20, ones * -20, ones, ones)) < 1e-6
    assert float(discriminator_loss(ones * -5, ones * 5, ones, ones)) > 9


def test_losses_gradcheck() -> None:
    torch.manual_seed(0)
    logits = torch.randn(2, 1, 3, 3, dtype=torch.float64, requires_grad=True)
    other = torch.randn(2, 1, 3, 3, dtype=torch.float64, requires_grad=True)
    w = torch.rand(2, 1, 3, 3, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda x: generator_loss(x, w).double(), (logits,))
    assert torch.autograd.gradcheck(lambda x, y: discriminator_loss(x, y, w, w).double(), (logits, other))


def test_patch_weights_are_the_face_share_of_each_patch() -> None:
    mask = torch.zeros(1, 1, 64, 64)
    mask[..., :, :32] = 1.0
    w = patch_weights(mask, (30, 30))
    assert w.shape == (1, 1, 30, 30)
    assert float(w[..., :, :14].min()) == 1.0 and float(w[..., :, 16:].max()) == 0.0


def _adversary(seed: int = 0, learning_rate: float = 2e-4):
    return build_adversary(64, GanSettings(weight=0.1, width=8, learning_rate=learning_rate), seed=seed,
                           device=torch.device("cpu"), channels_last=False)


def test_build_is_seeded_and_leaves_the_global_rng_alone() -> None:
    torch.manual_seed(123)
    before = torch.get_rng_state()
    a, b, c = _adversary(0), _adversary(0), _adversary(1)
    assert torch.equal(torch.get_rng_state(), before)
    sa, sb, sc = (x.discriminator.state_dict() for x in (a, b, c))
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert not all(torch.equal(sa[k], sc[k]) for k in sa)


def test_generator_gradient_reaches_the_fakes_not_the_discriminator() -> None:
    adversary = _adversary()
    fakes = torch.rand(2, 3, 64, 64, requires_grad=True)
    logits = fake_logits_for_generator(adversary, fakes)
    generator_loss(logits, torch.ones_like(logits)).backward()
    assert fakes.grad is not None and float(fakes.grad.abs().sum()) > 0
    params = list(adversary.discriminator.parameters())
    assert all(p.grad is None for p in params) and all(p.requires_grad for p in params)


def _blurred(x: torch.Tensor) -> torch.Tensor:
    return torch.nn.functional.avg_pool2d(x, 5, stride=1, padding=2, count_include_pad=False)


def test_discriminator_learns_to_tell_sharp_from_blurred() -> None:
    """Reals are noise textures, fakes their blurred copies (what an undertrained decoder draws):
    after 40 updates the discriminator leans to calling reals real and fakes fake (spectral
    normalisation keeps its logits small, so it gets there slowly)."""
    torch.manual_seed(0)
    adversary = _adversary(learning_rate=1e-3)
    weights = torch.ones(8, 1, 30, 30)
    first = None
    for _ in range(40):
        reals = torch.rand(8, 3, 64, 64)
        out = discriminator_step(adversary, reals, _blurred(reals), weights, bf16=False, check_finite=lambda v: None)
        first = first or out
    assert abs(first["d_real"] - first["d_fake"]) < 0.05  # it starts unable to tell
    assert out["gan_d"] < 0.7 * first["gan_d"], (first, out)
    assert out["d_real"] - out["d_fake"] > 0.25 and out["d_fake"] < 0.5 < out["d_real"], out


def test_a_nan_discriminator_loss_stops_before_its_update() -> None:
    adversary = _adversary()
    before = {k: v.clone() for k, v in adversary.discriminator.named_parameters()}
    reals = torch.rand(2, 3, 64, 64)
    fakes = reals.clone()
    fakes[0, 0, 0, 0] = math.nan

    def check(value):
        if not torch.isfinite(value):
            raise TrainingDivergedError("nan")

    with pytest.raises(TrainingDivergedError):
        discriminator_step(adversary, reals, fakes, torch.ones(2, 1, 30, 30), bf16=False, check_finite=check)
    after = dict(adversary.discriminator.named_parameters())
    assert all(torch.equal(before[k], after[k]) for k in before)  # (its power-iteration buffers move each forward)


# --- training with the term on -------------------------------------------------------------------

def _train(a, b, folder, *, iterations, resume=False, gan=GAN, **changes):
    settings = dataclasses.replace(FAST, iterations=iterations, gan=gan, **changes)
    return loop.train(a, b, folder, model_config=TINY, settings=settings, resume=resume, show_progress=False)


def _rows(folder):
    return [json.loads(r) for r in (folder / "training" / "history.jsonl").read_text().splitlines()]


def test_the_stability_check_catches_a_collapse() -> None:
    """`gan_instability` passes a balanced game and fails its negative controls: a discriminator
    that wins, a diverging generator, a NaN, a history without the term."""
    fine = [{"iteration": i, "loss": 0.3, "gan_d": 1.3, "gan_g_a": 0.7, "gan_g_b": 0.7, "d_real": 0.55,
             "d_fake": 0.45} for i in range(1, 31)]
    assert gan_instability(fine, start=5) is None
    won = [{**r, "gan_d": 0.01, "d_real": 0.99, "d_fake": 0.01} for r in fine]
    assert "wins outright" in gan_instability(won, start=5)
    diverged = [{**r, "gan_g_a": 6.0} for r in fine]
    assert "diverged" in gan_instability(diverged, start=5)
    nan = [dict(r) for r in fine]
    nan[20]["gan_d"] = math.nan
    assert "non-finite" in gan_instability(nan, start=5)
    assert "no step" in gan_instability(fine, start=30)


def test_a_short_run_with_the_term_on_stays_stable(faceset_a, faceset_b, tmp_path) -> None:
    """48 iterations, the term on from iteration 12: all losses finite, the discriminator neither
    wins outright nor is ignored, the generator's adversarial loss stays bounded, and the
    reconstruction still learns about as well as the same run without the term."""
    result = _train(faceset_a, faceset_b, tmp_path / "gan", iterations=48, batch_size=8)
    _train(faceset_a, faceset_b, tmp_path / "plain", iterations=48, batch_size=8, gan=GanSettings())
    assert read_state(tmp_path / "gan")["phase"] == {"gan_from": 12}
    rows, plain = _rows(tmp_path / "gan"), _rows(tmp_path / "plain")
    assert [r["iteration"] for r in rows] == list(range(1, 49))
    assert all(r["gan_d"] == 0.0 and r["gan_g_a"] == 0.0 for r in rows[:12])  # off before its start
    assert all(r["gan_d"] > 0.0 for r in rows[12:])
    assert gan_instability(rows, start=12) is None, gan_instability(rows, start=12)
    assert "gan_d" not in plain[0]
    end, end_plain = (sum(r["loss"] for r in h[-8:]) / 8 for h in (rows, plain))
    start = sum(r["loss"] for r in rows[:5]) / 5
    assert end < 0.8 * start and end < 1.25 * end_plain, (start, end, end_plain)
    # the discriminator stays out of the model folder: convert and exports load the same model
    keys = set(read_tensors(tmp_path / "gan" / WEIGHTS_NAME, sha256=None, what="weights"))
    assert keys == set(load_model(tmp_path / "plain").network.state_dict())
    assert (tmp_path / "gan" / "training" / DISCRIMINATOR_NAME).is_file()
    assert not (tmp_path / "plain" / "training" / DISCRIMINATOR_NAME).exists()
    assert result.iteration == 48


def _discriminator(folder):
    return read_tensors(folder / "training" / DISCRIMINATOR_NAME, sha256=None, what="discriminator")


def _same(x: dict, y: dict) -> bool:
    return x.keys() == y.keys() and all(torch.equal(x[k], y[k]) for k in x)


def test_resume_with_the_term_on_is_exact(faceset_a, faceset_b, tmp_path, monkeypatch) -> None:
    """8 iterations, the term on from iteration 2: runs stopped at 1 (before it) and 5 (inside it)
    resume to the uninterrupted run's generator and discriminator, bit for bit."""
    _train(faceset_a, faceset_b, tmp_path / "straight", iterations=8)
    straight = load_model(tmp_path / "straight").network.state_dict()
    straight_d = _discriminator(tmp_path / "straight")
    assert read_state(tmp_path / "straight")["phase"] == {"gan_from": 2}
    for stop in (1, 5):
        folder = tmp_path / f"split{stop}"
        stopped_by_ctrl_c(lambda: _train(faceset_a, faceset_b, folder, iterations=8), monkeypatch, after=stop)
        assert read_state(folder)["phase"] == ({} if stop < 2 else {"gan_from": 2})
        _train(faceset_a, faceset_b, folder, iterations=8, resume=True)
        assert _same(load_model(folder).network.state_dict(), straight), stop
        assert _same(_discriminator(folder), straight_d), stop
    # the control: a discriminator that was not trained (the term off) differs from the straight one
    _train(faceset_a, faceset_b, tmp_path / "late", iterations=8, gan=dataclasses.replace(GAN, start=0.75))
    assert not _same(_discriminator(tmp_path / "late"), straight_d)


def test_a_checkpoint_without_a_discriminator_resumes_with_a_fresh_one(faceset_a, faceset_b, tmp_path) -> None:
    """A run saved with the term off (as every checkpoint before it existed) resumes with it on:
    the discriminator is built fresh and the result equals a run that had the term on all along."""
    _train(faceset_a, faceset_b, tmp_path / "old", iterations=3, gan=GanSettings())
    assert "discriminator_sha256" not in read_state(tmp_path / "old")
    half = dataclasses.replace(GAN, start=0.5)
    _train(faceset_a, faceset_b, tmp_path / "old", iterations=6, resume=True, gan=half)
    _train(faceset_a, faceset_b, tmp_path / "straight", iterations=6, gan=half)
    assert read_state(tmp_path / "old")["phase"] == read_state(tmp_path / "straight")["phase"] == {"gan_from": 3}
    assert _same(load_model(tmp_path / "old").network.state_dict(),
                 load_model(tmp_path / "straight").network.state_dict())
    assert _same(_discriminator(tmp_path / "old"), _discriminator(tmp_path / "straight"))


def test_a_damaged_discriminator_file_falls_back_to_previous(faceset_a, faceset_b, tmp_path, caplog) -> None:
    _train(faceset_a, faceset_b, tmp_path, iterations=3)
    _train(faceset_a, faceset_b, tmp_path, iterations=4, resume=True)
    assert (tmp_path / PREVIOUS_DIR / "training" / DISCRIMINATOR_NAME).is_file()
    path = tmp_path / "training" / DISCRIMINATOR_NAME
    path.write_bytes(path.read_bytes()[:100])
    network = load_model(tmp_path / PREVIOUS_DIR).network
    adversary = build_adversary(64, GAN, seed=0, device=torch.device("cpu"), channels_last=False)
    optimizer = torch.optim.AdamW(network.parameters())
    with caplog.at_level("WARNING"):
        checkpoint = load_checkpoint(tmp_path, network, optimizer, adversary)
    assert checkpoint.restored and checkpoint.iteration == 3 and checkpoint.discriminator_loaded
    assert "resuming from the one before it" in caplog.text
    assert _same(adversary.discriminator.state_dict(),
                 {k[len("weights."):]: v for k, v in _discriminator(tmp_path).items() if k.startswith("weights.")})
