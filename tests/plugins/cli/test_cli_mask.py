"""`facegraft mask train|matte` and the mask model in convert, end to end on the tiny synthetic world
(the segmentation's quality is tested on real clips in tests/core/masks)."""
import json
import sys
from pathlib import Path

import numpy as np

from facegraft.core.alignments.format import load_alignments
from facegraft.core.media.image_io import read_image
from facegraft.plugins.cli.main import main

sys.path.insert(0, str(Path(__file__).parent))
from tiny_world import build_world  # noqa: E402

PLATE = "plate/p.####.exr"
TRAIN = ("mask", "train", "faces_a", "-o", "mm", "--resolution", "32", "--threads", "1", "--batch", "2")


def test_train_resume_matte_and_convert(tmp_path, monkeypatch, capsys):
    build_world(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(["-q", *TRAIN, "--steps", "3", "--save-every", "2"]) == 0
    config = json.loads((tmp_path / "mm" / "config.json").read_text())
    assert config["schema"] == "FacegraftMaskModel" and config["training_state"]["step"] == 3
    assert config["model"]["resolution"] == 32 and config["model"]["face_type"] == "full"
    assert main(["-q", *TRAIN, "--steps", "3"]) == 2  # a model is there: refused without --resume
    assert "--resume" in capsys.readouterr().err
    assert main(["-q", *TRAIN, "--steps", "5", "--resume"]) == 0
    assert json.loads((tmp_path / "mm" / "config.json").read_text())["training_state"]["step"] == 5

    assert main(["-q", "mask", "matte", PLATE, "--alignments", "a.json", "--mask-model", "mm", "-o",
                 "out/m.####.exr", "--feather", "1"]) == 0
    mattes = sorted((tmp_path / "out").glob("m.*.exr"))
    assert mattes
    image = read_image(mattes[0])
    assert image.channels == ("A",) and 0 <= image.pixels.min() and image.pixels.max() <= 1
    # some face matted after 5 steps, the plate around the face not
    assert image.pixels.max() > 0.25 and np.mean(image.pixels == 0) > 0.2
    # and the matte sits on the face the alignments name: inside its landmarks' box, not beside it
    frame = int(mattes[0].name.split(".")[1])
    x0, y0, x1, y1 = load_alignments(tmp_path / "a.json").faces(frame)[0].box.astype(int)
    matte = image.pixels[..., 0]
    inside = np.zeros(matte.shape, bool)
    inside[y0:y1, x0:x1] = True
    assert matte[inside].mean() > 4 * max(matte[~inside].mean(), 1e-3)

    assert main(["-q", "convert", PLATE, "--alignments", "a.json", "--model", "model", "--mask-model", "mm",
                 "--mask", "segment", "-o", "out/s.####.exr", "--color-match", "off"]) == 0
    out = read_image(sorted((tmp_path / "out").glob("s.*.exr"))[0])
    assert "mm@5" in out.metadata["facegraft/options"]

    assert main(["node", "list"]) == 0
    assert "FaceMatte" in capsys.readouterr().out
