import pytest

from facegraft.core.media.sequence import parse_frame_range
from facegraft.plugins.farm.chunks import Chunk, chunk_frames, frame_list_spec, split_chunks


def test_split_chunks_sizes_and_names():
    chunks = split_chunks(range(1001, 1031), size=8)
    assert [c.name for c in chunks] == ["1001-1008", "1009-1016", "1017-1024", "1025-1030"]
    assert sum(len(c.frames) for c in chunks) == 30
    assert split_chunks([5], size=3) == [Chunk((5,))] and split_chunks([5], size=3)[0].name == "5"


def test_split_chunks_follow_the_frame_list_not_the_number_line():
    chunks = split_chunks(parse_frame_range("1001-1020x2"), size=3)
    assert chunks[0].frames == (1001, 1003, 1005) and chunks[-1].frames == (1019,)
    # a task given only its first and last frame finds exactly its frames
    for chunk in chunks:
        assert chunk_frames(parse_frame_range("1001-1020x2"), start=chunk.start, end=chunk.end) == list(chunk.frames)


def test_split_chunks_rejects_bad_input():
    with pytest.raises(ValueError):
        split_chunks(range(10), size=0)
    with pytest.raises(ValueError):
        split_chunks([], size=1)


@pytest.mark.parametrize("frames, spec", [
    ([1, 2, 3], "1-3"), ([7], "7"), ([1, 3, 5, 7], "1-7x2"), ([1, 2, 3, 10, 12, 14], "1-3,10-14x2"),
    ([1, 5], "1,5"), ([1, 5, 6], "1,5-6"), ([-3, -2, -1, 0], "-3-0"),
])
def test_frame_list_spec_round_trips(frames, spec):
    assert frame_list_spec(frames) == spec
    assert parse_frame_range(spec) == sorted(frames)
