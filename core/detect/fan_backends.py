"""face-alignment backends, used only when their weights are already on disk (no download).

- `FanLandmarks`: the 2D FAN (4 stacked hourglasses) of face-alignment; weights
  `2DFAN4-11f355bf06.pth.tar` (a state dict) in the checkpoint folder.
- `SfdDetector`: face-alignment's S3FD detector; weights `s3fd-619a316812.pth`.
The checkpoint folder is `model_dir`, else `$TORCH_HOME/hub/checkpoints` (see `model_files`).
FAN crops follow face-alignment: center the box, move it up 12 % of its height, side
200 * (w + h) / 195 px, resample to 256 px; heatmaps are 64 px (4 crop px per heatmap px).
"""
import pickle
from dataclasses import dataclass, field
from typing import Any
from pathlib import Path

import cv2
import numpy as np

from facegraft.core.detect.model_files import torch_checkpoint
from facegraft.core.detect.types import Detection
from facegraft.core.errors import ModelMismatchError

FAN_2D_FILE = "2DFAN4-11f355bf06.pth.tar"
FAN_2D_URL = "https://www.adrianbulat.com/downloads/python-fan/2DFAN4-11f355bf06.pth.tar"
S3FD_FILE = "s3fd-619a316812.pth"
S3FD_URL = "https://www.adrianbulat.com/downloads/python-fan/s3fd-619a316812.pth"
FAN_INPUT = 256
FAN_HEATMAP = 64


def fan_crop_matrix(box: np.ndarray) -> np.ndarray:
    """frame → FAN input (256 px) matrix for a detector box, (2, 3) float64 (our pixel convention)."""
    x0, y0, x1, y1 = np.asarray(box, np.float64)
    center = np.array([(x0 + x1) / 2, (y0 + y1) / 2 - 0.12 * (y1 - y0)])
    side = 200.0 * ((x1 - x0) + (y1 - y0)) / 195.0
    s = FAN_INPUT / side
    return np.array([[s, 0.0, FAN_INPUT / 2 - s * center[0]], [0.0, s, FAN_INPUT / 2 - s * center[1]]])


def heatmap_peaks(heatmaps: np.ndarray) -> np.ndarray:
    """(N, 68, 64, 64) heatmaps → (N, 68, 2) peak positions in heatmap px (our convention), with
    face-alignment's quarter-pixel shift towards the larger neighbour."""
    n, k, h, w = heatmaps.shape
    flat = heatmaps.reshape(n, k, h * w).argmax(-1)
    ys, xs = np.divmod(flat, w)
    peaks = np.stack([xs, ys], -1).astype(np.float64)
    for i in range(n):
        for j in range(k):
            x, y = xs[i, j], ys[i, j]
            if 0 < x < w - 1 and 0 < y < h - 1:
                hm = heatmaps[i, j]
                peaks[i, j] += 0.25 * np.sign([hm[y, x + 1] - hm[y, x - 1], hm[y + 1, x] - hm[y - 1, x]])
    return peaks + 0.5


@dataclass
class FanLandmarks:
    """face-alignment's 2D FAN on CPU or `device`. Raises ModelMismatchError when weights are absent."""

    model_dir: Path | None = None
    device: str = "cpu"
    name: str = "fan2d"
    _net: Any = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        import torch
        from face_alignment.models import FAN

        path = torch_checkpoint(FAN_2D_FILE, model_dir=self.model_dir, what="face-alignment 2D FAN", url=FAN_2D_URL)
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
            net = FAN(4)
            net.load_state_dict(state)
        except (RuntimeError, KeyError, TypeError, EOFError, OSError, pickle.UnpicklingError) as exc:  # bad files
            raise ModelMismatchError(f"{path}: not a face-alignment 2DFAN-4 state dict ({str(exc)[:120]}); "
                                     "download it again") from exc
        self._net = net.to(self.device).eval()

    def __call__(self, image: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        import torch

        boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
        if len(boxes) == 0:
            return np.empty((0, 68, 2))
        matrices = [fan_crop_matrix(b) for b in boxes]
        crops = []
        for m in matrices:
            cv = m.copy()
            cv[:, 2] += m[:, :2] @ np.array([0.5, 0.5]) - 0.5
            crops.append(cv2.warpAffine(image, cv, (FAN_INPUT, FAN_INPUT), flags=cv2.INTER_LINEAR))
        batch = torch.from_numpy(np.stack(crops).astype(np.float32) / 255.0).permute(0, 3, 1, 2).to(self.device)
        with torch.no_grad():
            out = self._net(batch)
        heatmaps = (out[-1] if isinstance(out, (list, tuple)) else out).float().cpu().numpy()
        peaks = heatmap_peaks(heatmaps) * (FAN_INPUT / FAN_HEATMAP)
        result = np.empty((len(boxes), 68, 2))
        for i, m in enumerate(matrices):
            full = np.vstack([m, [0, 0, 1]])
            inv = np.linalg.inv(full)[:2]
            result[i] = peaks[i] @ inv[:, :2].T + inv[:, 2]
        return result


@dataclass
class SfdDetector:
    """face-alignment's S3FD detector. Raises ModelMismatchError when weights are absent."""

    model_dir: Path | None = None
    device: str = "cpu"
    threshold: float = 0.5
    name: str = "sfd"
    _model: Any = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        path = torch_checkpoint(S3FD_FILE, model_dir=self.model_dir, what="face-alignment S3FD detector", url=S3FD_URL)
        from face_alignment.detection.sfd.sfd_detector import SFDDetector

        self._model = SFDDetector(self.device, path_to_detector=str(path), filter_threshold=self.threshold)

    def __call__(self, image: np.ndarray) -> list[Detection]:
        found = self._model.detect_from_image(image.copy())
        dets = [Detection((float(b[0]), float(b[1]), float(b[2]), float(b[3])), float(b[4])) for b in found]
        return sorted(dets, key=lambda d: -d.score)
