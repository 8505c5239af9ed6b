"""Atomic output: write under a temporary name in the destination folder, then rename into place.

A file under its final name is therefore always complete; a killed job leaves only `.tmp-*` files,
which the next run overwrites. Inputs are never written to: callers pass the inputs to refuse.
"""
import contextlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from facegraft.core.errors import OutputError


def check_writable_dir(folder: str | Path) -> Path:
    """Create `folder` if needed and check we may write there. Raises `OutputError` naming it."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{folder}: cannot create output folder ({exc.strerror}); choose another -o") from exc
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"{folder}: output folder is not writable; fix its permissions or choose another -o")
    return folder


def refuse_overwrite(output: str | Path, inputs: Iterable[str | Path]) -> None:
    """Raise `OutputError` if `output` (a path or pattern) names one of `inputs`."""
    out = os.path.abspath(os.fspath(output))
    for given in inputs:
        if out == os.path.abspath(os.fspath(given)):
            raise OutputError(f"{output}: output would overwrite the input {given}; choose another output name")


def temporary_name(final: Path) -> Path:
    """The temporary sibling of `final`, keeping its suffix so format-by-extension writers work."""
    return final.with_name(f".{final.stem}.tmp-{os.getpid()}{final.suffix}")


@contextlib.contextmanager
def atomic_write_path(final: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to `final`; on success rename it to `final`, on error delete it.

    Raises: OutputError if the folder cannot be written.
    """
    final = Path(final)
    check_writable_dir(final.parent)
    tmp = temporary_name(final)
    try:
        yield tmp
        os.replace(tmp, final)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def atomic_write_text(final: str | Path, text: str) -> None:
    """Write a text file atomically (UTF-8)."""
    with atomic_write_path(final) as tmp:
        tmp.write_text(text, encoding="utf-8")
