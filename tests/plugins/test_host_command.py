"""plugins/host_command.py: the one implementation of what the Nuke and Blender hosts read back from
the command, its vendored copy in the standalone Blender add-on, and its behaviour (tested once here)."""
import zipfile
from pathlib import Path

import pytest

from facegraft.install.blender import VENDORED, build_extension_zip
from facegraft.install.nuke import stage_toolset
from facegraft.nodes.schema import PROGRESS_PREFIX
from facegraft.plugins import host_command
from facegraft.plugins.blender import command as blender_command
from facegraft.plugins.nuke import commands as nuke_commands

SOURCE = Path(host_command.__file__)
BLENDER_COPY = SOURCE.parent / "blender" / "host_command.py"


def test_blender_copy_is_the_source_byte_for_byte() -> None:
    assert BLENDER_COPY.read_bytes() == SOURCE.read_bytes(), \
        "refresh it: cp plugins/host_command.py plugins/blender/host_command.py"
    assert VENDORED == {"host_command.py": SOURCE}


def test_both_hosts_use_the_one_implementation() -> None:
    assert nuke_commands.parse_progress is host_command.parse_progress
    assert nuke_commands.error_line is host_command.error_line
    assert nuke_commands.format_value is host_command.format_value
    # the add-on imports its vendored copy (a module of its own package), never facegraft
    assert blender_command.parse_progress.__module__ == "facegraft.plugins.blender.host_command"
    assert Path(blender_command.parse_progress.__code__.co_filename) == BLENDER_COPY
    for module in (blender_command, nuke_commands):
        text = Path(module.__file__).read_text()
        assert "def parse_progress" not in text and "def error_line" not in text and "def format_value" not in text


def test_packaging_ships_the_source(tmp_path: Path) -> None:
    with zipfile.ZipFile(build_extension_zip(tmp_path / "zip", command=["facegraft"])) as zf:
        assert zf.read("host_command.py") == SOURCE.read_bytes()
    stage_toolset(tmp_path / "nuke", command=["facegraft"])
    staged = tmp_path / "nuke" / "python" / "facegraft" / "plugins" / "host_command.py"
    assert staged.read_bytes() == SOURCE.read_bytes()


def test_progress_lines() -> None:
    assert host_command.PROGRESS_PREFIX == PROGRESS_PREFIX
    assert host_command.parse_progress(f"{PROGRESS_PREFIX} 3 10 1003\n") == (3, 10, 1003)
    assert host_command.parse_progress("wrote 3 frames") is None
    assert host_command.parse_progress(f"{PROGRESS_PREFIX} a b c") is None
    assert host_command.parse_progress(f"{PROGRESS_PREFIX} 1 2") is None
    assert host_command.parse_progress("other-progress 1 2 3") is None


def test_error_line() -> None:
    noisy = "noise\nfacegraft: error: x.exr: no such file; check\n"
    assert host_command.error_line(noisy) == "x.exr: no such file; check"
    assert host_command.error_line("facegraft: error: first\nfacegraft: error: last\ntrailing\n") == "last"
    assert host_command.error_line("Traceback ...\nKeyError: 'R'\n\n") == "KeyError: 'R'"
    assert host_command.error_line("  \n") == "no output"


def test_values_and_listing() -> None:
    assert [host_command.format_value(v) for v in (True, False, 0.1, 3, "a b")] == ["1", "0", "0.1", "3", "a b"]
    assert float(host_command.format_value(1 / 3)) == 1 / 3
    assert host_command.list_argv(["/x/facegraft"]) == ["/x/facegraft", "node", "list", "--json"]
    listing = '{"nodes": [{"name": "Sharpen", "version": 2}]}'
    assert host_command.listed_version(listing, "Sharpen") == 2
    assert host_command.listed_version(listing, "Grain") is None
    for bad in ("Usage: other tool", '{"other": 1}', '{"nodes": [1]}'):
        with pytest.raises(ValueError, match="node list"):
            host_command.listed_version(bad, "Sharpen")
