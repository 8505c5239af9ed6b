"""Property tests (hypothesis) for frame ranges and sequence patterns: round trips hold for every
input drawn, and text that is not a range or pattern is a SequencePatternError, never a crash."""
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facegraft.core.errors import SequencePatternError
from facegraft.core.media.sequence import (MAX_FRAMES, SequencePattern, find_gaps, format_frame_range,
                                           is_sequence_pattern, parse_frame_range)

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
frame_numbers = st.integers(min_value=-5000, max_value=200000)
names = st.text(alphabet="abcxyz_-09", min_size=1, max_size=8)
suffixes = st.sampled_from([".exr", ".png", ".dpx", ".tif", "_v2.exr", ""])


@FAST
@given(st.sets(frame_numbers, max_size=60))
def test_format_then_parse_gives_the_same_frames(frames: set[int]) -> None:
    if not frames:
        return
    assert parse_frame_range(format_frame_range(frames)) == sorted(frames)


@FAST
@given(frame_numbers, st.integers(0, 3000), st.integers(1, 50))
def test_a_stepped_range_is_python_range(first: int, length: int, step: int) -> None:
    assert parse_frame_range(f"{first}-{first + length}x{step}") == list(range(first, first + length + 1, step))


@FAST
@given(st.lists(st.tuples(frame_numbers, st.integers(0, 500)), min_size=1, max_size=6))
def test_a_comma_list_is_the_union_of_its_parts(parts: list[tuple[int, int]]) -> None:
    text = ",".join(f"{a}-{a + n}" if n else str(a) for a, n in parts)
    expected = sorted({f for a, n in parts for f in range(a, a + n + 1)})
    assert parse_frame_range(text) == expected
    assert find_gaps(expected) == sorted(set(range(expected[0], expected[-1] + 1)) - set(expected))


@FAST
@given(st.text(max_size=30))
def test_any_text_is_a_range_or_a_clean_error(text: str) -> None:
    try:
        frames = parse_frame_range(text)
    except SequencePatternError as error:
        assert "\n" not in str(error)
        return
    assert frames == sorted(set(frames)) and len(frames) <= MAX_FRAMES


def test_a_range_too_large_to_hold_is_refused_before_it_is_built() -> None:
    with pytest.raises(SequencePatternError, match="more than"):
        parse_frame_range("1-1000000000000")


@FAST
@given(names, st.integers(1, 8), suffixes, st.lists(st.integers(-50, 99999), min_size=1, max_size=5, unique=True))
def test_four_spellings_name_the_same_files_and_discover_finds_them(head: str, padding: int, suffix: str,
                                                                    frames: list[int]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        spellings = [f"{head}.{'#' * padding}{suffix}", f"{head}.%0{padding}d{suffix}",
                     f"{head}.{'@' * padding}{suffix}", f"{head}.$F{padding}{suffix}"]
        patterns = [SequencePattern.parse(os.path.join(folder, s)) for s in spellings]
        assert all(p == patterns[0] for p in patterns)
        for frame in frames:
            Path(patterns[0].path(frame)).write_bytes(b"")
        assert patterns[0].discover() == sorted(frames)
        assert all(is_sequence_pattern(p.hashes()) and is_sequence_pattern(p.printf()) for p in patterns)


@FAST
@given(st.text(alphabet="ab.#@%$F0123456789d/_", max_size=24))
def test_any_pattern_text_parses_or_is_a_clean_error(text: str) -> None:
    try:
        pattern = SequencePattern.parse(text)
    except SequencePatternError as error:
        assert "\n" not in str(error)
        return
    assert SequencePattern.parse(pattern.hashes()) == pattern
    assert str(pattern.path(1001)).endswith(pattern.suffix)
