"""Atomic safetensors files with a checksum recorded by the JSON that points at them.

Nothing read here can execute code: safetensors holds raw tensors and a JSON header only.
"""
import hashlib
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from facegraft.core.errors import ModelMismatchError
from facegraft.core.media.atomic import atomic_write_path


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_tensors(path: Path, tensors: dict[str, torch.Tensor]) -> str:
    """Write `tensors` (CPU copies, contiguous) to `path` atomically; return the file's SHA-256."""
    plain = {k: v.detach().to("cpu").contiguous() for k, v in tensors.items()}
    with atomic_write_path(path) as tmp:
        save_file(plain, tmp)
        sha = file_sha256(tmp)
    return sha


def read_tensors(path: Path, *, sha256: str | None, what: str) -> dict[str, torch.Tensor]:
    """Read a safetensors file, checking its SHA-256 when given.

    Raises: ModelMismatchError naming `path` when it is missing, truncated, corrupt or not the
    file the JSON beside it describes (`what` says what the file is, for the message).
    """
    if not path.is_file():
        raise ModelMismatchError(f"{path}: {what} is missing; train or copy the whole model folder")
    if sha256 is not None and file_sha256(path) != sha256:
        raise ModelMismatchError(f"{path}: {what} does not match its JSON (checksum differs): the file is "
                                 "corrupt or from another save; restore the folder from a backup")
    try:
        return load_file(path)
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise ModelMismatchError(f"{path}: {what} is corrupt or truncated ({exc}); "
                                 "restore the folder from a backup") from exc
