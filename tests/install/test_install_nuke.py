"""facegraft install nuke: one idempotent line in init.py (backed up), a staged toolset, uninstall."""
import json
from pathlib import Path


from facegraft.install.nuke import BACKUP_SUFFIX, MARKER, install_nuke, uninstall_nuke
from facegraft.plugins.cli.main import main


def test_install_is_idempotent_and_keeps_user_lines(tmp_path: Path) -> None:
    nuke_dir = tmp_path / ".nuke"
    nuke_dir.mkdir()
    (nuke_dir / "init.py").write_text("import nuke\nnuke.pluginAddPath('./gizmos')\n")
    first = install_nuke(nuke_dir, command=["/opt/fg/bin/facegraft"])
    assert first.changed and first.backup == nuke_dir / ("init.py" + BACKUP_SUFFIX)
    assert first.backup.read_text() == "import nuke\nnuke.pluginAddPath('./gizmos')\n"
    text = (nuke_dir / "init.py").read_text()
    assert text.startswith("import nuke\nnuke.pluginAddPath('./gizmos')\n") and text.count(MARKER) == 1
    assert str(nuke_dir / "facegraft") in text
    toolset = nuke_dir / "facegraft"
    assert (toolset / "init.py").is_file() and (toolset / "menu.py").is_file()
    assert (toolset / "python" / "facegraft" / "plugins" / "nuke" / "adapter.py").is_file()
    assert json.loads((toolset / "config.json").read_text()) == {"facegraft": ["/opt/fg/bin/facegraft"]}
    second = install_nuke(nuke_dir, command=["/opt/fg/bin/facegraft"])
    assert not second.changed and (nuke_dir / "init.py").read_text() == text
    gone = uninstall_nuke(nuke_dir)
    assert gone.changed and (nuke_dir / "init.py").read_text() == "import nuke\nnuke.pluginAddPath('./gizmos')\n"
    assert not toolset.exists()
    assert not uninstall_nuke(nuke_dir).changed


def test_install_into_a_fresh_home_via_the_cli(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert main(["install", "nuke"]) == 0
    init_py = tmp_path / ".nuke" / "init.py"
    assert init_py.read_text().count(MARKER) == 1 and "line added to" in capsys.readouterr().out
    assert main(["install", "nuke"]) == 0
    assert init_py.read_text().count(MARKER) == 1 and "already in" in capsys.readouterr().out
    assert main(["install", "nuke", "--uninstall"]) == 0
    assert MARKER not in init_py.read_text()
    assert main(["install", "nuke", "--uninstall"]) == 0
    assert "was not installed" in capsys.readouterr().out


def test_unwritable_nuke_dir_is_a_one_line_error(tmp_path: Path, capsys) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["install", "nuke", "--nuke-dir", str(blocker / ".nuke")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("facegraft: error: ") and "--nuke-dir" in err and len(err.strip().splitlines()) == 1
