"""Deadline 10: one job per layer for the CommandLine plugin, submitted with `deadlinecommand`.

Job info: `Plugin=CommandLine`, `Frames=` (the layer's frame list), `ChunkSize=`, `Priority=`,
`BatchName=` (the facegraft job), `JobDependencies=` (ids of the layers it depends on, known
once those are submitted). Plugin info: `Executable=`, `Arguments=` holding `<STARTFRAME>` and
`<ENDFRAME>`, which Deadline replaces with each task's first and last frame.
Without `deadlinecommand` on PATH (or with dry_run) the files are only written to
`JOB_DIR/deadline/`, with `submit.sh` giving the commands in dependency order.
"""
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from facegraft.core.media.atomic import atomic_write_text
from facegraft.core.media.sequence import SequencePattern
from facegraft.plugins.farm.chunks import frame_list_spec
from facegraft.plugins.farm.job import FarmError, JobSpec, LayerSpec, task_command

START, END = "<STARTFRAME>", "<ENDFRAME>"


@dataclass(frozen=True)
class DeadlineLayerFiles:
    layer: str
    job_info: Path
    plugin_info: Path


@dataclass(frozen=True)
class DeadlineSubmission:
    files: tuple[DeadlineLayerFiles, ...]
    job_ids: dict[str, str]  # layer -> Deadline job id; empty when only written


def job_info(job: JobSpec, layer: LayerSpec, *, dependencies: tuple[str, ...] = ()) -> dict[str, str]:
    """The job-info keys of one layer (Deadline's `KEY=VALUE` job file)."""
    info = {"Plugin": "CommandLine", "Name": f"{job.name} {layer.name}", "BatchName": job.name,
            "Comment": "facegraft " + " ".join(layer.command[:2]),
            "Frames": frame_list_spec(layer.frames) if layer.frames else "0",
            "ChunkSize": str(layer.chunk if layer.frames else 1), "Priority": str(job.settings.priority),
            "FailureDetectionTaskErrors": str(job.settings.retries + 1)}
    if dependencies:
        info["JobDependencies"] = ",".join(dependencies)
    if layer.outputs:
        pattern = SequencePattern.parse(layer.outputs)
        info["OutputDirectory0"] = str(Path(pattern.hashes()).parent.resolve())
        info["OutputFilename0"] = Path(pattern.hashes()).name
    return info


def plugin_info(job: JobSpec, job_dir: Path, layer: LayerSpec) -> dict[str, str]:
    """The CommandLine plugin-info keys of one layer."""
    command = task_command(job, job_dir, layer, start=START, end=END)
    return {"Executable": command[0], "Arguments": join_arguments(command[1:]), "ShellExecute": "False",
            "StartupDirectory": str(job_dir.resolve())}


def join_arguments(args: list[str]) -> str:
    """One `Arguments=` string as Deadline splits it (Windows rules: double quotes, backslash-escaped)."""
    return " ".join(f'"{a.replace(chr(34), chr(92) + chr(34))}"' if not a or any(c in a for c in ' \t"') else a
                    for a in args)


def write_job_files(job: JobSpec, job_dir: str | Path) -> list[DeadlineLayerFiles]:
    """Write job and plugin info per layer under `JOB_DIR/deadline/`, and `submit.sh`; return them."""
    job_dir = Path(job_dir)
    folder = job_dir / "deadline"
    files, script = [], ["#!/bin/sh", "# Submit in dependency order; add JobDependencies=<ids> by hand.", "set -e"]
    for layer in job.ordered_layers():
        files.append(_write_layer(folder, job, job_dir, layer, ()))
        script.append(f"deadlinecommand {shlex.quote(str(files[-1].job_info))} "
                      f"{shlex.quote(str(files[-1].plugin_info))}")
    atomic_write_text(folder / "submit.sh", "\n".join(script) + "\n")
    return files


def submit(job: JobSpec, job_dir: str | Path, *, dry_run: bool = False,
           deadlinecommand: str | None = None) -> DeadlineSubmission:
    """Write the files and, unless `dry_run` or Deadline is absent, submit layers in dependency order.

    Raises: FarmError when deadlinecommand refuses a layer (its output is quoted).
    """
    files = write_job_files(job, job_dir)
    command = deadlinecommand or shutil.which("deadlinecommand")
    if dry_run or command is None:
        return DeadlineSubmission(tuple(files), {})
    ids: dict[str, str] = {}
    for layer in job.ordered_layers():
        layer_files = _write_layer(Path(job_dir) / "deadline", job, Path(job_dir), layer,
                                   tuple(ids[d] for d in layer.depends))
        result = subprocess.run([command, str(layer_files.job_info), str(layer_files.plugin_info)],
                                capture_output=True, text=True, check=False)
        match = re.search(r"^JobID=(\S+)", result.stdout, re.MULTILINE)
        if result.returncode != 0 or match is None:
            output = " ".join((result.stdout + result.stderr).split())[-300:]
            raise FarmError(f"deadlinecommand refused layer {layer.name} ({layer_files.job_info}): {output}; "
                            "check the Deadline repository connection")
        ids[layer.name] = match.group(1)
    return DeadlineSubmission(tuple(files), ids)


def read_info_file(path: str | Path) -> dict[str, str]:
    """Parse a Deadline `KEY=VALUE` info file (as Deadline does: first `=` splits)."""
    info = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith(("#", ";")):
            key, _, value = line.partition("=")
            info[key.strip()] = value
    return info


def _write_layer(folder: Path, job: JobSpec, job_dir: Path, layer: LayerSpec,
                 dependencies: tuple[str, ...]) -> DeadlineLayerFiles:
    files = DeadlineLayerFiles(layer.name, folder / f"{layer.name}.job_info.job",
                               folder / f"{layer.name}.plugin_info.job")
    for path, keys in ((files.job_info, job_info(job, layer, dependencies=dependencies)),
                       (files.plugin_info, plugin_info(job, job_dir, layer))):
        atomic_write_text(path, "".join(f"{k}={v}\n" for k, v in keys.items()))
    return files
