"""Pretraining: one model trained on a pool of many identities, the base a pair starts from.

Both decoders learn every face of the pool (each batch draws A's and B's faces independently from
it, every identity equally often), so the encoder learns faces in general and the decoders learn
to draw any face; `facegraft train --from BASE` then keeps those and re-initialises the per-pair
parts (`base.start_from_base`). A base is made once per crop size and network shape, outside the
project repository, and reused for every pair.
"""
from collections.abc import Sequence
from pathlib import Path

from facegraft.core.faceset import FaceSet
from facegraft.core.models.config import ModelConfig
from facegraft.core.models.files import check_compatible
from facegraft.core.train.data import check_pair, load_face_data, pool_face_data
from facegraft.core.train.errors import TrainingError
from facegraft.core.train.loop import TrainResult, train_data
from facegraft.core.train.settings import TrainSettings


def pretrain(facesets: Sequence[FaceSet], folder: str | Path, *, model_config: ModelConfig,
             settings: TrainSettings, resume: bool = False, show_progress: bool = True) -> TrainResult:
    """Train `model_config` on the pool of `facesets` (one identity each) into `folder`.

    The held-out block of each face set (`settings.holdout`) is kept out of the pool as in `train`.
    Raises: TrainingError (fewer than two face sets, face sets that differ in crop size, face type
    or color encoding, too few faces in one, resume conflicts), as `train` does otherwise.
    """
    if len(facesets) < 2:
        raise TrainingError(f"pretraining needs face sets of at least two identities, got {len(facesets)}; "
                            "extract more clips with facegraft extract --faces-out")
    for other in facesets[1:]:
        check_pair(facesets[0], other)
    check_compatible(model_config, facesets[0], model_path="the model options")
    parts = [load_face_data(f, holdout=settings.holdout, gap=settings.holdout_gap, name=Path(f.path).name,
                            sampling=settings.sampling) for f in facesets]
    pool = pool_face_data(parts, name="pool")
    return train_data(pool, pool, folder, model_config=model_config, settings=settings, resume=resume,
                      show_progress=show_progress, sources={"pretrain_facesets": [str(f.path) for f in facesets]})
