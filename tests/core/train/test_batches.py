"""Batches: shapes, ranges, determinism, threaded prefetch equals inline."""
import itertools

import torch

from facegraft.core.train.augment import AugmentSettings
from facegraft.core.train.batches import make_batch, stream_batches
from facegraft.core.train.data import load_face_data


def _data(faceset_a, faceset_b):
    return load_face_data(faceset_a, holdout=4, gap=0, name="A"), load_face_data(faceset_b, holdout=4, gap=0, name="B")


def test_batch_shapes_and_ranges(faceset_a, faceset_b) -> None:
    a, b = _data(faceset_a, faceset_b)
    batch = make_batch(a, b, batch_size=5, settings=AugmentSettings(), seed=0, rank=0, iteration=0)
    for side in (batch.a, batch.b):
        assert side.inputs.shape == (5, 3, 64, 64) and side.targets.shape == (5, 3, 64, 64)
        assert side.masks.shape == (5, 1, 64, 64) and side.regions.shape == (5, 2, 64, 64)
        for t in (side.inputs, side.targets, side.masks, side.regions):
            assert t.dtype == torch.float32 and float(t.min()) >= 0 and float(t.max()) <= 1
        assert not torch.equal(side.inputs, side.targets)  # the input is warped, the target clean


def test_batches_are_a_function_of_seed_rank_iteration(faceset_a, faceset_b) -> None:
    a, b = _data(faceset_a, faceset_b)
    def make(seed, rank, iteration):
        return make_batch(a, b, batch_size=4, settings=AugmentSettings(), seed=seed, rank=rank, iteration=iteration)
    x, y = make(1, 0, 7), make(1, 0, 7)
    assert torch.equal(x.a.inputs, y.a.inputs) and torch.equal(x.b.targets, y.b.targets)
    for other in (make(2, 0, 7), make(1, 1, 7), make(1, 0, 8)):
        assert not torch.equal(x.a.inputs, other.a.inputs)


def test_threaded_stream_equals_inline(faceset_a, faceset_b) -> None:
    a, b = _data(faceset_a, faceset_b)
    common = dict(batch_size=3, settings=AugmentSettings(), seed=3, rank=0, start=5)
    inline = list(itertools.islice(stream_batches(a, b, workers=0, **common), 4))
    threaded = stream_batches(a, b, workers=2, **common)
    got = list(itertools.islice(threaded, 4))
    threaded.close()
    assert [x.iteration for x in got] == [5, 6, 7, 8]
    assert all(torch.equal(x.a.inputs, y.a.inputs) and torch.equal(x.b.regions, y.b.regions)
               for x, y in zip(inline, got))
