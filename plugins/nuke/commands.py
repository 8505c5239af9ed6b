"""Command lines the Nuke toolset runs, and what it reads back (no `nuke` import).

Nuke renders each input of a facegraft Group to `<work>/<plane>.####.exr`, runs
`facegraft node run` on the frame range in a subprocess, and reads `<work>/out.####.exr` back.
Tools that load torch run outside Nuke's process (library clashes), always through the command.
"""
import collections
import json
import shlex
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from facegraft.core.errors import FacegraftError
from facegraft.nodes.schema import NodeSpec
from facegraft.plugins.host_command import error_line, format_value, list_argv, listed_version, parse_progress

__all__ = ["CONFIG_NAME", "HostError", "check_node_list", "error_line", "farm_argv", "format_value", "list_argv",
           "load_command", "missing_command", "node_run_args", "parse_progress", "process_argv", "run_streaming",
           "work_paths"]

CONFIG_NAME = "config.json"


class HostError(FacegraftError):
    """The `facegraft` command is missing, fails, or is another version than the toolset's."""


def load_command(toolset: Path) -> list[str]:
    """The `facegraft` argv prefix recorded by `facegraft install nuke` (default: `facegraft` on PATH)."""
    config = toolset / CONFIG_NAME
    if not config.is_file():
        return ["facegraft"]
    return list(json.loads(config.read_text(encoding="utf-8"))["facegraft"])


def work_paths(work: Path, spec: NodeSpec) -> tuple[dict[str, str], str]:
    """Input patterns per plane and the output pattern, under the node's work folder."""
    return {p.name: str(work / f"{p.name}.####.exr") for p in spec.inputs}, str(work / "out.####.exr")


def node_run_args(spec: NodeSpec, inputs: Mapping[str, str], layers: Mapping[str, str | None], output: str,
                  first: int, last: int, params: Mapping[str, Any]) -> list[str]:
    """`node run NAME --input ... --output ... --frames A-B --set ...` (without the command prefix)."""
    args = ["node", "run", spec.name]
    for plane in spec.inputs:
        layer = layers.get(plane.name)
        args += ["--input", f"{plane.name}={inputs[plane.name]}" + (f":{layer}" if layer else "")]
    args += ["--output", output, "--frames", f"{first}-{last}"]
    for name, value in params.items():
        if value != spec.param(name).default:
            args += ["--set", f"{name}={format_value(value)}"]
    return args


def process_argv(command: Sequence[str], run_args: Sequence[str]) -> list[str]:
    """The full argv of a local run, with machine-readable progress."""
    return [*command, *run_args, "--progress", "lines"]


def farm_argv(command: Sequence[str], run_args: Sequence[str], *, engine: str) -> list[str]:
    """`facegraft farm submit --engine ENGINE -- node run ...` (the farm splits --frames into chunks)."""
    return [*command, "farm", "submit", "--engine", engine, "--", *run_args]


def check_node_list(text: str, spec: NodeSpec, *, command: Sequence[str]) -> None:
    """Compare `facegraft node list --json` with the toolset's spec. Raises HostError saying what to update."""
    shown = shlex.join(command)
    try:
        version = listed_version(text, spec.name)
    except ValueError:
        raise HostError(f"{shown}: unexpected output from 'node list --json'; is this the facegraft command?") from None
    if version is None:
        raise HostError(f"{shown} has no node {spec.name}; update facegraft or reinstall the toolset")
    if version != spec.version:
        raise HostError(f"{shown} has {spec.name} v{version}, this toolset expects "
                        f"v{spec.version}; run 'facegraft install nuke' with the facegraft you use")


def missing_command(command: Sequence[str]) -> HostError:
    return HostError(f"{shlex.join(command)}: facegraft command not found; install facegraft and run "
                     "'facegraft install nuke' again (it records the command's path)")


def run_streaming(argv: Sequence[str], *, on_progress: Callable[[int, int, int], None],
                  cancelled: Callable[[], bool] = lambda: False, keep_lines: int = 400) -> tuple[int, str]:
    """Run `argv` with its stdout and stderr joined into one pipe that is read to the end, so a child
    writing much to stderr can never block on a full pipe while we wait on stdout.

    `facegraft-progress` lines go to `on_progress(done, total, frame)`; the last `keep_lines` other
    lines are returned. When `cancelled()` turns true the child is terminated (and still drained).
    Returns: (exit code, other output). Raises: FileNotFoundError when the command does not exist.
    """
    proc = subprocess.Popen(list(argv), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            errors="replace")
    kept: collections.deque[str] = collections.deque(maxlen=keep_lines)
    assert proc.stdout is not None
    with proc.stdout:
        for line in proc.stdout:
            step = parse_progress(line)
            if step is not None:
                on_progress(*step)
            else:
                kept.append(line)
            if cancelled() and proc.poll() is None:
                proc.terminate()
    return proc.wait(), "".join(kept)
