"""How facegraft writes files: never over an input, atomically, one writer at a time, nothing left behind.

The rules every writer follows (a verb, a node, a farm task, a library function that writes):

1. **Never over an input.** `refuse_overwrite(output, inputs)` (or `prepare_output`, which also
   does rule 3) compares where files really are, not how they are spelled: the folder by device +
   inode after resolving symlinks (so a symlinked folder or a bind mount of the plate's folder is
   the plate's folder) plus the file name, and the file itself by device + inode (so a hard link,
   or a symlink, to an input is that input). It applies with or without `--force`.
2. **Atomic.** Write through `atomic_write_path(final)` / `atomic_write_text`: the bytes go to a
   temporary sibling `.NAME.tmp-HOST-PID.EXT` that is renamed over `final` once complete, so a
   file under its final name is always whole; a killed writer leaves only its temporary.
3. **Nothing left behind.** `remove_stale_temporaries(folder)` deletes the temporaries (files or
   staging folders) whose writer is gone: on this host, its process has exited or is a zombie; on
   another host (shared storage), it is older than a day; and lock files (rule 4) nobody holds.
   A verb calls it (through `prepare_output`) on each folder it writes before it starts.
4. **One writer per file.** A file that is read, extended and written again (an alignments file,
   a model folder, a face set index) is held with `exclusive_writer(path)`: an advisory lock on
   `.NAME.lock` beside it; a second writer gets a one-line refusal instead of silently losing work.
"""
import contextlib
import errno
import os
import re
import shutil
import socket
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from facegraft.core.errors import OutputError, SequencePatternError
from facegraft.core.media.sequence import SequencePattern, is_sequence_pattern

try:
    import fcntl
except ImportError:  # not POSIX: no advisory locks; writers are still atomic
    fcntl = None  # type: ignore[assignment]

STALE_FOREIGN_SECONDS = 24 * 3600
_TEMPORARY = re.compile(r"^\.(?P<stem>.*)\.tmp-(?:(?P<host>[A-Za-z0-9_]+)-)?(?P<pid>\d+)(?P<suffix>\.[^.]*)?$")
_WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS, errno.EIO,
                           errno.EFBIG, errno.EISDIR, errno.ENOTDIR, errno.ENAMETOOLONG})


# --- rule 1: is this an input? -----------------------------------------------------------------

def _location(path: Path) -> tuple[int, int, str] | None:
    """(device, inode) of the real folder holding `path`, and its name; None if the folder is absent."""
    try:
        folder = os.stat(path.parent)
    except OSError:
        return None
    return folder.st_dev, folder.st_ino, path.name


def _identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of what `path` names, symlinks followed; None when absent."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _input_paths(given: str | os.PathLike[str]) -> Iterator[Path]:
    """The files (and folders) an input names: a sequence's frames on disk, a folder and what it holds."""
    text = os.fspath(given)
    path = Path(text)
    if is_sequence_pattern(text) and not path.exists():
        try:
            pattern = SequencePattern.parse(text)
        except SequencePatternError:
            yield path
            return
        yield from (pattern.path(frame) for frame in pattern.discover())
    elif path.is_dir():
        yield path
        for root, _, files in os.walk(path):
            yield from (Path(root) / name for name in files)
    else:
        yield path


class InputFiles:
    """Where a run's inputs really are: locations (real folder + name) and identities (device + inode)."""

    def __init__(self, inputs: Iterable[str | os.PathLike[str]]) -> None:
        self._where: dict[tuple, str] = {}
        self._sequences: dict[tuple, str] = {}
        for given in inputs:
            text = os.fspath(given)
            if is_sequence_pattern(text) and not Path(text).exists():
                with contextlib.suppress(SequencePatternError):
                    self._sequences[_sequence_key(SequencePattern.parse(text))] = text
            for path in _input_paths(text):
                for key in (_location(path), _location(Path(os.path.realpath(path))), _identity(path)):
                    if key is not None:
                        self._where.setdefault(key, text)

    def input_at(self, path: Path) -> str | None:
        """The input (as given) that `path` would overwrite, or None."""
        for key in (_location(path), _identity(path)):
            if key is not None and key in self._where:
                return self._where[key]
        return None

    def sequence_like(self, pattern: SequencePattern) -> str | None:
        """The input sequence whose files `pattern` names (same real folder, name and suffix), or None."""
        return self._sequences.get(_sequence_key(pattern))


def _sequence_key(pattern: SequencePattern) -> tuple | None:
    folder, head = os.path.split(pattern.prefix)
    try:
        st = os.stat(folder or ".")
    except OSError:
        return None
    return st.st_dev, st.st_ino, head, pattern.suffix


def refuse_overwrite(output: str | os.PathLike[str], inputs: Iterable[str | os.PathLike[str]], *,
                     frames: Iterable[int] | None = None) -> None:
    """Raise `OutputError` if writing `output` would replace one of `inputs` (rule 1) or a folder.

    Args:
        output: a file, a folder, or a sequence pattern.
        inputs: files, folders (with everything in them) or sequence patterns (their frames on disk).
        frames: for a sequence `output`, the output frame numbers this run writes (default: the
            output frames already on disk, plus a pattern-level check).
    Raises: OutputError naming the output file and the input it is.
    """
    known = InputFiles(inputs)
    text = os.fspath(output)
    if is_sequence_pattern(text) and not Path(text).exists():
        pattern = SequencePattern.parse(text)
        same = known.sequence_like(pattern)
        if same is not None:
            how = "" if text == same else " (the same frame files, through a link or another spelling)"
            raise OutputError(f"{text}: would overwrite the input {same}{how}; write the output to another "
                              "folder or name")
        paths = [pattern.path(f) for f in (pattern.discover() if frames is None else frames)]
    else:
        paths = [Path(text)]
    for path in paths:
        source = known.input_at(path)
        if source is not None:
            how = "" if os.fspath(path) == source else " (the same file, through a link or another path)"
            what = "folder" if path.is_dir() else "name or folder"
            raise OutputError(f"{path}: would overwrite the input {source}{how}; choose another output {what}")


def prepare_output(output: str | os.PathLike[str], *, inputs: Iterable[str | os.PathLike[str]] = (),
                   frames: Iterable[int] | None = None, folder: bool = False) -> list[Path]:
    """Before a run writes `output`: rules 1 and 3. Returns the stale temporaries removed.

    Args: output: a file, a sequence pattern, or (`folder=True`) a folder the run writes into.
        inputs, frames: as for `refuse_overwrite`. Nothing is created here.
    Raises: OutputError (an input, or an output frame path that is a folder).
    """
    frames = None if frames is None else sorted(set(frames))
    refuse_overwrite(output, inputs, frames=frames)
    text = os.fspath(output)
    if folder:
        target = Path(text)
        if target.exists() and not target.is_dir():
            raise OutputError(f"{target}: is a file where an output folder goes; choose another output folder")
    elif is_sequence_pattern(text) and not Path(text).exists():
        pattern = SequencePattern.parse(text)
        for frame in frames or ():
            _refuse_folder(pattern.path(frame))
        target = pattern.path(0).parent
    else:
        _refuse_folder(Path(text))
        target = Path(text).parent
    return remove_stale_temporaries(target)


def _refuse_folder(path: Path) -> None:
    if path.is_dir():
        raise OutputError(f"{path}: is a folder where an output file goes; move it away or choose another output name")


# --- rule 2: atomic writes ---------------------------------------------------------------------

def host_tag() -> str:
    """This host's name as it appears in temporary names (letters, digits and _)."""
    return re.sub(r"[^A-Za-z0-9_]", "_", socket.gethostname()) or "host"


def temporary_name(final: Path) -> Path:
    """The temporary sibling of `final`, keeping its suffix so format-by-extension writers work."""
    return final.with_name(f".{final.stem}.tmp-{host_tag()}-{os.getpid()}{final.suffix}")


def check_writable_dir(folder: str | Path) -> Path:
    """Create `folder` if needed and check we may write there. Raises `OutputError` naming it."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{folder}: cannot create output folder (a file has that name); choose another -o")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{folder}: cannot create output folder ({exc.strerror}); choose another -o") from exc
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"{folder}: output folder is not writable; fix its permissions or choose another -o")
    return folder


@contextlib.contextmanager
def atomic_write_path(final: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to `final`; on success rename it to `final`, on error delete it.

    Raises: OutputError if the folder cannot be written, `final` is a folder, or the disk refuses
        the bytes (full, read-only, permissions).
    """
    final = Path(final)
    _refuse_folder(final)
    check_writable_dir(final.parent)
    tmp = temporary_name(final)
    try:
        try:
            yield tmp
            os.replace(tmp, final)
        except OSError as exc:
            if exc.errno not in _WRITE_ERRNOS:
                raise
            raise OutputError(f"{final}: cannot be written ({exc.strerror}); check free space and permissions, "
                              "or choose another output") from exc
    except BaseException:
        _remove(tmp)
        raise


def atomic_write_text(final: str | Path, text: str) -> None:
    """Write a text file atomically (UTF-8)."""
    with atomic_write_path(final) as tmp:
        tmp.write_text(text, encoding="utf-8")


# --- rule 3: nothing left behind ---------------------------------------------------------------

def process_alive(pid: int) -> bool:
    """True while `pid` runs on this host. A zombie (killed, not yet reaped: common when a farm's
    PID 1 does not reap orphans) is not alive: it can write nothing more."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True  # no /proc (not Linux): trust kill(0)
    return state != "Z"


def temporary_writer(path: Path) -> tuple[str | None, int] | None:
    """(host tag or None for an untagged name, pid) of a temporary's writer; None if not a temporary."""
    match = _TEMPORARY.match(path.name)
    return None if match is None else (match["host"], int(match["pid"]))


def is_stale_temporary(path: Path, *, now: float | None = None) -> bool:
    """True for a temporary (rule 2's naming) whose writer is gone (see the module docstring)."""
    writer = temporary_writer(path)
    if writer is None:
        return False
    host, pid = writer
    if host is None or host == host_tag():
        return pid != os.getpid() and not process_alive(pid)
    try:
        age = (time.time() if now is None else now) - os.lstat(path).st_mtime
    except OSError:
        return False
    return age > STALE_FOREIGN_SECONDS


def remove_stale_temporaries(folder: str | Path, *, recursive: bool = False) -> list[Path]:
    """Delete the stale temporaries (files or staging folders) in `folder` (and its subfolders when
    `recursive`: for small trees such as a model folder); return them."""
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    for entry in entries:
        path = Path(entry.path)
        if entry.name.startswith(".") and is_stale_temporary(path):
            _remove(path)
            removed.append(path)
        elif entry.name.startswith(".") and _remove_unheld_lock(path):
            removed.append(path)
        elif recursive and entry.is_dir(follow_symlinks=False):
            removed += remove_stale_temporaries(path, recursive=True)
    return removed


def _remove_unheld_lock(path: Path) -> bool:
    """Delete a rule-4 lock file that no process holds (its writer was killed); True if deleted.
    It is unlinked while we hold it, so a writer that opened it meanwhile sees it gone and retries."""
    if fcntl is None or not path.name.endswith(".lock") or not path.is_file():
        return False
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        path.unlink()
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink()
    except FileNotFoundError:
        pass


# --- rule 4: one writer per file ---------------------------------------------------------------

def lock_path(target: str | Path) -> Path:
    """The lock file of `target` (a file or a folder): `.NAME.lock` beside it."""
    target = Path(target)
    return target.with_name(f".{target.name}.lock")


@contextlib.contextmanager
def exclusive_writer(target: str | Path) -> Iterator[None]:
    """Hold the advisory lock of `target` while the block runs (rule 4).

    The lock file is removed on exit; a killed writer's lock is released by the kernel and the
    next run takes it over. Creates `target`'s folder if needed (removed again if left empty).
    Raises: OutputError naming `target` and the process that holds it.
    """
    if fcntl is None:
        yield
        return
    path = lock_path(target)
    created = [p for p in (path.parent, *path.parent.parents) if not p.exists()]  # deepest first
    check_writable_dir(path.parent)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another process"
            os.close(fd)
            if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise OutputError(f"{target}: cannot lock it for writing ({exc.strerror})") from exc
            raise OutputError(f"{target}: another facegraft run ({holder}) is writing it; wait for it to finish "
                              "or write to another output") from None
        if _same_inode(fd, path):
            break
        os.close(fd)  # the file was removed and re-created between open and lock: take the new one
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}".encode(), 0)
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        os.close(fd)
        for folder in created:  # folders made for the lock and left empty by a failed run
            try:
                folder.rmdir()
            except OSError:
                break


def _same_inode(fd: int, path: Path) -> bool:
    opened = os.fstat(fd)
    return _identity(path) == (opened.st_dev, opened.st_ino)
