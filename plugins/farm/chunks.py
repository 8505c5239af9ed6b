"""Split a frame list into farm chunks, and spell frame lists the way farm queues read them.

A chunk is `size` consecutive entries of the sorted frame list (not of the number line), the
way Deadline's `ChunkSize` and OpenCue's `chunk` split a `Frames`/`range` list, so every
engine and `farm status` agree on chunk boundaries: chunk k is frames[k*size:(k+1)*size] and is
named by its first and last frame.
"""
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Chunk:
    """The frames one farm task renders. `frames` is sorted; `start`/`end` are its first and last."""

    frames: tuple[int, ...]

    @property
    def start(self) -> int:
        return self.frames[0]

    @property
    def end(self) -> int:
        return self.frames[-1]

    @property
    def name(self) -> str:
        """`1001-1010` (or `1001` for a one-frame chunk): the chunk's log and summary file stem."""
        return f"{self.start}" if self.start == self.end else f"{self.start}-{self.end}"


def split_chunks(frames: Iterable[int], *, size: int) -> list[Chunk]:
    """Chunks of `size` frames of the sorted, de-duplicated `frames`; the last may be shorter.

    Raises: ValueError for size < 1 or no frames (the CLI reports both to the user first).
    """
    if size < 1:
        raise ValueError(f"chunk size must be >= 1, got {size}")
    ordered = sorted(set(frames))
    if not ordered:
        raise ValueError("no frames to split")
    return [Chunk(tuple(ordered[i:i + size])) for i in range(0, len(ordered), size)]


def chunk_frames(frames: Iterable[int], *, start: int, end: int) -> list[int]:
    """The frames of `frames` in [start, end]: what a task given `<STARTFRAME>-<ENDFRAME>` renders."""
    return sorted(f for f in set(frames) if start <= f <= end)


def frame_list_spec(frames: Sequence[int]) -> str:
    """A compact range string that Deadline, OpenCue (FileSequence) and `parse_frame_range` all read.

    Runs with one step become `a-b` or `a-bxN`; lone frames stay single; parts join with commas.
    Example: [1, 2, 3, 10, 12, 14] -> "1-3,10-14x2".
    """
    ordered = sorted(set(frames))
    parts: list[str] = []
    i = 0
    while i < len(ordered):
        if i + 1 == len(ordered):
            parts.append(str(ordered[i]))
            break
        step = ordered[i + 1] - ordered[i]
        j = i + 1
        while j + 1 < len(ordered) and ordered[j + 1] - ordered[j] == step:
            j += 1
        if j - i >= 2 or step == 1:
            parts.append(f"{ordered[i]}-{ordered[j]}" + (f"x{step}" if step != 1 else ""))
            i = j + 1
        else:
            parts.append(str(ordered[i]))
            i += 1
    return ",".join(parts)
