"""facegraft install blender: the extension zip, and Blender's own install command (or how-to)."""
import subprocess
import tomllib
import zipfile
from pathlib import Path

import pytest

from facegraft.core.errors import FacegraftError
from facegraft.install.blender import build_extension_zip, install_blender, install_command
from facegraft.plugins.cli.main import main


def test_zip_holds_the_extension_and_the_manifest(tmp_path: Path) -> None:
    path = build_extension_zip(tmp_path, command=["/x/facegraft"])
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        manifest = tomllib.loads(zf.read("blender_manifest.toml").decode())
    assert {"__init__.py", "ui.py", "command.py", "sequence.py", "manifest_props.py", "blender_manifest.toml",
            "manifest.json", "defaults.json", "LICENSE"} <= names
    assert manifest["id"] == "facegraft" and manifest["type"] == "add-on" and path.name == f"facegraft-{manifest['version']}.zip"
    assert not any("__pycache__" in n for n in names)
    again = build_extension_zip(tmp_path, command=["/x/facegraft"])
    assert again == path and len(list(tmp_path.iterdir())) == 1


def test_install_runs_blenders_command_line(tmp_path: Path) -> None:
    calls = []
    fake = tmp_path / "blender"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)

    def run(argv, **kwargs):
        calls.append(argv)
        return subprocess.CompletedProcess(argv, 0, "", "")

    done = install_blender(tmp_path / "dist", blender=str(fake), command=["facegraft"], run=run)
    assert done.installed and calls == [list(install_command(str(fake), done.zip_path))]
    assert calls[0][1:6] == ["--command", "extension", "install-file", "--repo", "user_default"]

    def fails(argv, **kwargs):
        return subprocess.CompletedProcess(argv, 1, "", "Error: unknown command\n")

    with pytest.raises(FacegraftError, match="unknown command"):
        install_blender(tmp_path / "dist", blender=str(fake), command=["facegraft"], run=fails)


def test_without_blender_it_says_how(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert main(["install", "blender", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "no Blender found" in out and "extension install-file" in out and "Install from Disk" in out
    assert main(["install", "blender", "--blender", str(tmp_path / "nope"), "--out", str(tmp_path)]) == 2
    assert "no Blender executable" in capsys.readouterr().err


def test_licences_agree_everywhere() -> None:
    """Apache-2.0 for the project, GPL-3.0-or-later for the Blender extension (Blender's rule)."""
    repo = Path(__file__).resolve().parents[2]
    project = tomllib.loads((repo / "pyproject.toml").read_text())["project"]["license"]
    extension = tomllib.loads((repo / "plugins" / "blender" / "blender_manifest.toml").read_text())["license"]
    assert project == "Apache-2.0" and extension == ["SPDX:GPL-3.0-or-later"]
    assert (repo / "LICENSE").read_text().startswith("Apache License\nVersion 2.0")
    assert "GNU GENERAL PUBLIC LICENSE" in (repo / "plugins" / "blender" / "LICENSE").read_text()[:200]
    readme = (repo / "README.md").read_text()
    assert "Apache License 2.0" in readme and "GPL-3.0-or-later" in readme and "Proprietary" not in readme
