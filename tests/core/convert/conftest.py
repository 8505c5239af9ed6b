"""Fixtures for convert: a real clip as a half-float ACEScg EXR plate."""
import pytest

from facegraft.core.color import ColorManager
from facegraft.core.media.source import open_source
from facegraft.core.media.transcode import TranscodeSettings, transcode


@pytest.fixture(scope="session")
def color():
    return ColorManager()


@pytest.fixture(scope="session")
def exr_plate(tmp_path_factory, clips, color):
    """Frames 1001-1006 of d19.mp4 (480x480) as half EXR in ACEScg."""
    folder = tmp_path_factory.mktemp("plate")
    source = open_source(clips / "d19.mp4")
    transcode(source, str(folder / "plate.####.exr"), range(1, 7),
              TranscodeSettings(to_colorspace="ACEScg", pixel_type="half", frame_offset=1000), color=color)
    return folder / "plate.####.exr"

