"""The backend registry: names without loading, own instances, clear errors; detection_image."""
import numpy as np
import pytest

from facegraft.core.color import SCENE_LINEAR, SRGB_ENCODED, ColorManager
from facegraft.core.detect.prepare import detection_image
from facegraft.core.detect.registry import BackendOptions, BackendRegistry, default_registry


def test_default_registry_lists_backends():
    r = default_registry()
    assert r.names("detector") == ("blazeface", "blazeface_short", "hog", "mmod", "sfd")
    assert r.names("landmarks") == ("mesh", "dlib68", "fan2d")
    assert "dlib" in r.describe("identity")["dlib_resnet"]


def test_every_backend_states_its_licence_and_the_defaults_are_commercial():
    r = default_registry()
    for kind in ("detector", "landmarks", "identity"):
        for name in r.names(kind):
            assert r.backend(kind, name).licence not in ("", "unknown")
    assert not r.backend("landmarks", "dlib68").commercial  # iBUG 300-W
    assert r.backend("landmarks", "mesh").commercial and r.backend("detector", "blazeface").commercial
    with pytest.raises(ValueError, match="known: mesh"):
        r.backend("landmarks", "nope")


def test_registries_are_independent_and_checked():
    a, b = BackendRegistry(), BackendRegistry()
    a.register("detector", "fake", lambda o: ("fake", o.upsample), description="a fake")
    assert b.names("detector") == ()
    assert a.create("detector", "fake", BackendOptions(upsample=2)) == ("fake", 2)
    with pytest.raises(ValueError):
        a.register("detector", "fake", lambda o: None, description="again")
    with pytest.raises(ValueError):
        a.register("segmenter", "x", lambda o: None, description="bad kind")
    with pytest.raises(ValueError, match="known: fake"):
        a.create("detector", "nope")


def test_detection_image_encodes_scene_linear_for_display():
    color = ColorManager()
    linear = np.full((4, 4, 3), 0.18, np.float32)
    linear[0, 0] = 5.0  # above display white: clipped
    img = detection_image(linear, colorspace=SCENE_LINEAR, color=color)
    assert img.dtype == np.uint8 and img.shape == (4, 4, 3)
    assert 100 < img[1, 1, 0] < 140 and img[0, 0, 0] == 255
    srgb = np.full((2, 2, 4), 0.5, np.float32)
    assert detection_image(srgb, colorspace=SRGB_ENCODED, color=color)[0, 0, 0] == 128


def test_detection_image_of_grey_pixels():
    grey = np.full((3, 5, 1), 0.5, np.float32)
    img = detection_image(grey, colorspace=SRGB_ENCODED, color=ColorManager())
    assert img.shape == (3, 5, 3) and np.all(img == 128)
