"""Resumable checkpoints in a model folder.

    model.safetensors, config.json      the model (`facegraft.core.models.files`), what convert loads
    training/optimizer.safetensors      optimiser moments + RNG states (tensors only, no pickle)
    training/state.json                 {"schema": "FacegraftTraining", "version": 1, "iteration",
                                         "elapsed_seconds", "model", "param_groups", "settings",
                                         "weights_sha256", "optimizer_sha256"}
    previous/                           hard links to the checkpoint before the latest one

Every file is written under a temporary name and renamed; state.json goes last and names the
checksums of the tensors it belongs to, so an interrupted save is detected on resume and the
`previous/` copy is still intact.
"""
import contextlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from facegraft.core.errors import ModelMismatchError
from facegraft.core.media.atomic import atomic_write_text
from facegraft.core.models.config import ModelConfig
from facegraft.core.models.files import CONFIG_NAME, WEIGHTS_NAME, load_state_strict, read_model_document, save_model
from facegraft.core.models.network import SwapNetwork
from facegraft.core.models.tensor_files import read_tensors, write_tensors

SCHEMA = "FacegraftTraining"
VERSION = 1
TRAINING_DIR = "training"
STATE_NAME = "state.json"
OPTIMIZER_NAME = "optimizer.safetensors"
PREVIOUS_DIR = "previous"
_FILES = (WEIGHTS_NAME, CONFIG_NAME, f"{TRAINING_DIR}/{OPTIMIZER_NAME}", f"{TRAINING_DIR}/{STATE_NAME}")


@dataclass(frozen=True)
class Checkpoint:
    """What a resume needs besides the weights (already loaded into the network)."""

    iteration: int
    elapsed_seconds: float
    settings: dict[str, Any]


def has_checkpoint(folder: str | Path) -> bool:
    return (Path(folder) / TRAINING_DIR / STATE_NAME).is_file()


def _optimizer_tensors(optimizer: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], list[dict[str, Any]]]:
    state = optimizer.state_dict()
    tensors = {f"state.{index}.{key}": value if torch.is_tensor(value) else torch.tensor(value)
               for index, entry in state["state"].items() for key, value in entry.items()}
    groups = [{k: list(v) if isinstance(v, tuple) else v for k, v in g.items()} for g in state["param_groups"]]
    tensors["rng.torch"] = torch.get_rng_state()
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        tensors["rng.cuda"] = torch.cuda.get_rng_state()
    return tensors, groups


def _keep_previous(folder: Path) -> None:
    """Hard-link (or copy) the current complete checkpoint into previous/, replacing the old one."""
    if not all((folder / name).is_file() for name in _FILES):
        return
    staging = folder / f".{PREVIOUS_DIR}.tmp-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    (staging / TRAINING_DIR).mkdir(parents=True)
    for name in _FILES:
        try:
            os.link(folder / name, staging / name)
        except OSError:
            shutil.copy2(folder / name, staging / name)
    old = folder / f".{PREVIOUS_DIR}.old-{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        os.replace(folder / PREVIOUS_DIR, old)
    os.replace(staging, folder / PREVIOUS_DIR)
    shutil.rmtree(old, ignore_errors=True)


def save_checkpoint(folder: str | Path, network: SwapNetwork, config: ModelConfig,
                    optimizer: torch.optim.Optimizer, *, iteration: int, elapsed_seconds: float,
                    settings: dict[str, Any], summary: dict[str, Any]) -> None:
    """Write a complete checkpoint (see module docstring), keeping the one before in previous/.

    Raises: OutputError if the folder cannot be written.
    """
    folder = Path(folder)
    _keep_previous(folder)
    tensors, groups = _optimizer_tensors(optimizer)
    optimizer_sha = write_tensors(folder / TRAINING_DIR / OPTIMIZER_NAME, tensors)
    save_model(network, config, folder, training_state={"iteration": iteration, **summary})
    weights_sha = read_model_document(folder)["weights_sha256"]
    state = {"schema": SCHEMA, "version": VERSION, "iteration": iteration, "elapsed_seconds": elapsed_seconds,
             "model": config.to_json(), "param_groups": groups, "settings": settings,
             "weights_sha256": weights_sha, "optimizer_sha256": optimizer_sha}
    atomic_write_text(folder / TRAINING_DIR / STATE_NAME, json.dumps(state, indent=1))


def read_state(folder: str | Path) -> dict[str, Any]:
    """training/state.json of a checkpoint. Raises ModelMismatchError naming the file."""
    path = Path(folder) / TRAINING_DIR / STATE_NAME
    hint = f"the previous checkpoint is in {Path(folder) / PREVIOUS_DIR} (move its files up to resume from it)"
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelMismatchError(f"{folder}: no checkpoint to resume ({path} missing); "
                                 "drop --resume to start") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelMismatchError(f"{path}: corrupt checkpoint state ({exc}); {hint}") from exc
    if not isinstance(state, dict) or state.get("schema") != SCHEMA or state.get("version") != VERSION:
        raise ModelMismatchError(f"{path}: not a {SCHEMA} v{VERSION} checkpoint; {hint}")
    return state


def saved_model_config(folder: str | Path) -> ModelConfig:
    """The model config a checkpoint was trained with. Raises ModelMismatchError."""
    try:
        return ModelConfig.from_json(read_state(folder)["model"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelMismatchError(f"{folder}: checkpoint has an invalid model config ({exc})") from exc


def load_checkpoint(folder: str | Path, network: SwapNetwork, optimizer: torch.optim.Optimizer) -> Checkpoint:
    """Restore weights, optimiser state and RNG state saved by `save_checkpoint`.

    Raises: ModelMismatchError when a file is missing, corrupt, truncated, from another save, or
    does not fit `network` (its message points at previous/).
    """
    folder = Path(folder)
    state = read_state(folder)
    hint = f"previous checkpoint kept in {folder / PREVIOUS_DIR}"
    try:
        weights = read_tensors(folder / WEIGHTS_NAME, sha256=state["weights_sha256"], what="model weights")
        extra = read_tensors(folder / TRAINING_DIR / OPTIMIZER_NAME, sha256=state["optimizer_sha256"],
                             what="optimizer state")
    except ModelMismatchError as exc:
        raise ModelMismatchError(f"{exc}; {hint}") from exc
    except KeyError as exc:
        raise ModelMismatchError(f"{folder}: checkpoint state lacks {exc}; {hint}") from exc
    load_state_strict(network, weights, where=folder / WEIGHTS_NAME)
    groups = [{k: tuple(v) if k == "betas" else v for k, v in g.items()} for g in state["param_groups"]]
    entries: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in extra.items():
        if key.startswith("state."):
            _, index, name = key.split(".", 2)
            entries.setdefault(int(index), {})[name] = value
    try:
        optimizer.load_state_dict({"state": entries, "param_groups": groups})
    except (ValueError, KeyError, RuntimeError) as exc:
        raise ModelMismatchError(f"{folder}: optimizer state does not fit this model ({exc}); {hint}") from exc
    if "rng.torch" in extra:
        torch.set_rng_state(extra["rng.torch"])
    if "rng.cuda" in extra and torch.cuda.is_available():
        torch.cuda.set_rng_state(extra["rng.cuda"])
    return Checkpoint(int(state["iteration"]), float(state.get("elapsed_seconds", 0.0)),
                      dict(state.get("settings", {})))
