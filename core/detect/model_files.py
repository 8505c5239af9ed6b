"""Where the offline model files are, without importing the packages that ship them.

dlib's models come with `face-recognition-models` (its `__init__` needs `pkg_resources`, so we
only look up its folder). MediaPipe's BlazeFace detectors and face mesh (Apache-2.0) are the
`.tflite` files inside the `mediapipe==0.10.21` wheel, installed with `--no-deps`: its Python
package pins numpy < 2 and is never imported, only its folder is looked up. face-alignment's
weights are used only when already present in a checkpoint folder (default
`torch.hub.get_dir()/checkpoints`, i.e. `$TORCH_HOME/hub/checkpoints`).
"""
import importlib.util
from pathlib import Path

from facegraft.core.errors import ModelMismatchError

DLIB_HOG = "hog"  # built into dlib
DLIB_MMOD = "mmod_human_face_detector.dat"
DLIB_68 = "shape_predictor_68_face_landmarks.dat"
DLIB_5 = "shape_predictor_5_face_landmarks.dat"
DLIB_FACE_RECOGNITION = "dlib_face_recognition_resnet_model_v1.dat"
MP_FACE_DETECTION_SHORT = "modules/face_detection/face_detection_short_range.tflite"
MP_FACE_DETECTION_FULL = "modules/face_detection/face_detection_full_range_sparse.tflite"
MP_FACE_LANDMARK = "modules/face_landmark/face_landmark.tflite"
MEDIAPIPE_INSTALL = "pip install --no-deps mediapipe==0.10.21"


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


def mediapipe_model_path(relative: str) -> Path:
    """The path of a `.tflite` model inside the installed mediapipe wheel (never imported).

    Args: relative: the file's path inside the package, e.g. `MP_FACE_LANDMARK`.
    Raises: ModelMismatchError when the package or the file is missing (says what to install).
    """
    spec = importlib.util.find_spec("mediapipe")  # a top-level name: finds the folder, imports nothing
    if spec is None or not spec.submodule_search_locations:
        raise ModelMismatchError(f"MediaPipe model {Path(relative).name}: the mediapipe package is not installed; "
                                 f"{MEDIAPIPE_INSTALL}")
    path = Path(list(spec.submodule_search_locations)[0]) / relative
    if not path.is_file():
        raise ModelMismatchError(f"{path}: MediaPipe model file missing (only mediapipe 0.10.21 and older ship it); "
                                 f"{MEDIAPIPE_INSTALL}")
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
