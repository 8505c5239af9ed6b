"""The `facegraft` command lines the add-on runs, and what it reads back (no bpy).

Kept in step with facegraft.nodes.binding (the `NAME=PATTERN[:LAYER]` syntax); progress lines,
error lines, values and the version check come from `host_command` (a vendored copy of
plugins/host_command.py, shared with the Nuke toolset); tests/plugins/blender check them against
the real command.
"""
import shlex
from collections.abc import Mapping, Sequence
from typing import Any

from .host_command import PROGRESS_PREFIX, error_line, format_value, list_argv, listed_version, parse_progress

__all__ = ["PROGRESS_PREFIX", "CommandError", "binding", "check_listing", "error_line", "format_value", "list_argv",
           "parse_progress", "run_argv"]


class CommandError(Exception):
    """The facegraft command is missing, is another version, or failed; one line for a Blender report."""


def binding(plane: str, source: str, selected: str) -> str:
    """`PLANE=PATTERN[:LAYER]` from a source property: empty / `:LAYER` use the selected sequence."""
    source = source.strip()
    if not source or source.startswith(":"):
        return f"{plane}={selected}{source}"
    return f"{plane}={source}"


def run_argv(command: Sequence[str], node: Mapping[str, Any], sources: Mapping[str, str], selected: str,
             output: str, first: int, last: int, values: Mapping[str, Any]) -> list[str]:
    """`facegraft node run NAME --input ... --output ... --frames A-B --set ... --progress lines`."""
    argv = [*command, "node", "run", node["name"]]
    for plane in node["inputs"]:
        argv += ["--input", binding(plane["name"], sources.get(plane["name"], ""), selected)]
    argv += ["--output", output, "--frames", f"{first}-{last}"]
    for param in node["params"]:
        value = values[param["name"]]
        if value != param["default"]:
            argv += ["--set", f"{param['name']}={format_value(value)}"]
    return argv + ["--progress", "lines"]


def check_listing(text: str, node: Mapping[str, Any], command: Sequence[str]) -> None:
    """Compare `node list --json` output with the add-on's manifest entry. Raises CommandError."""
    shown = shlex.join(command)
    try:
        version = listed_version(text, node["name"])
    except ValueError:
        raise CommandError(f"{shown}: not a facegraft command (unexpected 'node list' output); "
                           "set the facegraft path in the add-on preferences") from None
    if version != node["version"]:
        have = "no such node" if version is None else f"v{version}"
        raise CommandError(f"{shown} has {node['name']} {have}, the add-on expects v{node['version']}; "
                           "reinstall the add-on with 'facegraft install blender' from the facegraft you use")
