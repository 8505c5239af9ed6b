"""`facegraft train` and `facegraft export` verbs: arguments → settings → library."""
import argparse
import json
import sys
from pathlib import Path

import pytest
import torch

from facegraft.core.errors import OutputError
from facegraft.core.models.files import load_model
from facegraft.core.train.errors import TrainingError
from facegraft.plugins.cli import export as export_verb
from facegraft.plugins.cli import pretrain as pretrain_verb
from facegraft.plugins.cli import train as train_verb

sys.path.insert(0, str(Path(__file__).parents[2] / "core" / "train"))
from faceset_builder import build_faceset  # noqa: E402


@pytest.fixture(scope="module")
def facesets(clips: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("cli_facesets")
    build_faceset(clips / "d18.mp4", root / "a", count=14, step=5)
    build_faceset(clips / "d0.mp4", root / "b", count=14, step=5)
    return root / "a", root / "b"


def _parse(module, argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("-q", "--quiet", action="store_true")
    module.register(parser.add_subparsers())
    return parser.parse_args(argv)


def _train(facesets, out: Path, *extra: str) -> int:
    a, b = facesets
    args = _parse(train_verb, ["-q", "train", "--a", str(a), "--b", str(b), "-o", str(out), *extra])
    return args.func(args)


def test_preset_quick_then_resume(facesets, tmp_path) -> None:
    assert _train(facesets, tmp_path, "--preset", "quick", "--iterations", "2", "--batch", "4") == 0
    model = load_model(tmp_path)
    assert (model.config.architecture, model.config.resolution, model.config.encoder_width) == ("df", 64, 32)
    assert model.training_state["iteration"] == 2
    assert _train(facesets, tmp_path, "--preset", "quick", "--iterations", "3", "--batch", "4", "--resume") == 0
    assert load_model(tmp_path).training_state["iteration"] == 3
    with pytest.raises(TrainingError, match="architecture"):
        _train(facesets, tmp_path, "--preset", "quick", "--iterations", "4", "--resume", "--layout", "liae")


def test_explicit_options(facesets, tmp_path) -> None:
    assert _train(facesets, tmp_path, "--layout", "liae", "--encoder-width", "8", "--decoder-width", "8",
                  "--bottleneck-dims", "32", "--decoder-depth", "0", "--iterations", "1", "--batch", "2",
                  "--seed", "3", "--workers", "0") == 0
    config = load_model(tmp_path).config
    assert (config.architecture, config.encoder_width, config.decoder_depth) == ("liae", 8, 0)


def test_gan_flags_turn_the_term_on(facesets, tmp_path) -> None:
    """--gan-weight/--gan-from reach the settings (off by default, also in the quick preset), and a
    run with them writes the discriminator beside the optimizer, never into the model."""
    base = ["--a", "x", "--b", "y", "-o", str(tmp_path / "m"), "--iterations", "4"]
    _, off = train_verb.build_settings(_parse(train_verb, ["train", *base, "--preset", "quick"]), face_type="full",
                                       size=64)
    assert not off.gan.enabled
    _, on = train_verb.build_settings(_parse(train_verb, ["train", *base, "--gan-weight", "0.1", "--gan-from", "0.5"]),
                                      face_type="full", size=64)
    assert (on.gan.weight, on.gan.start) == (0.1, 0.5)
    assert _train(facesets, tmp_path / "m", "--encoder-width", "8", "--decoder-width", "8", "--bottleneck-dims", "32",
                  "--decoder-depth", "0", "--iterations", "4", "--batch", "2", "--gan-weight", "0.1",
                  "--gan-from", "0.5") == 0
    state = json.loads((tmp_path / "m" / "training" / "state.json").read_text())
    assert state["phase"] == {"gan_from": 2} and "discriminator_sha256" in state
    assert load_model(tmp_path / "m").training_state["iteration"] == 4


def test_cpu_bf16_flag_reaches_the_settings(tmp_path) -> None:
    base = ["--a", "x", "--b", "y", "-o", str(tmp_path / "m"), "--iterations", "4", "--preset", "quick"]
    _, off = train_verb.build_settings(_parse(train_verb, ["train", *base]), face_type="full", size=64)
    _, on = train_verb.build_settings(_parse(train_verb, ["train", *base, "--cpu-bf16"]), face_type="full", size=64)
    assert not off.cpu_bf16 and on.cpu_bf16 and on.mixed_precision


def test_expression_flag_reaches_the_model_options(tmp_path) -> None:
    base = ["--a", "x", "--b", "y", "-o", str(tmp_path / "m"), "--iterations", "4"]

    def model(*extra: str):
        return train_verb.build_settings(_parse(train_verb, ["train", *base, *extra]), face_type="full", size=64)[0]

    assert model("--expression").expression and not model("--no-expression").expression
    assert model("--preset", "quick").expression and model("--preset", "quick", "--layout", "liae").expression
    assert not model("--preset", "quick", "--no-expression").expression
    assert not model("--preset", "quick", "--layout", "original").expression  # the peer has none
    assert not model("--layout", "liae").expression  # off unless a preset or the flag says so


def test_needs_a_stop_condition_and_valid_options(facesets, tmp_path) -> None:
    with pytest.raises(TrainingError, match="--iterations"):
        _train(facesets, tmp_path)
    with pytest.raises(TrainingError, match="resolution"):
        _train(facesets, tmp_path, "--resolution", "70", "--iterations", "1")
    with pytest.raises(SystemExit):  # argparse refuses it (facegraft.plugins.cli.arg_types)
        _train(facesets, tmp_path, "--batch", "0", "--iterations", "1")


def test_pretrain_then_train_from_the_base(facesets, tmp_path) -> None:
    a, b = facesets
    args = _parse(pretrain_verb, ["-q", "pretrain", str(a), str(b), "-o", str(tmp_path / "base"), "--iterations", "2"])
    assert args.func(args) == 0
    base = load_model(tmp_path / "base")
    assert base.training_state["iteration"] == 2 and len(base.training_state["pretrain_facesets"]) == 2
    assert _train(facesets, tmp_path / "pair", "--from", str(tmp_path / "base"), "--iterations", "1", "--batch", "2") == 0
    pair = load_model(tmp_path / "pair")
    assert pair.config == base.config and pair.training_state["base"] == str(tmp_path / "base")
    with pytest.raises(TrainingError, match="architecture"):
        _train(facesets, tmp_path / "other", "--from", str(tmp_path / "base"), "--layout", "liae", "--iterations", "1")
    args = _parse(pretrain_verb, ["-q", "pretrain", str(a), "-o", str(tmp_path / "one"), "--iterations", "1"])
    with pytest.raises(TrainingError, match="at least two"):
        args.func(args)


def test_export_verb(facesets, tmp_path) -> None:
    _train(facesets, tmp_path / "m", "--encoder-width", "8", "--decoder-width", "8", "--bottleneck-dims", "32",
           "--iterations", "1", "--batch", "2")
    args = _parse(export_verb, ["-q", "export", str(tmp_path / "m"), "-o", str(tmp_path / "swap.pt")])
    assert args.func(args) == 0
    scripted = torch.jit.load(str(tmp_path / "swap.pt"))
    assert scripted(torch.rand(1, 3, 64, 64)).shape == (1, 4, 64, 64)
    args = _parse(export_verb, ["export", str(tmp_path / "m"), "-o", str(tmp_path / "swap.zip")])
    with pytest.raises(OutputError, match=".pt"):
        args.func(args)


def test_verbs_and_architecture_list_import_no_torch() -> None:
    import subprocess
    code = ("import sys; import facegraft.plugins.cli.train, facegraft.plugins.cli.export; "
            "from facegraft.core.models.registry import list_architectures; assert list_architectures(); "
            "sys.exit(1 if 'torch' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
