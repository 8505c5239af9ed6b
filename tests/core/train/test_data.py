"""Face data loading, region maps, pair checks."""
import dataclasses

import numpy as np
import pytest
import torch

from facegraft.core.align.face_geometry import expression_code
from facegraft.core.train.data import (MIN_TRAIN_FACES, check_pair, identity_expression, load_face_data, region_maps,
                                      split_indices)
from facegraft.core.train.errors import TrainingError


def test_region_maps_cover_eyes_and_mouth(faceset_a) -> None:
    landmarks = faceset_a.faces[0].landmarks
    maps = region_maps(landmarks, 64)
    assert maps.shape == (2, 64, 64) and maps.dtype == np.float32
    assert maps.min() >= 0 and maps.max() <= 1
    eye = np.round(landmarks[36:42].mean(0)).astype(int)
    mouth = np.round(landmarks[48:60].mean(0)).astype(int)
    assert maps[0, eye[1], eye[0]] > 0.5 and maps[1, mouth[1], mouth[0]] > 0.5
    assert maps[0, mouth[1], mouth[0]] < 0.1


def test_region_maps_without_landmarks_are_empty() -> None:
    assert region_maps(np.full((68, 2), np.nan), 32).max() == 0


def test_split_keeps_a_gap_before_the_held_out_block() -> None:
    frames = list(range(1, 301))  # every frame of a 300-frame clip
    train, held = split_indices(frames, holdout=12, gap=15)
    assert held == list(range(288, 300)) and train == list(range(0, 288 - 15))
    assert frames[held[0]] - frames[train[-1]] == 16  # 15 frames between: none trained
    every_third = list(range(1, 301, 3))  # 100 faces: the gap is 5 of them
    train, held = split_indices(every_third, holdout=12, gap=15)
    assert len(held) == 12 and every_third[held[0]] - every_third[train[-1]] > 15
    train, held = split_indices(list(range(1, 21)), holdout=12, gap=15)  # a short clip: a fifth each
    assert len(held) == 4 and len(train) == 12
    assert split_indices(list(range(1, 21)), holdout=0, gap=15) == (list(range(20)), [])
    with pytest.raises(ValueError):
        split_indices(frames, holdout=-1, gap=0)


def test_load_face_data_splits_holdout(faceset_a) -> None:
    data = load_face_data(faceset_a, holdout=4, gap=0, name="A")
    assert data.train.shape == (len(faceset_a) - 4, 6, 64, 64) and data.holdout.shape == (4, 6, 64, 64)
    gapped = load_face_data(faceset_a, holdout=4, gap=6, name="A")  # faces every 3 frames: 2 dropped
    assert len(gapped.train) == len(faceset_a) - 6 and torch.equal(gapped.holdout, data.holdout)
    crop, mask = faceset_a.load(len(faceset_a) - 1)
    assert np.allclose(data.holdout[-1, :3].float().numpy().transpose(1, 2, 0), crop, atol=1e-3)
    assert np.allclose(data.holdout[-1, 3].float().numpy(), mask, atol=1e-3)
    # each training face's expression code rides with it
    codes = identity_expression(expression_code(np.stack([f.landmarks for f in faceset_a.faces[:-4]])))
    assert data.expression.shape == (len(faceset_a) - 4, 4)
    assert np.array_equal(data.expression.numpy(), codes, equal_nan=True)


def test_minimum_size(faceset_a) -> None:
    small = faceset_a.with_faces(faceset_a.faces[:MIN_TRAIN_FACES - 1])
    with pytest.raises(TrainingError, match=f"at least {MIN_TRAIN_FACES}"):
        load_face_data(small, holdout=0, gap=0, name="A")


def test_check_pair(faceset_a, faceset_b) -> None:
    check_pair(faceset_a, faceset_b)
    with pytest.raises(TrainingError, match="color encoding"):
        check_pair(faceset_a, dataclasses.replace(faceset_b, color_encoding="ACEScg"))


def test_identity_expression_centres_the_resting_measures() -> None:
    codes = np.array([[0.0, 1.0, 2.0, 3.0], [1.0, 3.0, 4.0, 5.0], [2.0, 5.0, np.nan, 7.0], [9.0, 9.0, 9.0, 9.0]],
                     np.float32)
    out = identity_expression(codes)  # medians: width 4, smile 4 (of the known three), eyes 6
    assert np.array_equal(out[:, 0], codes[:, 0])  # mouth opening keeps its natural zero
    assert np.array_equal(out[:, 1:], codes[:, 1:] - [4.0, 4.0, 6.0], equal_nan=True)
