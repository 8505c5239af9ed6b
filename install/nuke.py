"""`facegraft install nuke`: stage the Nuke toolset and add one line to the user's `init.py`.

The toolset is copied to `<nuke dir>/facegraft/` (`init.py`, `menu.py`, `config.json` naming the
`facegraft` command, and `python/` holding the standard-library-only modules the adapter imports:
the node schema, its manifest and `facegraft.plugins.nuke`), so Nuke's own Python never imports
numpy or torch from our environment. The user's `init.py` gets one marked line, after a backup
(`init.py.facegraft-backup`); installing twice changes nothing; `uninstall` removes line and folder.
"""
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from facegraft.core.errors import OutputError
from facegraft.core.media.atomic import atomic_write_text

MARKER = "# added by facegraft install nuke"
TOOLSET = "facegraft"
BACKUP_SUFFIX = ".facegraft-backup"
_ROOT = Path(__file__).resolve().parents[1]  # the repository / installed package root holding core/, nodes/...
# Files of the facegraft namespace that Nuke's Python imports (standard library only).
PYTHON_FILES: tuple[str, ...] = ("core/__init__.py", "core/errors.py", "nodes/__init__.py", "nodes/schema.py",
                                 "nodes/manifest.json", "nodes/registry.py", "plugins/__init__.py",
                                 "plugins/host_command.py")


@dataclass(frozen=True)
class NukeInstall:
    """What an install or uninstall did."""

    init_py: Path
    toolset: Path
    changed: bool
    backup: Path | None


def default_nuke_dir() -> Path:
    return Path.home() / ".nuke"


def init_line(toolset: Path) -> str:
    return f'import nuke; nuke.pluginAddPath(r"{toolset}")  {MARKER}'


def stage_toolset(toolset: Path, *, command: list[str]) -> None:
    """Copy the toolset into `toolset` (replacing an older copy)."""
    nuke_src = _ROOT / "plugins" / "nuke"
    if toolset.exists():
        shutil.rmtree(toolset)
    python = toolset / "python" / "facegraft"
    for rel in PYTHON_FILES:
        (python / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(_ROOT / rel, python / rel)
    (python / "plugins" / "nuke").mkdir(parents=True)
    for src in sorted(nuke_src.glob("*.py")):
        target = toolset / src.name if src.name in ("init.py", "menu.py") else python / "plugins" / "nuke" / src.name
        shutil.copy2(src, target)
    atomic_write_text(toolset / "config.json", json.dumps({"facegraft": command}, indent=2) + "\n")


def install_nuke(nuke_dir: Path, *, command: list[str]) -> NukeInstall:
    """Stage the toolset and add the init line once. Raises OutputError if `nuke_dir` is not writable."""
    toolset = nuke_dir / TOOLSET
    init_py = nuke_dir / "init.py"
    try:
        nuke_dir.mkdir(parents=True, exist_ok=True)
        stage_toolset(toolset, command=command)
    except OSError as exc:
        raise OutputError(f"{nuke_dir}: cannot install the Nuke toolset ({exc}); pass a writable --nuke-dir") from exc
    text = init_py.read_text(encoding="utf-8") if init_py.is_file() else ""
    lines = [line for line in text.splitlines() if MARKER not in line]
    wanted = lines + [init_line(toolset)]
    if text.splitlines() == wanted:
        return NukeInstall(init_py, toolset, False, None)
    backup = _backup(init_py)
    atomic_write_text(init_py, "\n".join(wanted) + "\n")
    return NukeInstall(init_py, toolset, True, backup)


def uninstall_nuke(nuke_dir: Path) -> NukeInstall:
    """Remove the init line and the staged toolset; a no-op when they are absent."""
    toolset = nuke_dir / TOOLSET
    init_py = nuke_dir / "init.py"
    changed = False
    backup = None
    if init_py.is_file():
        text = init_py.read_text(encoding="utf-8")
        kept = [line for line in text.splitlines() if MARKER not in line]
        if kept != text.splitlines():
            backup = _backup(init_py)
            atomic_write_text(init_py, "\n".join(kept) + ("\n" if kept else ""))
            changed = True
    if toolset.exists():
        shutil.rmtree(toolset)
        changed = True
    return NukeInstall(init_py, toolset, changed, backup)


def _backup(init_py: Path) -> Path | None:
    if not init_py.is_file():
        return None
    backup = init_py.with_name(init_py.name + BACKUP_SUFFIX)
    shutil.copy2(init_py, backup)
    return backup
