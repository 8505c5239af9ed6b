"""Extraction end to end on real clips: tracking, shards = one run, resume, the right person,
scene-linear EXR input, face sets."""
import numpy as np
import pytest

from facegraft.core.alignments import load_alignments, merge_alignments, save_alignments
from facegraft.core.alignments.format import dumps
from facegraft.core.alignments.stats import jitter_figures
from facegraft.core.color import ColorManager
from facegraft.core.detect.registry import BackendOptions, default_registry
from facegraft.core.errors import AlignmentsError, NoFaceError
from facegraft.core.extract.faceset_export import write_faceset
from facegraft.core.extract.finalize import IdentitySettings
from facegraft.core.extract.pipeline import (ExtractModels, ExtractSettings, embed_reference, extract_alignments,
                                             plan_frames, require_faces)
from facegraft.core.extract.tracking import TrackingSettings
from facegraft.core.faceset import load_faceset
from facegraft.core.media.source import open_source
from facegraft.core.media.transcode import TranscodeSettings, transcode


@pytest.fixture(scope="module")
def color():
    return ColorManager()


def make_models(upsample: int = 0) -> ExtractModels:
    registry = default_registry()
    return ExtractModels(registry.detector("hog", BackendOptions(upsample=upsample)),
                         registry.landmarks("dlib68"), registry.identity("dlib_resnet"))


@pytest.fixture(scope="module")
def models():
    return make_models()


@pytest.fixture(scope="module")
def d18(clips):
    return open_source(clips / "d18.mp4")


@pytest.fixture(scope="module")
def one_run(d18, models, color):
    return extract_alignments(d18, models=models, settings=ExtractSettings(), color=color, frames=range(1, 21))


@pytest.fixture(scope="module")
def examples(faces_dir):
    return faces_dir / "ageitgey__face_recognition" / "examples"


def test_plan_frames_adds_the_pre_roll_from_the_keyframe():
    assert plan_frames([15, 16, 30], range(1, 100), redetect_every=10) == [10, 11, 12, 13, 14, 15, 16, 30]
    assert plan_frames([5], range(3, 100), redetect_every=10) == [3, 4, 5]
    assert plan_frames([7, 8], range(1, 100), redetect_every=1) == [7, 8]


def test_d18_end_to_end(one_run):
    a = one_run.alignments
    assert a.frames == list(range(1, 21)) and one_run.computed == tuple(range(1, 21))
    assert all(len(a.faces(n)) == 1 for n in a.frames) and a.face_ids() == [0]
    assert one_run.detections <= 4  # tracked, not detected, on most frames
    assert sum(f.detected for n in a.frames for f in a.faces(n)) == one_run.detections
    h = a.header
    assert (h.width, h.height, h.detector, h.landmarks, h.face_type, h.size) == (480, 480, "hog", "dlib68", "full", 256)
    face = a.faces(10)[0]
    assert np.all((face.landmarks > 0) & (face.landmarks < 480))
    crop = face.crop(size=256, face_type="full")
    assert np.all((crop.to_crop(face.landmarks) > 0) & (crop.to_crop(face.landmarks) < 256))
    figure = jitter_figures(a)[0]
    assert figure.smoothed < figure.raw


def test_tracking_matches_detecting_every_frame(d18, models, color, one_run):
    every = extract_alignments(d18, models=models, color=color, frames=range(1, 21),
                               settings=ExtractSettings(tracking=TrackingSettings(redetect_every=1)))
    assert every.detections == 20
    a, b = one_run.alignments, every.alignments
    iod = np.linalg.norm(b.faces(1)[0].landmarks_raw[45] - b.faces(1)[0].landmarks_raw[36])
    err = np.mean([np.linalg.norm(a.faces(n)[0].landmarks_raw - b.faces(n)[0].landmarks_raw, axis=-1).mean()
                   for n in a.frames])
    assert err / iod < 0.01


def test_shards_merge_to_the_same_file_as_one_run(d18, models, color, one_run, tmp_path):
    first = extract_alignments(d18, models=models, settings=ExtractSettings(), color=color, frames=range(1, 14))
    second = extract_alignments(d18, models=models, settings=ExtractSettings(), color=color, frames=range(14, 21))
    save_alignments(first.alignments, tmp_path / "a.json")
    save_alignments(second.alignments, tmp_path / "b.json")
    merged = merge_alignments([load_alignments(tmp_path / "b.json"), load_alignments(tmp_path / "a.json")])
    assert dumps(merged) == dumps(one_run.alignments)


def test_resume_computes_only_missing_frames(d18, models, color, one_run):
    part = extract_alignments(d18, models=models, settings=ExtractSettings(), color=color, frames=range(1, 8))
    rest = extract_alignments(d18, models=models, settings=ExtractSettings(), color=color, frames=range(1, 21),
                              previous=part.alignments)
    assert rest.computed == tuple(range(8, 21))
    assert dumps(rest.alignments) == dumps(one_run.alignments)
    again = extract_alignments(d18, models=models, settings=ExtractSettings(), color=color, frames=range(1, 21),
                               previous=rest.alignments)
    assert again.computed == () and again.detections == 0
    with pytest.raises(AlignmentsError, match="face_type"):
        extract_alignments(d18, models=models, settings=ExtractSettings(face_type="head"), color=color,
                           frames=range(1, 21), previous=rest.alignments)


def test_force_on_a_subset_replaces_only_those_frames(d18, models, color, one_run):
    redone = extract_alignments(d18, models=models, settings=ExtractSettings(), color=color, frames=[5, 6, 7],
                                previous=one_run.alignments, recompute=True)
    assert redone.computed == (5, 6, 7)
    assert dumps(redone.alignments) == dumps(one_run.alignments)  # frames 1-4 and 8-20 kept, 5-7 identical
    with pytest.raises(AlignmentsError, match="holds frames 1-4,8-20 outside --frames, which --force would lose"):
        extract_alignments(d18, models=models, settings=ExtractSettings(size=128), color=color, frames=[5, 6, 7],
                           previous=one_run.alignments, recompute=True, previous_name="a.json")
    other = extract_alignments(d18, models=models, settings=ExtractSettings(size=128), color=color,
                               frames=range(1, 21), previous=one_run.alignments, recompute=True)
    assert other.alignments.header.size == 128 and other.computed == tuple(range(1, 21))


def test_progress_is_saved_while_frames_are_computed(d18, models, color, one_run):
    saves = []
    done = extract_alignments(d18, models=models, settings=ExtractSettings(), color=color, frames=range(1, 7),
                              save=saves.append, save_seconds=0)
    assert [s.frames for s in saves] == [list(range(1, n + 1)) for n in range(1, 7)]
    assert dumps(saves[-1]) == dumps(done.alignments)
    resumed = extract_alignments(d18, models=models, settings=ExtractSettings(), color=color, frames=range(1, 21),
                                 previous=saves[2])  # as after a kill following the third save
    assert resumed.computed == tuple(range(4, 21)) and dumps(resumed.alignments) == dumps(one_run.alignments)
    quiet = []
    extract_alignments(d18, models=models, settings=ExtractSettings(), color=color, frames=range(1, 4),
                       save=quiet.append, save_seconds=3600)
    assert quiet == []


def test_reference_keeps_obama(examples, models, color):
    source = open_source(examples / "two_people.jpg")
    both = extract_alignments(source, models=models, settings=ExtractSettings(), color=color)
    assert both.alignments.face_ids() == [0, 1]
    reference = embed_reference(examples / "obama.jpg", models=models, color=color)
    settings = ExtractSettings(identity=IdentitySettings(reference=tuple(reference)))
    kept = extract_alignments(source, models=models, settings=settings, color=color).alignments.faces(1)
    assert len(kept) == 1 and kept[0].face_id == 0
    assert kept[0].box[2] < 1126 / 2  # Obama stands on the left of two_people.jpg
    biden = embed_reference(examples / "biden.jpg", models=models, color=color)
    settings = ExtractSettings(identity=IdentitySettings(reference=tuple(biden)))
    kept = extract_alignments(source, models=models, settings=settings, color=color).alignments.faces(1)
    assert len(kept) == 1 and kept[0].box[0] > 1126 / 2


def test_reference_without_a_face_is_a_clear_error(tmp_path, models, color):
    import cv2

    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((120, 160, 3), 128, np.uint8))
    with pytest.raises(NoFaceError, match="blank.png"):
        embed_reference(blank, models=models, color=color)


def test_no_face_anywhere_is_detected(tmp_path, models, color):
    import cv2

    for n in (1, 2, 3):
        cv2.imwrite(str(tmp_path / f"empty.{n:04d}.png"), np.full((64, 64, 3), 40 * n, np.uint8))
    result = extract_alignments(open_source(tmp_path / "empty.####.png"), models=models,
                                settings=ExtractSettings(), color=color)
    assert result.alignments.frames == [1, 2, 3] and all(not result.alignments.faces(n) for n in (1, 2, 3))
    with pytest.raises(NoFaceError, match="no face found in 3 frames"):
        require_faces(result.alignments, where="empty.####.png")


def test_hamilton_small_faces_with_a_frame_as_reference(faces_dir, examples, color, tmp_path):
    """Small stage faces: found with upsampling; the reference keeps only the person it shows."""
    import cv2

    models = make_models(upsample=1)
    clip = open_source(examples / "short_hamilton_clip.mp4")
    frames = list(range(85, 91))
    found = extract_alignments(clip, models=models, settings=ExtractSettings(upsample=1), color=color, frames=frames)
    assert all(found.alignments.faces(n) for n in frames)
    still = clip.read(86).pixels
    cv2.imwrite(str(tmp_path / "ref.png"), (np.clip(still, 0, 1)[..., ::-1] * 255).astype(np.uint8))
    reference = embed_reference(tmp_path / "ref.png", models=models, color=color)
    settings = ExtractSettings(upsample=1, identity=IdentitySettings(reference=tuple(reference)))
    kept = extract_alignments(clip, models=models, settings=settings, color=color, frames=frames).alignments
    assert all(len(kept.faces(n)) == 1 and kept.faces(n)[0].face_id == 0 for n in frames)
    obama = embed_reference(examples / "obama.jpg", models=models, color=color)
    settings = ExtractSettings(upsample=1, identity=IdentitySettings(reference=tuple(obama)))
    nobody = extract_alignments(clip, models=models, settings=settings, color=color, frames=frames).alignments
    assert not any(nobody.faces(n) for n in frames)


def test_scene_linear_exr_plate_matches_the_video(clips, tmp_path, models, color):
    video = open_source(clips / "d19.mp4")
    transcode(video, str(tmp_path / "plate.####.exr"), range(1, 5),
              TranscodeSettings(to_colorspace="ACEScg", pixel_type="half", frame_offset=1000), color=color)
    plate = open_source(tmp_path / "plate.####.exr")
    assert plate.colorspace != "sRGB Encoded Rec.709 (sRGB)"
    from_exr = extract_alignments(plate, models=models, settings=ExtractSettings(), color=color).alignments
    from_video = extract_alignments(video, models=models, settings=ExtractSettings(), color=color,
                                    frames=range(1, 5)).alignments
    assert from_exr.frames == [1001, 1002, 1003, 1004]
    for n in range(1, 5):
        a, b = from_exr.faces(n + 1000)[0].landmarks_raw, from_video.faces(n)[0].landmarks_raw
        assert np.abs(a - b).mean() < 1.0


def test_face_set_from_alignments(d18, one_run, color, tmp_path):
    faceset = write_faceset(d18, one_run.alignments, tmp_path / "faces", color=color, frames=[1, 2, 3])
    again = load_faceset(tmp_path / "faces")
    assert len(again) == 3 == len(faceset) and again.size == 256 and again.face_type == "full"
    crop, mask = again.load(0)
    assert crop.shape == (256, 256, 3) and mask.shape == (256, 256)
    assert 0.2 < mask.mean() < 0.8 and mask[128, 128] == 1.0
    record = again.faces[0]
    face = one_run.alignments.faces(1)[0]
    np.testing.assert_allclose(record.frame_to_crop, face.frame_to_crop, atol=1e-8)
    np.testing.assert_allclose(record.landmarks, face.crop(size=256, face_type="full").to_crop(face.landmarks),
                               atol=1e-3)


def test_smoothing_reduces_jitter_on_d19(clips, models, color):
    source = open_source(clips / "d19.mp4")
    result = extract_alignments(source, models=models, settings=ExtractSettings(), color=color, frames=range(1, 41))
    figure = jitter_figures(result.alignments)[0]
    assert figure.frames == 40
    assert figure.smoothed < 0.7 * figure.raw
