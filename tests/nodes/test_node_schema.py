"""nodes/schema.py: parameter validation, --set parsing, messages that name the knob, round trips."""
import pytest

from facegraft.core.errors import FacegraftError
from facegraft.nodes.schema import (Bool, Choice, Float, Int, NodeSpec, ParameterError, Plane, String,
                                    param_from_dict)

SPEC = NodeSpec(name="Test", version=2, category="Post", inputs=(Plane("image", "rgb"), Plane("matte", "a")),
                params=(Float("amount", default=0.5, low=0.0, high=1.0, help="how much", units="px"),
                        Int("grow", default=0, low=-4, high=4), Bool("flip", default=False),
                        Choice("method", ("a", "b"), default="a"), String("model", default="", path=True, required=True)),
                passthrough="image")


def test_parse_settings_types_and_defaults() -> None:
    values = SPEC.parse_settings(["amount=0.25", "grow=-3", "flip=on", "method=b", "model=/m"])
    assert values == {"amount": 0.25, "grow": -3, "flip": True, "method": "b", "model": "/m"}
    assert SPEC.parse_settings([])["amount"] == 0.5


@pytest.mark.parametrize("pair, words", [
    ("amount=2", ["'amount'", "outside [0.0, 1.0]"]),
    ("amount=x", ["'amount'", "number"]),
    ("grow=1.5", ["'grow'", "whole number"]),
    ("grow=9", ["'grow'", "outside"]),
    ("flip=maybe", ["'flip'", "true or false"]),
    ("method=c", ["'method'", "a, b"]),
    ("nope=1", ["no parameter 'nope'", "amount"]),
    ("amount", ["KEY=VALUE"]),
])
def test_bad_settings_name_the_knob(pair: str, words: list[str]) -> None:
    with pytest.raises(ParameterError) as info:
        SPEC.parse_settings([pair])
    assert isinstance(info.value, FacegraftError)
    assert "\n" not in str(info.value)
    for word in words:
        assert word in str(info.value)


def test_required_is_checked_when_running() -> None:
    with pytest.raises(ParameterError, match="'model' is required"):
        SPEC.require(SPEC.defaults())
    SPEC.require({**SPEC.defaults(), "model": "/m"})


def test_validate_rejects_bools_for_numbers_and_nan() -> None:
    with pytest.raises(ParameterError):
        SPEC.validate({"amount": True})
    with pytest.raises(ParameterError):
        SPEC.validate({"amount": float("nan")})
    assert SPEC.validate({"grow": 2.0})["grow"] == 2


def test_spec_round_trip_and_param_dicts() -> None:
    assert NodeSpec.from_dict(SPEC.to_dict(entry="x:process")) == SPEC
    for p in SPEC.params:
        assert param_from_dict(p.to_dict()) == p


def test_spec_construction_errors() -> None:
    with pytest.raises(ValueError):
        Choice("m", ("a",), default="z")
    with pytest.raises(ValueError):
        Plane("p", "xyz")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        NodeSpec(name="N", version=1, category="c", inputs=(Plane("a", "rgb"),), passthrough="b")
    with pytest.raises(ValueError):
        NodeSpec(name="N", version=1, category="c", inputs=(), params=(Int("x"), Int("x")))
    with pytest.raises(ParameterError, match="no input 'zz'"):
        SPEC.plane("zz")
