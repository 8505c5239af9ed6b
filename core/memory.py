"""Memory estimated before a large allocation: a one-line error instead of a crash or a swap storm.

Call `require_memory(nbytes, what=..., fix=...)` before allocating anything whose size comes
from the user or a file header (an image's window, a crop size, a batch). The budget is the
memory available now: the kernel's MemAvailable, capped by the cgroup's limit (containers, farm
slots) when one is set.
"""
from pathlib import Path

import numpy as np

from facegraft.core.errors import ResourceError

GIB = 1 << 30


def available_bytes() -> int | None:
    """Bytes this process can still allocate without swapping, or None when it cannot be told."""
    found = []
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                found.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        pass
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        used = Path("/sys/fs/cgroup/memory.current").read_text().strip()
        if limit != "max":
            found.append(max(0, int(limit) - int(used)))
    except (OSError, ValueError):
        pass
    return min(found) if found else None


def array_bytes(shape: tuple[int, ...], dtype: np.dtype | type = np.float32) -> int:
    """Bytes of an array of `shape` and `dtype` (Python ints: no overflow)."""
    count = 1
    for n in shape:
        count *= max(0, int(n))
    return count * np.dtype(dtype).itemsize


def require_memory(nbytes: int, *, what: str, fix: str, available: int | None = None) -> None:
    """Raise `ResourceError` when `nbytes` is more than the memory available now.

    Args: nbytes: the estimate. what: the thing and where it comes from ("plate.0001.exr: a
        100000x100000 RGBA image"). fix: what the user can change. available: for tests.
    """
    budget = available_bytes() if available is None else available
    if budget is not None and nbytes > budget:
        raise ResourceError(f"{what} needs {nbytes / GIB:.1f} GiB of memory, {budget / GIB:.1f} GiB is available; "
                            f"{fix}")
