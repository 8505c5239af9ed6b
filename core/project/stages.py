"""The stages of a swap project, each a function of the run context returning its results.

Each stage reads what earlier stages recorded (paths, face ids) from their records, and writes
only under the project folder. `redo=True` starts the stage afresh (its earlier outputs are
removed or overwritten); otherwise it continues whatever an interrupted run left.
"""
import dataclasses
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from facegraft.core.alignments.format import Alignments, load_alignments, save_alignments
from facegraft.core.color import SCENE_LINEAR, ColorManager
from facegraft.core.errors import NoFaceError
from facegraft.core.extract.pipeline import ExtractModels, ExtractSettings, embed_reference, extract_alignments
from facegraft.core.media.source import Source, open_source
from facegraft.core.project.layout import ProjectLayout, read_record
from facegraft.core.project.settings import SwapSettings

Progress = Callable[[Iterable, int, str], Iterable]


class StageContext:
    """What every stage needs for one run (built by `run_swap`; not shared between runs)."""

    def __init__(self, layout: ProjectLayout, source: str, target: str, settings: SwapSettings, *,
                 color: ColorManager, models: Callable[[], ExtractModels], progress: Progress,
                 log: Callable[[str], None], show_training: bool, forced: str | None = None) -> None:
        self.layout, self.source, self.target, self.settings = layout, source, target, settings
        self.forced = forced  # the stage the user asked to re-run from scratch, if any
        self.color, self.progress, self.log, self.show_training = color, progress, log, show_training
        self._models_factory, self._models = models, None

    @property
    def models(self) -> ExtractModels:
        if self._models is None:
            self._models = self._models_factory()
        return self._models

    def result(self, stage: str, key: str) -> Any:
        record = read_record(self.layout, stage)
        if record is None:
            raise RuntimeError(f"stage {stage} has no record; it must run first")
        return record.results[key]


def stage_plate(ctx: StageContext, redo: bool) -> dict[str, Any]:
    """A video target becomes scene-linear half EXR frames; a sequence or image is used as it is."""
    from facegraft.core.media.transcode import TranscodeSettings, transcode

    source = open_source(ctx.target, color=ctx.color)
    frames = source.check_frames(ctx.settings.frames or source.frames)
    fps = float(source.info.fps) if source.info.fps else 24.0
    if source.info.kind != "video":
        return {"plate": ctx.target, "frames": frames, "fps": fps}
    settings = TranscodeSettings(to_colorspace=SCENE_LINEAR, pixel_type="half", force=redo, workers=1)
    transcode(source, ctx.layout.plate_pattern, frames, settings, color=ctx.color,
              progress=lambda it, n: ctx.progress(it, n, "plate"))
    return {"plate": ctx.layout.plate_pattern, "frames": frames, "fps": fps}


def main_face_id(alignments: Alignments) -> int:
    """The identity seen on the most frames (ties: the lowest id)."""
    counts: dict[int, int] = {}
    for n in alignments.frames:
        for face in alignments.faces(n):
            counts[face.face_id] = counts.get(face.face_id, 0) + 1
    return min(counts, key=lambda i: (-counts[i], i))


def extract_side(ctx: StageContext, side: str, path: str, frames: list[int] | None, *, redo: bool,
                 reference: str | None = None) -> dict[str, Any]:
    """Alignments and face set of one clip (`side` "source" or "target") into the project.

    Raises: NoFaceError naming the clip when no face is found, or the reference when it matches no one.
    """
    from facegraft.core.extract.faceset_export import write_faceset
    from facegraft.core.extract.finalize import IdentitySettings
    from facegraft.core.extract.smoothing import SMOOTHING_PRESETS
    from facegraft.core.extract.tracking import TrackingSettings

    opts, layout = ctx.settings.extract, ctx.layout
    if redo:
        shutil.rmtree(layout.faces(side), ignore_errors=True)
    identity = IdentitySettings()
    if reference is not None:
        embedding = embed_reference(reference, models=ctx.models, color=ctx.color)
        identity = IdentitySettings(reference=tuple(float(v) for v in embedding), reference_name=Path(reference).name)
    settings = ExtractSettings(face_type=opts.face_type, size=ctx.settings.size, upsample=opts.upsample,
                               tracking=TrackingSettings(redetect_every=opts.redetect_every),
                               smoothing=SMOOTHING_PRESETS[opts.smooth], identity=identity)
    source = open_source(path, color=ctx.color)
    out = layout.alignments(side)
    previous = load_alignments(out) if out.is_file() and not redo else None
    result = extract_alignments(source, models=ctx.models, settings=settings, color=ctx.color, frames=frames,
                                previous=previous, progress=lambda it, n: ctx.progress(it, n, f"extract {side}"))
    save_alignments(result.alignments, out)
    alignments = result.alignments
    if not alignments.face_ids():
        if reference is not None:
            raise NoFaceError(f"{reference}: the --reference person matches no face in {path} (every face is "
                              "0.6 or more from it); use a clear photo of the person to replace")
        raise NoFaceError(f"{path}: no face found in {len(alignments.frames)} frames; check the clip, or try "
                          "other --frames")
    face_id = main_face_id(alignments)
    done = [n for n in alignments.frames if any(f.face_id == face_id for f in alignments.faces(n))]
    faceset = write_faceset(source, alignments, layout.faces(side), color=ctx.color, frames=done, face_ids=[face_id],
                            progress=lambda it, n: ctx.progress(it, n, f"faces {side}"))
    if result.unreadable:
        ctx.log(f"warning: {path}: {len(result.unreadable)} unreadable frames skipped ({result.unreadable_reason})")
    return {"alignments": str(out), "faces": str(layout.faces(side)), "face_id": face_id,
            "frames": len(alignments.frames), "frames_with_face": len(done), "face_count": len(faceset)}


def stage_extract_source(ctx: StageContext, redo: bool) -> dict[str, Any]:
    frames = list(ctx.settings.source_frames) if ctx.settings.source_frames else None
    return extract_side(ctx, "source", ctx.source, frames, redo=redo)


def stage_extract_target(ctx: StageContext, redo: bool) -> dict[str, Any]:
    return extract_side(ctx, "target", ctx.result("plate", "plate"), ctx.result("plate", "frames"), redo=redo,
                        reference=ctx.settings.reference)


def stage_pair_check(ctx: StageContext, redo: bool) -> dict[str, Any]:
    import json

    from facegraft.core.media.atomic import atomic_write_text
    from facegraft.core.pair.check import check_pair, load_samples
    from facegraft.core.pair.text import report_text

    report = check_pair(load_samples(ctx.result("extract_source", "faces"), name="A"),
                        load_samples(ctx.result("extract_target", "faces"), name="B"))
    text = report_text(report, name_a="source", name_b="target")
    atomic_write_text(ctx.layout.pair_check, text + "\n")
    atomic_write_text(ctx.layout.pair_check.with_suffix(".json"),
                      json.dumps(report.to_json(), indent=1, ensure_ascii=False))
    for line in text.splitlines()[:1] + [f"  {n}" for n in report.notes]:
        ctx.log(f"pair check: {line.strip()}")
    return {"covered": round(report.covered, 4), "verdict": report.verdict, "uncovered": len(report.uncovered)}


_STOP_KEYS = ("iterations", "minutes")


def _extends(folder: Path, settings: Any, model: Any) -> bool:
    """True when the checkpoint in `folder` was trained with these settings but another stop
    condition (so a longer budget continues it instead of starting again)."""
    import json

    from facegraft.core.errors import ModelMismatchError
    from facegraft.core.train.checkpoint import has_checkpoint, read_state, saved_model_config

    if not has_checkpoint(folder):
        return False
    try:
        saved = read_state(folder).get("settings", {})
        same_model = saved_model_config(folder) == model
    except ModelMismatchError:
        return False
    wanted = json.loads(json.dumps(settings.to_json()))
    return same_model and {k: v for k, v in saved.items() if k not in _STOP_KEYS} == \
        {k: v for k, v in wanted.items() if k not in _STOP_KEYS}


def stage_train(ctx: StageContext, redo: bool) -> dict[str, Any]:
    """Train (or continue) the model. Training is a total budget: an interrupted run, or a run
    given more iterations/minutes with otherwise equal settings, continues the checkpoint."""
    from facegraft.core.faceset import load_faceset
    from facegraft.core.train.checkpoint import has_checkpoint, read_state
    from facegraft.core.train.loop import train

    folder = ctx.layout.model
    faceset_a = load_faceset(ctx.result("extract_source", "faces"))
    faceset_b = load_faceset(ctx.result("extract_target", "faces"))
    settings = ctx.settings.train
    model = dataclasses.replace(ctx.settings.model, face_type=faceset_a.face_type)
    if ctx.forced == "train" or (folder.exists() and not _extends(folder, settings, model)):
        shutil.rmtree(folder, ignore_errors=True)  # asked for, or made with other settings: start afresh
    resume = has_checkpoint(folder)
    if resume and settings.minutes is not None:  # an interrupted run trains only the time left
        left = settings.minutes - float(read_state(folder).get("elapsed_seconds", 0.0)) / 60.0
        if left <= 0.01 and settings.iterations is None:
            return {"iteration": int(read_state(folder)["iteration"]), "stopped": "minutes", "resumed": True}
        settings = dataclasses.replace(settings, minutes=max(left, 0.01))
    result = train(faceset_a, faceset_b, folder, model_config=model, settings=settings, resume=resume,
                   show_progress=ctx.show_training, base=ctx.settings.base)
    loss = result.losses.get("loss")
    return {"iteration": result.iteration, "stopped": result.stopped, "resumed": resume,
            "loss": None if loss is None or not np.isfinite(loss) else round(float(loss), 5)}


def stage_convert(ctx: StageContext, redo: bool) -> dict[str, Any]:
    from facegraft.core.convert.run import convert_plate
    from facegraft.core.convert.swapper import ModelSwapper
    from facegraft.core.models.files import load_model

    plate = open_source(ctx.result("plate", "plate"), color=ctx.color)
    alignments_path = ctx.result("extract_target", "alignments")
    alignments = load_alignments(alignments_path)
    settings = dataclasses.replace(ctx.settings.convert, force=redo,
                                   face_ids=(int(ctx.result("extract_target", "face_id")),))
    swapper = ModelSwapper(load_model(ctx.layout.model, device=ctx.settings.train.device), batch=settings.batch)
    frames = [n for n in alignments.frames if n in set(plate.frames)]
    report = convert_plate(plate, alignments, swapper, ctx.layout.converted_pattern, frames, settings, color=ctx.color,
                           alignments_path=alignments_path, progress=lambda it, n: ctx.progress(it, n, "convert"))
    return {"converted": ctx.layout.converted_pattern, "frames": frames, "written": len(report.written),
            "skipped": len(report.skipped), "faces": report.faces, "nonfinite": list(report.nonfinite)}


def stage_review(ctx: StageContext, redo: bool) -> dict[str, Any]:
    from facegraft.core.project.review import write_review

    plate: Source = open_source(ctx.result("plate", "plate"), color=ctx.color)
    swapped = open_source(ctx.result("convert", "converted"), color=ctx.color)
    fps = ctx.settings.review_fps or float(ctx.result("plate", "fps"))
    write_review(plate, swapped, ctx.layout.review, frames=ctx.result("convert", "frames"), color=ctx.color, fps=fps,
                 progress=lambda it, n: ctx.progress(it, n, "review"))
    return {"review": str(ctx.layout.review), "fps": fps}


def stage_eval(ctx: StageContext, redo: bool) -> dict[str, Any]:
    from facegraft.core.evaluate.identity import measuring_probe
    from facegraft.core.evaluate.job import evaluate_files
    from facegraft.core.evaluate.report import summary_lines
    from facegraft.core.evaluate.run import EvalSettings

    alignments = load_alignments(ctx.result("extract_target", "alignments"))
    evaluation = evaluate_files(
        swapped=open_source(ctx.result("convert", "converted"), color=ctx.color),
        plate=open_source(ctx.result("plate", "plate"), color=ctx.color),
        source_a=ctx.result("extract_source", "alignments"), probe=measuring_probe(alignments.header.landmarks),
        color=ctx.color, alignments=alignments,
        frames=ctx.result("convert", "frames"), model=ctx.layout.model,
        settings=EvalSettings(face_id=int(ctx.result("extract_target", "face_id"))), report=ctx.layout.eval_dir,
        source_face_id=int(ctx.result("extract_source", "face_id")),
        progress=lambda it, n: ctx.progress(it, n, "eval"))
    for key, value in summary_lines(evaluation.summary):
        ctx.log(f"eval: {key}: {value}")
    return {"report": str(ctx.layout.eval_dir / "report.html"), "summary": evaluation.to_json()["summary"]}
