"""The Convert node (a sequence node) through `facegraft node run`, with a tiny untrained model."""
from pathlib import Path

import numpy as np
import pytest

from facegraft.core.media.image_io import new_image, read_image, write_image

torch = pytest.importorskip("torch")
from facegraft.core.align.geometry import FaceCrop  # noqa: E402
from facegraft.core.align.mean_face import MEAN_FACE_68  # noqa: E402
from facegraft.core.alignments.format import Alignments, AlignmentsHeader, FaceAlignment, save_alignments  # noqa: E402
from facegraft.core.models.config import ModelConfig  # noqa: E402
from facegraft.core.models.files import save_model  # noqa: E402
from facegraft.core.models.registry import create_model  # noqa: E402
from facegraft.plugins.cli.main import main  # noqa: E402

SIZE, FRAMES = 160, (1001, 1002)


def make_inputs(tmp: Path) -> tuple[str, Path, Path]:
    rng = np.random.default_rng(0)
    for n in FRAMES:
        pixels = (0.1 + 0.3 * rng.random((SIZE, SIZE, 3))).astype(np.float32)
        write_image(tmp / f"plate.{n}.exr", new_image(pixels, ("R", "G", "B")))
    header = AlignmentsHeader(source="plate", width=SIZE, height=SIZE, detector="test", landmarks="test",
                              identity="test", face_type="full", size=64)
    faces = {}
    for n in FRAMES:
        pts = np.asarray(MEAN_FACE_68) * 60 + 50 + (n - 1001)
        crop = FaceCrop.from_landmarks(pts, size=64, face_type="full")
        faces[n] = (FaceAlignment(0, np.array([*pts.min(0), *pts.max(0)]), 1.0, True, pts, pts, crop.frame_to_crop,
                                  np.zeros(128)),)
    save_alignments(Alignments(header, faces), tmp / "plate.fgal")
    config = ModelConfig("df", resolution=64, encoder_width=4, bottleneck_dims=8, decoder_width=4, decoder_depth=0)
    torch.manual_seed(0)
    save_model(create_model(config), config, tmp / "model", training_state={})
    return str(tmp / "plate.####.exr"), tmp / "plate.fgal", tmp / "model"


def test_convert_node_runs_the_core_convert(tmp_path: Path, capsys) -> None:
    plate, alignments, model = make_inputs(tmp_path)
    out = tmp_path / "out" / "swap.####.exr"
    code = main(["node", "run", "Convert", "--input", f"plate={plate}", "--output", str(out),
                 "--set", f"model={model}", "--set", f"alignments={alignments}", "--set", "color_match=off",
                 "--set", "batch=2", "--progress", "lines"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "facegraft-progress 2 2 1002" in captured.out
    for n in FRAMES:
        src = read_image(tmp_path / f"plate.{n}.exr")
        res = read_image(tmp_path / "out" / f"swap.{n}.exr")
        matte = res.select(["matte.A"]).pixels[..., 0]
        rgb = res.select(["R", "G", "B"]).pixels
        assert (matte > 0).any() and (matte == 0).any()
        assert np.array_equal(rgb[matte == 0], src.pixels[matte == 0])


def test_convert_node_requires_model_and_alignments(tmp_path: Path, capsys) -> None:
    plate, _, _ = make_inputs(tmp_path)
    code = main(["node", "run", "Convert", "--input", plate, "--output", str(tmp_path / "o.####.exr")])
    err = capsys.readouterr().err
    assert code == 2 and "'model' is required" in err and "--set model=" in err
