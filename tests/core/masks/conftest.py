"""Session fixtures for the segmentation tests: a real shot's face set and one mask model trained on
half of its faces (trained once: CI has two cores)."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from mask_world import RESOLUTION, SIZE, STEPS, build_faceset  # noqa: E402

from facegraft.core.faceset import FaceSet  # noqa: E402
from facegraft.core.masks.segment import SegmentConfig  # noqa: E402
from facegraft.core.masks.segment_train import load_samples, train_segmenter  # noqa: E402

CLIP = "d18.mp4"


@pytest.fixture(scope="session")
def shot(clips: Path, tmp_path_factory: pytest.TempPathFactory) -> FaceSet:
    """24 faces of one talking-head clip, every 9th frame; even indices train, odd ones are held out."""
    return build_faceset(clips / CLIP, tmp_path_factory.mktemp("shot"), count=24, size=SIZE, step=9)


@pytest.fixture(scope="session")
def donors(clips: Path, tmp_path_factory: pytest.TempPathFactory) -> list:
    """Crops of another person's clip: hair, background and clothes to fill occluders with."""
    other = build_faceset(clips / "d19.mp4", tmp_path_factory.mktemp("donors"), count=6, size=SIZE, step=20)
    return [other.load(i)[0] for i in range(len(other))]


@pytest.fixture(scope="session")
def train_half(shot: FaceSet) -> FaceSet:
    return shot.with_faces(shot.faces[::2])


@pytest.fixture(scope="session")
def mask_model(train_half: FaceSet, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A mask model trained on the even faces of `shot` (landmark hulls + synthetic occluders only)."""
    folder = tmp_path_factory.mktemp("mask_model") / "model"
    samples = load_samples([train_half], resolution=RESOLUTION)
    train_segmenter(samples, folder, steps=STEPS, config=SegmentConfig(resolution=RESOLUTION), batch=16,
                    learning_rate=4e-3, threads=1, save_every=10_000)
    return folder
