"""`run_swap`: run the stages of a swap project in order, skipping those already done.

A stage is skipped when its record holds the same settings (its own options plus the finish
times of the stages it reads); otherwise it runs — continuing an interrupted attempt, or afresh
when its record shows other settings. `only` re-runs one stage alone (its inputs must be done).
A full disk (ENOSPC) becomes an `OutputError` naming the stage; finished stages stay recorded.
"""
import contextlib
import errno
import filecmp
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from facegraft.core.color import ColorManager
from facegraft.core.errors import OutputError
from facegraft.core.extract.pipeline import ExtractModels
from facegraft.core.project import stages as st
from facegraft.core.project.layout import (STAGES, ProjectLayout, forget_record, is_done, open_project, read_record,
                                           write_record)
from facegraft.core.project.settings import SwapSettings, to_record

# stage -> (function, stages whose results it reads)
_PLAN: dict[str, tuple[Callable[[st.StageContext, bool], dict[str, Any]], tuple[str, ...]]] = {
    "plate": (st.stage_plate, ()),
    "extract_source": (st.stage_extract_source, ()),
    "extract_target": (st.stage_extract_target, ("plate",)),
    "pair_check": (st.stage_pair_check, ("extract_source", "extract_target")),
    "train": (st.stage_train, ("extract_source", "extract_target")),
    "convert": (st.stage_convert, ("plate", "extract_target", "train")),
    "review": (st.stage_review, ("plate", "convert")),
    "eval": (st.stage_eval, ("extract_source", "extract_target", "train", "convert")),
}


@dataclass(frozen=True)
class StageOutcome:
    stage: str
    ran: bool
    seconds: float  # this run's wall-clock (0 when skipped)
    recorded_seconds: float  # the wall-clock of the run that finished it
    results: dict[str, Any]


@dataclass(frozen=True)
class SwapResult:
    layout: ProjectLayout
    outcomes: tuple[StageOutcome, ...]
    same_clip: bool


def stage_settings(stage: str, source: str, target: str, settings: SwapSettings, layout: ProjectLayout) -> dict:
    """What a stage's result depends on (recorded, compared on the next run)."""
    s = settings
    own = {"plate": {"target": target, "frames": s.frames},
           "extract_source": {"source": source, "frames": s.source_frames, "extract": s.extract, "size": s.size},
           "extract_target": {"reference": s.reference, "extract": s.extract, "size": s.size},
           "pair_check": {},
           "train": {"model": s.model, "train": s.train, "base": s.base},
           "convert": {"convert": s.convert},
           "review": {"fps": s.review_fps},
           "eval": {}}[stage]
    after = {}
    for upstream in _PLAN[stage][1]:
        record = read_record(layout, upstream)
        after[upstream] = None if record is None else record.finished + f"/{record.seconds}"
    return to_record({**own, "after": after})


def same_clip(a: str, b: str) -> bool:
    """True when `a` and `b` name the same file, or two files with the same bytes."""
    pa, pb = Path(a), Path(b)
    if os.path.abspath(a) == os.path.abspath(b):
        return True
    return pa.is_file() and pb.is_file() and filecmp.cmp(pa, pb, shallow=False)


@contextlib.contextmanager
def disk_full_guard(stage: str, layout: ProjectLayout) -> Iterator[None]:
    """Turn a full disk during `stage` into an OutputError that says nothing finished is lost."""
    try:
        yield
    except OSError as exc:
        if exc.errno != errno.ENOSPC:
            raise
        raise OutputError(f"{layout.root}: disk full during stage {stage} ({exc.filename or exc.strerror}); free "
                          "space and re-run the same command: finished stages are kept") from exc
    except RuntimeError as exc:
        if "No space left on device" not in str(exc):
            raise
        raise OutputError(f"{layout.root}: disk full during stage {stage}; free space and re-run the same "
                          "command: finished stages are kept") from exc


def run_swap(source: str, target: str, out: str | Path, *, settings: SwapSettings, color: ColorManager,
             models: Callable[[], ExtractModels], only: str | None = None,
             progress: Callable[[Iterable, int, str], Iterable] = lambda it, n, desc: it,
             log: Callable[[str], None] = lambda line: None, show_training: bool = False,
             options: dict[str, Any] | None = None) -> SwapResult:
    """Swap identity `source` (A) onto the plate `target` (B) in the project folder `out`.

    Args:
        source, target: clips, sequences or images (see `open_source`). settings: the preset and options.
        color: OCIO conversions. models: builds the detection backends (called once, when needed).
        only: re-run this stage alone (one of STAGES). progress(items, total, desc) wraps loops.
        log: receives one line per event (also appended to logs/swap.log). options: what the caller
            records in project.json to resume with.
    Returns: SwapResult with one outcome per stage run or skipped.
    Raises: OutputError (folder of another project, full disk), NoFaceError (a clip without faces, a
        reference matching no one), MediaError / TrainingError / ModelMismatchError from the stages.
    """
    layout = ProjectLayout(Path(out))
    if only is not None and only not in STAGES:
        raise ValueError(f"only must be one of {STAGES}, got {only!r}")
    source, target = os.path.abspath(source), os.path.abspath(target)
    open_project(layout, source=source, target=target, options=options)
    write_log = _logger(layout, log)
    duplicate = same_clip(source, target)
    if duplicate:
        write_log(f"warning: source and target are the same clip ({source}); the swap will only reproduce it")
    ctx = st.StageContext(layout, source, target, settings, color=color, models=models, progress=progress,
                          log=write_log, show_training=show_training, forced=only)
    outcomes = []
    wanted = [s for s in STAGES if s != "eval" or settings.evaluate]
    for stage in wanted if only is None else [only]:
        outcomes.append(_run_stage(ctx, stage, source, target, forced=only is not None))
    return SwapResult(layout, tuple(outcomes), duplicate)


def _run_stage(ctx: st.StageContext, stage: str, source: str, target: str, *, forced: bool) -> StageOutcome:
    layout = ctx.layout
    missing = [u for u in _PLAN[stage][1] if read_record(layout, u) is None]
    if missing:
        raise OutputError(f"{layout.root}: stage {stage} needs {', '.join(missing)} first; run the whole swap "
                          "(without --stage) to make them")
    wanted = stage_settings(stage, source, target, ctx.settings, layout)
    if not forced and is_done(layout, stage, wanted):
        record = read_record(layout, stage)
        ctx.log(f"{stage}: done before ({record.seconds:.1f} s), skipped")
        return StageOutcome(stage, False, 0.0, record.seconds, record.results)
    previous = read_record(layout, stage)
    redo = forced or previous is not None  # a record with other settings: start the stage afresh
    forget_record(layout, stage)
    ctx.log(f"{stage}: {'redoing' if redo else 'running'}")
    start = time.monotonic()
    with disk_full_guard(stage, layout):
        results = _PLAN[stage][0](ctx, redo)
        seconds = time.monotonic() - start
        write_record(layout, stage, wanted, seconds=seconds, results=results)
    ctx.log(f"{stage}: finished in {seconds:.1f} s")
    return StageOutcome(stage, True, seconds, seconds, results)


def _logger(layout: ProjectLayout, log: Callable[[str], None]) -> Callable[[str], None]:
    layout.log.parent.mkdir(parents=True, exist_ok=True)

    def write(line: str) -> None:
        log(line)
        with contextlib.suppress(OSError), layout.log.open("a", encoding="utf-8") as handle:
            handle.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {line}\n")

    return write
