"""argparse types for every numeric option: what a size, a count, a rate may be, said once.

The rule for a new flag: a number never takes a bare `type=int` or `type=float`, but one of
these, with the range the library can honour::

    parser.add_argument("--size", type=integer(8, 4096), default=256, help="...")
    parser.add_argument("--lr", type=real(0, 1, low_open=True), help="...")
    parser.add_argument("--face-ids", type=id_list, help="...")

A bad value then stops the command before any work, with one line naming the flag
(`facegraft: error: extract: argument --size: 0 is below the minimum 8; ...`, exit 2).
`real` refuses NaN and infinities whatever its range. Node parameters get the same checks from
their schema (`facegraft.nodes.schema`), which builds their flags.
"""
import argparse
import math
import re
from collections.abc import Callable

from facegraft.core.device import DEVICE_NAME

__all__ = ["integer", "real", "device_name", "id_list", "COUNT", "INDEX", "SEED", "THREADS", "FRAME_NUMBER"]


def integer(low: int | None = None, high: int | None = None) -> Callable[[str], int]:
    """A whole number in [low, high] (either bound optional)."""

    def parse(text: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        _check_range(value, low, high, low_open=False, high_open=False)
        return value

    parse.__name__ = "integer"
    return parse


def real(low: float | None = None, high: float | None = None, *, low_open: bool = False,
         high_open: bool = False) -> Callable[[str], float]:
    """A finite real number in the range [low, high]; `low_open`/`high_open` exclude the bound."""

    def parse(text: str) -> float:
        try:
            value = float(text.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{text!r} is not a finite number; give a plain number")
        _check_range(value, low, high, low_open=low_open, high_open=high_open)
        return value

    parse.__name__ = "number"
    return parse


def device_name(text: str) -> str:
    """A torch device name: cpu, cuda, cuda:N or mps (whether it is present is checked when used)."""
    if re.fullmatch(DEVICE_NAME, text.strip()) is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a device; use cpu, cuda, cuda:N or mps")
    return text.strip()


def id_list(text: str) -> tuple[int, ...]:
    """A comma list of ids (whole numbers >= 0), e.g. `0,2`."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts or not all(p.isdigit() for p in parts):
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma list of ids; write e.g. 0 or 0,2")
    return tuple(int(p) for p in parts)


def _check_range(value: float, low: float | None, high: float | None, *, low_open: bool, high_open: bool) -> None:
    below = low is not None and (value < low or (low_open and value == low))
    above = high is not None and (value > high or (high_open and value == high))
    if below or above:
        interval = (("(" if low_open or low is None else "[") + ("-inf" if low is None else _shown(low)) + ", "
                    + ("inf" if high is None else _shown(high)) + (")" if high_open or high is None else "]"))
        raise argparse.ArgumentTypeError(f"{_shown(value)} is outside {interval}; give a value in that range")


def _shown(value: float) -> str:
    return str(value) if isinstance(value, int) else f"{value:g}"


# Ranges shared by several verbs.
COUNT = integer(1, 10**9)            # iterations, frames per chunk, intervals in frames: at least one
INDEX = integer(0, 10**9)            # face ids, retries: zero or more
SEED = integer(0, 2**32 - 1)         # random seeds (numpy and torch both take them)
THREADS = integer(0, 256)            # worker threads; 0 = none (inline)
FRAME_NUMBER = integer(-10**8, 10**8)  # a frame number (negative frames exist)
