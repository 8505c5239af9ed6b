"""Segmentation model folders and the `SegmentMasker` that runs them on aligned crops.

A mask model folder follows the swap models' layout (core/models/files.py): `model.safetensors`
(weights) + `config.json` {"schema": "FacegraftMaskModel", "version": 1, "model": {"resolution":
R, "channels": [...], "face_type": ..., "color_encoding": ...}, "training_state": {...},
"weights_sha256": hex, "torch_version": str}. `optimizer.safetensors` (+ its checksum in
training_state) holds the optimizer state for `mask train --resume`. Nothing loaded runs code.
"""
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch

from facegraft.core.color import SRGB_ENCODED
from facegraft.core.errors import ModelMismatchError
from facegraft.core.masks.landmark import landmark_mask
from facegraft.core.masks.unet import DEFAULT_CHANNELS, SegmentUNet
from facegraft.core.media.atomic import atomic_write_text
from facegraft.core.models.files import load_state_strict
from facegraft.core.models.tensor_files import read_tensors, write_tensors

SCHEMA = "FacegraftMaskModel"
VERSION = 1
WEIGHTS_NAME = "model.safetensors"
OPTIMIZER_NAME = "optimizer.safetensors"
CONFIG_NAME = "config.json"


@dataclass(frozen=True)
class SegmentConfig:
    """resolution: the network's working side R (crops are resized to it). channels: U-Net widths.
    face_type: the framing of the crops it was trained on. color_encoding: the crops' encoding.
    forehead: the brow raise of the landmark hull given as the prior (see `landmark_mask`)."""

    resolution: int = 128
    channels: tuple[int, ...] = DEFAULT_CHANNELS
    face_type: str = "full"
    color_encoding: str = SRGB_ENCODED
    forehead: float = 0.4

    def __post_init__(self) -> None:
        multiple = 2 ** (len(self.channels) - 1)
        if self.resolution < multiple or self.resolution % multiple:
            raise ValueError(f"resolution must be a positive multiple of {multiple}, got {self.resolution}")

    def to_json(self) -> dict[str, Any]:
        return {"resolution": self.resolution, "channels": list(self.channels), "face_type": self.face_type,
                "color_encoding": self.color_encoding, "forehead": self.forehead}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "SegmentConfig":
        return cls(int(d["resolution"]), tuple(int(c) for c in d["channels"]), str(d["face_type"]),
                   str(d["color_encoding"]), float(d["forehead"]))


def save_mask_model(network: SegmentUNet, config: SegmentConfig, folder: str | Path, *,
                    training_state: dict[str, Any], optimizer: torch.optim.Optimizer | None = None) -> Path:
    """Write weights (then optimizer state), then config.json naming their checksums; return the folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    state = dict(training_state)
    if optimizer is not None:
        state["optimizer_sha256"] = write_tensors(folder / OPTIMIZER_NAME, _optimizer_tensors(optimizer))
    sha = write_tensors(folder / WEIGHTS_NAME, network.state_dict())
    document = {"schema": SCHEMA, "version": VERSION, "model": config.to_json(), "training_state": state,
                "weights_sha256": sha, "torch_version": torch.__version__}
    atomic_write_text(folder / CONFIG_NAME, json.dumps(document, indent=1))
    return folder


def _optimizer_tensors(optimizer: torch.optim.Optimizer) -> dict[str, torch.Tensor]:
    out = {}
    for index, values in optimizer.state_dict()["state"].items():
        for key, value in values.items():
            out[f"{index}.{key}"] = value if torch.is_tensor(value) else torch.tensor(value)
    return out


def load_optimizer_state(optimizer: torch.optim.Optimizer, folder: str | Path, sha256: str | None) -> None:
    """Restore what `save_mask_model` wrote for `optimizer` (same parameter order)."""
    tensors = read_tensors(Path(folder) / OPTIMIZER_NAME, sha256=sha256, what="mask model optimizer state")
    state: dict[int, dict[str, torch.Tensor]] = {}
    for name, value in tensors.items():
        index, _, key = name.partition(".")
        state.setdefault(int(index), {})[key] = value
    document = optimizer.state_dict()
    document["state"] = state
    optimizer.load_state_dict(document)


@dataclass(frozen=True)
class MaskModel:
    """A mask model read from a folder; `network` is in eval mode on `device`."""

    path: Path
    config: SegmentConfig
    network: SegmentUNet
    training_state: dict[str, Any] = field(default_factory=dict)

    @property
    def model_id(self) -> str:
        return f"{self.path.name}@{self.training_state.get('step', 0)}"


def read_mask_document(folder: str | Path) -> dict[str, Any]:
    """config.json of a mask model folder. Raises ModelMismatchError naming the folder."""
    path = Path(folder) / CONFIG_NAME
    if not path.is_file():
        raise ModelMismatchError(f"{folder}: not a mask model (no {CONFIG_NAME}); make one with facegraft mask train")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelMismatchError(f"{path}: corrupt mask model config ({exc}); train it again") from exc
    if not isinstance(document, dict) or document.get("schema") != SCHEMA or document.get("version") != VERSION:
        raise ModelMismatchError(f"{folder}: not a {SCHEMA} v{VERSION} folder (a swap model? pass the folder "
                                 "facegraft mask train wrote)")
    return document


def load_mask_model(folder: str | Path, *, device: str | torch.device = "cpu") -> MaskModel:
    """Read a mask model folder. Raises ModelMismatchError (missing, corrupt, not a mask model)."""
    folder = Path(folder)
    document = read_mask_document(folder)
    try:
        config = SegmentConfig.from_json(document["model"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelMismatchError(f"{folder / CONFIG_NAME}: corrupt mask model config ({exc!r}); train it again") from exc
    network = SegmentUNet(config.channels)
    tensors = read_tensors(folder / WEIGHTS_NAME, sha256=document.get("weights_sha256"), what="mask model weights")
    load_state_strict(network, tensors, where=folder)
    network.to(device).eval()
    return MaskModel(folder, config, network, dict(document.get("training_state") or {}))


def check_mask_face_type(model: MaskModel, face_type: str, *, where: str) -> None:
    """Raise ModelMismatchError when `model` was trained on another face framing than `where` holds."""
    if model.config.face_type != face_type:
        raise ModelMismatchError(f"mask model {model.path} was trained on {model.config.face_type!r} faces, {where} "
                                 f"holds {face_type!r}; train a mask model on faces extracted with --face-type "
                                 f"{face_type}")


def predict_masks(network: SegmentUNet, crops: np.ndarray, priors: np.ndarray, *, resolution: int,
                  batch: int = 32) -> np.ndarray:
    """Visible-face probability of aligned crops.

    Args:
        crops: (N, S, S, 3) float32, sRGB-encoded [0, 1]. priors: (N, S, S) float32 [0, 1], each
            face's landmark hull (`hull_priors`). resolution: the network's side R.
    Returns: (N, S, S) float32 in [0, 1] (resized back to S).
    """
    crops = np.asarray(crops, np.float32)
    priors = np.asarray(priors, np.float32)
    if crops.ndim != 4 or crops.shape[3] != 3 or crops.shape[1] != crops.shape[2] or priors.shape != crops.shape[:3]:
        raise ValueError(f"crops must be (N, S, S, 3) and priors (N, S, S), got {crops.shape} and {priors.shape}")
    n, size = crops.shape[0], crops.shape[1]
    if n == 0:
        return np.zeros((0, size, size), np.float32)
    stacked = np.concatenate([crops, priors[..., None]], axis=3)
    if size != resolution:
        stacked = np.stack([cv2.resize(c, (resolution, resolution), interpolation=cv2.INTER_AREA) for c in stacked])
    device = next(network.parameters()).device
    out = []
    with torch.inference_mode():
        for start in range(0, n, batch):
            x = torch.from_numpy(np.ascontiguousarray(stacked[start:start + batch].transpose(0, 3, 1, 2))).to(device)
            out.append(torch.sigmoid(network(x))[:, 0].float().cpu().numpy())
    probs = np.concatenate(out)
    if size != resolution:
        probs = np.stack([cv2.resize(p, (size, size), interpolation=cv2.INTER_LINEAR) for p in probs])
    return np.clip(probs, 0.0, 1.0).astype(np.float32)


def hull_priors(landmarks_crop: np.ndarray, *, size: int, forehead: float) -> np.ndarray:
    """(N, 68, 2) crop-pixel landmarks → (N, S, S) float32 landmark hulls (the network's prior)."""
    return np.stack([landmark_mask(p, size=size, forehead=forehead) for p in np.asarray(landmarks_crop)]) \
        if len(landmarks_crop) else np.zeros((0, size, size), np.float32)


def snap_matte(probability: np.ndarray, *, low: float = 0.1, high: float = 0.9) -> np.ndarray:
    """Probabilities → a matte that is exactly 0 below `low` and exactly 1 above `high` (linear
    between; 0.5 stays 0.5), so pixels the network is sure about are left bit-identical or fully
    replaced, never touched by a few percent. (N, S, S) or (S, S) float32 in [0, 1]."""
    return np.clip((probability - low) / (high - low), 0.0, 1.0).astype(np.float32)


@dataclass(frozen=True)
class SegmentMasker:
    """`Masker` that runs a mask model on the crop's pixels, with the landmark hull as its prior;
    returns `snap_matte` of the network's probabilities."""

    model: MaskModel
    name: str = "segment"

    def __call__(self, crop: np.ndarray, landmarks_crop: np.ndarray) -> np.ndarray:
        """crop (S, S, 3) float32 sRGB-encoded [0, 1]; landmarks_crop (68, 2) crop px → (S, S) float32 [0, 1]."""
        return self.many(crop[None], np.asarray(landmarks_crop)[None])[0]

    def many(self, crops: np.ndarray, landmarks_crop: np.ndarray) -> np.ndarray:
        """(N, S, S, 3) crops, (N, 68, 2) crop-pixel landmarks → (N, S, S) float32 (batched network passes)."""
        config = self.model.config
        priors = hull_priors(landmarks_crop, size=crops.shape[1], forehead=config.forehead)
        return snap_matte(predict_masks(self.model.network, crops, priors, resolution=config.resolution))
