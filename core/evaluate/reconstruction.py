"""Reconstruction quality of a trained model on the faces it held out (never trained on)."""
from pathlib import Path

from facegraft.core.faceset import FaceSet, load_faceset
from facegraft.core.errors import ModelMismatchError

DEFAULT_HOLDOUT = 4


def reconstruction_quality(model_dir: str | Path, *, faceset_a: FaceSet | None = None,
                           faceset_b: FaceSet | None = None) -> dict[str, float]:
    """SSIM and PSNR (dB, peak 1, crop encoding) of A→A and B→B on each face set's held-out faces.

    The held-out faces are the last `holdout` of each set, as training split them (the count is
    read from the checkpoint's settings; 4 when absent). Face sets default to those the model's
    training state names.
    Returns: {"ssim_a", "psnr_a", "ssim_b", "psnr_b"}.
    Raises: ModelMismatchError for an unreadable model or when the face sets cannot be found.
    """
    from facegraft.core.models.files import load_model
    from facegraft.core.train.checkpoint import read_state
    from facegraft.core.train.data import load_face_data
    from facegraft.core.train.evaluate import holdout_quality

    model = load_model(model_dir)
    try:
        holdout = int(read_state(model_dir).get("settings", {}).get("holdout", DEFAULT_HOLDOUT))
    except ModelMismatchError:
        holdout = DEFAULT_HOLDOUT
    sets = []
    for given, key in ((faceset_a, "faceset_a"), (faceset_b, "faceset_b")):
        if given is None:
            named = model.training_state.get(key)
            if not named:
                raise ModelMismatchError(f"{model_dir}: the model does not name its face set {key[-1].upper()}; "
                                         "pass the face sets explicitly")
            given = load_faceset(named)
        sets.append(given)
    holdout = max(1, min(holdout, len(sets[0]) - 1, len(sets[1]) - 1))
    data_a = load_face_data(sets[0], holdout=holdout, name="A").holdout
    data_b = load_face_data(sets[1], holdout=holdout, name="B").holdout
    return holdout_quality(model.network, data_a, data_b)
