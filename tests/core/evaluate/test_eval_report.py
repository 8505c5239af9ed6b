"""The report folder from a synthetic evaluation: files, NaN as null, charts with gaps."""
import json

import cv2
import numpy as np

from facegraft.core.evaluate.report import frame_plots, line_plot, summary_lines, write_report
from facegraft.core.evaluate.run import Evaluation, FrameEval, summarise


def synthetic():
    rows = [FrameEval(1, True, 0.5, 0.7, 0.02, (1.0, 2.0, 3.0), (0.5, 0.5, 0.1), True),
            FrameEval(2, False),
            FrameEval(3, True, 0.8, 0.3, 0.04, (1.0, 2.0, 3.0), (1.5, 0.5, 0.1), True, 0.01, 0.02, 0.01, 2.0)]
    contact = ((1, np.zeros((20, 60, 3), np.uint8)), (3, np.full((20, 60, 3), 200, np.uint8)))
    return Evaluation(tuple(rows), summarise(rows), contact)


def test_summary_of_known_rows():
    s = synthetic().summary
    assert (s.frames, s.faces) == (3, 2)
    assert s.closer_to_a == 0.5 and s.under_threshold_a == 0.5
    assert s.landmark_error == 0.03 and s.pose_diff == (1.0, 0.5, 0.1) and s.flicker == 2.0


def test_write_report(tmp_path):
    html = write_report(synthetic(), tmp_path / "r", title="shot <010>")
    text = html.read_text()
    assert "shot &lt;010&gt;" in text and "contact_sheet.png" in text and "50 %" in text
    data = json.loads((tmp_path / "r" / "eval.json").read_text())  # strict JSON: NaN became null
    assert data["frames"][1]["dist_a"] is None and data["summary"]["faces"] == 2
    sheet = cv2.imread(str(tmp_path / "r" / "contact_sheet.png"))
    assert sheet.shape == (40, 60, 3)
    plots = cv2.imread(str(tmp_path / "r" / "plots.png"))
    assert plots.shape[0] == 4 * 180


def test_plots_survive_no_data():
    img = line_plot(np.array([]), [("x", np.array([]))], title="empty")
    assert img.dtype == np.uint8 and img.shape == (180, 640, 3)
    all_nan = Evaluation((FrameEval(1, False),), summarise([FrameEval(1, False)]))
    assert frame_plots(all_nan).shape == (720, 640, 3)
    assert dict(summary_lines(all_nan.summary))["landmark error (/ interocular)"] == "n/a"
