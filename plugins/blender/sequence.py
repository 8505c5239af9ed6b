"""Blender image sequences as facegraft patterns and frame ranges (no bpy).

A sequence Image in Blender names one of its files (`//plates/shot.1001.exr`); the frame number
is the last run of digits before the extension. The Image node's `frame_duration` frames are read
from file number `frame_offset + 1` on (Blender's image-user convention).
"""
import os
import re
from pathlib import Path

_NUMBER = re.compile(r"(\d+)(\.[^./\\]+)$")


class SequenceError(Exception):
    """The selected image is not a usable sequence; the message says what to do."""


def pattern_of(filepath: str) -> str:
    """`/a/shot.1001.exr` → `/a/shot.####.exr` (padding = the digit count). Raises SequenceError."""
    match = _NUMBER.search(filepath)
    if not match:
        raise SequenceError(f"{filepath}: the file name has no frame number; load an image sequence "
                            "(e.g. shot.1001.exr) into the Image node")
    return filepath[:match.start(1)] + "#" * len(match.group(1)) + match.group(2)


def file_frames(frame_offset: int, frame_duration: int) -> tuple[int, int]:
    """First and last file frame an Image node reads."""
    if frame_duration < 1:
        raise SequenceError("the Image node reads no frames; set its Frames count")
    return frame_offset + 1, frame_offset + frame_duration


def frames_on_disk(pattern: str) -> list[int]:
    """Frame numbers present for a `####` pattern."""
    folder, name = os.path.split(pattern)
    head, _, tail = name.partition("#")
    tail = tail.lstrip("#")
    found = []
    for entry in os.listdir(folder or "."):
        if entry.startswith(head) and entry.endswith(tail):
            middle = entry[len(head):len(entry) - len(tail)]
            if middle.isdigit():
                found.append(int(middle))
    return sorted(found)


def check_range(pattern: str, first: int, last: int) -> None:
    """Raise SequenceError naming the frames of first..last missing on disk."""
    if not Path(pattern).parent.is_dir():
        raise SequenceError(f"{Path(pattern).parent}: folder not found; check the Image node's file path")
    have = set(frames_on_disk(pattern))
    missing = [f for f in range(first, last + 1) if f not in have]
    if missing:
        raise SequenceError(f"{pattern}: frames {missing[0]}{'...' if len(missing) > 1 else ''} of {first}-{last} are "
                            "not on disk; fix the Image node's Frames/Offset or render the missing frames")


def output_pattern(pattern: str, node: str) -> str:
    """Where a node's result goes: `<plate folder>/facegraft_<node>/<name>.####.exr`."""
    folder, name = os.path.split(pattern)
    stem = name.split("#")[0].rstrip("._") or "frame"
    return os.path.join(folder, f"facegraft_{node}", f"{stem}_{node.lower()}.{'#' * max(4, name.count('#'))}.exr")
