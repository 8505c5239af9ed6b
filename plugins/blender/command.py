"""The `facegraft` command lines the add-on runs, and what it reads back (no bpy).

Kept in step with facegraft.plugins.cli.node (progress lines) and facegraft.nodes.binding (the
`NAME=PATTERN[:LAYER]` syntax); tests/plugins/blender check both against the real command.
"""
import json
import shlex
from collections.abc import Mapping, Sequence
from typing import Any

PROGRESS_PREFIX = "facegraft-progress"


class CommandError(Exception):
    """The facegraft command is missing, is another version, or failed; one line for a Blender report."""


def binding(plane: str, source: str, selected: str) -> str:
    """`PLANE=PATTERN[:LAYER]` from a source property: empty / `:LAYER` use the selected sequence."""
    source = source.strip()
    if not source or source.startswith(":"):
        return f"{plane}={selected}{source}"
    return f"{plane}={source}"


def format_value(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return repr(value)
    return str(value)


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


def list_argv(command: Sequence[str]) -> list[str]:
    return [*command, "node", "list", "--json"]


def check_listing(text: str, node: Mapping[str, Any], command: Sequence[str]) -> None:
    """Compare `node list --json` output with the add-on's manifest entry. Raises CommandError."""
    shown = shlex.join(command)
    try:
        listed = {n["name"]: n for n in json.loads(text)["nodes"]}
    except (ValueError, KeyError, TypeError):
        raise CommandError(f"{shown}: not a facegraft command (unexpected 'node list' output); "
                           "set the facegraft path in the add-on preferences") from None
    found = listed.get(node["name"])
    if found is None or found["version"] != node["version"]:
        have = "no such node" if found is None else f"v{found['version']}"
        raise CommandError(f"{shown} has {node['name']} {have}, the add-on expects v{node['version']}; "
                           "reinstall the add-on with 'facegraft install blender' from the facegraft you use")


def parse_progress(line: str) -> tuple[int, int, int] | None:
    parts = line.split()
    if len(parts) != 4 or parts[0] != PROGRESS_PREFIX:
        return None
    try:
        return int(parts[1]), int(parts[2]), int(parts[3])
    except ValueError:
        return None


def error_line(stderr: str) -> str:
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith("facegraft: error:"):
            return line[len("facegraft: error:"):].strip()
    return lines[-1] if lines else "no output"
