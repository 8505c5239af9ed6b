"""Detector and landmark backends registered by name in a registry object (no global state).

`default_registry()` builds a fresh registry with the built-in backends; a host lists
`registry.names("detector")` without loading any model. Creating a backend loads its model.
"""
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from facegraft.core.detect.types import FaceDetector, IdentityModel, LandmarkModel

KINDS = ("detector", "landmarks", "identity")


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
    kind: str
    name: str
    description: str
    factory: Callable[[BackendOptions], object]


class BackendRegistry:
    """Backends by kind and name. Tests and hosts build their own instance."""

    def __init__(self) -> None:
        self._backends: dict[tuple[str, str], Backend] = {}

    def register(self, kind: str, name: str, factory: Callable[[BackendOptions], object], *,
                 description: str) -> None:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        if (kind, name) in self._backends:
            raise ValueError(f"{kind} backend {name!r} is already registered")
        self._backends[(kind, name)] = Backend(kind, name, description, factory)

    def names(self, kind: str) -> tuple[str, ...]:
        return tuple(name for (k, name) in self._backends if k == kind)

    def describe(self, kind: str) -> dict[str, str]:
        return {b.name: b.description for (k, _), b in self._backends.items() if k == kind}

    def create(self, kind: str, name: str, options: BackendOptions = BackendOptions()) -> object:
        """Build backend `name` of `kind`. Raises ValueError for an unknown name (the CLI restricts choices)."""
        try:
            backend = self._backends[(kind, name)]
        except KeyError:
            raise ValueError(f"unknown {kind} backend {name!r}; known: {', '.join(self.names(kind))}") from None
        return backend.factory(options)

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
    registry.register("detector", "hog", lambda o: dl.HogDetector(upsample=o.upsample),
                      description="dlib HOG frontal detector (default; fast, offline; misses tilted faces)")
    registry.register("detector", "mmod", lambda o: dl.MmodDetector(upsample=o.upsample),
                      description="dlib CNN mmod detector (offline; finds more; seconds per frame on CPU)")
    registry.register("detector", "sfd", lambda o: fa.SfdDetector(model_dir=o.model_dir, device=o.device),
                      description="face-alignment S3FD (needs s3fd-619a316812.pth in the checkpoint folder)")
    registry.register("landmarks", "dlib68", lambda o: dl.DlibLandmarks(),
                      description="dlib 68-point shape predictor (default; offline; iBUG 300-W, non-commercial)")
    registry.register("landmarks", "fan2d", lambda o: fa.FanLandmarks(model_dir=o.model_dir, device=o.device),
                      description="face-alignment 2D FAN (needs 2DFAN4-11f355bf06.pth.tar in the checkpoint folder)")
    registry.register("identity", "dlib_resnet", lambda o: dl.DlibIdentity(),
                      description="dlib face recognition ResNet, 128-D, same person below 0.6")
    return registry
