"""A plain JSON export of an alignments file, for other tools (no embeddings, no settings).

Layout (schema "FaceAlignmentsExport", version 1)::

    {"schema": "FaceAlignmentsExport", "version": 1,
     "source": "plate.####.exr", "width": 1920, "height": 1080, "face_type": "full", "size": 256,
     "convention": "...",
     "frames": {"1001": [{"face_id": 0, "box": [x0, y0, x1, y1],
                          "landmarks_raw": [[x, y] * 68], "landmarks": [[x, y] * 68],
                          "frame_to_crop": [[a, b, c], [d, e, f]]}], "1002": []}}

Frames without faces are listed with an empty list.
"""
from facegraft.core.alignments.format import Alignments

EXPORT_SCHEMA = "FaceAlignmentsExport"
EXPORT_VERSION = 1
CONVENTION = ("pixels of the full frame; x right, y down; origin at the top-left corner of the top-left pixel "
              "(pixel i covers [i, i+1)); landmarks in iBUG-68 order; frame_to_crop maps frame pixels to pixels "
              "of a size x size crop: crop = M[:, :2] @ p + M[:, 2]; landmarks are temporally smoothed, "
              "landmarks_raw as detected")


def export_json(alignments: Alignments) -> dict:
    """The export dict (see module docstring) of `alignments`."""
    h = alignments.header
    frames = {}
    for n in alignments.frames:
        frames[str(n)] = [{k: v for k, v in f.to_json().items() if k in
                           ("face_id", "box", "landmarks_raw", "landmarks", "frame_to_crop")}
                          for f in alignments.faces(n)]
    return {"schema": EXPORT_SCHEMA, "version": EXPORT_VERSION, "source": h.source, "width": h.width,
            "height": h.height, "face_type": h.face_type, "size": h.size, "convention": CONVENTION, "frames": frames}
