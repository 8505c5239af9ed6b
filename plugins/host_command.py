"""What a host add-on says to the `facegraft` command and reads back from it (standard library only).

Progress lines (`facegraft-progress DONE TOTAL FRAME`, written by `facegraft node run --progress
lines`), the one-line error of a failed run, parameter values on a command line, and the node
versions in `facegraft node list --json`.

One source, two hosts. The Nuke toolset imports this file as `facegraft.plugins.host_command`
(`facegraft install nuke` copies it with the other standard-library modules). The Blender
extension must stay standalone, so it carries a byte-identical copy, `plugins/blender/host_command.py`;
`facegraft install blender` puts this source into the extension zip under that name, and
tests/plugins/test_host_command.py checks the copy is identical and tests the behaviour once.
After editing this file, refresh the copy: `cp plugins/host_command.py plugins/blender/host_command.py`.
"""
import json
from collections.abc import Sequence
from typing import Any

PROGRESS_PREFIX = "facegraft-progress"  # = facegraft.nodes.schema.PROGRESS_PREFIX (a test checks)
ERROR_PREFIX = "facegraft: error:"


def format_value(value: Any) -> str:
    """A parameter value as `--set NAME=VALUE` text: booleans 1/0, floats round-trip exactly."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def list_argv(command: Sequence[str]) -> list[str]:
    """`facegraft node list --json` with the host's command prefix."""
    return [*command, "node", "list", "--json"]


def parse_progress(line: str) -> tuple[int, int, int] | None:
    """(done, total, frame) from a `facegraft-progress DONE TOTAL FRAME` line, else None."""
    parts = line.split()
    if len(parts) != 4 or parts[0] != PROGRESS_PREFIX:
        return None
    try:
        return int(parts[1]), int(parts[2]), int(parts[3])
    except ValueError:
        return None


def error_line(stderr: str) -> str:
    """The one-line `facegraft: error: ...` message of a failed run (else its last line)."""
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith(ERROR_PREFIX):
            return line[len(ERROR_PREFIX):].strip()
    return lines[-1] if lines else "no output"


def listed_version(text: str, name: str) -> int | None:
    """The version of node `name` in `facegraft node list --json` output, None when it is not listed.

    Raises: ValueError when `text` is not that command's output (another program answered).
    """
    try:
        listed = {n["name"]: n for n in json.loads(text)["nodes"]}
    except (ValueError, KeyError, TypeError):
        raise ValueError("unexpected 'node list --json' output") from None
    found = listed.get(name)
    return None if found is None else int(found["version"])
