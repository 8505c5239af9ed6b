"""The segmentation in use: convert keeps occluders as the plate had them; FaceMatte writes the
plate's visible-face matte; extract writes segmentation masks into a face set."""
import sys
from pathlib import Path

import numpy as np
import pytest

from facegraft.core.color import SRGB_ENCODED, ColorManager
from facegraft.core.convert.run import convert_plate
from facegraft.core.convert.settings import ConvertSettings
from facegraft.core.extract.faceset_export import write_faceset
from facegraft.core.faceset import load_faceset
from facegraft.core.masks.plate_matte import MatteSettings, write_face_mattes
from facegraft.core.masks.segment import SegmentMasker, load_mask_model
from facegraft.core.media.image_io import read_image
from facegraft.core.media.sequence import SequencePattern
from facegraft.core.media.source import open_source
from facegraft.core.post.matte import feather_gaussian, grow_matte

from mask_world import iou, occluded_plate

sys.path.insert(0, str(Path(__file__).parents[1] / "convert"))
from convert_helpers import FakeSwapper  # noqa: E402

HELD_OUT = (1, 7, 13)


@pytest.fixture(scope="module")
def plate(shot, donors, tmp_path_factory):
    return occluded_plate(shot, HELD_OUT, tmp_path_factory.mktemp("occluded_plate"), donors, seed=77)


def _convert(plate, out, model, **options):
    pattern, alignments, truth = plate
    masker = SegmentMasker(model) if model is not None else None
    settings = ConvertSettings(**{"color_match": "off", "feather": 0.0, "erode": 3, "outputs": "composite", **options})
    convert_plate(open_source(pattern, colorspace=SRGB_ENCODED), alignments, FakeSwapper(resolution=64), str(out),
                  sorted(truth), settings, color=ColorManager(), segmenter=None if masker is None else masker.many)
    return {n: read_image(SequencePattern.parse(str(out)).path(n)).pixels[..., :3] for n in truth}


def test_convert_with_segmentation_leaves_occluders_as_the_plate(plate, mask_model, tmp_path):
    """Occluder pixels over the face stay unchanged (> 90 %) with `--mask segment` (and with the
    landmark hull times the segmentation); the landmark matte alone (control) replaces them; the
    visible face is replaced. Occluder pixels are those more than one crop pixel (5 plate px)
    inside the occluder's edge: the 64 px network cannot place an edge closer than that on a
    290 px face. All runs erode the matte by 3 px, as a compositor would."""
    model = load_mask_model(mask_model)
    with_segment = _convert(plate, tmp_path / "seg.####.exr", model, mask="segment", mask_model=model.model_id)
    with_hull = _convert(plate, tmp_path / "hull.####.exr", None, mask="landmarks")
    combined = _convert(plate, tmp_path / "both.####.exr", model, mask="landmarks", mask_model=model.model_id)
    kept, kept_control, kept_combined, face_changed = [], [], [], []
    for number, (pixels, alpha, face) in plate[2].items():
        over_face = (grow_matte((alpha > 0.95).astype(np.float32), pixels=-5) > 0.5) & (face > 0.99)
        visible = grow_matte(((face > 0.99) & (alpha < 0.01)).astype(np.float32), pixels=-3) > 0.5
        unchanged = lambda out: np.abs(out - pixels).max(axis=2) < 1e-3  # noqa: E731
        kept.append(unchanged(with_segment[number])[over_face].mean())
        kept_control.append(unchanged(with_hull[number])[over_face].mean())
        kept_combined.append(unchanged(combined[number])[over_face].mean())
        face_changed.append(1 - unchanged(with_segment[number])[visible].mean())
    print(f"occluder pixels unchanged: segment {np.mean(kept):.3f}, landmarks x segment {np.mean(kept_combined):.3f}, "
          f"landmarks {np.mean(kept_control):.3f}; visible face replaced {np.mean(face_changed):.3f}")
    assert np.mean(kept) > 0.9 and np.mean(kept_combined) > 0.9
    assert np.mean(kept_control) < 0.2
    assert np.mean(face_changed) > 0.8


def test_face_matte_node_writes_the_visible_face(plate, mask_model, tmp_path):
    pattern, alignments, truth = plate
    model = load_mask_model(mask_model)
    source = open_source(pattern, colorspace=SRGB_ENCODED)
    frames = sorted(truth)
    written = write_face_mattes(source, alignments, model, str(tmp_path / "m.####.exr"), frames,
                                MatteSettings(feather=0.0), color=ColorManager())
    assert written == tuple(frames)
    scores, hull_scores = [], []
    for number, (_, alpha, face) in truth.items():
        matte = read_image(SequencePattern.parse(str(tmp_path / "m.####.exr")).path(number))
        assert matte.channels == ("A",)
        scores.append(iou(matte.pixels[..., 0], face * (1 - alpha)))
        hull_scores.append(iou(face, face * (1 - alpha)))
    print(f"FaceMatte IoU with the visible face: {np.mean(scores):.3f} (hull {np.mean(hull_scores):.3f})")
    assert min(scores) > 0.8 and np.mean(scores) > np.mean(hull_scores) + 0.02
    # grow/feather are MaskFeather's: the same matte shaped afterwards equals the node's own shaping
    shaped = write_face_mattes(source, alignments, model, str(tmp_path / "s.####.exr"), frames[:1],
                               MatteSettings(grow=-2, feather=3.0), color=ColorManager())
    assert shaped == (frames[0],)
    raw = read_image(SequencePattern.parse(str(tmp_path / "m.####.exr")).path(frames[0])).pixels[..., 0]
    expect = feather_gaussian(grow_matte(raw, pixels=-2), sigma=1.5)
    got = read_image(SequencePattern.parse(str(tmp_path / "s.####.exr")).path(frames[0])).pixels[..., 0]
    assert np.abs(got - expect).max() < 5e-3  # half-float storage
    # resume: a second run skips; other options refuse without --force
    assert write_face_mattes(source, alignments, model, str(tmp_path / "m.####.exr"), frames,
                             MatteSettings(feather=0.0), color=ColorManager()) == ()


def test_extract_masker_writes_segmentation_into_the_face_set(plate, mask_model, tmp_path):
    pattern, alignments, truth = plate
    masker = SegmentMasker(load_mask_model(mask_model))
    faceset = write_faceset(open_source(pattern, colorspace=SRGB_ENCODED), alignments, tmp_path / "fs",
                            color=ColorManager(), masker=masker)
    assert len(faceset) == len(truth)
    again = load_faceset(tmp_path / "fs")
    for i in range(len(again)):
        crop, mask = again.load(i)
        assert np.abs(mask - masker(crop, again.faces[i].landmarks)).max() < 0.05
