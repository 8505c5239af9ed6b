"""The node registry: node specs by name, each with the `module:function` that processes it.

A registry is an object that callers build (`builtin_registry()`, or `from_manifest` in a host
that cannot import the node modules); nothing here is module-level mutable state. `load` imports
a node's module only when the node runs.
"""
import importlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from facegraft.core.errors import FacegraftError
from facegraft.nodes.schema import MANIFEST_SCHEMA, MANIFEST_VERSION, NodeSpec

# Built-in node modules under facegraft.nodes, in menu order.
BUILTIN_MODULES: tuple[str, ...] = ("convert", "color_match", "poisson_blend", "mask_feather", "face_matte", "sharpen",
                                   "grain")


class UnknownNodeError(FacegraftError):
    """A node name that no registry entry has."""


@dataclass(frozen=True)
class NodeEntry:
    """A spec and where its process function lives (`package.module:function`)."""

    spec: NodeSpec
    entry: str

    def load(self) -> Callable[..., Any]:
        module, _, function = self.entry.partition(":")
        process: Callable[..., Any] = getattr(importlib.import_module(module), function)
        return process


class NodeRegistry:
    """Node entries by name, in registration order."""

    def __init__(self, entries: tuple[NodeEntry, ...] = ()) -> None:
        self._entries: dict[str, NodeEntry] = {}
        for entry in entries:
            self.add(entry)

    def add(self, entry: NodeEntry) -> None:
        """Register one node. Raises ValueError if the name is taken."""
        if entry.spec.name in self._entries:
            raise ValueError(f"node {entry.spec.name!r} is already registered")
        self._entries[entry.spec.name] = entry

    def names(self) -> list[str]:
        return list(self._entries)

    def __iter__(self) -> Iterator[NodeEntry]:
        return iter(self._entries.values())

    def get(self, name: str) -> NodeEntry:
        """The entry of `name`. Raises UnknownNodeError listing the known names."""
        if name not in self._entries:
            raise UnknownNodeError(f"no node named {name!r}; known nodes: {', '.join(self._entries)} "
                                   "(see facegraft node list)")
        return self._entries[name]

    def manifest(self) -> dict[str, Any]:
        """The manifest: a labelled, versioned JSON object of every spec (see nodes/manifest.json)."""
        return {"schema": MANIFEST_SCHEMA, "version": MANIFEST_VERSION,
                "nodes": [e.spec.to_dict(entry=e.entry) for e in self]}

    @classmethod
    def from_manifest(cls, data: Mapping[str, Any]) -> "NodeRegistry":
        """Inverse of `manifest`. Raises ValueError for another schema or a newer version."""
        if data.get("schema") != MANIFEST_SCHEMA or int(data.get("version", 0)) > MANIFEST_VERSION:
            raise ValueError(f"not a {MANIFEST_SCHEMA} v<={MANIFEST_VERSION} manifest: "
                             f"{data.get('schema')!r} v{data.get('version')!r}")
        return cls(tuple(NodeEntry(NodeSpec.from_dict(n), n["entry"]) for n in data["nodes"]))


def builtin_registry() -> NodeRegistry:
    """A new registry of the built-in nodes (imports their modules; numpy/scipy, not torch)."""
    entries = []
    for name in BUILTIN_MODULES:
        module = importlib.import_module(f"facegraft.nodes.{name}")
        entries.append(NodeEntry(module.SPEC, f"facegraft.nodes.{name}:process"))
    return NodeRegistry(tuple(entries))
