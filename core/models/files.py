"""Model folders: `model.safetensors` (weights) + `config.json` (architecture, crops, training state).

config.json: {"schema": "FacegraftModel", "version": 1, "model": ModelConfig JSON,
"training_state": {...} (JSON only), "weights_sha256": hex, "torch_version": str}.
The weights are written first, then the JSON (each atomically); the JSON names the weights'
checksum, so a folder caught between the two writes is refused, never half-loaded.
Nothing loaded executes code: no pickle anywhere.
"""
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from facegraft.core.device import torch_device
from facegraft.core.errors import ModelMismatchError
from facegraft.core.media.atomic import atomic_write_text
from facegraft.core.models.config import ModelConfig
from facegraft.core.models.network import SwapNetwork
from facegraft.core.models.registry import create_model
from facegraft.core.models.tensor_files import read_tensors, write_tensors

SCHEMA = "FacegraftModel"
VERSION = 1
WEIGHTS_NAME = "model.safetensors"
CONFIG_NAME = "config.json"


def save_model(model: SwapNetwork, config: ModelConfig, path_dir: str | Path, *,
               training_state: dict[str, Any]) -> Path:
    """Write `model`'s weights and `config` into `path_dir` (created if needed); return the folder.

    Args: training_state: JSON-serialisable summary (iteration, losses, face sets, ...).
    Raises: OutputError if the folder cannot be written; TypeError if `training_state` is not JSON.
    """
    folder = Path(path_dir)
    sha = write_tensors(folder / WEIGHTS_NAME, model.state_dict())
    document = {"schema": SCHEMA, "version": VERSION, "model": config.to_json(),
                "training_state": training_state, "weights_sha256": sha, "torch_version": torch.__version__}
    atomic_write_text(folder / CONFIG_NAME, json.dumps(document, indent=1))
    return folder


@dataclass(frozen=True)
class LoadedModel:
    """A model read from a folder: `network` is in eval mode on `device`."""

    path: Path
    config: ModelConfig
    network: SwapNetwork
    training_state: dict[str, Any] = field(default_factory=dict)

    def swap(self, crops: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Decoder A on the code of B faces.

        Args: crops: (B, 3, S, S) float32 in the model's crop encoding (sRGB-encoded, [0, 1]), S =
            `config.resolution`, on the network's device.
        Returns: faces (B, 3, S, S) in the crop encoding and masks (B, 1, S, S), both in [0, 1].
        Raises: ValueError for a wrong shape or dtype.
        """
        s = self.config.resolution
        if crops.ndim != 4 or tuple(crops.shape[1:]) != (3, s, s):
            raise ValueError(f"crops must have shape (B, 3, {s}, {s}), got {tuple(crops.shape)}")
        if crops.dtype != torch.float32:
            raise ValueError(f"crops must be float32, got {crops.dtype}")
        with torch.inference_mode():
            return self.network.swap(crops)

    def check_compatible(self, crops: Any) -> None:
        """Check a face set or alignment info (attributes `size`, `face_type`, optional `color_encoding`).

        Raises: ModelMismatchError naming the model folder and the difference.
        """
        check_compatible(self.config, crops, model_path=self.path)


def check_compatible(config: ModelConfig, crops: Any, *, model_path: Path | str = "model") -> None:
    """Raise `ModelMismatchError` unless `crops` (a FaceSet-like object) fits `config`."""
    size = getattr(crops, "size", None)
    if size is not None and int(size) != config.resolution:
        raise ModelMismatchError(f"{model_path}: model is {config.resolution}px but the faces are {size}px; "
                                 f"extract at --size {config.resolution} or train a {size}px model")
    face_type = getattr(crops, "face_type", None)
    if face_type is not None and face_type != config.face_type:
        raise ModelMismatchError(f"{model_path}: model was trained on {config.face_type!r} crops, the faces are "
                                 f"{face_type!r}; extract with --face-type {config.face_type}")
    encoding = getattr(crops, "color_encoding", None)
    if encoding is not None and encoding != config.color_encoding:
        raise ModelMismatchError(f"{model_path}: model expects crops in {config.color_encoding!r}, the faces are "
                                 f"in {encoding!r}; re-extract them")


def read_model_document(path_dir: str | Path) -> dict[str, Any]:
    """Read and validate config.json. Raises ModelMismatchError naming the file."""
    path = Path(path_dir) / CONFIG_NAME
    if Path(path_dir).exists() and not Path(path_dir).is_dir():
        raise ModelMismatchError(f"{path_dir}: is a file, not a model folder; pass the folder facegraft train wrote")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelMismatchError(f"{path.parent}: not a facegraft model (no {CONFIG_NAME}); "
                                 "train one with facegraft train") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelMismatchError(f"{path}: corrupt model config ({exc}); restore the folder from a backup") from exc
    if not isinstance(document, dict) or document.get("schema") != SCHEMA or document.get("version") != VERSION:
        raise ModelMismatchError(f"{path}: not a {SCHEMA} v{VERSION} config; was it written by another tool?")
    return document


def load_model(path_dir: str | Path, *, device: str | torch.device = "cpu") -> LoadedModel:
    """Read a model folder written by `save_model`.

    Raises: ModelMismatchError when a file is missing, corrupt, truncated, from another save, or
    its tensors do not fit the architecture its config names.
    """
    folder = Path(path_dir)
    target = torch_device(str(device))
    document = read_model_document(folder)
    try:
        config = ModelConfig.from_json(document["model"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelMismatchError(f"{folder / CONFIG_NAME}: invalid model config ({exc})") from exc
    try:
        network = create_model(config)
    except ModelMismatchError as exc:
        raise ModelMismatchError(f"{folder / CONFIG_NAME}: {exc}") from None
    tensors = read_tensors(folder / WEIGHTS_NAME, sha256=document.get("weights_sha256"), what="model weights")
    load_state_strict(network, tensors, where=folder / WEIGHTS_NAME)
    network.to(target).eval()
    state = document.get("training_state") or {}
    return LoadedModel(folder, config, network, state if isinstance(state, dict) else {})


def load_state_strict(network: torch.nn.Module, tensors: dict[str, torch.Tensor], *, where: Path) -> None:
    """Copy `tensors` into `network`; names, shapes and dtypes must match exactly (else ModelMismatchError)."""
    expected = network.state_dict()
    missing = sorted(set(expected) - set(tensors))
    unexpected = sorted(set(tensors) - set(expected))
    wrong = sorted(k for k in set(expected) & set(tensors)
                   if expected[k].shape != tensors[k].shape or expected[k].dtype != tensors[k].dtype)
    if missing or unexpected or wrong:
        detail = "; ".join(f"{label}: {', '.join(names[:3])}{' ...' if len(names) > 3 else ''}"
                           for label, names in (("missing", missing), ("unexpected", unexpected),
                                                ("wrong shape", wrong)) if names)
        raise ModelMismatchError(f"{where}: tensors do not fit the architecture in config.json ({detail})")
    network.load_state_dict(tensors, strict=True)
