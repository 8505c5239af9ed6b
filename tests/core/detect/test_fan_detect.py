"""face-alignment backends: missing weights are a clear error; the real loading path works with a
checkpoint of the right architecture (random weights) that the test writes where the loader looks."""
import numpy as np
import pytest

from facegraft.core.detect.fan_backends import FAN_2D_FILE, FanLandmarks, SfdDetector, fan_crop_matrix, heatmap_peaks
from facegraft.core.detect.registry import default_registry
from facegraft.core.errors import FacegraftError, ModelMismatchError


def test_missing_weights_raise_a_facegraft_error(tmp_path):
    with pytest.raises(ModelMismatchError, match="2DFAN4"):
        FanLandmarks(model_dir=tmp_path)
    with pytest.raises(FacegraftError, match="s3fd"):
        SfdDetector(model_dir=tmp_path)


def test_corrupt_checkpoint_is_reported(tmp_path):
    (tmp_path / FAN_2D_FILE).write_bytes(b"not a checkpoint")
    with pytest.raises(ModelMismatchError, match="state dict"):
        FanLandmarks(model_dir=tmp_path)


def test_fan_loads_from_torch_home_and_runs(tmp_path, monkeypatch):
    torch = pytest.importorskip("torch")
    from face_alignment.models import FAN

    torch.manual_seed(0)
    folder = tmp_path / "hub" / "checkpoints"
    folder.mkdir(parents=True)
    torch.save(FAN(4).state_dict(), folder / FAN_2D_FILE)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    model = default_registry().landmarks("fan2d")  # model_dir None: $TORCH_HOME/hub/checkpoints
    image = np.random.default_rng(0).integers(0, 255, (160, 200, 3), dtype=np.uint8)
    points = model(image, np.array([[40.0, 30.0, 140.0, 130.0]]))
    assert points.shape == (1, 68, 2) and np.all(np.isfinite(points))
    # random weights give arbitrary peaks, but always inside the FAN crop of the box
    crop = points[0] @ fan_crop_matrix(np.array([40.0, 30.0, 140.0, 130.0]))[:, :2].T + \
        fan_crop_matrix(np.array([40.0, 30.0, 140.0, 130.0]))[:, 2]
    assert np.all((crop >= 0) & (crop <= 256))
    assert model(image, np.empty((0, 4))).shape == (0, 68, 2)


def test_heatmap_peaks_are_pixel_centres():
    hm = np.zeros((1, 68, 64, 64), np.float32)
    hm[0, :, 10, 20] = 1.0
    np.testing.assert_allclose(heatmap_peaks(hm)[0, 0], [20.5, 10.5])
    hm[0, :, 10, 21] = 0.5  # a larger right neighbour moves the peak a quarter pixel right
    np.testing.assert_allclose(heatmap_peaks(hm)[0, 0], [20.75, 10.5])
