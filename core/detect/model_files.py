"""Where the offline model files are, without importing the packages that ship them.

dlib's models come with `face-recognition-models` (its `__init__` needs `pkg_resources`, so we
only look up its folder). face-alignment's weights are used only when already present in a
checkpoint folder (default `torch.hub.get_dir()/checkpoints`, i.e. `$TORCH_HOME/hub/checkpoints`).
"""
import importlib.util
from pathlib import Path

from facegraft.core.errors import ModelMismatchError

DLIB_HOG = "hog"  # built into dlib
DLIB_MMOD = "mmod_human_face_detector.dat"
DLIB_68 = "shape_predictor_68_face_landmarks.dat"
DLIB_5 = "shape_predictor_5_face_landmarks.dat"
DLIB_FACE_RECOGNITION = "dlib_face_recognition_resnet_model_v1.dat"


def dlib_model_path(file_name: str) -> Path:
    """The path of a dlib model shipped by face-recognition-models.

    Raises: ModelMismatchError when the package or the file is missing (says what to install).
    """
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise ModelMismatchError(f"dlib model {file_name}: the face-recognition-models package is not installed; "
                                 "pip install face-recognition-models")
    path = Path(list(spec.submodule_search_locations)[0]) / "models" / file_name
    if not path.is_file():
        raise ModelMismatchError(f"{path}: dlib model file missing; reinstall face-recognition-models")
    return path


def torch_checkpoint_dir(model_dir: str | Path | None = None) -> Path:
    """The folder checkpoints are looked up in: `model_dir`, else torch hub's `checkpoints` folder."""
    if model_dir is not None:
        return Path(model_dir)
    import torch.hub

    return Path(torch.hub.get_dir()) / "checkpoints"


def torch_checkpoint(file_name: str, *, model_dir: str | Path | None, what: str, url: str) -> Path:
    """A checkpoint file that must already be on disk (we never download at run time).

    Raises: ModelMismatchError naming the file, the folder and where to get it.
    """
    path = torch_checkpoint_dir(model_dir) / file_name
    if not path.is_file():
        raise ModelMismatchError(f"{what}: weights {file_name} not found in {path.parent}; download {url} "
                                 "there (or set TORCH_HOME), or choose the dlib backend")
    return path
