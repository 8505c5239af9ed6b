"""The eval report folder: eval.json, report.html (the verdict and each criterion first, then the
summary table), plots.png (per-frame curves drawn with OpenCV), contact_sheet.png (plate | swap |
matte, zoomed on the face) and worst_frames.png (the frames each failing measure judged worst).

Images are 8-bit sRGB-encoded (display-referred), as the evaluation saw the frames.
"""
import html
import json
import math
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import cv2
import numpy as np

from facegraft.core.evaluate.run import Evaluation, EvalSummary
from facegraft.core.media.atomic import atomic_write_path, atomic_write_text

_COLORS = ((220, 60, 60), (60, 110, 220), (40, 160, 70), (200, 140, 20))  # RGB
_PLOT_W, _PLOT_H, _MARGIN = 640, 180, 36


def write_report(evaluation: Evaluation, folder: str | Path, *, title: str = "facegraft eval") -> Path:
    """Write the report files into `folder` (created); returns the path of report.html.

    Raises: OutputError when the folder cannot be written.
    """
    folder = Path(folder)
    atomic_write_text(folder / "eval.json", json.dumps(evaluation.to_json(), indent=1))
    if evaluation.contact:
        _write_png(folder / "contact_sheet.png", contact_sheet(evaluation.contact))
    if evaluation.worst:
        _write_png(folder / "worst_frames.png", contact_sheet([(n, row) for n, _, row in evaluation.worst]))
    _write_png(folder / "plots.png", frame_plots(evaluation))
    atomic_write_text(folder / "report.html", _html(evaluation, title))
    return folder / "report.html"


def _write_png(path: Path, rgb: np.ndarray) -> None:
    with atomic_write_path(path) as tmp:
        cv2.imwrite(str(tmp), np.ascontiguousarray(rgb[..., ::-1]))


def contact_sheet(rows: Sequence[tuple[int, np.ndarray]]) -> np.ndarray:
    """Stack contact rows (h, 3w, 3) uint8 RGB with a frame-number label: (sum h, 3w, 3) uint8 RGB."""
    out = []
    for number, row in rows:
        row = row.copy()
        cv2.putText(row, f"{number}", (6, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 0), 1, cv2.LINE_AA)
        out.append(row)
    return np.concatenate(out, axis=0)


def line_plot(x: np.ndarray, series: Sequence[tuple[str, np.ndarray]], *, title: str,
              threshold: float | None = None) -> np.ndarray:
    """A (_PLOT_H, _PLOT_W, 3) uint8 RGB chart of `series` (label, values) over frames `x` (NaN gaps)."""
    img = np.full((_PLOT_H, _PLOT_W, 3), 255, np.uint8)
    values = np.concatenate([np.asarray(v, np.float64) for _, v in series] + [np.array([threshold or 0.0, 0.0])])
    finite = values[np.isfinite(values)]
    top = float(finite.max()) * 1.1 if finite.size and finite.max() > 0 else 1.0
    x = np.asarray(x, np.float64)
    x0, x1 = (float(x.min()), float(x.max())) if x.size else (0.0, 1.0)
    span = max(x1 - x0, 1.0)

    def to_px(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        px = _MARGIN + (xs - x0) / span * (_PLOT_W - 2 * _MARGIN)
        py = _PLOT_H - _MARGIN + 10 - ys / top * (_PLOT_H - 2 * _MARGIN)
        return np.stack([px, py], axis=1)

    cv2.rectangle(img, (_MARGIN, _MARGIN - 10), (_PLOT_W - _MARGIN, _PLOT_H - _MARGIN + 10), (180, 180, 180), 1)
    cv2.putText(img, title, (_MARGIN, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.putText(img, f"{top:.3g}", (2, _MARGIN), cv2.FONT_HERSHEY_SIMPLEX, 0.35, (80, 80, 80), 1, cv2.LINE_AA)
    cv2.putText(img, f"{x0:.0f}..{x1:.0f}", (_PLOT_W - 140, _PLOT_H - 6), cv2.FONT_HERSHEY_SIMPLEX, 0.35,
                (80, 80, 80), 1, cv2.LINE_AA)
    if threshold is not None:
        y = int(round(to_px(np.array([x0]), np.array([threshold]))[0, 1]))
        cv2.line(img, (_MARGIN, y), (_PLOT_W - _MARGIN, y), (150, 150, 150), 1, cv2.LINE_4)
    for i, (label, v) in enumerate(series):
        color = _COLORS[i % len(_COLORS)]
        v = np.asarray(v, np.float64)
        ok = np.isfinite(v)
        pts = to_px(x, np.where(ok, v, 0.0))
        for a in range(len(v) - 1):
            if ok[a] and ok[a + 1]:
                cv2.line(img, _pt(pts[a]), _pt(pts[a + 1]), color, 1, cv2.LINE_AA)
        for a in np.flatnonzero(ok):
            cv2.circle(img, _pt(pts[a]), 2, color, -1, cv2.LINE_AA)
        cv2.putText(img, label, (_PLOT_W - 200 + 70 * (i % 3) - 60 * (i // 3), 18), cv2.FONT_HERSHEY_SIMPLEX, 0.4,
                    color, 1, cv2.LINE_AA)
    return img


def _pt(p: np.ndarray) -> tuple[int, int]:
    return int(round(p[0])), int(round(p[1]))


def frame_plots(evaluation: Evaluation) -> np.ndarray:
    """The per-frame charts stacked: mouth and eye opening (swap vs plate), detail, color, identity,
    landmark error, pose difference, stability."""
    rows = evaluation.per_frame
    x = np.array([r.frame for r in rows], np.float64)
    col = {k: np.array([getattr(r, k) for r in rows], np.float64) for k in
           ("dist_a", "dist_b", "landmark_error", "jitter", "flicker", "mouth_swap", "mouth_plate", "eyes_swap",
            "eyes_plate", "detail_ratio", "delta_e", "seam")}
    pose = np.array([r.pose_diff for r in rows], np.float64).reshape(-1, 3)
    charts = [
        line_plot(x, [("swap", col["mouth_swap"]), ("plate", col["mouth_plate"])],
                  title="mouth opening (inner lips / mouth width)"),
        line_plot(x, [("swap", col["eyes_swap"]), ("plate", col["eyes_plate"])], title="eye opening (aspect ratio)"),
        line_plot(x, [("ratio", col["detail_ratio"])], title="detail: swap / plate band-pass energy (1 = as sharp)",
                  threshold=1.0),
        line_plot(x, [("skin dE", col["delta_e"]), ("seam x10", col["seam"] * 10)],
                  title="skin color difference (OKLab x100) and seam ratio"),
        line_plot(x, [("to A", col["dist_a"]), ("to B", col["dist_b"])], title="identity distance (0.6 = same person)",
                  threshold=0.6),
        line_plot(x, [("error", col["landmark_error"])], title="landmark error / interocular"),
        line_plot(x, [("yaw", pose[:, 0]), ("pitch", pose[:, 1]), ("roll", pose[:, 2])],
                  title="head pose difference (degrees)"),
        line_plot(x, [("flicker", col["flicker"]), ("jitter x10", col["jitter"] * 10)],
                  title="flicker (swap / plate change, 1 = same) and landmark jitter", threshold=1.0),
    ]
    return np.concatenate(charts, axis=0)


def _fmt(v: float | None, fmt: str = ".3f") -> str:
    return "n/a" if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, fmt)


def verdict_lines(summary: EvalSummary) -> list[tuple[str, str]]:
    """("verdict", usable / not usable) then (criterion, "pass" or "FAIL: what failed")."""
    lines = [("verdict", summary.verdict)]
    for c in summary.criteria:
        lines.append((c.name, "pass" if c.passed else "FAIL: " + "; ".join(c.failures)))
    return lines


def summary_lines(summary: EvalSummary) -> list[tuple[str, str]]:
    """(name, value) pairs of the summary, formatted for people: the verdict lines first."""
    f = _fmt
    mouth, eyes = summary.mouth, summary.eyes
    lines = verdict_lines(summary) + [
        ("frames (with a face)", f"{summary.frames} ({summary.faces})"),
        ("swap shows a face (own detection)", f(100 * summary.swap_detected, ".0f") + " %"),
        ("closer to A than to B", f(100 * summary.closer_to_a, ".0f") + " %"),
        ("under 0.6 to A (same person)", f(100 * summary.under_threshold_a, ".0f") + " %"),
        ("identity distance to A / to B (median)", f"{f(summary.dist_a)} / {f(summary.dist_b)}"),
        ("mouth opening: correlation / range ratio / mean diff",
         f"{f(mouth.correlation, '.2f')} / {f(mouth.range_ratio, '.2f')} / {f(mouth.mean_abs_diff)}"
         f" (plate range {f(mouth.plate_range)})"),
        ("eye opening: correlation / range ratio / mean diff",
         f"{f(eyes.correlation, '.2f')} / {f(eyes.range_ratio, '.2f')} / {f(eyes.mean_abs_diff)}"
         f" (plate range {f(eyes.plate_range)})"),
        ("detail ratio (achievable / plate / A's faces)",
         f"{f(summary.detail_ratio, '.2f')} / {f(summary.detail_ratio_plate, '.2f')} / "
         f"{f(summary.detail_ratio_a, '.2f')}"),
        ("skin ΔE (OKLab x100) / seam ratio", f"{f(summary.delta_e, '.1f')} / {f(summary.seam, '.2f')}"),
        ("landmark error (/ interocular)", f(summary.landmark_error, ".4f")),
        ("  per region", ", ".join(f"{k} {f(v, '.3f')}" for k, v in summary.region_errors.items())),
        ("pose difference yaw/pitch/roll (deg)", " / ".join(f(v, ".1f") for v in summary.pose_diff)),
        ("landmark jitter (/ interocular per frame)", f(summary.jitter, ".4f")),
        ("flicker (swap / plate change)", f(summary.flicker, ".2f"))]
    for key, value in (summary.reconstruction or {}).items():
        lines.append((f"held-out {key.replace('_', ' ')}", f(value)))
    return lines


def _html(evaluation: Evaluation, title: str) -> str:
    summary = evaluation.summary
    usable = summary.verdict == "usable"
    criteria = "".join(
        f"<tr><th>{html.escape(c.name)}</th><td class='{'ok' if c.passed else 'bad'}'>"
        f"{'pass' if c.passed else 'FAIL'}</td><td>{'<br>'.join(html.escape(x) for x in c.checks)}</td></tr>"
        for c in summary.criteria)
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
                   for k, v in summary_lines(summary)[len(summary.criteria) + 1:])
    frames = "".join("<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in asdict(r).values()) + "</tr>"
                     for r in evaluation.per_frame)
    head = "".join(f"<th>{html.escape(k)}</th>" for k in asdict(evaluation.per_frame[0]))
    worst = ""
    if evaluation.worst:
        items = "".join(f"<li>frame {n}: {html.escape(why)}</li>" for n, why, _ in evaluation.worst)
        worst = f"<h2>Worst frames: plate | swap | matte</h2><ul>{items}</ul><img src='worst_frames.png'>"
    sheet = '<h2>Contact sheet: plate | swap | matte</h2><img src="contact_sheet.png">' if evaluation.contact else ""
    return (f"<!doctype html><meta charset='utf-8'><title>{html.escape(title)}</title>"
            "<style>body{font-family:sans-serif}td,th{padding:2px 8px;text-align:left;vertical-align:top}"
            ".ok{color:#187a2f}.bad{color:#b3261e;font-weight:bold}</style>"
            f"<h1>{html.escape(title)}</h1>"
            f"<h2 class='{'ok' if usable else 'bad'}'>Verdict: {html.escape(summary.verdict)}</h2>"
            f"<table>{criteria}</table><h2>Per-frame curves</h2><img src='plots.png'>{worst}{sheet}"
            f"<h2>Summary</h2><table>{rows}</table>"
            f"<h2>Per frame</h2><table><tr>{head}</tr>{frames}</table>\n")


def _cell(v: object) -> str:
    if isinstance(v, float):
        return "" if math.isnan(v) else f"{v:.4g}"
    if isinstance(v, (tuple, list)):
        return " / ".join(_cell(x) for x in v)
    if isinstance(v, dict):
        return ", ".join(f"{k} {_cell(x)}" for k, x in v.items())
    return str(v)
