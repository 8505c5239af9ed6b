"""Progress display for the command line: a tqdm bar that appears only on work over a second."""
from collections.abc import Iterable, Iterator
from typing import TypeVar

from tqdm import tqdm

T = TypeVar("T")


def progress(items: Iterable[T], *, total: int | None, unit: str, desc: str, quiet: bool) -> Iterator[T]:
    """Wrap `items` in a progress bar (count, rate, ETA) on stderr unless `quiet`."""
    return iter(tqdm(items, total=total, unit=unit, desc=desc, disable=quiet, delay=1.0, dynamic_ncols=True))


class ProgressBar:
    """A `(done, total, frame)` callback, as the nodes and convert report progress, drawn as a tqdm bar."""

    def __init__(self, *, unit: str, desc: str, quiet: bool) -> None:
        self._bar = tqdm(total=None, unit=unit, desc=desc, disable=quiet, delay=1.0, dynamic_ncols=True)

    def __call__(self, done: int, total: int, frame: int) -> None:
        self._bar.total = total
        self._bar.update(done - self._bar.n)

    def __enter__(self) -> "ProgressBar":
        return self

    def __exit__(self, *exc: object) -> None:
        self._bar.close()
