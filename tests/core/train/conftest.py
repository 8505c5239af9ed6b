"""Face sets for the training tests (built once per session from real clips)."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from faceset_builder import build_faceset  # noqa: E402

from facegraft.core.faceset import FaceSet  # noqa: E402


@pytest.fixture(scope="session")
def faceset_a(clips: Path, tmp_path_factory: pytest.TempPathFactory) -> FaceSet:
    return build_faceset(clips / "d18.mp4", tmp_path_factory.mktemp("a"), count=24)


@pytest.fixture(scope="session")
def faceset_b(clips: Path, tmp_path_factory: pytest.TempPathFactory) -> FaceSet:
    return build_faceset(clips / "d19.mp4", tmp_path_factory.mktemp("b"), count=24)
