"""Shared fixtures. Real face media is read from ../shared/data/faces (override: $FACEGRAFT_FACES_DIR).

A test that needs the media skips with a clear reason when the folder is absent; with
FACEGRAFT_REQUIRE_MEDIA=1 (set by .ci/run) the absence is a failure instead.
"""
import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FACES_DIR = REPO_ROOT.parent / "shared" / "data" / "faces"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--device", default="cpu", help="torch device for device-parametrised tests")


@pytest.fixture(scope="session")
def faces_dir() -> Path:
    """Root of the real face media (see SOURCES.md there)."""
    path = Path(os.environ.get("FACEGRAFT_FACES_DIR", DEFAULT_FACES_DIR))
    if not (path / "SOURCES.md").is_file():
        message = f"real face media not found at {path}; set FACEGRAFT_FACES_DIR"
        if os.environ.get("FACEGRAFT_REQUIRE_MEDIA") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def clips(faces_dir: Path) -> Path:
    """The LivePortrait talking-head clips folder (d0.mp4, d3.mp4, d18.mp4, d19.mp4, ...)."""
    return faces_dir / "KwaiVGI__LivePortrait" / "assets" / "examples" / "driving"


@pytest.fixture(scope="session")
def device(request: pytest.FixtureRequest) -> str:
    """Torch device from --device (default cpu); skips when that device is absent."""
    name = request.config.getoption("--device")
    if name.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            pytest.skip(f"device {name} not available")
    return name
