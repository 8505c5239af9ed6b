"""How a node's input planes bind to files and layers: `NAME=PATTERN[:LAYER]`.

    --input plate=shot.####.exr                  plate ← R,G,B of shot.1001.exr, ...
    --input matte=shot_swap.####.exr:matte       matte ← the layer "matte" (matte.A, matte.Y or its one channel)
    --input matte=m.####.exr:matte.Y             matte ← the channel matte.Y
    --input face=swap.####.exr:face              face  ← face.R, face.G, face.B
    --input image=comp.####.exr:R,G,B            explicit channels, comma-separated

LAYER follows Nuke's names: `rgb`, `rgba`, `alpha` are the main layer (R, G, B, A); any other
word is an EXR layer prefix; a name with a dot, or a comma list, names channels exactly. Without
LAYER a plane takes R,G,B (`rgb`), R,G,B,A (`rgba`), or A, else Y, else the file's only channel
(`a`). `NAME=` may be left out for a node with one input. Standard library only (hosts use it).
"""
from collections.abc import Sequence
from dataclasses import dataclass

from facegraft.core.errors import MediaError
from facegraft.nodes.schema import NodeSpec, ParameterError, Plane

_MAIN = ("rgb", "rgba", "alpha")
_SUFFIXES = {"rgb": (("R", "red"), ("G", "green"), ("B", "blue")),
             "rgba": (("R", "red"), ("G", "green"), ("B", "blue"), ("A", "alpha")),
             "a": (("A", "alpha", "Y", "y"),)}


@dataclass(frozen=True)
class Binding:
    """One input plane bound to a sequence pattern (or single file) and an optional layer."""

    plane: str
    pattern: str
    layer: str | None = None

    def text(self) -> str:
        """The `NAME=PATTERN[:LAYER]` spelling (what `parse_binding` reads)."""
        return f"{self.plane}={self.pattern}" + (f":{self.layer}" if self.layer else "")


def parse_binding(text: str, spec: NodeSpec) -> Binding:
    """Parse `NAME=PATTERN[:LAYER]`. Raises ParameterError for an unknown plane or a missing name."""
    name, sep, rest = text.partition("=")
    if not sep or "/" in name or "\\" in name or "." in name:
        if len(spec.inputs) != 1:
            raise ParameterError(f"--input {text!r}: node {spec.name} has inputs "
                                 f"{', '.join(p.name for p in spec.inputs)}; write NAME=PATTERN[:LAYER]")
        name, rest = spec.inputs[0].name, text
    spec.plane(name)
    pattern, layer = _split_layer(rest)
    return Binding(name, pattern, layer)


def _split_layer(text: str) -> tuple[str, str | None]:
    head, sep, tail = text.rpartition(":")
    # A colon belongs to the path when what follows holds a path separator or is empty (C:\...).
    if not sep or not tail or "/" in tail or "\\" in tail or len(head) <= 1:
        return text, None
    return head, tail


def resolve_channels(binding: Binding, plane: Plane, available: Sequence[str], *, where: str) -> tuple[str, ...]:
    """The file channels feeding `plane`, in plane order. Raises MediaError naming file and channels."""
    layer = binding.layer
    if layer is not None and ("," in layer or "." in layer):
        wanted: tuple[str, ...] = tuple(c.strip() for c in layer.split(","))
        if len(wanted) != plane.channels:
            raise MediaError(f"{where}: {binding.text()} names {len(wanted)} channels, input {plane.name!r} "
                             f"takes {plane.channels}; name {plane.channels} channels")
        missing = [c for c in wanted if c not in available]
        if missing:
            raise _missing(where, binding, missing, available)
        return wanted
    prefixes: tuple[str, ...]
    if layer is not None and layer.lower() in _MAIN:
        prefixes = ("", "rgba.")  # Nuke's main layer: R, G, B, A (or rgba.red ...)
    else:
        prefixes = ("",) if layer is None else (layer + ".",)
    last: MediaError | None = None
    for prefix in prefixes:
        try:
            return _with_prefix(binding, plane, available, prefix, where=where)
        except MediaError as error:
            last = last or error
    assert last is not None
    raise last


def _with_prefix(binding: Binding, plane: Plane, available: Sequence[str], prefix: str, *, where: str) -> tuple[str, ...]:
    options = _SUFFIXES[plane.kind]
    if plane.kind == "a":
        found = [prefix + s for s in options[0] if prefix + s in available]
        if found:
            return (found[0],)
        in_layer = [c for c in available if c.startswith(prefix)] if prefix else list(available)
        if len(in_layer) == 1:
            return (in_layer[0],)
        raise _missing(where, binding, [f"{prefix}A or {prefix}Y"], available)
    picked = []
    for names in options:
        hit = next((prefix + n for n in names if prefix + n in available), None)
        if hit is None:
            raise _missing(where, binding, [prefix + names[0]], available)
        picked.append(hit)
    return tuple(picked)


def _missing(where: str, binding: Binding, missing: Sequence[str], available: Sequence[str]) -> MediaError:
    return MediaError(f"{where}: no channel {', '.join(missing)} for {binding.text()} (channels: "
                      f"{', '.join(available)}); pick a layer with :LAYER, e.g. :matte or :matte.Y")
