"""Each post node equals its core function inside the matte (STYLE §2: tests/nodes checks each node)."""
import numpy as np
import pytest

from facegraft.core.color.perceptual import ACESCG
from facegraft.core.post.color_transfer import color_transfer
from facegraft.core.post.grain import match_grain
from facegraft.core.post.matte import feather_distance, feather_gaussian, grow_matte
from facegraft.core.post.sharpen import unsharp_mask
from facegraft.nodes import color_match, grain, mask_feather, sharpen
from facegraft.nodes import poisson_blend as poisson_node
from facegraft.nodes.compose import keep_outside, matte_over
from node_frames import synthetic_planes


def planes(spec):
    p = synthetic_planes(spec, seed=11)
    return p, p["matte"] > 0


@pytest.mark.parametrize("method", ["rct", "mkl", "sot"])
def test_color_match_is_color_transfer_matted_over(method: str) -> None:
    p, inside = planes(color_match.SPEC)
    params = color_match.SPEC.validate({"method": method, "amount": 0.7, "seed": 4})
    got = color_match.process(**p, **params)
    face = color_transfer(p["face"], p["plate"], p["matte"], method=method, working=ACESCG, amount=0.7, seed=4)
    m = p["matte"][..., None]
    assert np.allclose(got[inside], (p["plate"] + m * (face - p["plate"]))[inside], atol=1e-6)
    assert np.array_equal(got[p["matte"] == 1], face[p["matte"] == 1])


def test_poisson_blend_node() -> None:
    from facegraft.core.post.poisson import poisson_blend

    p, inside = planes(poisson_node.SPEC)
    got = poisson_node.process(**p, mode="mixed", threshold=0.5)
    assert np.array_equal(got, matte_over(poisson_blend(p["face"], p["plate"], p["matte"], mode="mixed"), p["plate"], p["matte"]))


@pytest.mark.parametrize("grow_px, feather, mode", [(3, 0.0, "gaussian"), (-2, 4.0, "gaussian"), (0, 5.0, "distance")])
def test_mask_feather_is_grow_then_feather(grow_px: int, feather: float, mode: str) -> None:
    m = synthetic_planes(mask_feather.SPEC)["matte"]
    grown = grow_matte(m, pixels=grow_px)
    expected = grown if feather == 0 else (feather_gaussian(grown, sigma=feather / 2) if mode == "gaussian"
                                           else feather_distance(grown, pixels=feather))
    assert np.array_equal(mask_feather.process(m, grow=grow_px, feather=feather, mode=mode), expected)


def test_sharpen_is_unsharp_mask() -> None:
    p, inside = planes(sharpen.SPEC)
    got = sharpen.process(**p, amount=1.2, radius=2.0)
    assert np.array_equal(got, keep_outside(unsharp_mask(p["image"], amount=1.2, radius=2.0, matte=p["matte"]),
                                            p["image"], p["matte"]))


def test_grain_is_match_grain_and_changes_per_frame() -> None:
    p, inside = planes(grain.SPEC)
    got = grain.process(**p, amount=1.0, threshold=0.5, seed=2, frame=10)
    expected, _ = match_grain(p["image"], p["plate"], p["matte"], amount=1.0, threshold=0.5, seed=12)
    assert np.array_equal(got, keep_outside(expected, p["image"], p["matte"]))
    other = grain.process(**p, amount=1.0, threshold=0.5, seed=2, frame=11)
    assert not np.array_equal(got[inside], other[inside])
