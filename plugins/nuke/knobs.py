"""Nuke knobs described from a node schema (no `nuke` import): what the adapter creates, and back.

Each parameter becomes one knob of the same name; each input plane gets a `<plane>_layer` text
knob (the `:LAYER` of its binding, empty for the default channels, see facegraft.nodes.binding).
"""
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from facegraft.nodes.schema import Bool, Choice, Float, Int, NodeSpec, Param, ParameterError, String

LAYER_SUFFIX = "_layer"


@dataclass(frozen=True)
class KnobSpec:
    """One knob: `kind` is the Nuke class name (`Double_Knob`, `Int_Knob`, `Boolean_Knob`,
    `Enumeration_Knob`, `File_Knob`, `String_Knob`); `values` the enumeration items."""

    kind: str
    name: str
    label: str
    default: Any
    tooltip: str
    low: float | None = None
    high: float | None = None
    values: tuple[str, ...] = ()


def _label(name: str) -> str:
    return name.replace("_", " ")


def param_knob(param: Param) -> KnobSpec:
    tip = param.help + (f" ({param.units})" if param.units else "")
    if isinstance(param, Float):
        return KnobSpec("Double_Knob", param.name, _label(param.name), param.default, tip, param.low, param.high)
    if isinstance(param, Int):
        return KnobSpec("Int_Knob", param.name, _label(param.name), param.default, tip, param.low, param.high)
    if isinstance(param, Bool):
        return KnobSpec("Boolean_Knob", param.name, _label(param.name), param.default, tip)
    if isinstance(param, Choice):
        return KnobSpec("Enumeration_Knob", param.name, _label(param.name), param.default, tip, values=param.choices)
    if isinstance(param, String):
        kind = "File_Knob" if param.path else "String_Knob"
        return KnobSpec(kind, param.name, _label(param.name), param.default, tip)
    raise TypeError(f"no knob for parameter type {type(param).__name__}")


def knob_specs(spec: NodeSpec) -> tuple[KnobSpec, ...]:
    """The knobs of a node's Group: one per parameter, then one layer knob per input plane."""
    layers = tuple(KnobSpec("String_Knob", p.name + LAYER_SUFFIX, f"{p.name} layer", "",
                            f"layer or channels feeding {p.name!r} (empty: "
                            f"{'A' if p.kind == 'a' else 'rgb'}), e.g. matte or matte.Y")
                   for p in spec.inputs)
    return tuple(param_knob(p) for p in spec.params) + layers


def params_from_knobs(spec: NodeSpec, values: Mapping[str, Any]) -> dict[str, Any]:
    """Parameter values from knob values (`Enumeration_Knob` gives a name or an index, `Boolean_Knob`
    0/1, `Int_Knob` may give a float). Raises ParameterError naming the knob."""
    out: dict[str, Any] = {}
    for param in spec.params:
        if param.name not in values:
            continue
        raw = values[param.name]
        if isinstance(param, Choice) and isinstance(raw, int | float) and not isinstance(raw, bool):
            index = int(raw)
            if not 0 <= index < len(param.choices):
                raise ParameterError(f"knob {param.name!r}: item {index} is not one of {', '.join(param.choices)}")
            raw = param.choices[index]
        elif isinstance(param, Bool):
            raw = bool(raw)
        elif isinstance(param, Int) and isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        out[param.name] = raw
    return spec.validate(out)


def layers_from_knobs(spec: NodeSpec, values: Mapping[str, Any]) -> dict[str, str | None]:
    """The `:LAYER` of each input plane (None for the default channels)."""
    return {p.name: (str(values.get(p.name + LAYER_SUFFIX) or "").strip() or None) for p in spec.inputs}
