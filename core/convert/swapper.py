"""The network step of convert, as numpy in and out, batched."""
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch

from facegraft.core.models.files import LoadedModel


class FaceSwapper(Protocol):
    """Swaps aligned crops. Crops and faces are (N, S, S, 3) float32 in `color_encoding`, [0, 1]."""

    resolution: int
    face_type: str
    color_encoding: str
    model_id: str

    def __call__(self, crops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """crops (N, S, S, 3) → (faces (N, S, S, 3), learned masks (N, S, S)), float32."""
        ...


@dataclass(frozen=True)
class ModelSwapper:
    """A `FaceSwapper` running a loaded model (decoder A on B's code) in batches of `batch`.

    On a CUDA device the crops go up from page-locked (pinned) host memory without blocking; the
    network runs there, and only the faces and masks come back.

    Every network call gets exactly `batch` crops (the last call padded with zero crops): the
    CPU kernels give results that depend on the batch size, not on a crop's slot or neighbours
    (checked in tests/core/convert), so a frame is byte-identical however a plate is cut into
    farm chunks or a resumed run regroups its frames.
    """

    model: LoadedModel
    batch: int = 16

    @property
    def resolution(self) -> int:
        return self.model.config.resolution

    @property
    def face_type(self) -> str:
        return self.model.config.face_type

    @property
    def color_encoding(self) -> str:
        return self.model.config.color_encoding

    @property
    def device(self) -> torch.device:
        """Where the network runs."""
        return next(self.model.network.parameters()).device

    @property
    def model_id(self) -> str:
        return f"{self.model.path.name}@{self.model.training_state.get('iteration', 0)}"

    def __call__(self, crops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        device = self.device
        faces, masks = [], []
        for start in range(0, len(crops), self.batch):
            part = crops[start:start + self.batch]
            count = len(part)
            if count < self.batch:
                part = np.concatenate([part, np.zeros((self.batch - count, *part.shape[1:]), part.dtype)])
            host = torch.from_numpy(np.ascontiguousarray(part.transpose(0, 3, 1, 2)))
            if device.type == "cuda":  # page-locked: the copy runs by DMA while reader/writer threads keep going
                host = host.pin_memory()
            face, mask = self.model.swap(host.to(device, non_blocking=True))
            faces.append(face[:count].float().permute(0, 2, 3, 1).cpu().numpy())
            masks.append(mask[:count].float()[:, 0].cpu().numpy())
        if not faces:
            s = self.resolution
            return np.zeros((0, s, s, 3), np.float32), np.zeros((0, s, s), np.float32)
        return np.concatenate(faces), np.concatenate(masks)
