import pytest

from facegraft.core.errors import SequencePatternError
from facegraft.core.media.sequence import (SequencePattern, find_gaps, format_frame_range, is_sequence_pattern,
                                           parse_frame_range)


@pytest.mark.parametrize("spelling", ["shot/plate.####.exr", "shot/plate.%04d.exr", "shot/plate.@@@@.exr",
                                      "shot/plate.$F4.exr"])
def test_four_spellings_name_the_same_sequence(spelling):
    pattern = SequencePattern.parse(spelling)
    assert pattern == SequencePattern("shot/plate.", 4, ".exr")
    assert str(pattern.path(1001)) == "shot/plate.1001.exr"
    assert str(pattern.path(7)) == "shot/plate.0007.exr"
    assert pattern.hashes() == "shot/plate.####.exr" and pattern.printf() == "shot/plate.%04d.exr"


def test_unpadded_houdini_and_negative_frames():
    assert str(SequencePattern.parse("p.$F.exr").path(12)) == "p.12.exr"
    assert str(SequencePattern.parse("p.####.exr").path(-3)) == "p.-0003.exr"


@pytest.mark.parametrize("bad", ["plate.exr", "a.####.b.####.exr"])
def test_pattern_needs_exactly_one_token(bad):
    with pytest.raises(SequencePatternError, match="frame token"):
        SequencePattern.parse(bad)


def test_token_in_folder_name_is_not_a_frame_token():
    assert not is_sequence_pattern("render_####/plate.exr")


def test_frame_ranges():
    assert parse_frame_range("1001-1005") == [1001, 1002, 1003, 1004, 1005]
    assert parse_frame_range("1001-1009x4") == [1001, 1005, 1009]
    assert parse_frame_range("1001,1005,1010-1012") == [1001, 1005, 1010, 1011, 1012]
    assert parse_frame_range("5, 3, 3") == [3, 5]


@pytest.mark.parametrize("bad", ["", "a-b", "10-1", "1-5x0", "1--"])
def test_bad_frame_ranges(bad):
    with pytest.raises(SequencePatternError, match="frame range"):
        parse_frame_range(bad)


def test_format_and_gaps():
    assert format_frame_range([1, 2, 3, 7, 9, 10]) == "1-3,7,9-10"
    assert parse_frame_range(format_frame_range([1, 2, 3, 7, 9, 10])) == [1, 2, 3, 7, 9, 10]
    assert find_gaps([1001, 1002, 1005]) == [1003, 1004]


def test_discover_respects_padding(tmp_path):
    for name in ["p.1001.exr", "p.1002.exr", "p.0003.exr", "p.12345.exr", "p.003.exr", "q.1004.exr", "p.1004.png"]:
        (tmp_path / name).write_bytes(b"")
    assert SequencePattern.parse(str(tmp_path / "p.####.exr")).discover() == [3, 1001, 1002, 12345]
