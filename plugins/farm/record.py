"""The job record kept with the outputs: which settings wrote an output folder.

`OUTPUT_FOLDER/facegraft-job.json` lists, per output pattern, the facegraft command (without
`--frames`) that writes it. A job whose command for a folder differs from the recorded one is
refused, so two jobs with different settings never mix frames in one folder; the same job may
run again (retries, resubmission, more frames). `"schema": "FarmOutputRecord", "version": 1`.
"""
import json
import os
from pathlib import Path

from facegraft.core.errors import OutputError
from facegraft.core.media.atomic import atomic_write_text, check_writable_dir
from facegraft.core.media.sequence import SequencePattern
from facegraft.plugins.farm.job import JobSpec

RECORD_FILE = "facegraft-job.json"
SCHEMA = "FarmOutputRecord"
VERSION = 1
# Flags that change how a command runs, not what it writes.
_NEUTRAL_FLAGS = ("--force", "-q", "--quiet", "-v", "--verbose", "-vv")


def output_settings(job: JobSpec) -> dict[Path, dict[str, list[str]]]:
    """Per output folder: {output pattern file name: `cwd=FOLDER` and the command that writes it}."""
    folders: dict[Path, dict[str, list[str]]] = {}
    for layer in job.layers:
        if layer.outputs is None:
            continue
        pattern = SequencePattern.parse(layer.outputs)
        folder = Path(os.path.abspath(pattern.path(0).parent))
        command = [f"cwd={layer.workdir}", *(arg for arg in layer.command if arg not in _NEUTRAL_FLAGS)]
        folders.setdefault(folder, {})[Path(pattern.hashes()).name] = command
    return folders


def claim_outputs(job: JobSpec) -> list[Path]:
    """Write (or check) the record in every output folder of `job`; return the record paths.

    Raises: OutputError naming the folder when it was written by a job with other settings.
    """
    written = []
    for folder, settings in output_settings(job).items():
        check_writable_dir(folder)
        path = folder / RECORD_FILE
        recorded = read_record(path)
        for name, command in settings.items():
            before = recorded.get(name)
            if before is not None and before["command"] != command:
                raise OutputError(
                    f"{folder}: already holds {name} written by job {before['job']} with other settings "
                    f"({' '.join(before['command'])}); choose another output folder, or delete its frames "
                    f"and {RECORD_FILE} to redo them")
        if any(k not in recorded for k in settings):
            merged = {**recorded, **{k: {"job": job.name, "command": v} for k, v in settings.items()}}
            atomic_write_text(path, json.dumps({"schema": SCHEMA, "version": VERSION, "outputs": merged},
                                               indent=2) + "\n")
        written.append(path)
    return written


def read_record(path: Path) -> dict[str, dict]:
    """{pattern name: {"job", "command"}} of a record file; empty when there is none.

    Raises: OutputError for a damaged record (never silently replaced).
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, json.JSONDecodeError) as exc:
        raise OutputError(f"{path}: damaged job record ({exc}); check the folder's frames, then delete it") from None
    if (not isinstance(data, dict) or data.get("schema") != SCHEMA or data.get("version") != VERSION
            or not isinstance(data.get("outputs"), dict)):
        raise OutputError(f"{path}: not a facegraft job record of a known version; delete it to re-claim the folder")
    return data["outputs"]
