"""`nodes/manifest.json`: every built-in node spec as JSON, for hosts that must not import the nodes.

Regenerate after changing a SPEC: `python -m facegraft.nodes.manifest` (a test fails while the
checked-in copy is stale). Hosts read it with `read_manifest` (standard library only).
"""
import json
from pathlib import Path
from typing import Any

MANIFEST_PATH = Path(__file__).with_name("manifest.json")


def manifest_text(manifest: dict[str, Any]) -> str:
    """The canonical text of a manifest (2-space indent, trailing newline)."""
    return json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"


def read_manifest(path: str | Path = MANIFEST_PATH) -> dict[str, Any]:
    """The manifest as a dict (use `NodeRegistry.from_manifest` for specs)."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def write_manifest(path: str | Path = MANIFEST_PATH) -> Path:
    """Regenerate the manifest from the built-in registry, atomically."""
    from facegraft.core.media.atomic import atomic_write_text
    from facegraft.nodes.registry import builtin_registry

    atomic_write_text(path, manifest_text(builtin_registry().manifest()))
    return Path(path)


if __name__ == "__main__":
    print(write_manifest())
