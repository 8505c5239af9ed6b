"""`facegraft install blender`: build the Blender extension zip and install it with Blender's own CLI.

The zip holds `plugins/blender/` (blender_manifest.toml, the add-on modules), the node manifest
(`manifest.json`) and `defaults.json` naming this installation's `facegraft` command (the add-on's
preferences start from it). Blender installs it with
`blender --command extension install-file --repo user_default --enable ZIP` (4.2+); installing
again replaces the same extension id, so it is idempotent.
"""
import json
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from facegraft.core.errors import FacegraftError, OutputError
from facegraft.core.media.atomic import atomic_write_path

_ROOT = Path(__file__).resolve().parents[1]
ADDON_DIR = _ROOT / "plugins" / "blender"
# Files the standalone add-on carries as copies of one source (the copy in ADDON_DIR serves a
# checkout; tests/plugins/test_host_command.py checks it is identical).
VENDORED = {"host_command.py": _ROOT / "plugins" / "host_command.py"}
MANIFEST = _ROOT / "nodes" / "manifest.json"
EXTENSION_ID = "facegraft"


@dataclass(frozen=True)
class BlenderInstall:
    zip_path: Path
    command: tuple[str, ...]
    installed: bool  # False: no Blender found; `command` is what to run by hand


def extension_version() -> str:
    """The `version` line of blender_manifest.toml (what the zip is named after)."""
    for line in (ADDON_DIR / "blender_manifest.toml").read_text(encoding="utf-8").splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "version":
            return value.strip().strip('"')
    raise ValueError("blender_manifest.toml has no version")


def build_extension_zip(out_dir: Path, *, command: list[str]) -> Path:
    """Write `<out_dir>/facegraft-<version>.zip` atomically. Raises OutputError if it cannot."""
    path = out_dir / f"{EXTENSION_ID}-{extension_version()}.zip"
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{out_dir}: cannot create the folder for the extension zip ({exc}); pass another --out") from exc
    with atomic_write_path(path) as tmp:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
            for src in sorted(ADDON_DIR.iterdir()):
                if src.name in VENDORED:
                    continue
                if src.suffix in (".py", ".toml") or src.name == "LICENSE":  # GPL-3.0-or-later text
                    zf.write(src, src.name)
            for name, source in VENDORED.items():  # generated from the one source, whatever the copy holds
                zf.write(source, name)
            zf.write(MANIFEST, "manifest.json")
            zf.writestr("defaults.json", json.dumps({"facegraft": command}, indent=2) + "\n")
    return path


def find_blender(explicit: str | None) -> str | None:
    """`explicit` (must exist) or `blender` on PATH. Raises FacegraftError for a missing explicit path."""
    if explicit:
        found = shutil.which(explicit)
        if not found:
            raise FacegraftError(f"{explicit}: no Blender executable there; pass --blender /path/to/blender")
        return found
    return shutil.which("blender")


def install_command(blender: str, zip_path: Path) -> tuple[str, ...]:
    return (blender, "--command", "extension", "install-file", "--repo", "user_default", "--enable", str(zip_path))


def install_blender(out_dir: Path, *, blender: str | None, command: list[str],
                    run: Callable[..., subprocess.CompletedProcess] = subprocess.run) -> BlenderInstall:
    """Build the zip; install it when a Blender executable is given or on PATH.

    Raises: FacegraftError when Blender's install command fails (its message included).
    """
    zip_path = build_extension_zip(out_dir, command=command)
    exe = find_blender(blender)
    if exe is None:
        return BlenderInstall(zip_path, install_command("blender", zip_path), False)
    cmd = install_command(exe, zip_path)
    done = run(list(cmd), capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr or done.stdout or "").strip().splitlines()[-1:] or ["no output"]
        raise FacegraftError(f"{exe}: installing {zip_path.name} failed ({last[0]}); Blender 4.2 or newer is needed, "
                             "or install the zip from Edit > Preferences > Get Extensions > Install from Disk")
    return BlenderInstall(zip_path, cmd, True)
