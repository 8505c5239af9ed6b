"""OpenCue: the job as an outline built with opencue-pyoutline, submitted or serialised to a spec.

One `Shell` layer per facegraft layer: `range` is its frame list, `chunk` its chunk size, the
command is the farm task with `#FRAME_START#`/`#FRAME_END#` (substituted by OpenCue per chunk),
`cores` the thread limit, `gpus` 1 when a GPU is chosen, and `depend_all` for dependencies.
It is launched when a Cuebot is configured (an address given, or `CUEBOT_HOSTS` /
`OPENCUE_CONFIG_FILE` set); otherwise the job spec XML (what Cuebot receives) is written to
`JOB_DIR/opencue/JOB.xml`. pyoutline's session files go under `JOB_DIR/opencue/sessions`.
"""
import contextlib
import getpass
import os
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from facegraft.core.media.atomic import atomic_write_text
from facegraft.plugins.farm.chunks import frame_list_spec
from facegraft.plugins.farm.job import FarmError, JobSpec, task_command

START, END = "#FRAME_START#", "#FRAME_END#"


@dataclass(frozen=True)
class CueSubmission:
    spec_path: Path
    launched: tuple[str, ...]  # OpenCue job names; empty when only serialised


def cue_command(job: JobSpec, job_dir: str | Path, layer_name: str) -> str:
    """The layer's shell command, with OpenCue's frame tokens left unquoted for substitution."""
    command = task_command(job, job_dir, job.layer(layer_name), start=START, end=END)
    return " ".join(arg if arg in (START, END) else shlex.quote(arg) for arg in command)


def build_outline(job: JobSpec, job_dir: str | Path, *, show: str | None = None, shot: str | None = None):
    """An `outline.Outline` of the job (pyoutline imported here only: it is optional).

    Raises: FarmError when opencue-pyoutline is not installed.
    """
    outline, shell = _pyoutline()
    with _no_current_outline(outline):
        return _build_outline(outline, shell, job, job_dir, show, shot)


def _build_outline(outline, shell, job: JobSpec, job_dir: str | Path, show: str | None, shot: str | None):
    ol = outline.Outline(job.name, show=show or os.environ.get("SHOW") or None,
                         shot=shot or os.environ.get("SHOT") or None, user=getpass.getuser())
    layers = {}
    for spec in job.ordered_layers():
        args = {"command": cue_command(job, job_dir, spec.name),
                "range": frame_list_spec(spec.frames) if spec.frames else "1",
                "chunk": spec.chunk if spec.frames else 1}
        if job.settings.threads is not None:
            args["cores"] = job.settings.threads
        if job.settings.gpu:
            args["gpus"] = 1
        layer = shell.Shell(spec.name, **args)
        for dep in spec.depends:
            layer.depend_all(layers[dep])
        layers[spec.name] = layer
        ol.add_layer(layer)
    return ol


def job_spec_xml(job: JobSpec, job_dir: str | Path) -> str:
    """The OpenCue job spec (cjsl XML) that pyoutline would send to Cuebot."""
    outline, _ = _pyoutline()
    from outline import cuerun

    with _session_dir(Path(job_dir) / "opencue" / "sessions"):
        launcher = cuerun.OutlineLauncher(build_outline(job, job_dir), priority=job.settings.priority,
                                          maxretries=job.settings.retries, nomail=True)
        return launcher.serialize(use_pycuerun=False)


def cuebot_configured(address: str | None) -> bool:
    return bool(address or os.environ.get("CUEBOT_HOSTS") or os.environ.get("OPENCUE_CONFIG_FILE"))


def submit(job: JobSpec, job_dir: str | Path, *, dry_run: bool = False, address: str | None = None) -> CueSubmission:
    """Write the job spec; launch on Cuebot unless `dry_run` or none is configured.

    Raises: FarmError when pyoutline is missing or Cuebot refuses the job.
    """
    job_dir = Path(job_dir)
    spec_path = job_dir / "opencue" / f"{job.name}.xml"
    atomic_write_text(spec_path, job_spec_xml(job, job_dir))
    if dry_run or not cuebot_configured(address):
        return CueSubmission(spec_path, ())
    from outline import cuerun
    import opencue

    with _session_dir(job_dir / "opencue" / "sessions"):
        try:
            jobs = cuerun.launch(build_outline(job, job_dir), use_pycuerun=False, priority=job.settings.priority,
                                 maxretries=job.settings.retries, nomail=True, server=address or False)
        except opencue.exception.CueException as exc:
            raise FarmError(f"OpenCue refused job {job.name} ({exc}); check CUEBOT_HOSTS or --scheduler, "
                            f"or submit {spec_path} by hand") from None
    return CueSubmission(spec_path, tuple(j.name() for j in jobs))


def _pyoutline():
    try:
        import outline
        import outline.modules.shell as shell
    except ImportError as exc:
        raise FarmError(f"--engine opencue needs opencue-pyoutline and packaging ({exc}); "
                        "pip install opencue-pyoutline packaging") from None
    return outline, shell


@contextlib.contextmanager
def _no_current_outline(outline) -> Iterator[None]:
    """pyoutline adds each new layer to a process-wide "current" outline (set by load_outline);
    build ours with none set, so layers go only where we add them."""
    before = outline.Outline.current
    outline.Outline.current = None
    try:
        yield
    finally:
        outline.Outline.current = before


@contextlib.contextmanager
def _session_dir(folder: Path) -> Iterator[None]:
    """pyoutline writes a session folder at setup; keep it in the job folder, not in $HOME."""
    from outline import config

    before = config.get("outline", "session_dir", raw=True)
    folder.mkdir(parents=True, exist_ok=True)
    config.set("outline", "session_dir", str(folder.resolve()))
    try:
        yield
    finally:
        config.set("outline", "session_dir", before)
