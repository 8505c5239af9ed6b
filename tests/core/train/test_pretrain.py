"""Pretraining on a pool of identities, and a pair started from the base (DeepFaceLab's way)."""
import dataclasses

import pytest
import torch

from facegraft.core.models.files import load_model
from facegraft.core.train import loop
from facegraft.core.train.base import start_from_base
from facegraft.core.train.errors import TrainingError
from facegraft.core.train.pretrain import pretrain

from test_loop import FAST, TINY


@pytest.fixture(scope="module")
def base(faceset_a, faceset_b, tmp_path_factory):
    folder = tmp_path_factory.mktemp("base")
    pretrain([faceset_a, faceset_b], folder, model_config=TINY, settings=dataclasses.replace(FAST, iterations=3),
             show_progress=False)
    return folder


def test_pretrain_writes_a_base_model(base, faceset_a, faceset_b) -> None:
    model = load_model(base)
    assert model.config == TINY and model.training_state["iteration"] == 3
    assert model.training_state["pretrain_facesets"] == [str(faceset_a.path), str(faceset_b.path)]


def test_start_from_base_keeps_encoder_and_decoders_and_renews_the_bottleneck(base) -> None:
    weights = load_model(base).network.state_dict()
    torch.manual_seed(5)
    network = loop.build(TINY, FAST, torch.device("cpu"), channels_last=False)[0]
    assert start_from_base(network, base, TINY) == ("bottleneck",)
    got = network.state_dict()
    for name, value in got.items():
        same = torch.equal(value, weights[name])
        assert same == (not name.startswith("bottleneck.")), name


def test_a_pair_trains_from_the_base(base, faceset_a, faceset_b, tmp_path) -> None:
    settings = dataclasses.replace(FAST, iterations=2)
    result = loop.train(faceset_a, faceset_b, tmp_path / "pair", model_config=TINY, settings=settings,
                        show_progress=False, base=base)
    assert result.iteration == 2
    model = load_model(tmp_path / "pair")
    assert model.training_state["base"] == str(base)
    encoder = "encoder.stages.0.conv.weight"
    start = load_model(base).network.state_dict()[encoder]
    assert (model.network.state_dict()[encoder] - start).abs().max() < 0.05  # fine-tuned from, not replaced
    with pytest.raises(TrainingError, match="decoder_width"):
        loop.train(faceset_a, faceset_b, tmp_path / "other", model_config=dataclasses.replace(TINY, decoder_width=8),
                   settings=settings, show_progress=False, base=base)


def test_pretrain_needs_two_identities_of_one_shape(faceset_a, faceset_b, tmp_path) -> None:
    settings = dataclasses.replace(FAST, iterations=1)
    with pytest.raises(TrainingError, match="at least two"):
        pretrain([faceset_a], tmp_path, model_config=TINY, settings=settings, show_progress=False)
    with pytest.raises(TrainingError, match="crop size"):
        pretrain([faceset_a, dataclasses.replace(faceset_b, size=128)], tmp_path, model_config=TINY,
                 settings=settings, show_progress=False)
