"""The 468-point face mesh's regions, and the mapping from mesh points to the iBUG-68 points.

Index loops follow MediaPipe's `face_mesh_connections.py` (Apache-2.0), ordered around each
contour. "Right" and "left" are the subject's: the right eye is on the image's left.

iBUG-68 from the mesh (`MESH_TO_IBUG68`): each of the 68 points is the mean of one or two mesh
vertices, chosen by the semantics of the iBUG annotation scheme (jaw line, brows, nose bridge and
base, eye corners and lids, outer and inner lips) among the vertices of the matching mesh contour,
then checked against dlib's 68 points per region (tests/core/detect/test_mesh_topology.py,
tests/benchmarks/bench_extract.py). Known differences, by construction of the two schemes:
- jaw (0-16): iBUG follows the visible outline of the cheek and chin, the mesh's face oval is a
  fixed line on the 3D surface; on turned heads the far side's oval is behind the cheek, so the
  far jaw points sit inside the visible outline (a few % of the eye distance on frontal faces);
- brows (17-26): iBUG marks the brow's upper-middle line; mesh brow vertices lie on its edges,
  so each point is the mean of an upper and a lower brow vertex;
- inner lips: iBUG 60/64 are the inner mouth corners (the mesh's 78/308).
Convention: points are (x, y) pixels; the mapping is linear, so it works in frame or crop pixels.
"""
import numpy as np

MESH_POINTS = 468

FACE_OVAL = (10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152,
             148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109)
LIPS_OUTER = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185)
LIPS_INNER = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308, 415, 310, 311, 312, 13, 82, 81, 80, 191)
RIGHT_EYE = (33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246)
LEFT_EYE = (263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466)
RIGHT_BROW_UPPER = (70, 63, 105, 66, 107)
RIGHT_BROW_LOWER = (46, 53, 52, 65, 55)
LEFT_BROW_UPPER = (300, 293, 334, 296, 336)
LEFT_BROW_LOWER = (276, 283, 282, 295, 285)
REGIONS = {"face_oval": FACE_OVAL, "lips_outer": LIPS_OUTER, "lips_inner": LIPS_INNER, "right_eye": RIGHT_EYE,
           "left_eye": LEFT_EYE}

# iBUG-68 point i = sum of weight * mesh vertex over MESH_TO_IBUG68[i] ((vertex, weight) pairs).
MESH_TO_IBUG68: tuple[tuple[tuple[int, float], ...], ...] = (
    # jaw 0-16, from the subject's right ear (image left) over the chin to the left ear
    ((127, 1),), ((234, 0.75), (137, 0.25)), ((93, 0.75), (215, 0.25)), ((215, 0.75), (132, 0.25)),
    ((172, 0.75), (215, 0.25)), ((136, 1),), ((149, 0.75), (150, 0.25)), ((148, 0.5), (176, 0.5)), ((152, 1),),
    ((377, 0.5), (400, 0.5)), ((378, 0.75), (379, 0.25)), ((365, 1),), ((397, 0.75), (435, 0.25)),
    ((435, 0.75), (361, 0.25)), ((323, 0.75), (435, 0.25)), ((454, 0.75), (366, 0.25)), ((356, 1),),
    # right brow 17-21 (outer to inner), left brow 22-26 (inner to outer)
    ((70, 0.75), (46, 0.25)), ((63, 1),), ((105, 0.75), (66, 0.25)), ((66, 0.75), (107, 0.25)),
    ((107, 0.5), (55, 0.5)), ((336, 0.5), (285, 0.5)), ((296, 0.75), (336, 0.25)), ((334, 0.75), (296, 0.25)),
    ((293, 1),), ((300, 0.75), (276, 0.25)),
    # nose bridge 27-30 (top to tip), nose base 31-35 (right to left)
    ((168, 0.75), (6, 0.25)), ((197, 1),), ((197, 0.5), (4, 0.5)), ((275, 0.5), (45, 0.5)),
    ((240, 0.75), (97, 0.25)), ((97, 1),), ((2, 0.75), (164, 0.25)), ((326, 1),), ((460, 0.75), (326, 0.25)),
    # right eye 36-41: outer corner, upper lid (2), inner corner, lower lid (2)
    ((33, 0.25), (7, 0.75)), ((160, 0.5), (159, 0.5)), ((158, 0.75), (157, 0.25)), ((155, 1),),
    ((145, 0.25), (153, 0.75)), ((144, 1),),
    # left eye 42-47: inner corner, upper lid (2), outer corner, lower lid (2)
    ((382, 1),), ((385, 0.75), (384, 0.25)), ((387, 0.5), (386, 0.5)), ((263, 0.25), (249, 0.75)), ((373, 1),),
    ((374, 0.25), (380, 0.75)),
    # outer lips 48-59: right corner, upper lip, left corner, lower lip back
    ((61, 1),), ((40, 0.25), (39, 0.75)), ((37, 1),), ((0, 1),), ((267, 1),), ((270, 0.25), (269, 0.75)),
    ((291, 1),), ((321, 0.25), (405, 0.75)), ((314, 1),), ((17, 1),), ((84, 1),), ((91, 0.25), (181, 0.75)),
    # inner lips 60-67: right corner, upper lip, left corner, lower lip back
    ((78, 0.75), (95, 0.25)), ((81, 0.25), (82, 0.75)), ((13, 1),), ((311, 0.25), (312, 0.75)),
    ((308, 0.75), (324, 0.25)), ((402, 0.25), (317, 0.75)), ((14, 1),), ((178, 0.25), (87, 0.75)),
)


def _mapping_matrix() -> np.ndarray:
    matrix = np.zeros((68, MESH_POINTS))
    for i, pairs in enumerate(MESH_TO_IBUG68):
        for vertex, weight in pairs:
            matrix[i, vertex] += weight
    matrix.setflags(write=False)
    return matrix


_MAPPING = _mapping_matrix()


def mesh_to_ibug68(mesh: np.ndarray) -> np.ndarray:
    """The iBUG-68 points of mesh points.

    Args: mesh: (..., 468, 2) float, any pixel grid. Returns: (..., 68, 2) float64 on that grid.
    Raises: ValueError for a wrong shape.
    """
    mesh = np.asarray(mesh, np.float64)
    if mesh.shape[-2:] != (MESH_POINTS, 2):
        raise ValueError(f"mesh must have shape (..., {MESH_POINTS}, 2), got {mesh.shape}")
    return np.einsum("kp,...pc->...kc", _MAPPING, mesh)
