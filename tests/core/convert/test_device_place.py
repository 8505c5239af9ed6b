"""core/convert/device_place.py: the torch placement (convert --device cuda) against the numpy/OpenCV one,
both run here on the CPU."""
import dataclasses

import cv2
import numpy as np
import pytest
import torch

from facegraft.core.align.geometry import FaceCrop
from facegraft.core.color.perceptual import ACESCG
from facegraft.core.convert import device_place, run as convert_run
from facegraft.core.convert.composite import SwappedFace, place_face, roi_box, warp_to_plate
from facegraft.core.convert.settings import ConvertSettings
from facegraft.core.convert.swapper import ModelSwapper
from facegraft.core.media.image_io import read_image
from facegraft.core.media.source import open_source
from facegraft.core.post.matte import feather_gaussian, grow_matte

from convert_helpers import FakeSwapper, mean_face_landmarks, synthetic_alignments

CPU = torch.device("cpu")


def smooth(shape, seed, sigma=4.0, scale=1.0):
    rng = np.random.default_rng(seed)
    return (cv2.GaussianBlur(rng.random(shape).astype(np.float32), (0, 0), sigma) * scale).astype(np.float32)


def swapped_face(size=64, scale=150.0, seed=0):
    landmarks = mean_face_landmarks(center=(250.0, 215.0), scale=scale)
    crop = FaceCrop.from_landmarks(landmarks, size=size, face_type="full")
    yy, xx = np.mgrid[:size, :size] / size - 0.5
    learned = np.clip((0.2 - xx**2 - yy**2) * 12, 0, 1).astype(np.float32)  # an oval, soft edge
    plate = smooth((480, 480, 3), seed + 1, scale=1.5)
    face = (smooth((size, size, 3), seed, sigma=2.0) * np.array([0.4, 0.8, 1.6], np.float32) + 0.1).astype(np.float32)
    return SwappedFace(0, crop, landmarks, face, learned, crop.cut(plate)), plate


@pytest.mark.parametrize("border", ["border", "zeros"])
@pytest.mark.parametrize("size, face_scale", [(64, 150.0), (256, 35.0), (256, 60.0)])  # 35, 60: crops 3.3x and
def test_warp_matches_opencv(border, size, face_scale):                                 # 1.9x denser than the plate
    swapped, plate = swapped_face(size=size, scale=face_scale)
    assert (swapped.crop.scale >= 1.25) == (size == 256)  # the area filter runs first on those
    box = roi_box(swapped.crop, plate.shape[:2], (0, 0), margin=3)
    cv_border = cv2.BORDER_REPLICATE if border == "border" else cv2.BORDER_CONSTANT
    expected = warp_to_plate(swapped.crop, swapped.face, box, (0, 0), border=cv_border)
    got = device_place._warp(torch.from_numpy(swapped.face.transpose(2, 0, 1).copy()), swapped.crop, box, (0, 0),
                             border=border).permute(1, 2, 0).numpy()
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() < 1e-3 and np.abs(got - expected).mean() < 1e-5


@pytest.mark.parametrize("pixels", [4, -3])
def test_grow_and_feather_match_the_numpy_ops(pixels):
    matte = np.zeros((60, 70), np.float32)
    matte[10:50, 5:45] = smooth((40, 40), 3) * 2 + 0.2  # soft values, and a corner on the array's edge
    matte[:8, 60:] = 1.0
    matte = np.clip(matte, 0, 1)
    tensor = torch.from_numpy(matte)[None]
    assert np.allclose(device_place._grow(tensor, pixels)[0].numpy(), grow_matte(matte, pixels=pixels), atol=1e-7)
    assert np.allclose(device_place._gaussian(tensor, 2.5)[0].clamp(max=1).numpy(), feather_gaussian(matte, sigma=2.5),
                       atol=1e-5)


@pytest.mark.parametrize("changes", [{}, {"erode": 3}, {"color_match": "lct", "color_amount": 0.5},
                                     {"color_match": "mkl", "mask": "learned"}, {"color_match": "off", "feather": 0.0}])
def test_placement_matches_the_cpu_path(changes):
    swapped, plate = swapped_face()
    settings = dataclasses.replace(ConvertSettings(), **changes)
    assert device_place.supports(settings, ACESCG)
    cpu = place_face(swapped, plate, (0, 1, 2), data_origin=(0, 0), settings=settings, working=ACESCG, frame_seed=0)
    dev = device_place.place_face_on_device(swapped, plate, (0, 1, 2), data_origin=(0, 0), settings=settings,
                                            working=ACESCG, device=CPU)
    assert dev.box == cpu.box
    assert np.abs(dev.matte - cpu.matte).max() < 1e-4
    inside = cpu.matte > 0
    assert np.abs(dev.face - cpu.face)[inside].max() < 1e-4
    if settings.color_match != "off":  # the match really ran: the face moved a long way toward the plate
        assert np.abs(dev.face - swapped_warped(swapped, cpu.box))[inside].mean() > 0.05


def swapped_warped(swapped, box):
    return warp_to_plate(swapped.crop, swapped.face, box, (0, 0), border=cv2.BORDER_REPLICATE)


def test_only_settings_it_can_do_go_to_the_device():
    assert device_place.supports(ConvertSettings(), ACESCG)
    for changes in ({"blend": "poisson"}, {"sharpen": 0.5}, {"grain": "match"}, {"feather_mode": "distance"},
                    {"color_match": "histogram"}):
        settings = dataclasses.replace(ConvertSettings(), **changes)
        assert not device_place.supports(settings, ACESCG)
        with pytest.raises(ValueError, match="CPU path"):
            swapped, plate = swapped_face()
            device_place.place_face_on_device(swapped, plate, (0, 1, 2), data_origin=(0, 0), settings=settings,
                                              working=ACESCG, device=CPU)
    # a network on the CPU places on the CPU; a stand-in without a device too
    assert convert_run.placement_device(FakeSwapper(), ConvertSettings(), ACESCG) is None


def test_convert_through_the_device_path_matches_the_cpu_path(exr_plate, tmp_path, color, monkeypatch):
    """A whole convert with placement forced onto the (CPU) torch device: the same frames to float
    rounding (a half-float step at most), bit-identical outside the matte."""
    settings = ConvertSettings(color_match="rct", feather=4.0)
    alignments = synthetic_alignments(range(1001, 1007))
    frames = [1001, 1002]

    def convert(out):
        return convert_run.convert_plate(open_source(exr_plate), alignments, FakeSwapper(), str(out), frames, settings,
                                         color=color)

    convert(tmp_path / "cpu.####.exr")
    monkeypatch.setattr(convert_run, "placement_device", lambda swapper, s, w: CPU)
    convert(tmp_path / "dev.####.exr")
    for frame in frames:
        plate = read_image(str(exr_plate).replace("####", str(frame))).pixels
        a, b = read_image(tmp_path / f"cpu.{frame}.exr"), read_image(tmp_path / f"dev.{frame}.exr")
        matte = a.pixels[..., a.channels.index("matte.A")]
        assert np.array_equal(b.pixels[..., :3][matte == 0], plate[..., :3][matte == 0])
        assert np.abs(a.pixels - b.pixels).max() < 2e-3  # half-float files: one rounding step at ~2
        assert np.abs(a.pixels - b.pixels).mean() < 1e-5


def test_model_swapper_reports_its_device(tmp_path):
    from facegraft.core.models.config import ModelConfig
    from facegraft.core.models.files import load_model, save_model
    from facegraft.core.models.registry import create_model

    config = ModelConfig("df", encoder_width=8, bottleneck_dims=16, decoder_width=8, decoder_depth=0)
    save_model(create_model(config), config, tmp_path / "m", training_state={"iteration": 0})
    swapper = ModelSwapper(load_model(tmp_path / "m"), batch=2)
    assert swapper.device == CPU
    assert convert_run.placement_device(swapper, ConvertSettings(), ACESCG) is None
