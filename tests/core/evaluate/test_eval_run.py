"""The eval pass on real frames: a plate against itself, a flickering 'swap', the report, bad input."""
import json

import cv2
import numpy as np
import pytest

from facegraft.core.color import ColorManager
from facegraft.core.errors import MediaError, NoFaceError
from facegraft.core.evaluate.identity import identity_of, measuring_probe
from facegraft.core.evaluate.job import evaluate_files
from facegraft.core.evaluate.run import evaluate_swap
from facegraft.core.media.source import open_source

FRAMES = range(1, 7)


@pytest.fixture(scope="module")
def probe():
    return measuring_probe()


@pytest.fixture(scope="module")
def color():
    return ColorManager()


def write_png_sequence(folder, frames, name):
    folder.mkdir(parents=True, exist_ok=True)
    for number, rgb in frames:
        pixels = (np.clip(rgb, 0, 1) * 255 + 0.5).astype(np.uint8)
        cv2.imwrite(str(folder / f"{name}.{number:04d}.png"), pixels[..., ::-1])
    return str(folder / f"{name}.####.png")


def test_plate_against_itself_scores_identity_b_with_zero_error(clips, probe, color, tmp_path):
    plate = open_source(clips / "d18.mp4")
    evaluation = evaluate_files(swapped=plate, plate=open_source(clips / "d18.mp4"), source_a=clips / "d19.mp4",
                                probe=probe, color=color, frames=FRAMES, report=tmp_path / "report")
    s = evaluation.summary
    assert (s.frames, s.faces) == (6, 6) and s.swap_detected == 1.0
    assert s.dist_b == 0.0 and s.closer_to_a == 0.0 and s.under_threshold_a == 0.0
    assert s.dist_a > 0.6 and s.a_to_b > 0.6  # d19 is another person
    assert s.landmark_error == 0.0 and s.pose_diff == (0.0, 0.0, 0.0)
    assert all(v == 0.0 for v in s.region_errors.values()) and s.mouth.mean_abs_diff == 0.0
    assert s.detail_ratio_plate == 1.0 and s.delta_e == 0.0 and s.seam == pytest.approx(1.0)
    assert s.jitter == 0.0 and s.flicker == pytest.approx(1.0)
    assert s.verdict == "not usable" and [c.name for c in s.criteria if not c.passed] == ["identity"]
    report = tmp_path / "report"
    for name in ("report.html", "eval.json", "plots.png", "contact_sheet.png"):
        assert (report / name).is_file()
    assert "closer to A than to B" in (report / "report.html").read_text()
    data = json.loads((report / "eval.json").read_text())
    assert data["summary"]["closer_to_a"] == 0.0 and len(data["frames"]) == 6
    assert data["summary"]["verdict"] == "not usable"


def test_a_swap_without_a_face_is_a_failed_frame(clips, probe, color, tmp_path):
    frames = list(open_source(clips / "d18.mp4").iter_frames(FRAMES))
    h, w = frames[0].pixels.shape[:2]
    plate = write_png_sequence(tmp_path / "plate", [(f.number, f.pixels) for f in frames], "plate")
    erased = []
    for f in frames:
        pixels = f.pixels.copy()
        pixels[h // 5: 4 * h // 5, w // 4: 3 * w // 4] = pixels[h // 5: 4 * h // 5, w // 4: 3 * w // 4].mean((0, 1))
        erased.append((f.number, pixels))
    swap = write_png_sequence(tmp_path / "swap", erased, "swap")
    s = evaluate_files(swapped=open_source(swap), plate=open_source(plate), source_a=clips / "d18.mp4",
                       probe=probe, color=color).summary
    assert s.faces == 6 and s.swap_detected == 0.0  # counted, not skipped
    failed = {c.name for c in s.criteria if not c.passed}
    assert {"identity", "expression", "detail"} <= failed and s.verdict == "not usable"


def test_flicker_inside_the_face_is_measured(clips, probe, color, tmp_path):
    frames = list(open_source(clips / "d18.mp4").iter_frames(FRAMES))
    rng = np.random.default_rng(0)
    h, w = frames[0].pixels.shape[:2]
    face = np.zeros((h, w, 1), np.float32)
    face[h // 4: 3 * h // 4, w // 4: 3 * w // 4] = 1
    plate = write_png_sequence(tmp_path / "plate", [(f.number, f.pixels) for f in frames], "plate")
    swap = write_png_sequence(tmp_path / "swap", [(f.number, f.pixels + face * rng.uniform(-0.06, 0.06, (1, 1, 3)))
                                                  for f in frames], "swap")
    evaluation = evaluate_files(swapped=open_source(swap), plate=open_source(plate), source_a=clips / "d18.mp4",
                                probe=probe, color=color)
    s = evaluation.summary
    assert s.faces == 6
    assert s.flicker > 3.0  # frame-to-frame tint changes the static plate never had
    assert s.dist_b < 0.3  # still person B
    assert s.landmark_error < 0.05


def test_identity_of_sources(clips, probe, color, tmp_path):
    video = identity_of(clips / "d19.mp4", probe=probe, color=color, samples=3)
    again = identity_of(clips / "d19.mp4", probe=probe, color=color, samples=2)
    other = identity_of(clips / "d18.mp4", probe=probe, color=color, samples=2)
    assert video.shape == (128,) and np.linalg.norm(video - again) < 0.3 < 0.6 < np.linalg.norm(video - other)
    blank = write_png_sequence(tmp_path / "blank", [(1, np.zeros((64, 64, 3), np.float32))], "blank")
    with pytest.raises(NoFaceError, match="blank"):
        identity_of(blank.replace("####", "0001"), probe=probe, color=color)


def test_sizes_must_match(clips, probe, color):
    with pytest.raises(MediaError, match="its own plate"):
        evaluate_swap(open_source(clips / "d18.mp4"), open_source(clips / "d0.mp4"), np.zeros(128),
                      probe=probe, color=color, frames=[1])
