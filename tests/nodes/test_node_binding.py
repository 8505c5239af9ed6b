"""nodes/binding.py: NAME=PATTERN[:LAYER] and Nuke-style layer names."""
import pytest

from facegraft.core.errors import MediaError
from facegraft.nodes.binding import Binding, parse_binding, resolve_channels
from facegraft.nodes.registry import builtin_registry
from facegraft.nodes.schema import ParameterError, Plane

REG = builtin_registry()
COLOR = REG.get("ColorMatch").spec
FEATHER = REG.get("MaskFeather").spec
RGB, MATTE = Plane("x", "rgb"), Plane("m", "a")
EXR = ("R", "G", "B", "A", "face.R", "face.G", "face.B", "face.A", "matte.A", "mask.Y", "depth.Z")


@pytest.mark.parametrize("text, expected", [
    ("plate=shot.####.exr", Binding("plate", "shot.####.exr")),
    ("matte=swap.####.exr:matte.A", Binding("matte", "swap.####.exr", "matte.A")),
    ("face=/a/b/swap.%04d.exr:face", Binding("face", "/a/b/swap.%04d.exr", "face")),
    (r"plate=C:\shots\s.####.exr", Binding("plate", r"C:\shots\s.####.exr")),
    (r"plate=C:\shots\s.####.exr:rgb", Binding("plate", r"C:\shots\s.####.exr", "rgb")),
])
def test_parse_binding(text: str, expected: Binding) -> None:
    assert parse_binding(text, COLOR) == expected
    assert parse_binding(expected.text(), COLOR) == expected


def test_single_input_node_needs_no_name() -> None:
    assert parse_binding("m.####.exr:matte.A", FEATHER) == Binding("matte", "m.####.exr", "matte.A")


def test_binding_errors() -> None:
    with pytest.raises(ParameterError, match="NAME=PATTERN"):
        parse_binding("shot.####.exr", COLOR)
    with pytest.raises(ParameterError, match="no input 'plat'"):
        parse_binding("plat=shot.####.exr", COLOR)


@pytest.mark.parametrize("plane, layer, expected", [
    (RGB, None, ("R", "G", "B")), (RGB, "rgb", ("R", "G", "B")), (RGB, "rgba", ("R", "G", "B")),
    (RGB, "face", ("face.R", "face.G", "face.B")), (RGB, "face.R,face.G,A", ("face.R", "face.G", "A")),
    (MATTE, None, ("A",)), (MATTE, "alpha", ("A",)), (MATTE, "matte", ("matte.A",)), (MATTE, "mask", ("mask.Y",)),
    (MATTE, "depth", ("depth.Z",)), (MATTE, "mask.Y", ("mask.Y",)), (Plane("q", "rgba"), "face", EXR[4:8]),
])
def test_resolve_channels(plane: Plane, layer: str | None, expected: tuple[str, ...]) -> None:
    assert resolve_channels(Binding(plane.name, "f.exr", layer), plane, EXR, where="f.exr") == expected


def test_nuke_long_channel_names() -> None:
    names = ("rgba.red", "rgba.green", "rgba.blue", "rgba.alpha")
    assert resolve_channels(Binding("x", "f", "rgba"), RGB, names, where="f") == ("rgba.red", "rgba.green", "rgba.blue")
    assert resolve_channels(Binding("m", "f", "rgba"), MATTE, names, where="f") == ("rgba.alpha",)


@pytest.mark.parametrize("plane, layer, words", [
    (RGB, "nope", "nope.R"), (MATTE, "nope", "nope.A or nope.Y"), (RGB, "R,G", "names 2 channels"),
    (MATTE, "x.Y", "x.Y"),
])
def test_resolve_errors_name_file_and_channels(plane: Plane, layer: str, words: str) -> None:
    with pytest.raises(MediaError, match="f.exr") as info:
        resolve_channels(Binding(plane.name, "f.exr", layer), plane, EXR, where="f.exr")
    assert words in str(info.value)
