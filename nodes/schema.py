"""Node schemas: what a node takes (image planes), what it outputs, and its typed parameters.

A `NodeSpec` is data: hosts (the command line, Nuke, Blender, the farm) build flags, knobs and
properties from it, and `nodes/manifest.json` is generated from every registered spec, so no
parameter is described twice. This module uses the standard library only, so a host whose Python
has no numpy (Nuke, Blender) can import it or read the manifest it writes.

Planes: `rgb` = 3 channels, `rgba` = 4, `a` = one channel (a matte). A node that outputs a frame
names its `passthrough` input: outside the node's matte the output is that input, bit for bit.
"""
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from facegraft.core.errors import FacegraftError

PlaneKind = Literal["rgb", "rgba", "a"]
PLANE_CHANNELS: dict[str, int] = {"rgb": 3, "rgba": 4, "a": 1}
MANIFEST_SCHEMA = "FacegraftNodeManifest"
MANIFEST_VERSION = 1
# `facegraft node run --progress lines` prints "facegraft-progress DONE TOTAL FRAME" lines that hosts read.
PROGRESS_PREFIX = "facegraft-progress"


class ParameterError(FacegraftError):
    """A node parameter has an unknown name, a wrong type or a value out of range (names the knob)."""


@dataclass(frozen=True)
class Plane:
    """One image input or output. `kind` fixes its channel count (`PLANE_CHANNELS`)."""

    name: str
    kind: PlaneKind
    help: str = ""

    def __post_init__(self) -> None:
        if self.kind not in PLANE_CHANNELS:
            raise ValueError(f"plane {self.name!r}: kind must be one of {tuple(PLANE_CHANNELS)}, got {self.kind!r}")

    @property
    def channels(self) -> int:
        return PLANE_CHANNELS[self.kind]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "help": self.help}


@dataclass(frozen=True)
class Param:
    """Base of the parameter types; `type` names the subclass in the manifest."""

    type: ClassVar[str] = ""
    name: str
    default: Any
    help: str = ""
    units: str = ""

    def validate(self, value: Any) -> Any:
        """The value, coerced to the parameter's type. Raises `ParameterError` naming the knob."""
        raise NotImplementedError

    def parse(self, text: str) -> Any:
        """Parse `--set name=TEXT`, then validate."""
        return self.validate(text)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "default": self.default, "help": self.help,
                "units": self.units}

    def _error(self, what: str) -> ParameterError:
        return ParameterError(f"parameter {self.name!r}: {what}")


def _number_range(low: float | None, high: float | None) -> str:
    return f"[{'-inf' if low is None else low}, {'inf' if high is None else high}]"


@dataclass(frozen=True)
class Float(Param):
    """A real number in [low, high] (either bound optional)."""

    type: ClassVar[str] = "float"
    default: float = 0.0
    low: float | None = None
    high: float | None = None

    def validate(self, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self._error(f"expects a number, got {value!r}")
        number = float(value)
        if number != number or (self.low is not None and number < self.low) or (self.high is not None and number > self.high):
            raise self._error(f"{number} is outside {_number_range(self.low, self.high)}; pick a value in range")
        return number

    def parse(self, text: str) -> float:
        try:
            return self.validate(float(text))
        except ValueError:
            raise self._error(f"expects a number, got {text!r}") from None

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "low": self.low, "high": self.high}


@dataclass(frozen=True)
class Int(Param):
    """A whole number in [low, high] (either bound optional)."""

    type: ClassVar[str] = "int"
    default: int = 0
    low: int | None = None
    high: int | None = None

    def validate(self, value: Any) -> int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._error(f"expects a whole number, got {value!r}")
        if (self.low is not None and value < self.low) or (self.high is not None and value > self.high):
            raise self._error(f"{value} is outside {_number_range(self.low, self.high)}; pick a value in range")
        return value

    def parse(self, text: str) -> int:
        try:
            return self.validate(int(text))
        except ValueError:
            raise self._error(f"expects a whole number, got {text!r}") from None

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "low": self.low, "high": self.high}


@dataclass(frozen=True)
class Bool(Param):
    """On or off. `--set name=1|0|true|false|on|off`."""

    type: ClassVar[str] = "bool"
    default: bool = False

    def validate(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise self._error(f"expects true or false, got {value!r}")
        return value

    def parse(self, text: str) -> bool:
        words = {"1": True, "true": True, "on": True, "yes": True, "0": False, "false": False, "off": False, "no": False}
        if text.strip().lower() not in words:
            raise self._error(f"expects true or false, got {text!r}")
        return words[text.strip().lower()]


@dataclass(frozen=True)
class Choice(Param):
    """One of a fixed set of names."""

    type: ClassVar[str] = "choice"
    choices: tuple[str, ...] = ()
    default: str = ""

    def __init__(self, name: str, choices: Iterable[str], *, default: str, help: str = "", units: str = "") -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "choices", tuple(choices))
        object.__setattr__(self, "default", default)
        object.__setattr__(self, "help", help)
        object.__setattr__(self, "units", units)
        if default not in self.choices:
            raise ValueError(f"choice {name!r}: default {default!r} is not one of {self.choices}")

    def validate(self, value: Any) -> str:
        if value not in self.choices:
            raise self._error(f"{value!r} is not one of {', '.join(self.choices)}")
        return str(value)

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "choices": list(self.choices)}


@dataclass(frozen=True)
class String(Param):
    """Free text; `path` marks a file or folder (hosts show a file browser). Required when no default.
    `pattern`: a regular expression the whole text must match when not empty (e.g. an id list)."""

    type: ClassVar[str] = "string"
    default: str = ""
    path: bool = False
    required: bool = False
    pattern: str = ""

    def validate(self, value: Any) -> str:
        if not isinstance(value, str):
            raise self._error(f"expects text, got {value!r}")
        if self.pattern and value and re.fullmatch(self.pattern, value) is None:
            raise self._error(f"{value!r} is not of the expected form ({self.help})")
        return value

    def to_dict(self) -> dict[str, Any]:
        extra = {"pattern": self.pattern} if self.pattern else {}
        return {**super().to_dict(), "path": self.path, "required": self.required, **extra}


PARAM_TYPES: dict[str, type[Param]] = {t.type: t for t in (Float, Int, Bool, Choice, String)}


def param_from_dict(data: Mapping[str, Any]) -> Param:
    """Inverse of `Param.to_dict`. Raises ValueError for an unknown type."""
    kind = data.get("type")
    if kind not in PARAM_TYPES:
        raise ValueError(f"unknown parameter type {kind!r}")
    fields = {k: v for k, v in data.items() if k != "type"}
    if kind == "choice":
        return Choice(fields.pop("name"), fields.pop("choices"), **fields)
    return PARAM_TYPES[kind](**fields)


@dataclass(frozen=True)
class NodeSpec:
    """A node: name and version, category, input planes, output plane, parameters.

    `kind`: "frame" nodes have `process(*planes, **params)` over one frame; "sequence" nodes have
    `process(inputs, output, frames, **params)` over a whole frame range (Convert).
    `passthrough`: the input copied outside the node's matte (None when the output is a matte).
    """

    name: str
    version: int
    category: str
    inputs: tuple[Plane, ...]
    params: tuple[Param, ...] = ()
    output: Plane = Plane("out", "rgb")
    passthrough: str | None = None
    kind: Literal["frame", "sequence"] = "frame"
    help: str = ""

    def __post_init__(self) -> None:
        names = [p.name for p in self.params]
        if len(set(names)) != len(names):
            raise ValueError(f"node {self.name}: duplicate parameter names {names}")
        if self.passthrough is not None and self.passthrough not in [p.name for p in self.inputs]:
            raise ValueError(f"node {self.name}: passthrough {self.passthrough!r} is not an input")

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise ParameterError(f"node {self.name} has no parameter {name!r} "
                             f"(parameters: {', '.join(p.name for p in self.params) or 'none'})")

    def plane(self, name: str) -> Plane:
        for p in self.inputs:
            if p.name == name:
                return p
        raise ParameterError(f"node {self.name} has no input {name!r} "
                             f"(inputs: {', '.join(p.name for p in self.inputs)})")

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def validate(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Every parameter, from `values` or its default, validated. Raises `ParameterError`."""
        for name in values:
            self.param(name)
        return {p.name: p.validate(values.get(p.name, p.default)) for p in self.params}

    def require(self, values: Mapping[str, Any]) -> None:
        """Raise `ParameterError` naming the first required parameter left empty (checked when a node runs)."""
        for p in self.params:
            if isinstance(p, String) and p.required and not values.get(p.name):
                raise ParameterError(f"node {self.name}: parameter {p.name!r} is required; "
                                     f"set it (command line: --set {p.name}=VALUE)")

    def parse_settings(self, pairs: Iterable[str]) -> dict[str, Any]:
        """Validated parameters from `key=value` strings (the `--set` flags)."""
        given: dict[str, Any] = {}
        for pair in pairs:
            key, sep, text = pair.partition("=")
            if not sep or not key.strip():
                raise ParameterError(f"--set {pair!r}: write KEY=VALUE, e.g. --set {self.params[0].name if self.params else 'key'}=...")
            given[key.strip()] = self.param(key.strip()).parse(text.strip())
        return self.validate(given)

    def to_dict(self, *, entry: str) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "category": self.category, "kind": self.kind,
                "help": self.help, "entry": entry, "inputs": [p.to_dict() for p in self.inputs],
                "output": self.output.to_dict(), "passthrough": self.passthrough,
                "params": [p.to_dict() for p in self.params]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "NodeSpec":
        return cls(name=data["name"], version=data["version"], category=data["category"],
                   inputs=tuple(Plane(**p) for p in data["inputs"]),
                   params=tuple(param_from_dict(p) for p in data["params"]),
                   output=Plane(**data["output"]), passthrough=data["passthrough"], kind=data["kind"],
                   help=data["help"])
