"""Loss history: training/history.jsonl + history.csv, a PNG plot, and TensorBoard when installed.

On resume, rows after the resumed iteration (from a run that was not checkpointed) are dropped.
"""
import csv
import importlib.util
import io
import json
import math
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from facegraft.core.media.atomic import atomic_write_path, atomic_write_text

JSONL_NAME = "history.jsonl"
CSV_NAME = "history.csv"
PLOT_NAME = "loss.png"


class History:
    """Appends rows (dicts of numbers keyed by name, with "iteration") and rewrites the CSV and plot."""

    def __init__(self, folder: str | Path, *, resume_from: int | None, tensorboard: bool = True) -> None:
        self.folder = Path(folder)
        self.rows: list[dict[str, Any]] = []
        jsonl = self.folder / JSONL_NAME
        if resume_from is not None and jsonl.is_file():
            for line in jsonl.read_text(encoding="utf-8").splitlines():
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if isinstance(row, dict) and row.get("iteration", math.inf) <= resume_from:
                    self.rows.append(row)
        self._writer = None
        if tensorboard and importlib.util.find_spec("tensorboard") is not None:
            from torch.utils.tensorboard import SummaryWriter

            self._writer = SummaryWriter(str(self.folder / "tensorboard"))
        self._flush_jsonl()

    def _flush_jsonl(self) -> None:
        atomic_write_text(self.folder / JSONL_NAME, "".join(json.dumps(r) + "\n" for r in self.rows))

    def add(self, row: dict[str, Any]) -> None:
        self.rows.append(row)
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / JSONL_NAME, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(row) + "\n")
        if self._writer is not None:
            for key, value in row.items():
                if key != "iteration" and isinstance(value, (int, float)):
                    self._writer.add_scalar(key, value, row["iteration"])

    def write_summary(self) -> None:
        """Rewrite history.csv and loss.png from the rows so far."""
        if not self.rows:
            return
        keys = list(dict.fromkeys(k for r in self.rows for k in r))
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=keys)
        writer.writeheader()
        writer.writerows(self.rows)
        atomic_write_text(self.folder / CSV_NAME, text.getvalue())
        image = plot_losses(self.rows, keys=("loss_a", "loss_b"))
        with atomic_write_path(self.folder / PLOT_NAME) as tmp:
            cv2.imwrite(str(tmp), image)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()


def plot_losses(rows: list[dict[str, Any]], *, keys: tuple[str, ...], width: int = 640,
                height: int = 360) -> np.ndarray:
    """A log-scale line plot of `keys` against "iteration": (height, width, 3) uint8 BGR for cv2."""
    image = np.full((height, width, 3), 255, np.uint8)
    margin = 40
    its = np.array([r["iteration"] for r in rows], np.float64)
    series = {k: np.array([r.get(k, np.nan) for r in rows], np.float64) for k in keys}
    values = np.concatenate([v[np.isfinite(v) & (v > 0)] for v in series.values()] + [np.array([1.0])])
    lo, hi = np.log10(values.min()), np.log10(values.max())
    hi = hi if hi > lo else lo + 1
    x0, x1 = its.min(), max(its.max(), its.min() + 1)
    cv2.rectangle(image, (margin, margin // 2), (width - 10, height - margin), (0, 0, 0), 1)
    for k, color in zip(keys, ((200, 80, 0), (0, 80, 200), (0, 160, 0))):
        v = series[k]
        ok = np.isfinite(v) & (v > 0)
        if ok.sum() < 2:
            continue
        px = margin + (its[ok] - x0) / (x1 - x0) * (width - 10 - margin)
        py = height - margin - (np.log10(v[ok]) - lo) / (hi - lo) * (height - 1.5 * margin)
        cv2.polylines(image, [np.stack([px, py], 1).round().astype(np.int32)], False, color, 1, cv2.LINE_AA)
        cv2.putText(image, k, (width - 120, 30 + 18 * keys.index(k)), cv2.FONT_HERSHEY_SIMPLEX, 0.5, color, 1)
    cv2.putText(image, f"{10 ** hi:.3g}", (2, margin // 2 + 10), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1)
    cv2.putText(image, f"{10 ** lo:.3g}", (2, height - margin), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1)
    cv2.putText(image, f"iteration {int(x0)}..{int(x1)}", (margin, height - 12), cv2.FONT_HERSHEY_SIMPLEX, 0.45,
                (0, 0, 0), 1)
    return image
