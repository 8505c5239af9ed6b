"""The farm job: layers of facegraft commands split into chunks, stored as `JOB_DIR/job.json`.

A layer is one facegraft command line (without `--frames`) run over its frames in chunks, after
the layers it depends on (extract → merge → convert). A layer without frames runs once (a merge).
Every engine runs the same chunk command, `facegraft farm task JOB_DIR --layer L --start S --end E`,
so logs, summaries and `farm status` do not depend on the engine. The file carries
`"schema": "FarmJob", "version": 1`.
"""
import json
import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from facegraft.core.errors import FacegraftError
from facegraft.core.media.atomic import atomic_write_text, check_writable_dir
from facegraft.plugins.farm.chunks import Chunk, split_chunks

SCHEMA = "FarmJob"
VERSION = 1
JOB_FILE = "job.json"
ENGINES = ("deadline", "opencue", "dask")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


class FarmError(FacegraftError):
    """A farm job cannot be built, submitted or run as asked (bad engine, range, chunk, job folder)."""


def default_executable() -> tuple[str, ...]:
    """How a farm host starts facegraft: this interpreter (a shared venv path) running `farm.launch`."""
    return (sys.executable, "-m", "facegraft.plugins.farm.launch")


@dataclass(frozen=True)
class LayerSpec:
    """One facegraft command over a frame list, in chunks.

    command: the facegraft argv without the executable and without `--frames`.
    frames: the frames to render, sorted; empty means the command runs once, as is (e.g. a merge).
    outputs: the absolute sequence pattern the command writes per frame (`/show/out/plate.####.exr`),
        or None when its outputs are not one file per frame; `farm status` and the task check it.
    workdir: the folder relative paths in `command` are relative to (where it was submitted).
    """

    name: str
    command: tuple[str, ...]
    frames: tuple[int, ...] = ()
    chunk: int = 10
    outputs: str | None = None
    depends: tuple[str, ...] = ()
    workdir: str = "."

    def chunks(self) -> list[Chunk]:
        """The chunks of this layer; a layer without frames is one chunk, named `0`."""
        return split_chunks(self.frames, size=self.chunk) if self.frames else [Chunk((0,))]


@dataclass(frozen=True)
class FarmSettings:
    """How tasks run, whatever the engine.

    threads: CPU threads a task may use (OMP/MKL/torch/OIIO), None leaves the host's default.
    gpu: CUDA_VISIBLE_DEVICES for tasks ("0", "0,1", "" for none), None leaves the host's.
    priority: queue priority (Deadline 0-100, OpenCue any int). retries: re-runs of a failed task.
    """

    threads: int | None = None
    gpu: str | None = None
    priority: int = 50
    retries: int = 2


@dataclass(frozen=True)
class JobSpec:
    """A named set of layers with dependencies, plus how to start facegraft on a farm host."""

    name: str
    layers: tuple[LayerSpec, ...]
    settings: FarmSettings = field(default_factory=FarmSettings)
    executable: tuple[str, ...] = field(default_factory=default_executable)

    def layer(self, name: str) -> LayerSpec:
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise FarmError(f"job {self.name}: no layer named {name!r}; layers are "
                        f"{', '.join(layer.name for layer in self.layers)}")

    def ordered_layers(self) -> list[LayerSpec]:
        """Layers with every dependency before its dependents (the job's submission order)."""
        done: list[LayerSpec] = []
        pending = list(self.layers)
        while pending:
            ready = [layer for layer in pending if set(layer.depends) <= {d.name for d in done}]
            if not ready:
                raise FarmError(f"job {self.name}: layers {', '.join(layer.name for layer in pending)} "
                                "depend on each other in a cycle; fix their dependencies")
            done.extend(ready)
            pending = [layer for layer in pending if layer not in ready]
        return done


def validate_job(job: JobSpec) -> JobSpec:
    """Return `job` when it can run. Raises: FarmError naming the layer and the fix."""
    if not _NAME.match(job.name.replace("-", "_")):
        raise FarmError(f"job name {job.name!r}: use letters, digits, - and _ , starting with a letter")
    if not job.layers:
        raise FarmError(f"job {job.name}: no layers to run")
    names = [layer.name for layer in job.layers]
    for layer in job.layers:
        if not _NAME.match(layer.name):
            raise FarmError(f"layer name {layer.name!r}: use letters, digits and _ , starting with a letter")
        if names.count(layer.name) > 1:
            raise FarmError(f"job {job.name}: two layers named {layer.name}; give each a unique name")
        if layer.chunk < 1:
            raise FarmError(f"layer {layer.name}: chunk size {layer.chunk} is below 1; pass --chunk 1 or more")
        if not layer.command:
            raise FarmError(f"layer {layer.name}: no facegraft command to run")
        for dep in layer.depends:
            if dep not in names:
                raise FarmError(f"layer {layer.name} depends on {dep!r}, which is not in job {job.name}")
    if job.settings.threads is not None and job.settings.threads < 1:
        raise FarmError(f"job {job.name}: --threads {job.settings.threads} is below 1")
    if job.settings.retries < 0:
        raise FarmError(f"job {job.name}: --retries {job.settings.retries} is below 0")
    job.ordered_layers()
    return job


def job_to_dict(job: JobSpec) -> dict:
    return {"schema": SCHEMA, "version": VERSION, **asdict(job)}


def job_from_dict(data: dict, *, where: str = "job") -> JobSpec:
    """Raises: FarmError if `data` is not a FarmJob of a version we read."""
    if not isinstance(data, dict):
        raise FarmError(f"{where}: not a facegraft farm job; submit the job again with this facegraft")
    if data.get("schema") != SCHEMA or data.get("version") != VERSION:
        raise FarmError(f"{where}: not a facegraft farm job (schema {data.get('schema')!r}, version "
                        f"{data.get('version')!r}); submit the job again with this facegraft")
    try:
        layers = tuple(LayerSpec(name=d["name"], command=tuple(d["command"]), frames=tuple(d["frames"]),
                                 chunk=int(d["chunk"]), outputs=d["outputs"], depends=tuple(d["depends"]),
                                 workdir=d["workdir"])
                       for d in data["layers"])
        return JobSpec(name=data["name"], layers=layers, settings=FarmSettings(**data["settings"]),
                       executable=tuple(data["executable"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise FarmError(f"{where}: damaged farm job ({exc!r}); submit the job again") from None


def write_job(job: JobSpec, job_dir: str | Path) -> Path:
    """Write `job_dir/job.json` atomically; the same job may be written again (a resubmission).

    Raises: FarmError if the folder already holds a different job; OutputError if not writable.
    """
    folder = check_writable_dir(job_dir)
    path = folder / JOB_FILE
    text = json.dumps(job_to_dict(validate_job(job)), indent=2) + "\n"
    if path.is_file() and path.read_text(encoding="utf-8") != text:
        previous = load_job(folder)
        if previous != job:
            raise FarmError(f"{folder}: job folder already holds job {previous.name} with other settings; "
                            "choose another --job-dir, or delete that folder to start over")
    atomic_write_text(path, text)
    return path


def load_job(job_dir: str | Path) -> JobSpec:
    """Raises: FarmError if `job_dir` holds no readable job.json."""
    path = Path(job_dir) / JOB_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FarmError(f"{job_dir}: no farm job here (no {JOB_FILE}); pass the --job-dir of a submitted job") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise FarmError(f"{path}: unreadable farm job ({exc}); submit the job again") from None
    return validate_job(job_from_dict(data, where=str(path)))


def task_command(job: JobSpec, job_dir: str | Path, layer: LayerSpec, *, start: str, end: str) -> list[str]:
    """The chunk command every engine runs; `start`/`end` are numbers or the engine's tokens."""
    command = [*job.executable, "farm", "task", str(Path(job_dir).resolve()), "--layer", layer.name]
    if layer.frames:
        command += ["--start", start, "--end", end]
    return command
