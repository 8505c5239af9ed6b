"""Alignments v2: optional dense (mesh) points per face, the v1 → v2 upgrade, smoothing of dense tracks."""
import json
from pathlib import Path

import numpy as np
import pytest

from facegraft.core.alignments import load_alignments, save_alignments
from facegraft.core.alignments.format import VERSION, Alignments, FaceAlignment, upgrade
from facegraft.core.errors import AlignmentsError
from facegraft.core.extract.finalize import IdentitySettings, finalize
from facegraft.core.extract.smoothing import SMOOTHING_PRESETS

FIXTURE_V1 = Path(__file__).resolve().parents[2] / "data" / "alignments_v1.json"


def with_dense(alignments: Alignments, *, seed: int = 0) -> Alignments:
    """Every face gets 468 jittered points around its raw 68 (a stand-in for the mesh)."""
    rng = np.random.default_rng(seed)
    frames = {}
    for n in alignments.frames:
        faces = []
        for f in alignments.faces(n):
            dense = f.landmarks_raw[rng.integers(0, 68, 468)] + rng.normal(0, 0.5, (468, 2))
            faces.append(FaceAlignment(f.face_id, f.box, f.score, f.detected, f.landmarks_raw, f.landmarks,
                                       f.frame_to_crop, f.embedding, dense, dense))
        frames[n] = tuple(faces)
    return alignments.with_frames(frames)


def test_v1_upgrades_to_the_current_version_without_dense_points():
    data = json.loads(FIXTURE_V1.read_text())
    assert data["version"] == 1 and VERSION == 2
    assert upgrade(data)["version"] == VERSION
    loaded = load_alignments(FIXTURE_V1)
    assert all(f.dense is None and f.dense_raw is None for n in loaded.frames for f in loaded.faces(n))


def test_dense_points_round_trip_and_are_absent_when_none(tmp_path):
    plain = load_alignments(FIXTURE_V1)
    dense = with_dense(plain)
    path = save_alignments(dense, tmp_path / "dense.json")
    back = load_alignments(path)
    for n in dense.frames:
        for a, b in zip(dense.faces(n), back.faces(n)):
            np.testing.assert_allclose(b.dense_raw, a.dense_raw, atol=0.005)
            assert b.dense.shape == (468, 2)
    assert '"dense' not in save_alignments(plain, tmp_path / "plain.json").read_text()


def test_a_dense_array_of_another_shape_than_its_raw_is_corrupt(tmp_path):
    path = save_alignments(with_dense(load_alignments(FIXTURE_V1)), tmp_path / "dense.json")
    data = json.loads(path.read_text())
    data["frames"]["1001"][0]["dense"] = data["frames"]["1001"][0]["dense"][:10]
    (tmp_path / "bad.json").write_text(json.dumps(data))
    with pytest.raises(AlignmentsError, match="corrupt"):
        load_alignments(tmp_path / "bad.json")


def test_finalize_smooths_dense_tracks_like_the_68_points():
    raw = with_dense(load_alignments(FIXTURE_V1), seed=3)
    out = finalize(raw, identity=IdentitySettings(), smoothing=SMOOTHING_PRESETS["high"])
    track = [out.faces(n)[0] for n in (1001, 1002, 1003)]
    dense_raw = np.array([f.dense_raw for f in track])
    dense = np.array([f.dense for f in track])
    assert dense.shape == (3, 468, 2) and not np.allclose(dense, dense_raw)  # smoothed, raw kept
    second_diff = lambda x: np.abs(np.diff(x, n=2, axis=0)).mean()  # noqa: E731
    assert second_diff(dense) < second_diff(dense_raw)
    none = finalize(raw, identity=IdentitySettings(), smoothing=SMOOTHING_PRESETS["none"])
    np.testing.assert_allclose(none.faces(1001)[0].dense, none.faces(1001)[0].dense_raw, atol=0.006)
