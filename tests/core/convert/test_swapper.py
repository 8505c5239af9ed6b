"""core/convert/swapper.py: a crop's result does not depend on the crops that share its network call."""
import numpy as np
import torch

from facegraft.core.convert.swapper import ModelSwapper
from facegraft.core.models.config import ModelConfig
from facegraft.core.models.files import load_model, save_model
from facegraft.core.models.registry import create_model


def test_each_crop_is_the_same_alone_or_in_any_group(tmp_path):
    config = ModelConfig("df", resolution=64)
    torch.manual_seed(0)
    save_model(create_model(config), config, tmp_path / "m", training_state={"iteration": 0})
    swapper = ModelSwapper(load_model(tmp_path / "m"), batch=4)
    crops = np.random.default_rng(0).random((7, 64, 64, 3)).astype(np.float32)
    faces, masks = swapper(crops)
    assert faces.shape == (7, 64, 64, 3) and masks.shape == (7, 64, 64)
    for i in range(7):  # alone (padded), and at another slot of another group (as a farm chunk regroups frames)
        face, mask = swapper(crops[i:i + 1])
        np.testing.assert_array_equal(face[0], faces[i])
        np.testing.assert_array_equal(mask[0], masks[i])
    shifted, _ = swapper(crops[3:])
    np.testing.assert_array_equal(shifted, faces[3:])
    empty_faces, empty_masks = swapper(crops[:0])
    assert empty_faces.shape == (0, 64, 64, 3) and empty_masks.shape == (0, 64, 64)
