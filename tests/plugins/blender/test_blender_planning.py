"""The add-on's bpy-free modules, against the real manifest and the real command line."""
from pathlib import Path
from types import SimpleNamespace

import pytest

from facegraft.nodes.binding import parse_binding
from facegraft.nodes.manifest import MANIFEST_PATH, read_manifest
from facegraft.nodes.registry import NodeRegistry
from facegraft.nodes.schema import PROGRESS_PREFIX
from facegraft.plugins.blender import command, manifest_props, sequence
from facegraft.plugins.cli.main import build_parser, main

NODES = manifest_props.load_nodes(MANIFEST_PATH)
SHARPEN = next(n for n in NODES if n["name"] == "Sharpen")


def test_every_node_and_repo_manifest_is_found() -> None:
    assert manifest_props.find_manifest(Path(manifest_props.__file__).parent) == MANIFEST_PATH
    assert [n["name"] for n in NODES] == NodeRegistry.from_manifest(read_manifest()).names()


def test_convert_run_argv_carries_model_and_alignments() -> None:
    convert = next(n for n in NODES if n["name"] == "Convert")
    values = {p["name"]: p["default"] for p in convert["params"]} | {"model": "/m/model", "alignments": "/a.fgal"}
    argv = command.run_argv(["facegraft"], convert, {"plate": ""}, "/s/p.####.exr", "/s/o.####.exr", 1, 2, values)
    args = build_parser().parse_args(argv[1:])
    spec = NodeRegistry.from_manifest(read_manifest()).get("Convert").spec
    assert args.bindings == ["plate=/s/p.####.exr"]
    assert spec.parse_settings(args.set) == spec.validate({"model": "/m/model", "alignments": "/a.fgal"})


def test_prop_specs_cover_every_parameter_once() -> None:
    for node in NODES:
        specs = manifest_props.prop_specs(node)
        assert [s.name for s in specs] == [p["name"] for p in node["params"]] + \
            [p["name"] + "_source" for p in node["inputs"]]
    color = {s.name: s for s in manifest_props.prop_specs(next(n for n in NODES if n["name"] == "ColorMatch"))}
    assert color["method"].kind == "EnumProperty" and ("mkl", "mkl", "") in color["method"].options["items"]
    assert color["amount"].options["min"] == 0.0 and color["amount"].options["max"] == 1.0
    assert color["matte_source"].options["default"] == ":matte" and color["face_source"].options["default"] == ":face"


@pytest.mark.parametrize("path, pattern", [
    ("/a/shot.1001.exr", "/a/shot.####.exr"), ("/a/b_01/plate_0007.exr", "/a/b_01/plate_####.exr"),
    ("/a/x.00001.tif", "/a/x.#####.tif"),
])
def test_pattern_of(path: str, pattern: str) -> None:
    assert sequence.pattern_of(path) == pattern


def test_sequence_errors(tmp_path: Path) -> None:
    with pytest.raises(sequence.SequenceError, match="no frame number"):
        sequence.pattern_of("/a/still.exr")
    with pytest.raises(sequence.SequenceError, match="no frames"):
        sequence.file_frames(0, 0)
    for n in (1, 2, 3):
        (tmp_path / f"p.{n:04d}.exr").write_bytes(b"")
    assert sequence.file_frames(0, 3) == (1, 3) and sequence.frames_on_disk(str(tmp_path / "p.####.exr")) == [1, 2, 3]
    sequence.check_range(str(tmp_path / "p.####.exr"), 1, 3)
    with pytest.raises(sequence.SequenceError, match="frames 4"):
        sequence.check_range(str(tmp_path / "p.####.exr"), 2, 5)
    with pytest.raises(sequence.SequenceError, match="folder not found"):
        sequence.check_range(str(tmp_path / "nope" / "p.####.exr"), 1, 1)
    assert sequence.output_pattern("/s/plate.####.exr", "Sharpen") == "/s/facegraft_Sharpen/plate_sharpen.####.exr"


def test_run_argv_is_what_the_cli_and_the_schema_accept() -> None:
    group = SimpleNamespace(amount=1.25, radius=1.0, image_source="", matte_source="/m/m.####.exr:matte.Y")
    argv = command.run_argv(["facegraft"], SHARPEN, manifest_props.sources(SHARPEN, group), "/s/p.####.exr",
                            "/s/out.####.exr", 1, 3, manifest_props.values(SHARPEN, group))
    args = build_parser().parse_args(argv[1:])
    spec = NodeRegistry.from_manifest(read_manifest()).get("Sharpen").spec
    assert args.name == "Sharpen" and args.frames == "1-3" and args.progress == "lines"
    assert spec.parse_settings(args.set) == {"amount": 1.25, "radius": 1.0}
    bindings = {b.plane: b for b in (parse_binding(t, spec) for t in args.bindings)}
    assert bindings["image"].pattern == "/s/p.####.exr" and bindings["image"].layer is None
    assert (bindings["matte"].pattern, bindings["matte"].layer) == ("/m/m.####.exr", "matte.Y")
    assert command.binding("matte", ":matte", "/s/p.####.exr") == "matte=/s/p.####.exr:matte"


def test_listing_check_and_progress_follow_the_real_command(capsys) -> None:
    assert main(["node", "list", "--json"]) == 0
    listing = capsys.readouterr().out
    command.check_listing(listing, SHARPEN, ["facegraft"])
    with pytest.raises(command.CommandError, match="expects v7"):
        command.check_listing(listing, {**SHARPEN, "version": 7}, ["facegraft"])
    with pytest.raises(command.CommandError, match="not a facegraft command"):
        command.check_listing("Usage: other tool", SHARPEN, ["facegraft"])
    assert command.PROGRESS_PREFIX == PROGRESS_PREFIX  # parsing itself: tests/plugins/test_host_command.py
