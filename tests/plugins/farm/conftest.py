"""Fixtures for the farm tests: a small real EXR plate cut from a real talking-head clip."""
from pathlib import Path

import pytest

from facegraft.core.media.image_io import new_image, write_image
from facegraft.core.media.video import read_video

PLATE_FRAMES = range(1001, 1031)  # 30 frames, 256x256 half RGB


@pytest.fixture(scope="session")
def plate_dir(tmp_path_factory: pytest.TempPathFactory, clips: Path) -> Path:
    """`plate.####.exr`, frames 1001-1030: 256x256 crops of d18.mp4 frames 1-30, half float."""
    folder = tmp_path_factory.mktemp("farm_plate")
    for number, pixels in read_video(clips / "d18.mp4", frames=range(1, len(PLATE_FRAMES) + 1)):
        write_image(folder / f"plate.{1000 + number:04d}.exr",
                    new_image(pixels[100:356, 112:368].copy(), ("R", "G", "B"), pixel_type="half"))
    return folder


@pytest.fixture
def plate(plate_dir: Path) -> str:
    return str(plate_dir / "plate.####.exr")


@pytest.fixture
def convert_job(plate: str):
    """Factory: a one-layer job running `media convert` of the plate into OUT/conv.####.exr."""
    from facegraft.plugins.farm.job import FarmSettings, JobSpec, LayerSpec

    def make(out: Path, *, frames=PLATE_FRAMES, chunk: int = 10, name: str = "conv", executable=None,
             extra: tuple[str, ...] = ("--to-colorspace", "sRGB Encoded Rec.709 (sRGB)"), **settings) -> JobSpec:
        pattern = str(out / "conv.####.exr")
        layer = LayerSpec("convert", ("media", "convert", plate, pattern, *extra), tuple(frames), chunk, pattern)
        job = JobSpec(name, (layer,), FarmSettings(**settings))
        return job if executable is None else JobSpec(name, (layer,), job.settings, tuple(executable))

    return make
