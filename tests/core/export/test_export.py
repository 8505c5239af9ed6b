"""Exports match the eager model numerically; the host module keeps its contract."""
import json

import numpy as np
import pytest
import torch

from facegraft.core.export.exporters import export_onnx, export_torchscript, host_module
from facegraft.core.models.encoding import srgb_eotf, srgb_oetf
from facegraft.core.models.config import ModelConfig
from facegraft.core.models.files import load_model, save_model
from facegraft.core.models.registry import create_model, list_architectures


@pytest.fixture(params=list_architectures())
def model(request: pytest.FixtureRequest, tmp_path):
    torch.manual_seed(0)
    config = ModelConfig(request.param, encoder_width=8, bottleneck_dims=32, decoder_width=8, decoder_depth=1)
    save_model(create_model(config), config, tmp_path / "model", training_state={"iteration": 5})
    return load_model(tmp_path / "model")


def test_transfer_functions_round_trip_and_known_values() -> None:
    x = torch.linspace(0, 1, 257, dtype=torch.float64)
    assert torch.allclose(srgb_eotf(srgb_oetf(x)), x, atol=1e-12)
    assert float(srgb_oetf(torch.tensor(0.18, dtype=torch.float64))) == pytest.approx(0.461356, abs=1e-5)


def test_host_module_matches_swap(model) -> None:
    linear = torch.rand(1, 3, 64, 64) * 1.2
    expected_faces, expected_masks = model.swap(srgb_oetf(linear).clamp(0, 1))
    with torch.no_grad():
        out = host_module(model)(torch.cat([linear, torch.ones(1, 1, 64, 64)], 1))
    assert out.shape == (1, 4, 64, 64)
    assert torch.allclose(out[:, :3], srgb_eotf(expected_faces), atol=1e-6)
    assert torch.allclose(out[:, 3:], expected_masks, atol=1e-6)


def test_torchscript_matches_eager(model, tmp_path) -> None:
    path = export_torchscript(model, tmp_path / "swap.pt")
    scripted = torch.jit.load(str(path))
    eager = host_module(model)
    with torch.no_grad():
        for shape in ((1, 3, 64, 64), (1, 4, 64, 64), (1, 3, 90, 120)):
            x = torch.rand(shape) * 1.5 - 0.1
            got, want = scripted(x), eager(x)
            assert got.shape == (1, 4, *shape[2:]) and torch.allclose(got, want, atol=1e-6)
        x = torch.rand(1, 3, 64, 64, dtype=torch.float64)
        assert scripted(x).dtype == torch.float64  # output follows the input dtype
        doubled = scripted.double()(x)
        assert doubled.dtype == torch.float64 and torch.allclose(doubled, eager(x.float()).double(), atol=1e-5)
    sidecar = json.loads((tmp_path / "swap.pt.json").read_text())
    assert sidecar["torch_version"] == torch.__version__ and sidecar["iteration"] == 5


def test_torchscript_follows_input_device(model, tmp_path, device) -> None:
    scripted = torch.jit.load(str(export_torchscript(model, tmp_path / "swap.pt"))).to(device)
    x = torch.rand(1, 3, 64, 64, device=device)
    with torch.no_grad():
        assert scripted(x).device == x.device


def test_onnx_matches_eager(model, tmp_path) -> None:
    ort = pytest.importorskip("onnxruntime")
    path = export_onnx(model, tmp_path / "swap.onnx")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = torch.rand(1, 3, 64, 64) * 1.5
    got = session.run(None, {"rgb_linear": x.numpy()})[0]
    with torch.no_grad():
        want = host_module(model)(x).numpy()
    assert got.shape == (1, 4, 64, 64) and np.allclose(got, want, atol=1e-5)
