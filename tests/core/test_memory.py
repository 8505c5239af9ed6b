"""Memory estimated before allocating: a one-line ResourceError above what is available."""
import numpy as np
import pytest

from facegraft.core.errors import ResourceError
from facegraft.core.memory import GIB, array_bytes, available_bytes, require_memory


def test_estimate_and_refusal() -> None:
    assert array_bytes((100000, 100000, 3), np.float32) == 120_000_000_000  # no integer overflow
    require_memory(GIB, what="x.exr: an image", fix="pick a smaller one", available=2 * GIB)
    with pytest.raises(ResourceError, match=r"x.exr: an image needs 111.8 GiB of memory, 2.0 GiB is available; pick"):
        require_memory(array_bytes((100000, 100000, 3)), what="x.exr: an image", fix="pick a smaller one",
                       available=2 * GIB)


def test_this_machine_reports_what_it_has() -> None:
    have = available_bytes()
    assert have is not None and 0 < have < 1 << 50
    require_memory(1 << 20, what="a megabyte", fix="-")
