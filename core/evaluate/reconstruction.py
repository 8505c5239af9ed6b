"""Reconstruction quality of a trained model on faces it never trained on, nor near.

Either the held-out block training kept apart (the last `holdout` faces of each face set, with
`holdout_gap` frames before them left out of training too: `facegraft.core.train.data`), or face
sets of other clips of the same two people.
"""
from collections.abc import Sequence
from pathlib import Path

from facegraft.core.errors import ModelMismatchError
from facegraft.core.faceset import FaceSet, load_faceset

MAX_FACES = 32


def reconstruction_quality(model_dir: str | Path, *, holdout: Sequence[str | Path] | None = None
                           ) -> dict[str, float]:
    """Masked SSIM and PSNR (dB, peak 1, crop encoding) of A→A and B→B on held-out faces.

    Args:
        model_dir: a trained model folder.
        holdout: face set folders (A, B) of other clips of the same people (every face held out;
            up to `MAX_FACES` spread over each); default: the held-out block of the face sets the
            model's training state names, split as training split them (count and gap from the
            checkpoint's settings).
    Returns: {"ssim_a", "psnr_a", "ssim_b", "psnr_b", "faces_a", "faces_b", "gap_frames"}; gap_frames
        is NaN for other clips (no frame of them was trained on).
    Raises: ModelMismatchError for an unreadable model or when the face sets cannot be found.
    """
    import torch

    from facegraft.core.models.files import load_model
    from facegraft.core.train.data import face_planes, load_face_data
    from facegraft.core.train.evaluate import holdout_quality

    model = load_model(model_dir)
    if holdout is not None:
        if len(holdout) != 2:
            raise ValueError(f"holdout takes two face sets (A, B), got {len(holdout)}")
        sets = [load_faceset(path) for path in holdout]
        planes = [torch.from_numpy(face_planes(s, _spread(len(s), MAX_FACES))) for s in sets]
        gap = float("nan")
    else:
        count, gap = _saved_split(model_dir)
        planes = [load_face_data(s, holdout=count, gap=gap, name=side).holdout
                  for s, side in zip(_training_sets(model_dir, model.training_state), "AB")]
    quality = holdout_quality(model.network, planes[0], planes[1])
    return {**quality, "faces_a": float(len(planes[0])), "faces_b": float(len(planes[1])), "gap_frames": float(gap)}


def _spread(n: int, count: int) -> list[int]:
    if n <= count:
        return list(range(n))
    return sorted({round(i * (n - 1) / (count - 1)) for i in range(count)})


def _saved_split(model_dir: str | Path) -> tuple[int, int]:
    """(holdout, gap) the model was trained with; models older than the gap: (4, 0)."""
    from facegraft.core.train.checkpoint import read_state

    try:
        settings = read_state(model_dir).get("settings", {})
    except ModelMismatchError:
        settings = {}
    return int(settings.get("holdout", 4)), int(settings.get("holdout_gap", 0))


def _training_sets(model_dir: str | Path, state: dict) -> list[FaceSet]:
    sets = []
    for key in ("faceset_a", "faceset_b"):
        named = state.get(key)
        if not named:
            raise ModelMismatchError(f"{model_dir}: the model does not name its face set {key[-1].upper()}; "
                                     "pass held-out face sets of both people (eval --holdout A B)")
        sets.append(load_faceset(named))
    return sets
