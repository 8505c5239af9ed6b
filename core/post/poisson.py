"""Poisson (gradient-domain) blending of a face into a plate, in float (HDR values survive).

Discrete problem (Pérez et al. 2003), per RGB channel, over the region Ω (4-neighbour grid):

    for p in Ω:  |N_p| f_p - Σ_{q ∈ N_p ∩ Ω} f_q = Σ_{q ∈ N_p \\ Ω} plate_q + Σ_{q ∈ N_p} v_pq

with `N_p` the neighbours of p inside the image (at the image border the missing neighbour is
dropped: a zero-gradient, Neumann edge), plate values as the Dirichlet boundary just outside Ω, and
guidance `v_pq = face_p - face_q` (`normal`) or, per channel and per edge, whichever of the face's
and the plate's differences has the larger magnitude (`mixed`). Outside Ω the result is the plate.

Solver: conjugate gradients preconditioned by geometric multigrid (`core/post/multigrid.py`: V-cycles
of red-black Gauss-Seidel, numba kernels, float64 CG) on the bounding box of Ω (+1 px) only, so cost
follows the face, not the frame. It replaced algebraic multigrid (pyamg) + CG, which needed a new hierarchy per call and ran at ~6x
`cv2.seamlessClone` on a 1080p face. A `PoissonSolver` keeps the level buffers for each box size and
can warm-start from its previous solution; a solve that does not reach its tolerance raises
`NotConvergedError`, never returns a half-solved face.
"""
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
from facegraft.core.checks import check_image, check_matte
from facegraft.core.errors import NotConvergedError
from facegraft.core.post.matte import bounding_box

if TYPE_CHECKING:
    from facegraft.core.post.multigrid import MultigridCache

__all__ = ["NotConvergedError", "PoissonSolver", "poisson_blend"]


@dataclass
class PoissonSolver:
    """Poisson blends that share multigrid buffers per box size and, with `warm_start`, start from
    the previous solve's correction (solution minus face) when the box has the same size.

    A warm start changes only how fast the solve converges, not the tolerance it meets; results can
    differ from a cold start in the last bits, so convert (whose frames must not depend on how a
    plate is cut into farm chunks) starts cold and only reuses the buffers.
    """

    warm_start: bool = False
    iterations: int | None = None  # CG iterations of the last solve, for reports and tests
    _cache: "MultigridCache | None" = None  # made on the first blend (numba loads only when one runs)
    _previous: np.ndarray | None = None

    def blend(self, face: np.ndarray, plate: np.ndarray, matte: np.ndarray, *,
              mode: Literal["normal", "mixed"] = "normal", region: np.ndarray | None = None,
              threshold: float = 0.5, tol: float = 1e-6) -> np.ndarray:
        """`poisson_blend` with this solver's buffers (and warm start); same contract."""
        check_image(face, channels=(3, 4), name="face")
        check_image(plate, channels=(3, 4), name="plate")
        check_matte(matte, like=plate)
        if face.shape[:2] != plate.shape[:2]:
            raise ValueError(f"face shape {face.shape[:2]} does not match plate shape {plate.shape[:2]}")
        if mode not in ("normal", "mixed"):
            raise ValueError(f"mode must be 'normal' or 'mixed', got {mode!r}")
        if region is None:
            region = matte > threshold
        elif not isinstance(region, np.ndarray) or region.dtype != bool or region.shape != matte.shape:
            raise ValueError(f"region must be a bool array of shape {matte.shape}")
        out = plate.copy()
        box = bounding_box(region, margin=1)
        if box is None:
            return out
        h, w = region.shape
        rows, cols = box
        neumann = (rows.start == 0, rows.stop == h, cols.start == 0, cols.stop == w)
        inside = region[box]
        if all(neumann) and inside.all():
            raise ValueError("the Poisson region covers the whole image: leave plate pixels around it as boundary")
        from facegraft.core.post.multigrid import MultigridCache, guidance, solve  # ~0.5 s: numba

        if self._cache is None:
            self._cache = MultigridCache()
        face_box = np.ascontiguousarray(face[box][..., :3])
        plate_box = np.ascontiguousarray(plate[box][..., :3])
        rhs = np.empty(face_box.shape)
        guidance(face_box, plate_box, mode == "mixed", rhs)
        cold = start = face_box if mode == "normal" else plate_box
        previous = self._previous if self.warm_start else None
        if previous is not None and previous.shape == face_box.shape:
            start = start + previous
        where = inside[..., None]
        u = np.where(where, start, plate_box).astype(np.float64)
        self.iterations = solve(u, rhs, np.ascontiguousarray(inside), neumann=neumann, cache=self._cache, tol=tol,
                                reference=cold)
        if self.warm_start:
            self._previous = (u - cold).astype(np.float32)
        np.copyto(out[box][..., :3], u, where=where, casting="same_kind")
        return out


def poisson_blend(face: np.ndarray, plate: np.ndarray, matte: np.ndarray, *,
                  mode: Literal["normal", "mixed"] = "normal", region: np.ndarray | None = None,
                  threshold: float = 0.5, tol: float = 1e-6) -> np.ndarray:
    """Blend `face` into `plate` by solving the Poisson equation over the matte's region.

    Convention: `face`, `plate` and `matte` are pixel-aligned (same frame or same crop); neighbours
    are the 4-connected pixels; pixel i covers [i, i+1).

    Args:
        face: (H, W, 3|4) float32, scene-linear working space, unclipped: the source of gradients.
        plate: (H, W, 3|4) float32, same space and size: the boundary values and the result outside Ω.
        matte: (H, W) float32 in [0, 1]; Ω = `matte > threshold` unless `region` is given.
        mode: `normal` (face gradients) or `mixed` (per edge and channel, the larger-magnitude
            gradient of face and plate; keeps plate texture where the face is flat).
        region: optional (H, W) bool Ω, overriding the matte threshold.
        threshold: matte level defining Ω.
        tol: the solve stops when the residual (2-norm, per channel) is `tol` times that of the
            cold start (the face in `normal` mode, the plate in `mixed`): the seam's mismatch left.
    Returns: (H, W, C) float32 with the plate's channels; RGB solved inside Ω, unclipped; every value
        outside Ω (and every channel after the third) is the plate's, bit for bit.
    Raises: TypeError/ValueError for bad arrays, mismatched shapes, an unknown mode, or a region with
        no plate pixel beside it (nothing to anchor the solution); NotConvergedError when the solve
        does not reach `tol` (e.g. NaN/Inf pixels).
    """
    return PoissonSolver().blend(face, plate, matte, mode=mode, region=region, threshold=threshold, tol=tol)
