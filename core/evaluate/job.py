"""One evaluation job over files: identity A from its footage, the per-frame pass, the model's
held-out reconstruction, and the report folder (what `facegraft eval` and `swap` run)."""
import dataclasses
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from facegraft.core.alignments.format import Alignments
from facegraft.core.color import ColorManager
from facegraft.core.evaluate.identity import FaceProbe, identity_of, reference_faces
from facegraft.core.evaluate.run import EvalSettings, Evaluation, PlateCache, evaluate_swap
from facegraft.core.media.source import Source


def evaluate_files(*, swapped: Source, plate: Source, source_a: str | Path, probe: FaceProbe, color: ColorManager,
                   alignments: Alignments | None = None, frames: Sequence[int] | None = None,
                   model: str | Path | None = None, holdout: Sequence[str | Path] | None = None,
                   settings: EvalSettings = EvalSettings(), report: str | Path | None = None,
                   source_face_id: int | None = None, plate_cache: PlateCache | None = None,
                   progress: Callable[[Iterator, int], Iterable] = lambda it, n: it) -> Evaluation:
    """Evaluate `swapped` against `plate` with identity A (and the detail A's footage holds) taken
    from `source_a` (alignments, face set, clip or image; `source_face_id` picks one identity of A's
    alignments); add masked SSIM/PSNR on held-out faces when `model` is given (`holdout`: face sets
    of A and B from other clips of the same people, else the held-out block training kept apart);
    write the report to `report`.

    Raises: NoFaceError when A shows no face; MediaError/AlignmentsError/ModelMismatchError for bad
        inputs; OutputError when the report cannot be written.
    """
    identity_a = identity_of(source_a, probe=probe, color=color, face_id=source_face_id)
    reference_a = reference_faces(source_a, probe=probe, color=color, face_id=source_face_id)
    evaluation = evaluate_swap(swapped, plate, identity_a, probe=probe, color=color, alignments=alignments,
                               frames=frames, reference_a=reference_a, settings=settings, plate_cache=plate_cache,
                               progress=progress)
    if model is not None:
        from facegraft.core.evaluate.reconstruction import reconstruction_quality

        quality = reconstruction_quality(model, holdout=holdout)
        evaluation = dataclasses.replace(
            evaluation, summary=dataclasses.replace(evaluation.summary, reconstruction=quality))
    if report is not None:
        from facegraft.core.evaluate.report import write_report

        write_report(evaluation, report)
    return evaluation
