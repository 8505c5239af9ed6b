"""Device names are checked before anything moves to them."""
import pytest
import torch

from facegraft.core.device import DeviceError, torch_device


def test_devices() -> None:
    assert torch_device("cpu") == torch.device("cpu")
    with pytest.raises(DeviceError, match="'gpu7': not a device name"):
        torch_device("gpu7")
    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    with pytest.raises(DeviceError, match=f"torch sees {count} CUDA device"):
        torch_device(f"cuda:{count}")
