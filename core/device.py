"""Torch devices named by the user (`--device cpu|cuda|cuda:N|mps`): checked before anything moves.

Imports torch only when called, so a command can validate the name (`DEVICE_NAME`) cheaply.
"""
import re
from typing import TYPE_CHECKING

from facegraft.core.errors import FacegraftError

if TYPE_CHECKING:
    import torch

DEVICE_NAME = r"cpu|cuda(:\d+)?|mps"


class DeviceError(FacegraftError):
    """The torch device asked for is not a device name, or is not on this machine."""


def torch_device(name: str) -> "torch.device":
    """`name` as a torch device present on this machine.

    Raises: DeviceError naming the device and what to use instead.
    """
    import torch

    if re.fullmatch(DEVICE_NAME, name) is None:
        raise DeviceError(f"device {name!r}: not a device name; use cpu, cuda, cuda:N or mps")
    device = torch.device(name)
    if device.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0 or (device.index or 0) >= count:
            raise DeviceError(f"device {name!r}: torch sees {count} CUDA device(s) here; use --device cpu"
                              + (f" or cuda:0..cuda:{count - 1}" if count else ""))
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise DeviceError(f"device {name!r}: no Apple GPU here; use --device cpu")
    return device
