"""Dependencies point one way, plugins → nodes → core; only plugins/ may import `nuke` or `bpy`."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HOSTS = {"nuke", "bpy", "addon_utils", "bl_ui", "bmesh"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def sources(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("folder, forbidden", [
    ("core", ("facegraft.nodes", "facegraft.plugins", "facegraft.install")),
    ("nodes", ("facegraft.plugins", "facegraft.install")),
])
def test_imports_point_one_way(folder: str, forbidden: tuple[str, ...]) -> None:
    bad = []
    for path in sources(folder):
        for name in imported_modules(path):
            top = name.split(".")[0]
            if top in HOSTS or any(name == f or name.startswith(f + ".") for f in forbidden):
                bad.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not bad, "\n".join(bad)


def test_the_scan_sees_imports() -> None:
    assert "facegraft.core.post.sharpen" in imported_modules(ROOT / "nodes" / "sharpen.py")
    assert "nuke" in imported_modules(ROOT / "plugins" / "nuke" / "adapter.py")


def test_only_one_nuke_module_beneath_init_and_menu() -> None:
    touching = {p.name for p in sources("plugins/nuke") if "nuke" in imported_modules(p)}
    assert touching == {"adapter.py", "init.py"}
