"""The 468 → iBUG-68 mapping: a convex weighting of valid vertices, linear, left-right symmetric,
and per face region close to dlib's 68 points on video frames."""
import numpy as np
import pytest
from test_blazeface import rgb

from facegraft.core.align.mean_face import MIRROR_68
from facegraft.core.detect.blazeface import BlazeFaceDetector
from facegraft.core.detect.dlib_backends import DlibLandmarks, HogDetector
from facegraft.core.detect.face_mesh import FaceMeshLandmarks
from facegraft.core.detect.mesh_topology import MESH_POINTS, MESH_TO_IBUG68, REGIONS, mesh_to_ibug68
from facegraft.core.detect.types import boxes_array, rolls_array
from facegraft.core.media.video import read_video

REGIONS_68 = {"jaw": range(0, 17), "brows": range(17, 27), "nose": range(27, 36), "eyes": range(36, 48),
              "mouth": range(48, 68)}


def test_every_point_is_a_convex_weighting_of_valid_vertices():
    assert len(MESH_TO_IBUG68) == 68
    for pairs in MESH_TO_IBUG68:
        assert 1 <= len(pairs) <= 2
        assert all(0 <= v < MESH_POINTS and 0 < w <= 1 for v, w in pairs)
        assert sum(w for _, w in pairs) == pytest.approx(1.0)
    assert all(0 <= v < MESH_POINTS for loop in REGIONS.values() for v in loop)


def test_mapping_is_linear_and_checks_shapes():
    rng = np.random.default_rng(0)
    mesh = rng.uniform(0, 100, (3, MESH_POINTS, 2))
    moved = mesh * 2.0 + np.array([5.0, -7.0])
    np.testing.assert_allclose(mesh_to_ibug68(moved), mesh_to_ibug68(mesh) * 2.0 + np.array([5.0, -7.0]))
    assert mesh_to_ibug68(mesh[0]).shape == (68, 2) and mesh_to_ibug68(mesh).shape == (3, 68, 2)
    np.testing.assert_allclose(mesh_to_ibug68(np.ones((MESH_POINTS, 2))), np.ones((68, 2)))
    with pytest.raises(ValueError):
        mesh_to_ibug68(np.zeros((68, 2)))


def test_mapping_is_left_right_symmetric(clips):
    """The mirror image's 68 points, mirrored back and renumbered (MIRROR_68), match the original's."""
    image = rgb(clips / "d19.jpg")
    flipped = np.ascontiguousarray(image[:, ::-1])
    detector, mesh = BlazeFaceDetector(), FaceMeshLandmarks()
    points = []
    for im in (image, flipped):
        found = detector(im)
        points.append(mesh.place(im, boxes_array(found), rolls=rolls_array(found)).points68[0])
    back = points[1].copy()
    back[:, 0] = image.shape[1] - back[:, 0]
    back = back[list(MIRROR_68)]
    iod = np.linalg.norm(points[0][45] - points[0][36])
    assert np.linalg.norm(back - points[0], axis=-1).mean() / iod < 0.03
    shuffled = back[[*range(1, 17), 0, *range(17, 68)]]  # negative control: one jaw point off by one
    assert np.linalg.norm(shuffled - points[0], axis=-1)[:17].mean() / iod > 0.03


@pytest.mark.slow
def test_per_region_error_against_dlib68_on_video_frames(clips):
    """Same HOG box for both; error / eye distance per region (measured: jaw ~0.05, others ~0.02)."""
    hog, dlib68, mesh = HogDetector(), DlibLandmarks(), FaceMeshLandmarks()
    errors = []
    for clip in ("d3.mp4", "d9.mp4", "d14.mp4", "d19.mp4"):
        for _, pixels in read_video(clips / clip, frames=range(1, 200, 40)):
            image = np.ascontiguousarray((np.clip(pixels, 0, 1) * 255 + 0.5).astype(np.uint8))
            box = boxes_array(hog(image))[:1]
            reference = dlib68(image, box)[0]
            iod = np.linalg.norm(reference[45] - reference[36])
            errors.append(np.linalg.norm(mesh(image, box)[0] - reference, axis=-1) / iod)
    errors = np.array(errors)
    assert len(errors) == 20
    by_region = {name: errors[:, list(r)].mean() for name, r in REGIONS_68.items()}
    assert by_region["jaw"] < 0.08
    assert all(by_region[name] < 0.045 for name in ("brows", "nose", "eyes", "mouth")), by_region
