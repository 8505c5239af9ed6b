"""Overlap file I/O with compute: a bounded read-ahead and a bounded write-behind.

OpenImageIO and FFmpeg release the GIL while they decode, encode and compress, so plain threads
give real parallelism. Both queues are bounded, so memory stays flat on long plates.
"""
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from threading import Thread
from queue import Queue
from typing import TypeVar

T = TypeVar("T")
K = TypeVar("K")

_DONE = object()


def prefetch_map(load: Callable[[K], T], keys: Iterable[K], *, workers: int = 2, ahead: int = 4) -> Iterator[T]:
    """Yield `load(key)` for each key in order, with up to `ahead` loads running in `workers` threads.

    `workers=0` loads in the calling thread (the single-threaded baseline). Exceptions surface in order.
    """
    if workers <= 0:
        yield from map(load, keys)
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="facegraft-read") as pool:
        pending: deque[Future[T]] = deque()
        try:
            for key in keys:
                pending.append(pool.submit(load, key))
                if len(pending) >= ahead:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


def prefetch_iter(items: Iterable[T], *, ahead: int = 4) -> Iterator[T]:
    """Run a sequential iterator (e.g. a video decoder) in a background thread, `ahead` items deep."""
    queue: Queue = Queue(maxsize=max(1, ahead))
    stop = False

    def produce() -> None:
        try:
            for item in items:
                if stop:
                    return
                queue.put((True, item))
        except BaseException as exc:  # handed to the consumer, which re-raises it
            queue.put((False, exc))
            return
        queue.put((True, _DONE))

    thread = Thread(target=produce, name="facegraft-decode", daemon=True)
    thread.start()
    try:
        while True:
            ok, item = queue.get()
            if not ok:
                raise item
            if item is _DONE:
                return
            yield item
    finally:
        stop = True
        while thread.is_alive():  # unblock a producer waiting on a full queue
            while not queue.empty():
                queue.get_nowait()
            thread.join(timeout=0.05)


class BackgroundWriter:
    """Run write jobs in threads with at most `depth` in flight; `close()` waits and re-raises.

    `workers=0` writes in the calling thread (the single-threaded baseline).
    """

    def __init__(self, *, workers: int = 2, depth: int = 4) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="facegraft-write") if workers else None
        self._pending: deque[Future] = deque()
        self._depth = max(1, depth)

    def submit(self, write: Callable[..., object], *args: object, **kwargs: object) -> None:
        if self._pool is None:
            write(*args, **kwargs)
            return
        while len(self._pending) >= self._depth:
            self._pending.popleft().result()
        self._pending.append(self._pool.submit(write, *args, **kwargs))

    def close(self) -> None:
        try:
            while self._pending:
                self._pending.popleft().result()
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> "BackgroundWriter":
        return self

    def __exit__(self, exc_type: type | None, *exc: object) -> None:
        if exc_type is None:
            self.close()
        elif self._pool is not None:  # already failing: drop queued writes, finish running ones
            self._pool.shutdown(wait=True, cancel_futures=True)
