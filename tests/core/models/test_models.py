"""Every registered architecture: forward, backward, swap, save/load round trip, refusals."""
import json

import pytest
import torch

from facegraft.core.errors import ModelMismatchError
from facegraft.core.models.config import ModelConfig
from facegraft.core.models.files import CONFIG_NAME, WEIGHTS_NAME, check_compatible, load_model, save_model
from facegraft.core.models.registry import Registry, create_model, list_architectures

TINY = dict(encoder_width=8, bottleneck_dims=32, decoder_width=8, decoder_depth=1)


@pytest.fixture(params=list_architectures())
def config(request: pytest.FixtureRequest) -> ModelConfig:
    return ModelConfig(request.param, **TINY)


def test_list_architectures_without_building() -> None:
    assert {"df", "liae"} <= set(list_architectures())


def test_forward_shapes_and_range(config: ModelConfig) -> None:
    torch.manual_seed(0)
    net = create_model(config)
    a, b = torch.rand(3, 3, 64, 64), torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        fa, ma, fb, mb, *_ = net(a, b)
        faces, masks = net.swap(b)
    assert fa.shape == (3, 3, 64, 64) and ma.shape == (3, 1, 64, 64)
    assert fb.shape == (2, 3, 64, 64) and mb.shape == (2, 1, 64, 64)
    for t in (fa, ma, fb, mb):
        assert t.dtype == torch.float32 and float(t.min()) >= 0 and float(t.max()) <= 1
    assert faces.shape == (2, 3, 64, 64) and masks.shape == (2, 1, 64, 64)


def test_backward_reaches_every_parameter(config: ModelConfig) -> None:
    net = create_model(config)
    fa, ma, fb, mb, *_ = net(torch.rand(2, 3, 64, 64), torch.rand(2, 3, 64, 64))
    (fa.mean() + ma.mean() + fb.mean() + mb.mean()).backward()
    missing = [n for n, p in net.named_parameters() if p.grad is None or not torch.isfinite(p.grad).all()]
    assert missing == []


def test_other_resolution(config: ModelConfig) -> None:
    import dataclasses
    net = create_model(dataclasses.replace(config, resolution=96))
    faces, masks = net.swap(torch.rand(1, 3, 96, 96))
    assert faces.shape == (1, 3, 96, 96) and masks.shape == (1, 1, 96, 96)


def test_save_load_round_trip(config: ModelConfig, tmp_path) -> None:
    torch.manual_seed(1)
    net = create_model(config).eval()
    save_model(net, config, tmp_path, training_state={"iteration": 7})
    loaded = load_model(tmp_path)
    assert loaded.config == config and loaded.training_state["iteration"] == 7
    assert not loaded.network.training
    x = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        expected = net.swap(x)
    got = loaded.swap(x)
    assert torch.equal(expected[0], got[0]) and torch.equal(expected[1], got[1])


def test_swap_checks_input(config: ModelConfig, tmp_path) -> None:
    save_model(create_model(config), config, tmp_path, training_state={})
    loaded = load_model(tmp_path)
    with pytest.raises(ValueError, match="shape"):
        loaded.swap(torch.rand(1, 3, 32, 32))
    with pytest.raises(ValueError, match="float32"):
        loaded.swap(torch.rand(1, 3, 64, 64, dtype=torch.float64))


def test_truncated_weights_refused(tmp_path) -> None:
    config = ModelConfig("df", **TINY)
    save_model(create_model(config), config, tmp_path, training_state={})
    data = (tmp_path / WEIGHTS_NAME).read_bytes()
    (tmp_path / WEIGHTS_NAME).write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelMismatchError, match="model.safetensors"):
        load_model(tmp_path)


def test_corrupt_unchecked_weights_refused(tmp_path) -> None:
    config = ModelConfig("df", **TINY)
    save_model(create_model(config), config, tmp_path, training_state={})
    doc = json.loads((tmp_path / CONFIG_NAME).read_text())
    doc.pop("weights_sha256")
    (tmp_path / CONFIG_NAME).write_text(json.dumps(doc))
    (tmp_path / WEIGHTS_NAME).write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json}")
    with pytest.raises(ModelMismatchError, match="corrupt"):
        load_model(tmp_path)


def test_mismatched_architecture_refused(tmp_path) -> None:
    config = ModelConfig("df", **TINY)
    save_model(create_model(config), config, tmp_path, training_state={})
    doc = json.loads((tmp_path / CONFIG_NAME).read_text())
    doc["model"]["decoder_width"] = 16
    (tmp_path / CONFIG_NAME).write_text(json.dumps(doc))
    with pytest.raises(ModelMismatchError, match="do not fit"):
        load_model(tmp_path)


@pytest.mark.parametrize("content", ["", "{", '{"schema": "Other", "version": 1}'])
def test_bad_config_refused(tmp_path, content: str) -> None:
    (tmp_path / CONFIG_NAME).write_text(content)
    with pytest.raises(ModelMismatchError, match="config"):
        load_model(tmp_path)


def test_missing_folder_refused(tmp_path) -> None:
    with pytest.raises(ModelMismatchError, match="not a facegraft model"):
        load_model(tmp_path / "nope")


def test_check_compatible() -> None:
    from types import SimpleNamespace
    config = ModelConfig("df", **TINY)
    check_compatible(config, SimpleNamespace(size=64, face_type="full"))
    with pytest.raises(ModelMismatchError, match="64px"):
        check_compatible(config, SimpleNamespace(size=128, face_type="full"))
    with pytest.raises(ModelMismatchError, match="face-type"):
        check_compatible(config, SimpleNamespace(size=64, face_type="head"))


@pytest.mark.parametrize("bad", [dict(resolution=72), dict(resolution=32), dict(resolution=528),
                                 dict(decoder_depth=5), dict(face_type="nose"), dict(encoder_width=2)])
def test_config_validation(bad: dict) -> None:
    with pytest.raises(ValueError):
        ModelConfig("df", **bad)


def test_config_json_round_trip_and_unknown_fields() -> None:
    config = ModelConfig("liae", resolution=128, face_type="head")
    assert ModelConfig.from_json(json.loads(json.dumps(config.to_json()))) == config
    with pytest.raises(ValueError, match="unknown"):
        ModelConfig.from_json({**config.to_json(), "surprise": 1})
    with pytest.raises(ValueError, match="version"):
        ModelConfig.from_json({**config.to_json(), "version": 99})


def test_own_registry_instance() -> None:
    registry = Registry("architecture", {})
    calls = []

    @registry.register("toy")
    def build(config: ModelConfig) -> str:
        calls.append(config)
        return "built"

    assert registry.names() == ("toy",)
    assert create_model(ModelConfig("toy"), registry=registry) == "built"
    with pytest.raises(ModelMismatchError, match="unknown architecture"):
        registry.get("nope")
    with pytest.raises(ValueError, match="already registered"):
        registry.register("toy")(lambda c: c)


def test_unsupported_architecture_version_refused() -> None:
    with pytest.raises(ModelMismatchError, match="version 2"):
        create_model(ModelConfig("df", architecture_version=2, **TINY))
