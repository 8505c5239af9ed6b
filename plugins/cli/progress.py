"""Progress display for the command line: a tqdm bar that appears only on work over a second."""
from collections.abc import Iterable, Iterator
from typing import TypeVar

from tqdm import tqdm

T = TypeVar("T")


def progress(items: Iterable[T], *, total: int | None, unit: str, desc: str, quiet: bool) -> Iterator[T]:
    """Wrap `items` in a progress bar (count, rate, ETA) on stderr unless `quiet`."""
    return iter(tqdm(items, total=total, unit=unit, desc=desc, disable=quiet, delay=1.0, dynamic_ncols=True))
