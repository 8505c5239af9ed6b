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


@pytest.fixture(scope="session")
def face_convert_inputs(plate_dir: Path, clips: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """What the face convert of the plate needs: its alignments (facegraft extract, real detection)
    and a tiny model trained here on real faces (d19 as identity A, the plate's own faces as B)."""
    from facegraft.plugins.cli.main import main

    root = tmp_path_factory.mktemp("farm_face")
    plate = str(plate_dir / "plate.####.exr")
    steps = [
        ["-q", "extract", plate, "-o", str(root / "plate.json"), "--faces-out", str(root / "faces_b"), "--size", "64"],
        ["-q", "extract", str(clips / "d19.mp4"), "--frames", "1-16", "-o", str(root / "a.json"), "--faces-out",
         str(root / "faces_a"), "--size", "64"],
        ["-q", "train", "--a", str(root / "faces_a"), "--b", str(root / "faces_b"), "-o", str(root / "model"),
         "--iterations", "12", "--batch", "4", "--encoder-width", "8", "--decoder-width", "8",
         "--bottleneck-dims", "32", "--decoder-depth", "0", "--preview-every", "1000", "--workers", "0"],
    ]
    for argv in steps:
        assert main(argv) == 0, argv
    return {"alignments": str(root / "plate.json"), "model": str(root / "model")}


@pytest.fixture
def face_convert_options(face_convert_inputs: dict[str, str]) -> tuple[str, ...]:
    """The face-convert options the farm tests run (every post step, so each one is proven chunk-safe)."""
    return ("--alignments", face_convert_inputs["alignments"], "--model", face_convert_inputs["model"],
            "--blend", "poisson", "--color-match", "rct", "--grain", "match", "--sharpen", "0.3")
