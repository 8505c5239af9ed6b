"""The command's edge: a closed pipe ends quietly, the system's refusals are one line."""
import os
import subprocess
import sys
from pathlib import Path

from facegraft.plugins.cli.main import EXIT_BROKEN_PIPE, main

sys.path.insert(0, str(Path(__file__).parent))
from tiny_world import write_alignments  # noqa: E402


def test_output_into_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    write_alignments(tmp_path / "a.json")
    read_end, write_end = os.pipe()
    os.close(read_end)  # like `| head` that has already exited
    try:
        done = subprocess.run([sys.executable, "-m", "facegraft.plugins.cli.main", "alignments", "info",
                               str(tmp_path / "a.json"), "--json"], stdout=write_end, stderr=subprocess.PIPE,
                              text=True, timeout=60)
    finally:
        os.close(write_end)
    assert done.returncode == EXIT_BROKEN_PIPE and done.stderr == ""


def test_a_file_the_system_refuses_is_one_line(tmp_path: Path, capsys, monkeypatch) -> None:
    def refuse(args):  # type: ignore[no-untyped-def]
        raise PermissionError(13, "Permission denied", str(tmp_path / "locked.exr"))

    monkeypatch.setattr("facegraft.plugins.cli.info.run", refuse)
    assert main(["info", "x.exr"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        f"facegraft: error: {tmp_path / 'locked.exr'}: Permission denied; check the path and its permissions"]
