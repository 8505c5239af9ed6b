"""Compositor roto as labels: reading PNG/EXR alpha or a layer into crop space, one-line errors for
bad mattes, and fine-tuning on three roto frames of a shot with a persistent occluder."""
import shutil

import numpy as np
import pytest

from facegraft.core.errors import FacegraftError, MediaError
from facegraft.core.masks.roto import alpha_channel, roto_labels, split_matte_argument
from facegraft.core.masks.segment import load_mask_model, predict_masks
from facegraft.core.masks.segment_train import load_samples, train_segmenter
from facegraft.core.media.image_io import new_image, write_image

from mask_world import RESOLUTION, bar_alpha, barred_faceset, hull, iou, plate_matte_of, write_roto

PLATE = (480, 480)  # d18.mp4 (width, height)
FINE_TUNE_STEPS = 120


def test_split_matte_argument():
    assert split_matte_argument("roto.####.exr") == ("roto.####.exr", None)
    assert split_matte_argument("roto.####.exr:face") == ("roto.####.exr", "face")
    assert split_matte_argument("C:/roto.####.exr") == ("C:/roto.####.exr", None)
    assert split_matte_argument("/a:b/roto.####.exr") == ("/a:b/roto.####.exr", None)


def test_alpha_channel_choice():
    assert alpha_channel(("R", "G", "B", "A"), None, where="f") == "A"
    assert alpha_channel(("Y",), None, where="f") == "Y"
    assert alpha_channel(("R", "G", "B", "A", "face.A"), "face", where="f") == "face.A"
    assert alpha_channel(("R", "G", "B", "roto"), "roto", where="f") == "roto"
    with pytest.raises(MediaError, match="f: has no alpha channel"):
        alpha_channel(("R", "G", "B"), None, where="f")


def test_roto_maps_into_crop_space_with_the_stored_transforms(shot, tmp_path):
    """A roto made from each face's own hull comes back onto that hull in crop space, from PNG
    alpha and from a named EXR layer alike."""
    frames = {shot.faces[i].frame: i for i in (0, 4, 8)}
    for frame, i in frames.items():
        matte = plate_matte_of(shot, i, hull(shot, i), PLATE[::-1])
        write_roto(str(tmp_path / "png" / "roto.####.png"), frame, matte)
        pixels = np.zeros(PLATE[::-1] + (4,), np.float32)
        pixels[..., 3] = matte
        write_image(tmp_path / "exr" / f"roto.{frame:04d}.exr",
                    new_image(pixels, ("R", "G", "B", "face.A"), pixel_type="half"))
    from_png = roto_labels(shot, str(tmp_path / "png" / "roto.####.png"))
    from_exr = roto_labels(shot, str(tmp_path / "exr" / "roto.####.exr"), layer="face")
    assert sorted(from_png) == sorted(from_exr) == sorted(frames.values())
    for i in frames.values():
        assert iou(from_png[i], hull(shot, i)) > 0.97
        assert iou(from_exr[i], hull(shot, i)) > 0.97
        assert from_png[i].shape == (shot.size, shot.size) and from_png[i].dtype == np.float32


def _bad(tmp_path, name):
    return tmp_path / name / "roto.####.png"


def test_bad_roto_inputs_are_one_line_errors(shot, tmp_path):
    frame = shot.faces[0].frame
    matte = np.ones(PLATE[::-1], np.float32)
    write_roto(str(_bad(tmp_path, "small")), frame, matte[:200, :300])
    write_roto(str(_bad(tmp_path, "rgb")), frame, matte, alpha=False)
    write_roto(str(_bad(tmp_path, "stray")), frame + 1, matte)  # a frame the face set does not hold
    write_roto(str(_bad(tmp_path, "good")), frame, matte)
    cases = [(str(_bad(tmp_path, "small")), None, ("300x200", "plate is 480x480", f"{frame:04d}")),
             (str(_bad(tmp_path, "rgb")), None, ("has no alpha channel", "R, G, B")),
             (str(_bad(tmp_path, "stray")), None, (f"frame {frame + 1}", "has no face")),
             (str(_bad(tmp_path, "none")), None, ("no frames found",)),
             (str(_bad(tmp_path, "good")), "hair", ("layer 'hair'", "R, G, B, A"))]
    for pattern, layer, expect in cases:
        with pytest.raises(FacegraftError) as info:
            roto_labels(shot, pattern, layer=layer)
        message = str(info.value)
        assert "\n" not in message, message
        for text in expect:
            assert text in message, (text, message)


def test_three_roto_frames_teach_a_persistent_occluder(mask_model, shot, tmp_path):
    """A skin-toned bar (an arm) stands in front of the face in every frame, so the landmark hull
    labels it face. Three roto frames that cut it out, used to fine-tune, raise the IoU on the other frames;
    the control fine-tunes as long on the same faces without the roto."""
    barred = barred_faceset(shot, tmp_path / "barred")
    bar = bar_alpha(shot.size)
    truth = {i: hull(shot, i) * (1 - bar) for i in range(len(shot))}
    roto_faces = (0, 10, 20)
    for i in roto_faces:
        write_roto(str(tmp_path / "roto" / "roto.####.png"), shot.faces[i].frame,
                   plate_matte_of(shot, i, truth[i], PLATE[::-1]))
    labels = roto_labels(barred, str(tmp_path / "roto" / "roto.####.png"))
    assert sorted(labels) == list(roto_faces)
    steps = load_mask_model(mask_model).training_state["step"] + FINE_TUNE_STEPS
    arms = {}
    for name, roto in (("roto", [labels]), ("control", None)):
        folder = tmp_path / f"arm_{name}"
        shutil.copytree(mask_model, folder)
        samples = load_samples([barred], resolution=RESOLUTION, roto=roto)
        train_segmenter(samples, folder, steps=steps, resume=True, batch=16, learning_rate=4e-3, threads=1,
                        save_every=10_000)
        arms[name] = load_mask_model(folder)
    others = [i for i in range(len(shot)) if i not in roto_faces]
    crops = np.stack([barred.load(i)[0] for i in others])
    priors = np.stack([hull(shot, i) for i in others])
    scores = {}
    for name, model in (("base", load_mask_model(mask_model)), *arms.items()):
        predicted = predict_masks(model.network, crops, priors, resolution=RESOLUTION)
        scores[name] = float(np.mean([iou(p, truth[i]) for p, i in zip(predicted, others)]))
    hull_iou = float(np.mean([iou(hull(shot, i), truth[i]) for i in others]))
    print(f"IoU on the other {len(others)} frames with the bar: hull {hull_iou:.3f}, base {scores['base']:.3f}, "
          f"fine-tuned without roto {scores['control']:.3f}, with 3 roto frames {scores['roto']:.3f}")
    assert scores["roto"] >= scores["control"] + 0.03
    assert scores["roto"] >= scores["base"] + 0.03
    assert scores["roto"] > 0.85
