"""facegraft install cattery: the Cattery folder, and its TorchScript runs a crop like the core."""
import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from facegraft.core.export.exporters import host_module  # noqa: E402
from facegraft.core.models.config import ModelConfig  # noqa: E402
from facegraft.core.models.files import load_model, save_model  # noqa: E402
from facegraft.core.models.registry import create_model  # noqa: E402
from facegraft.install.cattery import CHANNELS_OUT, node_name  # noqa: E402
from facegraft.plugins.cli.main import main  # noqa: E402


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("m") / "shot10 swap"
    config = ModelConfig("df", resolution=64, encoder_width=4, bottleneck_dims=8, decoder_width=4, decoder_depth=0)
    torch.manual_seed(0)
    save_model(create_model(config), config, folder, training_state={"iteration": 5})
    return folder


def test_package_layout_and_torchscript_matches_the_core(model_dir: Path, tmp_path: Path, capsys) -> None:
    assert main(["install", "cattery", str(model_dir), "--out", str(tmp_path)]) == 0
    assert "make_cat.py" in capsys.readouterr().out
    folder = tmp_path / "Cattery" / "shot10_swap"
    assert {p.name for p in folder.iterdir()} >= {"shot10_swap.pt", "shot10_swap.pt.json", "shot10_swap.nk",
                                                   "cat.json", "make_cat.py", "README.txt"}
    info = json.loads((folder / "cat.json").read_text())
    assert info["channelsOut"] == CHANNELS_OUT and info["torch_version"] == torch.__version__
    assert info["torchScriptFile"] == "shot10_swap.pt" and info["resolution"] == 64
    script = (folder / "make_cat.py").read_text()
    compile(script, "make_cat.py", "exec")
    assert 'creator["catFile"].setValue(' in script and str(folder / "shot10_swap.cat") in script
    nk = (folder / "shot10_swap.nk").read_text()
    assert nk.startswith("Group {") and "Inference {" in nk and "shot10_swap.cat" in nk and nk.count("{") == nk.count("}")
    scripted = torch.jit.load(str(folder / "shot10_swap.pt"))
    crop = torch.from_numpy(np.random.default_rng(1).random((1, 3, 80, 80), dtype=np.float32) * 1.5)
    with torch.no_grad():
        got = scripted(crop)
        expected = host_module(load_model(model_dir))(crop)
    assert got.shape == (1, 4, 80, 80) and got.dtype == torch.float32
    assert torch.allclose(got, expected, atol=1e-5)


def test_node_names() -> None:
    assert node_name("3d face-v2") == "fg_3d_face_v2" and node_name("!!") == "facegraft_swap"


def test_missing_model_is_one_line(tmp_path: Path, capsys) -> None:
    assert main(["install", "cattery", str(tmp_path / "nope"), "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith("facegraft: error: ")
