"""The report folder from a synthetic evaluation: files, NaN as null, charts with gaps."""
import json

import cv2
import numpy as np
import pytest

from facegraft.core.evaluate.criteria import Thresholds
from facegraft.core.evaluate.report import frame_plots, line_plot, summary_lines, write_report
from facegraft.core.evaluate.run import Evaluation, FrameEval, summarise, with_verdict


def synthetic():
    rows = [FrameEval(1, True, True, dist_a=0.5, dist_b=0.7, landmark_error=0.02, region_errors={"mouth": 0.04},
                      pose_plate=(1.0, 2.0, 3.0), pose_diff=(0.5, 0.5, 0.1), mouth_plate=0.1, mouth_swap=0.12,
                      detail_ratio=0.9, delta_e=1.0),
            FrameEval(2, False),
            FrameEval(3, True, True, dist_a=0.8, dist_b=0.3, landmark_error=0.04, pose_plate=(1.0, 2.0, 3.0),
                      pose_diff=(1.5, 0.5, 0.1), mouth_plate=0.3, mouth_swap=0.05, detail_ratio=0.7, delta_e=3.0,
                      jitter=0.01, swap_change=0.02, plate_change=0.01, flicker=2.0),
            FrameEval(4, True, False)]  # a failed frame: the plate has the face, the swap shows none
    contact = ((1, np.zeros((20, 60, 3), np.uint8)), (3, np.full((20, 60, 3), 200, np.uint8)))
    worst = ((3, "mouth opening 0.05 vs plate 0.30", np.full((20, 60, 3), 90, np.uint8)),)
    return Evaluation(tuple(rows), with_verdict(summarise(rows, a_to_b=0.8), Thresholds()), contact, worst)


def test_summary_of_known_rows():
    s = synthetic().summary
    assert (s.frames, s.faces) == (4, 3)
    assert s.closer_to_a == pytest.approx(1 / 3) and s.swap_detected == pytest.approx(2 / 3)  # failed frame counts
    assert s.landmark_error == 0.03 and s.pose_diff == (1.0, 0.5, 0.1) and s.flicker == 2.0
    assert s.region_errors["mouth"] == 0.04 and np.isnan(s.region_errors["jaw"])
    assert s.detail_ratio_plate == pytest.approx(0.8) and s.delta_e == 2.0
    assert s.verdict == "not usable" and not s.criteria[0].passed


def test_write_report(tmp_path):
    html = write_report(synthetic(), tmp_path / "r", title="shot <010>")
    text = html.read_text()
    assert "shot &lt;010&gt;" in text and "contact_sheet.png" in text and "worst_frames.png" in text
    assert text.index("Verdict: not usable") < text.index("Per-frame curves") < text.index("Summary")
    assert "FAIL" in text and "closer to A than to B" in text and "frame 3: mouth opening" in text
    data = json.loads((tmp_path / "r" / "eval.json").read_text())  # strict JSON: NaN became null
    assert data["frames"][1]["dist_a"] is None and data["summary"]["faces"] == 3
    assert data["summary"]["verdict"] == "not usable"
    assert [c["name"] for c in data["summary"]["criteria"]][:1] == ["identity"]
    assert data["worst"] == [{"frame": 3, "why": "mouth opening 0.05 vs plate 0.30"}]
    sheet = cv2.imread(str(tmp_path / "r" / "contact_sheet.png"))
    assert sheet.shape == (40, 60, 3)
    plots = cv2.imread(str(tmp_path / "r" / "plots.png"))
    assert plots.shape[0] == 8 * 180
    assert summary_lines(synthetic().summary)[0] == ("verdict", "not usable")


def test_plots_survive_no_data():
    img = line_plot(np.array([]), [("x", np.array([]))], title="empty")
    assert img.dtype == np.uint8 and img.shape == (180, 640, 3)
    all_nan = Evaluation((FrameEval(1, False),), summarise([FrameEval(1, False)]))
    assert frame_plots(all_nan).shape == (8 * 180, 640, 3)
    assert dict(summary_lines(all_nan.summary))["landmark error (/ interocular)"] == "n/a"
