"""Every registered node: defaults validate, manifest round-trips, process shape/dtype, untouched pixels."""
import inspect
import json

import numpy as np
import pytest

from facegraft.nodes.manifest import MANIFEST_PATH, manifest_text, read_manifest
from facegraft.nodes.registry import NodeRegistry, builtin_registry
from facegraft.nodes.schema import NodeSpec
from node_frames import H, W, synthetic_planes

REGISTRY = builtin_registry()
NAMES = REGISTRY.names()


def _load(name: str):
    entry = REGISTRY.get(name)
    if name == "PoissonBlend":
        pytest.importorskip("facegraft.core.post.poisson", reason="core/post/poisson.py not written yet")
    return entry, entry.load()


@pytest.mark.parametrize("name", NAMES)
def test_defaults_validate(name: str) -> None:
    spec = REGISTRY.get(name).spec
    assert spec.validate({}) == spec.defaults()
    assert spec.validate(spec.defaults()) == spec.defaults()


@pytest.mark.parametrize("name", NAMES)
def test_manifest_entry_round_trips(name: str) -> None:
    entry = REGISTRY.get(name)
    data = json.loads(json.dumps(entry.spec.to_dict(entry=entry.entry)))
    assert NodeSpec.from_dict(data) == entry.spec
    assert data["entry"] == entry.entry


@pytest.mark.parametrize("name", NAMES)
def test_process_signature_matches_spec(name: str) -> None:
    entry = REGISTRY.get(name)
    signature = inspect.signature(entry.load())
    names = set(signature.parameters)
    assert {p.name for p in entry.spec.inputs} <= names
    assert {p.name for p in entry.spec.params} <= names or entry.spec.kind == "sequence"
    for p in entry.spec.params:
        if p.name in signature.parameters:
            assert signature.parameters[p.name].kind is inspect.Parameter.KEYWORD_ONLY


FRAME_NODES = [n for n in NAMES if REGISTRY.get(n).spec.kind == "frame"]


@pytest.mark.parametrize("name", FRAME_NODES)
def test_process_on_tiny_frame(name: str) -> None:
    entry, process = _load(name)
    spec = entry.spec
    planes = synthetic_planes(spec)
    result = process(**planes, **spec.defaults())
    assert result.dtype == np.float32
    expected = (H, W) if spec.output.kind == "a" else (H, W, spec.output.channels)
    assert result.shape == expected
    assert np.isfinite(result).all()


@pytest.mark.parametrize("name", [n for n in FRAME_NODES if REGISTRY.get(n).spec.passthrough])
def test_outside_the_matte_is_bit_identical(name: str) -> None:
    entry, process = _load(name)
    spec = entry.spec
    planes = synthetic_planes(spec, seed=3)
    matte = next(planes[p.name] for p in spec.inputs if p.kind == "a")
    source = planes[spec.passthrough]
    result = process(**planes, **spec.defaults())
    outside = matte == 0
    assert outside.any() and (~outside).any()
    assert np.array_equal(result[outside].view(np.uint32), source[outside].view(np.uint32))
    assert np.signbit(result[0, 0, 0])  # the -0.0 pixel outside the matte kept its sign
    assert not np.array_equal(result[~outside], source[~outside])  # and the node did something inside


def test_manifest_is_current() -> None:
    """Fails when a SPEC changed without `python -m facegraft.nodes.manifest`."""
    assert MANIFEST_PATH.read_text(encoding="utf-8") == manifest_text(REGISTRY.manifest()), \
        "nodes/manifest.json is stale: run `python -m facegraft.nodes.manifest`"


def test_manifest_loads_as_registry() -> None:
    loaded = NodeRegistry.from_manifest(read_manifest())
    assert loaded.names() == NAMES
    assert [e.spec for e in loaded] == [e.spec for e in REGISTRY]


@pytest.mark.parametrize("name", [n for n in FRAME_NODES if REGISTRY.get(n).spec.passthrough])
@pytest.mark.parametrize("level", [0.0, 0.2])
def test_frames_without_a_face_do_not_fail(name: str, level: float) -> None:
    """An empty matte (no face on this frame) passes the input through; a faint one (below every
    threshold) only mattes, it does not raise."""
    entry, process = _load(name)
    planes = synthetic_planes(entry.spec)
    for plane in entry.spec.inputs:
        if plane.kind == "a":
            planes[plane.name] = np.full((H, W), level, np.float32)
    result = process(**planes, **entry.spec.defaults())
    source = planes[entry.spec.passthrough]
    assert result.shape == source.shape and np.isfinite(result).all()
    if level == 0.0:
        assert np.array_equal(result.view(np.uint32), source.view(np.uint32))
