"""Frame-sequence patterns and frame ranges.

Patterns: `name.####.exr` (one `#` per digit), `name.%04d.exr`, `name.@@@@.exr` (one `@` per
digit) and `name.$F4.exr` (Houdini; `$F` alone means no padding) all name the same sequence.
Frame ranges: `1001-1100`, `1001-1100x2` (step), and comma lists such as `1001,1005,1010-1020`.
"""
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from facegraft.core.errors import SequencePatternError

_TOKEN = re.compile(r"#+|@+|%0?(\d*)d|\$F(\d*)")
MAX_FRAMES = 1_000_000  # frames one range may name (a range is expanded in memory)
_RANGE_PART = re.compile(r"^\s*(-?\d+)\s*(?:-\s*(-?\d+)\s*(?:[x:]\s*(\d+)\s*)?)?$")


@dataclass(frozen=True)
class SequencePattern:
    """A frame sequence `prefix + frame number zero-padded to `padding` digits + suffix`."""

    prefix: str
    padding: int
    suffix: str

    @classmethod
    def parse(cls, pattern: str | os.PathLike[str]) -> "SequencePattern":
        """Parse any of the four spellings. Raises `SequencePatternError` if there is no single frame token."""
        text = os.fspath(pattern)
        name_start = text.rfind(os.sep) + 1
        tokens = list(_TOKEN.finditer(text, name_start))
        if len(tokens) != 1:
            what = "no frame token" if not tokens else "more than one frame token"
            raise SequencePatternError(f"{text}: {what}; name a sequence like name.####.exr, name.%04d.exr, "
                                       "name.@@@@.exr or name.$F4.exr")
        token = tokens[0]
        spelled = token.group(0)
        if spelled[0] in "#@":
            padding = len(spelled)
        else:
            digits = token.group(1) if spelled.startswith("%") else token.group(2)
            padding = max(int(digits), 1) if digits else 1  # `$F0` and `%00d` mean no padding, like `$F`
        return cls(text[:token.start()], padding, text[token.end():])

    def path(self, frame: int) -> Path:
        """The file of `frame` (negative frames keep their sign before the padding)."""
        sign = "-" if frame < 0 else ""
        return Path(f"{self.prefix}{sign}{abs(frame):0{self.padding}d}{self.suffix}")

    def hashes(self) -> str:
        """The `####` spelling (what Nuke's Read and Write take)."""
        return f"{self.prefix}{'#' * self.padding}{self.suffix}"

    def printf(self) -> str:
        """The `%04d` spelling (what Blender and FFmpeg take)."""
        return f"{self.prefix}%0{self.padding}d{self.suffix}"

    def discover(self) -> list[int]:
        """Frame numbers present on disk, sorted. Unpadded numbers longer than the padding count too."""
        folder = Path(self.prefix).parent if os.sep in self.prefix else Path(".")
        head = Path(self.prefix).name
        match = re.compile(re.escape(head) + r"(-?\d+)" + re.escape(self.suffix) + r"$")
        frames = []
        try:
            names = os.listdir(folder)
        except (FileNotFoundError, NotADirectoryError):
            return []
        for name in names:
            m = match.match(name)
            if m and (len(m.group(1).lstrip("-")) == self.padding
                      or (len(m.group(1).lstrip("-")) > self.padding and not m.group(1).lstrip("-").startswith("0"))):
                frames.append(int(m.group(1)))
        return sorted(frames)


def is_sequence_pattern(text: str | os.PathLike[str]) -> bool:
    """True when the file name part holds a frame token."""
    text = os.fspath(text)
    return _TOKEN.search(text, text.rfind(os.sep) + 1) is not None


def parse_frame_range(text: str) -> list[int]:
    """Frames named by `1001-1100`, `1001-1100x2` or a comma list of those; sorted, without repeats.

    Raises: SequencePatternError for a malformed or empty range.
    """
    frames: set[int] = set()
    for part in text.split(","):
        m = _RANGE_PART.match(part)
        if not m:
            raise SequencePatternError(f"frame range {text!r}: cannot read {part.strip()!r}; "
                                       "write e.g. 1001-1100, 1001-1100x2 or 1001,1005,1010-1020")
        first = int(m.group(1))
        last = int(m.group(2)) if m.group(2) is not None else first
        step = int(m.group(3)) if m.group(3) else 1
        if last < first or step < 1:
            raise SequencePatternError(f"frame range {text!r}: {part.strip()!r} is empty; "
                                       "the first frame must not exceed the last, and the step must be >= 1")
        if len(frames) + (last - first) // step + 1 > MAX_FRAMES:
            raise SequencePatternError(f"frame range {text!r}: more than {MAX_FRAMES} frames; name the frames of "
                                       "the plate (e.g. 1001-1100)")
        frames.update(range(first, last + 1, step))
    return sorted(frames)


def format_frame_range(frames: Iterable[int]) -> str:
    """The shortest comma list of `a-b` runs for `frames` (inverse of parse_frame_range for step 1)."""
    ordered = sorted(set(frames))
    parts: list[str] = []
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        parts.append(str(ordered[i]) if i == j else f"{ordered[i]}-{ordered[j]}")
        i = j + 1
    return ",".join(parts)


def find_gaps(frames: Iterable[int]) -> list[int]:
    """Frames missing between the first and last of `frames`."""
    present = sorted(set(frames))
    if not present:
        return []
    return sorted(set(range(present[0], present[-1] + 1)) - set(present))
