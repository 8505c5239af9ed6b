"""`ModelConfig`: everything needed to rebuild a network, stored as JSON beside its weights.

A config carries `"schema": "ModelConfig", "version": N` in JSON; older versions are upgraded one
step at a time (`_UPGRADES`). The crop encoding is the network's input and output encoding: sRGB
OETF-encoded Rec.709 in [0, 1] (`facegraft.core.faceset`).
"""
from dataclasses import asdict, dataclass, fields
from typing import Any

from facegraft.core.align.geometry import FACE_TYPES
from facegraft.core.color import SRGB_ENCODED

SCHEMA = "ModelConfig"
VERSION = 1
MIN_RESOLUTION = 64
MAX_RESOLUTION = 512
EXPRESSION_LAYOUTS = ("df", "liae")  # the layouts that take `ModelConfig.expression`


@dataclass(frozen=True)
class ModelConfig:
    """A network's shape and the crops it expects.

    Attributes:
        architecture: registered layout name ("df", "liae", "original": the peer baseline).
        architecture_version: revision of that layout's tensor names and shapes (1).
        resolution: crop size S in pixels, 64..512, a multiple of 16.
        encoder_width: channels of the first encoder stage (doubles per stage, 4 stages).
        bottleneck_dims: width of the dense code.
        decoder_width: channels of the last decoder stage (doubles per stage going up).
        decoder_depth: residual blocks per decoder stage (0..3).
        face_type: the aligned crop's face type, as recorded by the face set.
        color_encoding: the crop encoding (OCIO color space name) of inputs and outputs.
        learn_mask: whether the decoder predicts a face mask (else the swap returns mask 1).
        expression: whether the code is conditioned on the face's expression (mouth and eye
            opening, width, smile; `core.models.expression`): `EXPRESSION_LAYOUTS` only.
    """

    architecture: str
    architecture_version: int = 1
    resolution: int = 64
    encoder_width: int = 32
    bottleneck_dims: int = 256
    decoder_width: int = 32
    decoder_depth: int = 1
    face_type: str = "full"
    color_encoding: str = SRGB_ENCODED
    learn_mask: bool = True
    expression: bool = False

    def __post_init__(self) -> None:
        r = self.resolution
        if not (MIN_RESOLUTION <= r <= MAX_RESOLUTION and r % 16 == 0):
            raise ValueError(f"resolution must be a multiple of 16 in {MIN_RESOLUTION}..{MAX_RESOLUTION}, got {r}")
        for name in ("encoder_width", "bottleneck_dims", "decoder_width"):
            if getattr(self, name) < 4:
                raise ValueError(f"{name} must be >= 4, got {getattr(self, name)}")
        if not 0 <= self.decoder_depth <= 3:
            raise ValueError(f"decoder_depth must be 0..3, got {self.decoder_depth}")
        if self.face_type not in FACE_TYPES:
            raise ValueError(f"face_type must be one of {tuple(FACE_TYPES)}, got {self.face_type!r}")

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict with the schema label."""
        return {"schema": SCHEMA, "version": VERSION, **asdict(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "ModelConfig":
        """Rebuild from `to_json` output, upgrading older versions. Raises ValueError/KeyError/TypeError."""
        if data.get("schema") != SCHEMA:
            raise ValueError(f"not a {SCHEMA} (schema {data.get('schema')!r})")
        version = data.get("version")
        if not isinstance(version, int) or not 1 <= version <= VERSION:
            raise ValueError(f"unsupported {SCHEMA} version {version!r} (this facegraft reads 1..{VERSION})")
        names = {f.name for f in fields(cls)}
        unknown = set(data) - names - {"schema", "version"}
        if unknown:
            raise ValueError(f"unknown {SCHEMA} fields {sorted(unknown)}")
        kwargs = {k: v for k, v in data.items() if k in names}
        for f in fields(cls):
            if f.name in kwargs and f.type in (int, "int") and not isinstance(kwargs[f.name], int):
                raise TypeError(f"{f.name} must be an integer, got {kwargs[f.name]!r}")
        return cls(**kwargs)
