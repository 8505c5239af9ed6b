"""Blender properties described from the node manifest (no bpy): what `ui` creates, and back.

Each node parameter becomes one property of the node's property group, same name; each input
plane gets a `<plane>_source` text property: empty for the selected Image node's sequence,
`:LAYER` for a layer of it, or `PATTERN[:LAYER]` for another sequence (see facegraft's binding rules).
"""
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SOURCE_SUFFIX = "_source"


@dataclass(frozen=True)
class PropSpec:
    """`kind`: FloatProperty, IntProperty, BoolProperty, EnumProperty or StringProperty; `options` its keywords."""

    kind: str
    name: str
    options: dict


def find_manifest(here: Path) -> Path:
    """The manifest bundled in the extension, else the repository's (running from a checkout)."""
    for candidate in (here / "manifest.json", here.parents[1] / "nodes" / "manifest.json"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"no manifest.json beside {here}; rebuild the extension with facegraft install blender")


def load_nodes(path: Path) -> list[dict]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("schema") != "FacegraftNodeManifest":
        raise ValueError(f"{path}: not a facegraft node manifest")
    return list(data["nodes"])


def prop_spec(param: dict) -> PropSpec:
    name, kind = param["name"], param["type"]
    base: dict[str, Any] = {"name": name.replace("_", " ").title(),
                            "description": param["help"] + (f" ({param['units']})" if param["units"] else "")}
    if kind in ("float", "int"):
        base["default"] = param["default"]
        for bound, key in (("low", "min"), ("high", "max")):
            if param[bound] is not None:
                base[key] = param[bound]
        return PropSpec("FloatProperty" if kind == "float" else "IntProperty", name, base)
    if kind == "bool":
        return PropSpec("BoolProperty", name, {**base, "default": param["default"]})
    if kind == "choice":
        items = [(c, c, "") for c in param["choices"]]
        return PropSpec("EnumProperty", name, {**base, "items": items, "default": param["default"]})
    if kind == "string":
        return PropSpec("StringProperty", name, {**base, "default": param["default"],
                                                 **({"subtype": "FILE_PATH"} if param["path"] else {})})
    raise ValueError(f"unknown parameter type {kind!r}")


def prop_specs(node: dict) -> list[PropSpec]:
    """One property per parameter, then one source property per input plane."""
    selected = node["passthrough"] or node["inputs"][0]["name"]  # the plane the selected Image node feeds
    sources = [PropSpec("StringProperty", p["name"] + SOURCE_SUFFIX,
                        {"name": f"{p['name'].title()} source",
                         "default": "" if p["name"] == selected else _default_source(p),
                         "description": f"{p['help']}. Empty: the selected Image node's sequence; ':LAYER' a layer "
                                        "of it (e.g. :matte or :matte.Y); or PATTERN[:LAYER]"})
               for p in node["inputs"]]
    return [prop_spec(p) for p in node["params"]] + sources


def _default_source(plane: dict) -> str:
    return ":matte" if plane["kind"] == "a" else f":{plane['name']}"


def values(node: dict, group: Any) -> dict:
    """Parameter values read from a property group (or any object with those attributes)."""
    return {p["name"]: getattr(group, p["name"]) for p in node["params"]}


def sources(node: dict, group: Any) -> dict:
    return {p["name"]: str(getattr(group, p["name"] + SOURCE_SUFFIX)) for p in node["inputs"]}
