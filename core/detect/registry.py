"""Detector and landmark backends registered by name in a registry object (no global state).

`default_registry()` builds a fresh registry with the built-in backends; a host lists
`registry.names("detector")` without loading any model. Creating a backend loads its model.
Each backend records the licence of its model and whether that licence allows commercial use;
`DEFAULT_DETECTOR` / `DEFAULT_LANDMARKS` are what new projects extract with.
"""
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from facegraft.core.detect.types import FaceDetector, IdentityModel, LandmarkModel

KINDS = ("detector", "landmarks", "identity")
# What new projects extract with. dlib stays the default until the commercially usable pair
# ("blazeface" + "mesh") is at least as accurate: in bench_extract.py it finds every face HOG finds
# and more, but its 68 points are ~20 % further from human annotations on frontal faces.
DEFAULT_DETECTOR = "hog"
DEFAULT_LANDMARKS = "dlib68"
COMMERCIAL_PAIR = ("blazeface", "mesh")
APACHE_MEDIAPIPE = "Apache-2.0 (MediaPipe models, shipped in the mediapipe 0.10.21 wheel)"
DLIB_MODELS_PUBLIC = "public domain (dlib-models README, Davis King)"
CANDIDATE_SCORE = 0.3  # BlazeFace score that makes a candidate; the mesh's presence >= 0.5 confirms it


@dataclass(frozen=True)
class BackendOptions:
    """Options every backend factory receives (each uses what applies to it).

    upsample: image doublings before detecting (small faces). model_dir: checkpoint folder for
    torch backends (None: `$TORCH_HOME/hub/checkpoints`). device: torch device.
    """

    upsample: int = 0
    model_dir: Path | None = None
    device: str = "cpu"


@dataclass(frozen=True)
class Backend:
    """A registered backend: `licence` of its model (and code), `commercial`: may a paid job use it."""

    kind: str
    name: str
    description: str
    factory: Callable[[BackendOptions], object]
    licence: str = "unknown"
    commercial: bool = False


class BackendRegistry:
    """Backends by kind and name. Tests and hosts build their own instance."""

    def __init__(self) -> None:
        self._backends: dict[tuple[str, str], Backend] = {}

    def register(self, kind: str, name: str, factory: Callable[[BackendOptions], object], *,
                 description: str, licence: str = "unknown", commercial: bool = False) -> None:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        if (kind, name) in self._backends:
            raise ValueError(f"{kind} backend {name!r} is already registered")
        self._backends[(kind, name)] = Backend(kind, name, description, factory, licence, commercial)

    def backend(self, kind: str, name: str) -> Backend:
        """The registration of `name` (no model loaded). Raises ValueError for an unknown name."""
        try:
            return self._backends[(kind, name)]
        except KeyError:
            raise ValueError(f"unknown {kind} backend {name!r}; known: {', '.join(self.names(kind))}") from None

    def names(self, kind: str) -> tuple[str, ...]:
        return tuple(name for (k, name) in self._backends if k == kind)

    def describe(self, kind: str) -> dict[str, str]:
        return {b.name: b.description for (k, _), b in self._backends.items() if k == kind}

    def create(self, kind: str, name: str, options: BackendOptions = BackendOptions()) -> object:
        """Build backend `name` of `kind`. Raises ValueError for an unknown name (the CLI restricts choices)."""
        return self.backend(kind, name).factory(options)

    def detector(self, name: str, options: BackendOptions = BackendOptions()) -> FaceDetector:
        return self.create("detector", name, options)  # type: ignore[return-value]

    def landmarks(self, name: str, options: BackendOptions = BackendOptions()) -> LandmarkModel:
        return self.create("landmarks", name, options)  # type: ignore[return-value]

    def identity(self, name: str, options: BackendOptions = BackendOptions()) -> IdentityModel:
        return self.create("identity", name, options)  # type: ignore[return-value]


def default_registry() -> BackendRegistry:
    """A new registry holding the built-in backends (models are loaded only by `create`)."""
    from facegraft.core.detect import dlib_backends as dl
    from facegraft.core.detect import fan_backends as fa

    registry = BackendRegistry()
    registry.register("detector", "blazeface", lambda o: _blazeface("full", o),
                      description="MediaPipe BlazeFace full range + face-mesh check (offline; tilted and small "
                                  "faces; --upsample halves the smallest face found, 80 px)",
                      licence=APACHE_MEDIAPIPE, commercial=True)
    registry.register("detector", "blazeface_short", lambda o: _blazeface("short", o),
                      description="MediaPipe BlazeFace short range (selfie distance) + face-mesh check",
                      licence=APACHE_MEDIAPIPE, commercial=True)
    registry.register("detector", "hog", lambda o: dl.HogDetector(upsample=o.upsample),
                      description="dlib HOG frontal detector (fast, offline; misses tilted faces)",
                      licence="Boost Software License 1.0 (dlib)", commercial=True)
    registry.register("detector", "mmod", lambda o: dl.MmodDetector(upsample=o.upsample),
                      description="dlib CNN mmod detector (offline; finds more; seconds per frame on CPU)",
                      licence=DLIB_MODELS_PUBLIC, commercial=True)
    registry.register("detector", "sfd", lambda o: fa.SfdDetector(model_dir=o.model_dir, device=o.device),
                      description="face-alignment S3FD (needs s3fd-619a316812.pth in the checkpoint folder)",
                      licence="BSD-3-Clause (face-alignment); weights: check their source", commercial=False)
    registry.register("landmarks", "mesh", lambda o: _mesh(),
                      description="MediaPipe face mesh, 468 points kept + iBUG-68 mapped from them (offline)",
                      licence=APACHE_MEDIAPIPE, commercial=True)
    registry.register("landmarks", "dlib68", lambda o: dl.DlibLandmarks(),
                      description="dlib 68-point shape predictor (offline; iBUG 300-W, non-commercial)",
                      licence="trained on iBUG 300-W, whose licence excludes commercial use", commercial=False)
    registry.register("landmarks", "fan2d", lambda o: fa.FanLandmarks(model_dir=o.model_dir, device=o.device),
                      description="face-alignment 2D FAN (needs 2DFAN4-11f355bf06.pth.tar in the checkpoint folder)",
                      licence="BSD-3-Clause (face-alignment); weights trained on 300-W-LP: non-commercial",
                      commercial=False)
    registry.register("identity", "dlib_resnet", lambda o: dl.DlibIdentity(),
                      description="dlib face recognition ResNet, 128-D, same person below 0.6",
                      licence=DLIB_MODELS_PUBLIC, commercial=True)
    return registry


def _blazeface(reach: str, options: BackendOptions) -> object:
    from facegraft.core.detect.blazeface import FULL_RANGE, MIN_FACE, SHORT_RANGE, BlazeFaceDetector
    from facegraft.core.detect.face_mesh import FaceMeshLandmarks, MeshCheckedDetector

    config = FULL_RANGE if reach == "full" else SHORT_RANGE
    candidates = BlazeFaceDetector(config, min_face=MIN_FACE / 2 ** options.upsample, min_score=CANDIDATE_SCORE)
    name = "blazeface" if reach == "full" else "blazeface_short"
    return MeshCheckedDetector(candidates, FaceMeshLandmarks(), name=name)


def _mesh() -> object:
    from facegraft.core.detect.face_mesh import FaceMeshLandmarks

    return FaceMeshLandmarks()
