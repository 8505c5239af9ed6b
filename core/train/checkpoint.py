"""Resumable checkpoints in a model folder, written so that a kill at any instant loses at most one save.

    model.safetensors, config.json      the model (`facegraft.core.models.files`), what convert loads
    training/optimizer.safetensors      optimiser moments + RNG states (tensors only, no pickle)
    training/discriminator.safetensors  with the patch-GAN term on only: the discriminator's weights
                                        ("weights.*") and its Adam state ("state.*"); training-only,
                                        convert and exports never read it
    training/state.json                 {"schema": "FacegraftTraining", "version": 1, "iteration",
                                         "elapsed_seconds", "model", "param_groups", "settings",
                                         "phase", "weights_sha256", "optimizer_sha256"}
                                        ("phase": the schedule's state, `{"sharpen_from": N}` once the
                                        sharpening phase began at iteration N and `"gan_from": M`
                                        once the GAN term did; may be absent; with a discriminator
                                        also "discriminator_param_groups", "discriminator_sha256")
    previous/                           hard links to the last complete checkpoint before the latest

A checkpoint is complete when state.json, written last, names the checksums of the weights and
optimizer (and discriminator) files beside it (and config.json names the same weights). A save
first links the current complete checkpoint into previous/ (built under a temporary name, then
renamed), then writes each file atomically, state.json last. So at any instant either the top-level checkpoint
or previous/ is complete; `load_checkpoint` verifies the top level and, when a save was
interrupted (or a file damaged), restores previous/ by itself. Temporaries of a killed save are
removed by the next save or resume (`core.media.atomic`).
"""
import json
import logging
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from facegraft.core.errors import ModelMismatchError
from facegraft.core.media.atomic import atomic_write_text, remove_stale_temporaries, temporary_name
from facegraft.core.models.config import ModelConfig
from facegraft.core.models.files import CONFIG_NAME, WEIGHTS_NAME, load_state_strict, read_model_document, save_model
from facegraft.core.models.network import SwapNetwork
from facegraft.core.models.tensor_files import file_sha256, read_tensors, write_tensors
from facegraft.core.train.adversarial import Adversary

log = logging.getLogger(__name__)

SCHEMA = "FacegraftTraining"
VERSION = 1
TRAINING_DIR = "training"
STATE_NAME = "state.json"
OPTIMIZER_NAME = "optimizer.safetensors"
DISCRIMINATOR_NAME = "discriminator.safetensors"
PREVIOUS_DIR = "previous"
_FILES = (WEIGHTS_NAME, CONFIG_NAME, f"{TRAINING_DIR}/{OPTIMIZER_NAME}", f"{TRAINING_DIR}/{STATE_NAME}")
_DISCRIMINATOR_FILE = f"{TRAINING_DIR}/{DISCRIMINATOR_NAME}"


@dataclass(frozen=True)
class Checkpoint:
    """What a resume needs besides the weights (already loaded into the network).
    `restored`: the latest save was incomplete and previous/ was restored in its place.
    `phase`: the training schedule's state (`core.train.schedule`). `discriminator_loaded`: a
    discriminator was passed and the checkpoint held one (False: it keeps its fresh weights)."""

    iteration: int
    elapsed_seconds: float
    settings: dict[str, Any]
    restored: bool = False
    phase: dict[str, Any] = field(default_factory=dict)
    discriminator_loaded: bool = False


def has_checkpoint(folder: str | Path) -> bool:
    """True when the folder holds a checkpoint (complete or not) at the top level or in previous/."""
    folder = Path(folder)
    return any((f / TRAINING_DIR / STATE_NAME).is_file() for f in (folder, folder / PREVIOUS_DIR))


def verify_checkpoint(folder: str | Path) -> dict[str, Any]:
    """The state of a complete checkpoint in `folder` (see the module docstring).

    Raises: ModelMismatchError naming the first file that is missing or belongs to another save.
    """
    folder = Path(folder)
    state = read_state(folder)
    try:
        expected = {WEIGHTS_NAME: state["weights_sha256"],
                    f"{TRAINING_DIR}/{OPTIMIZER_NAME}": state["optimizer_sha256"]}
        if "discriminator_sha256" in state:
            expected[_DISCRIMINATOR_FILE] = state["discriminator_sha256"]
    except KeyError as exc:
        raise ModelMismatchError(f"{folder / TRAINING_DIR / STATE_NAME}: checkpoint state lacks {exc}") from None
    if read_model_document(folder).get("weights_sha256") != state["weights_sha256"]:
        raise ModelMismatchError(f"{folder / CONFIG_NAME}: belongs to another save than {STATE_NAME}")
    for name, sha in expected.items():
        path = folder / name
        if not path.is_file():
            raise ModelMismatchError(f"{path}: missing from the checkpoint")
        if file_sha256(path) != sha:
            raise ModelMismatchError(f"{path}: does not match {STATE_NAME} (an interrupted save or a damaged file)")
    return state


def _optimizer_state_tensors(optimizer: torch.optim.Optimizer
                             ) -> tuple[dict[str, torch.Tensor], list[dict[str, Any]]]:
    """Optimiser moments as "state.<param index>.<name>" tensors, and its param groups as JSON data."""
    state = optimizer.state_dict()
    tensors = {f"state.{index}.{key}": value if torch.is_tensor(value) else torch.tensor(value)
               for index, entry in state["state"].items() for key, value in entry.items()}
    groups = [{k: list(v) if isinstance(v, tuple) else v for k, v in g.items()} for g in state["param_groups"]]
    return tensors, groups


def _optimizer_tensors(optimizer: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], list[dict[str, Any]]]:
    tensors, groups = _optimizer_state_tensors(optimizer)
    tensors["rng.torch"] = torch.get_rng_state()
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        tensors["rng.cuda"] = torch.cuda.get_rng_state()
    return tensors, groups


def _load_optimizer_state(optimizer: torch.optim.Optimizer, tensors: dict[str, torch.Tensor],
                          groups: list[dict[str, Any]], *, where: Path) -> None:
    """Restore what `_optimizer_state_tensors` wrote (other keys of `tensors` are ignored)."""
    groups = [{k: tuple(v) if k == "betas" else v for k, v in g.items()} for g in groups]
    entries: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in tensors.items():
        if key.startswith("state."):
            _, index, name = key.split(".", 2)
            entries.setdefault(int(index), {})[name] = value
    try:
        optimizer.load_state_dict({"state": entries, "param_groups": groups})
    except (ValueError, KeyError, RuntimeError) as exc:
        raise ModelMismatchError(f"{where}: optimizer state does not fit this model ({exc})") from exc


def _checkpoint_files(folder: Path) -> tuple[str, ...]:
    """The files of the checkpoint in `folder`, state.json last (the discriminator's when its state names one)."""
    extra = (_DISCRIMINATOR_FILE,) if "discriminator_sha256" in read_state(folder) else ()
    return _FILES[:-1] + extra + _FILES[-1:]


def _link_checkpoint(source: Path, target: Path) -> None:
    """Link (or copy) the files of the checkpoint in `source` into `target`, one atomic rename each,
    state.json last so the result is complete only once every file is in place."""
    for name in _checkpoint_files(source):
        final = target / name
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = temporary_name(final)
        try:
            os.link(source / name, tmp)
        except OSError:
            shutil.copy2(source / name, tmp)
        os.replace(tmp, final)


def _keep_previous(folder: Path) -> None:
    """Make previous/ a copy (hard links) of the top-level checkpoint when that one is complete."""
    try:
        verify_checkpoint(folder)
    except ModelMismatchError:
        return  # nothing complete at the top: keep the previous/ we have
    staging = temporary_name(folder / PREVIOUS_DIR)
    shutil.rmtree(staging, ignore_errors=True)
    _link_checkpoint(folder, staging)
    old = temporary_name(folder / f"{PREVIOUS_DIR}-old")
    shutil.rmtree(old, ignore_errors=True)
    if (folder / PREVIOUS_DIR).exists():
        os.replace(folder / PREVIOUS_DIR, old)
    os.replace(staging, folder / PREVIOUS_DIR)
    shutil.rmtree(old, ignore_errors=True)


def save_checkpoint(folder: str | Path, network: SwapNetwork, config: ModelConfig,
                    optimizer: torch.optim.Optimizer, *, iteration: int, elapsed_seconds: float,
                    settings: dict[str, Any], summary: dict[str, Any], phase: dict[str, Any] | None = None,
                    adversary: Adversary | None = None) -> None:
    """Write a complete checkpoint (see module docstring), keeping the one before in previous/.
    `adversary`: the patch-GAN term's discriminator, saved to training/discriminator.safetensors when given.

    Raises: OutputError if the folder cannot be written.
    """
    folder = Path(folder)
    remove_stale_temporaries(folder, recursive=True)
    _keep_previous(folder)
    tensors, groups = _optimizer_tensors(optimizer)
    optimizer_sha = write_tensors(folder / TRAINING_DIR / OPTIMIZER_NAME, tensors)
    save_model(network, config, folder, training_state={"iteration": iteration, **summary})
    weights_sha = read_model_document(folder)["weights_sha256"]
    state = {"schema": SCHEMA, "version": VERSION, "iteration": iteration, "elapsed_seconds": elapsed_seconds,
             "model": config.to_json(), "param_groups": groups, "settings": settings, "phase": phase or {},
             "weights_sha256": weights_sha, "optimizer_sha256": optimizer_sha}
    if adversary is not None:
        d_tensors, d_groups = _optimizer_state_tensors(adversary.optimizer)
        d_tensors.update({f"weights.{k}": v for k, v in adversary.discriminator.state_dict().items()})
        state["discriminator_sha256"] = write_tensors(folder / _DISCRIMINATOR_FILE, d_tensors)
        state["discriminator_param_groups"] = d_groups
    atomic_write_text(folder / TRAINING_DIR / STATE_NAME, json.dumps(state, indent=1))


def latest_complete(folder: str | Path) -> Path:
    """The folder holding the latest complete checkpoint: `folder` itself, else `folder/previous`.

    Raises: ModelMismatchError when neither is complete (naming why the top level is not).
    """
    folder = Path(folder)
    try:
        verify_checkpoint(folder)
        return folder
    except ModelMismatchError as top:
        previous = folder / PREVIOUS_DIR
        try:
            verify_checkpoint(previous)
        except ModelMismatchError:
            if not has_checkpoint(folder):
                raise top from None
            raise ModelMismatchError(f"{top}; {previous} holds no complete checkpoint either: "
                                     "train again without --resume into another -o") from None
        return previous


def read_state(folder: str | Path) -> dict[str, Any]:
    """training/state.json of a checkpoint. Raises ModelMismatchError naming the file."""
    path = Path(folder) / TRAINING_DIR / STATE_NAME
    hint = "the save was interrupted or the file damaged"
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
    """The model config the latest complete checkpoint was trained with. Raises ModelMismatchError."""
    try:
        return ModelConfig.from_json(read_state(latest_complete(folder))["model"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelMismatchError(f"{folder}: checkpoint has an invalid model config ({exc})") from exc


def load_checkpoint(folder: str | Path, network: SwapNetwork, optimizer: torch.optim.Optimizer,
                    adversary: Adversary | None = None) -> Checkpoint:
    """Restore weights, optimiser state and RNG state of the latest complete checkpoint, and the
    discriminator's weights and optimiser state when `adversary` is passed and the checkpoint holds one
    (a checkpoint saved without one, e.g. before the GAN term was turned on, leaves it as built).

    When the top-level checkpoint is incomplete (a save was killed) or damaged, previous/ is
    linked back to the top level first (the folder is then whole again for convert) and a
    warning is logged. Removes the temporaries of a killed save.
    Raises: ModelMismatchError when no complete checkpoint is there, or it does not fit `network`.
    """
    folder = Path(folder)
    remove_stale_temporaries(folder, recursive=True)
    complete = latest_complete(folder)
    restored = complete != folder
    if restored:
        state = read_state(complete)
        log.warning("%s: the latest checkpoint is incomplete (an interrupted save); resuming from the one before "
                    "it, iteration %s", folder, state.get("iteration"))
        _link_checkpoint(complete, folder)
    state = read_state(folder)
    weights = read_tensors(folder / WEIGHTS_NAME, sha256=state["weights_sha256"], what="model weights")
    extra = read_tensors(folder / TRAINING_DIR / OPTIMIZER_NAME, sha256=state["optimizer_sha256"],
                         what="optimizer state")
    load_state_strict(network, weights, where=folder / WEIGHTS_NAME)
    _load_optimizer_state(optimizer, extra, state["param_groups"], where=folder)
    loaded_discriminator = adversary is not None and "discriminator_sha256" in state
    if loaded_discriminator:
        path = folder / _DISCRIMINATOR_FILE
        saved = read_tensors(path, sha256=state["discriminator_sha256"], what="discriminator state")
        load_state_strict(adversary.discriminator, {k[len("weights."):]: v for k, v in saved.items()
                                                 if k.startswith("weights.")}, where=path)
        _load_optimizer_state(adversary.optimizer, saved, state.get("discriminator_param_groups", []), where=path)
    if "rng.torch" in extra:
        torch.set_rng_state(extra["rng.torch"])
    if "rng.cuda" in extra and torch.cuda.is_available():
        torch.cuda.set_rng_state(extra["rng.cuda"])
    return Checkpoint(int(state["iteration"]), float(state.get("elapsed_seconds", 0.0)),
                      dict(state.get("settings", {})), restored, dict(state.get("phase") or {}), loaded_discriminator)
