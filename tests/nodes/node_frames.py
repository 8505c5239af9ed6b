"""Tiny synthetic frames for node tests (a helper module, not a test file)."""
import numpy as np

from facegraft.nodes.schema import NodeSpec

H, W = 48, 64


def synthetic_matte() -> np.ndarray:
    """(H, W) float32: 1 in a centred disk, a soft ramp around it, exactly 0 outside."""
    y, x = np.mgrid[0:H, 0:W]
    r = np.hypot(y - H / 2 + 0.5, x - W / 2 + 0.5)
    return np.clip((18.0 - r) / 6.0, 0.0, 1.0).astype(np.float32)


def synthetic_planes(spec: NodeSpec, *, seed: int = 0) -> dict[str, np.ndarray]:
    """One array per input plane: rgb/rgba noise around 0.3 (with a -0.0 and a >1 value), the matte."""
    rng = np.random.default_rng(seed)
    planes = {}
    for i, plane in enumerate(spec.inputs):
        if plane.kind == "a":
            planes[plane.name] = synthetic_matte()
        else:
            pixels = (0.3 + 0.1 * i + 0.05 * rng.standard_normal((H, W, plane.channels))).astype(np.float32)
            pixels[0, 0, 0] = -0.0
            pixels[1, 1, 1] = 4.5
            planes[plane.name] = pixels
    return planes
