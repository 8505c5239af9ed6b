"""core/post/poisson.py: float Poisson blending, checked against exact discrete solutions."""
import numpy as np
import pytest

from facegraft.core.post.poisson import poisson_blend

H, W = 64, 80


def grid():
    yy, xx = np.mgrid[:H, :W].astype(np.float64)
    return yy, xx


def ellipse(cy=32, cx=40, ry=22, rx=30):
    yy, xx = grid()
    return (((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 < 1).astype(np.float32)


def laplacian(a):
    a = a.astype(np.float64)
    return 4 * a[1:-1, 1:-1] - a[:-2, 1:-1] - a[2:, 1:-1] - a[1:-1, :-2] - a[1:-1, 2:]


def harmonic_plate():
    """x^2 - y^2, xy and linear terms are exactly harmonic for the 5-point stencil; values reach ~3."""
    yy, xx = grid()
    base = 0.5 + (xx**2 - yy**2) / 4000 + 0.02 * xx + xx * yy / 2500
    return (base[..., None] * np.array([1.0, 2.0, 3.0])).astype(np.float32)


def test_harmonic_boundary_data_is_reproduced_exactly():
    plate = harmonic_plate()
    matte = ellipse()
    face = np.zeros_like(plate)  # zero guidance: the solution is the harmonic interpolant = the plate
    out = poisson_blend(face, plate, matte)
    error = np.abs(out - plate).max()
    print(f"max error vs analytic harmonic solution: {error:.2e}")
    assert plate.max() > 2.0
    assert error < 1e-5


def test_face_plus_harmonic_offset_is_exact():
    rng = np.random.default_rng(0)
    face = (rng.random((H, W, 3)) * 2).astype(np.float32)
    offset = harmonic_plate()
    plate = face + offset  # so the solution inside is face + offset = plate
    out = poisson_blend(face, plate, ellipse())
    assert np.abs(out - plate).max() < 1e-5


def test_outside_is_plate_bit_for_bit_and_laplacian_matches_face():
    rng = np.random.default_rng(1)
    face = (rng.random((H, W, 3)) * 3).astype(np.float32)  # HDR, rough
    plate = (rng.random((H, W, 3)) * 0.5 + 1.5).astype(np.float32)
    matte = ellipse()
    out = poisson_blend(face, plate, matte)
    outside = matte <= 0.5
    np.testing.assert_array_equal(out[outside], plate[outside])
    inside = ~outside[1:-1, 1:-1]
    error = np.abs(laplacian(out)[inside] - laplacian(face)[inside]).max()
    assert error < 1e-4
    assert out.max() > 1.0


def test_mixed_keeps_plate_texture_where_face_is_flat():
    rng = np.random.default_rng(2)
    plate = (1.0 + 0.2 * rng.standard_normal((H, W, 3))).astype(np.float32)
    face = np.full((H, W, 3), 0.3, np.float32)
    matte = ellipse()
    inside = matte > 0.5
    normal = poisson_blend(face, plate, matte, mode="normal")
    mixed = poisson_blend(face, plate, matte, mode="mixed")
    np.testing.assert_array_equal(mixed[~inside], plate[~inside])
    assert mixed[inside].std() > 3 * normal[inside].std()  # normal: flat face -> smooth membrane
    np.testing.assert_allclose(mixed[inside], plate[inside], atol=1e-4)  # plate gradients everywhere


def test_region_touching_image_border_and_alpha():
    plate = np.concatenate([harmonic_plate(), np.full((H, W, 1), 0.7, np.float32)], axis=-1)
    face = np.zeros_like(plate)
    face[..., 3] = 0.1
    region = np.zeros((H, W), bool)
    region[:30, :25] = True  # touches the top and left edges: Neumann there
    out = poisson_blend(face, plate, np.zeros((H, W), np.float32), region=region)
    assert out.shape == plate.shape
    np.testing.assert_array_equal(out[..., 3], plate[..., 3])
    np.testing.assert_array_equal(out[~region], plate[~region])
    assert np.all(np.isfinite(out))


def test_empty_region_returns_plate_and_full_region_raises():
    plate = harmonic_plate()
    out = poisson_blend(np.zeros_like(plate), plate, np.zeros((H, W), np.float32))
    np.testing.assert_array_equal(out, plate)
    assert out is not plate
    with pytest.raises(ValueError, match="whole image"):
        poisson_blend(np.zeros_like(plate), plate, np.ones((H, W), np.float32))


def test_errors():
    plate = harmonic_plate()
    matte = ellipse()
    with pytest.raises(ValueError, match="mode"):
        poisson_blend(plate, plate, matte, mode="max")
    with pytest.raises(TypeError):
        poisson_blend(plate.astype(np.float64), plate, matte)
    with pytest.raises(ValueError):
        poisson_blend(plate[:10], plate, matte)
    with pytest.raises(ValueError):
        poisson_blend(plate, plate, matte[:10])
    with pytest.raises(ValueError, match="region"):
        poisson_blend(plate, plate, matte, region=matte)


def test_solver_reuses_buffers_and_warm_start_converges_faster_to_the_same_answer():
    from facegraft.core.post.poisson import PoissonSolver

    rng = np.random.default_rng(3)
    face = (rng.random((H, W, 3)) * 2).astype(np.float32)
    plate = (harmonic_plate() + 0.5).astype(np.float32)
    matte = ellipse()
    cold = PoissonSolver()
    warm = PoissonSolver(warm_start=True)
    first = warm.blend(face, plate, matte)
    np.testing.assert_array_equal(first, cold.blend(face, plate, matte))  # nothing to start from yet
    shifted = (face + 0.01 * rng.standard_normal(face.shape)).astype(np.float32)  # the next frame
    a, b = cold.blend(shifted, plate, matte), warm.blend(shifted, plate, matte)
    assert warm.iterations < cold.iterations
    assert np.abs(a - b).max() < 1e-4
    assert len(cold._cache.buffers) == 1  # one box size, one set of buffers


def test_non_convergence_is_reported_not_returned():
    from facegraft.core.post.poisson import NotConvergedError

    rng = np.random.default_rng(4)
    face = (rng.random((H, W, 3)) * 2).astype(np.float32)
    plate = harmonic_plate()
    face[30, 40, 1] = np.nan
    with pytest.raises(NotConvergedError, match="NaN/Inf"):
        poisson_blend(face, plate, ellipse())
    from facegraft.core.post.multigrid import MultigridCache, solve

    inside = ellipse() > 0.5
    u = np.where(inside[..., None], 0.0, plate).astype(np.float64)
    with pytest.raises(NotConvergedError, match="relative residual .* after 2 iterations"):
        solve(u, np.zeros_like(u), inside, neumann=(True,) * 4, cache=MultigridCache(), tol=1e-12,
              max_iterations=2)
