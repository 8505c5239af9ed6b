"""Shared plumbing for the benchmark scripts: timing, machine metadata, table and JSON output.

Method (as kornia's benchmarks): warm-up, then the median of repeats; seeds fixed; every table
row is a ratio against a baseline measured in the same run, on the same machine.
"""
import json
import os
import platform
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path


def median_seconds(fn: Callable[[], object], *, repeats: int = 5, warmup: int = 1) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def paired_median_seconds(fn: Callable[[], object], baseline: Callable[[], object] | None, *, repeats: int = 5,
                          warmup: int = 1, min_seconds: float = 0.25,
                          max_repeats: int = 2000) -> tuple[float, float | None]:
    """Median seconds of `fn` and of `baseline` (None: `fn` only), timed alternately so load that comes
    and goes hits both alike; at least `repeats` times each, and more (up to `max_repeats`) until each
    has run `min_seconds` in all, so sub-millisecond ops get hundreds of samples."""
    for _ in range(warmup):
        fn()
        if baseline is not None:
            baseline()
    ours: list[float] = []
    theirs: list[float] = []
    while len(ours) < max_repeats:
        for f, times in ((fn, ours), (baseline, theirs)):
            if f is not None:
                start = time.perf_counter()
                f()
                times.append(time.perf_counter() - start)
        if len(ours) >= repeats and sum(ours) >= min_seconds and (baseline is None or sum(theirs) >= min_seconds):
            break
    return statistics.median(ours), statistics.median(theirs) if baseline is not None else None


def machine() -> dict:
    """Where and with what a benchmark ran."""
    import numpy

    info = {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
            "numpy": numpy.__version__, "processor": platform.processor()}
    for module in ("torch", "cv2", "OpenImageIO", "PyOpenColorIO", "scipy"):
        try:
            info[module] = __import__(module).__version__
        except (ImportError, AttributeError):
            pass
    try:
        info["commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                        cwd=Path(__file__).parent, check=False).stdout.strip()
    except OSError:
        info["commit"] = ""
    return info


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A plain fixed-width table, numbers right-aligned."""
    cells = [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in cells)) for i, h in enumerate(header)]
    print(f"\n{title}")
    print("  ".join(str(h).ljust(w) for h, w in zip(header, widths)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(c.rjust(w) if _is_number(c) else c.ljust(w) for c, w in zip(row, widths)))


def write_json(path: str | None, name: str, results: object) -> None:
    if path:
        Path(path).write_text(json.dumps({"benchmark": name, "machine": machine(), "results": results}, indent=2))


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)


def _is_number(text: str) -> bool:
    try:
        float(text.rstrip("x×%"))
        return True
    except ValueError:
        return False
