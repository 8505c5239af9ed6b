"""Post-processing ops: ms per call on a 256x256 face and on a 1920x1080 frame with a ~400x500 face.

Every facegraft op (float32, scene-linear, masked statistics) is timed beside a baseline measured in
the same run: `cv2.seamlessClone` (uint8) for Poisson, OpenCV filters for matte/sharpen ops, and
straightforward numpy versions of each color method written the way 8-bit-era code does it
(statistics of `image * mask`, so zeros outside the mask count; whole image; global RNG). Ratios
are facegraft / baseline (below 1: facegraft is faster), each the median of calls alternating with
its baseline's, repeated until each has run 0.25 s (hundreds of calls for the sub-millisecond ops,
whose medians of 3 were noise). On the full frame the color methods run with `apply_to="matte"`
(only pixels the composite can show), the baselines on every pixel.

    python tests/benchmarks/bench_post.py [--quick] [--repeats 5] [--json out.json]

BLAS runs single-threaded (OPENBLAS_NUM_THREADS=1 unless set): the ops are single-threaded by
design, and on a shared 2-core machine BLAS threads spinning on short vectors made the Poisson
solver ~4x slower.
"""
import argparse
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy loads OpenBLAS

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from facegraft.core.color.perceptual import ACESCG  # noqa: E402
from facegraft.core.post import (color_transfer, estimate_grain, feather_distance, feather_gaussian, grow_matte,
                                 match_grain, poisson_blend, unsharp_mask)

from benchlib import machine, paired_median_seconds, print_table, write_json


def make_case(height: int, width: int, face_h: int, face_w: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Plate and face (float32, HDR up to ~2.5, with texture) and a soft elliptical matte."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:height, :width].astype(np.float32)
    cy, cx = height / 2, width / 2
    shade = (0.5 + 0.5 * np.sin(xx / 37.0) * np.cos(yy / 23.0))[..., None]
    plate = (shade * np.array([1.6, 1.1, 0.7], np.float32) + 0.4).astype(np.float32)
    plate += rng.normal(0, 0.02, plate.shape).astype(np.float32)
    face = (shade[::-1] * np.array([0.5, 0.6, 0.9], np.float32) + 0.2).astype(np.float32)
    face += rng.normal(0, 0.01, face.shape).astype(np.float32)
    r = ((yy - cy) / (face_h / 2)) ** 2 + ((xx - cx) / (face_w / 2)) ** 2
    matte = np.clip((1.0 - r) * 8.0, 0.0, 1.0).astype(np.float32)
    return face, plate, matte


# ---- naive baselines (8-bit-era style: masked by multiplication, whole image, global RNG) ----
def naive_stats(x, m):
    xm = (x * m[..., None]).reshape(-1, 3)
    return xm.mean(0), xm.std(0), np.cov(xm.T)


def naive_linear(face, plate, matte, method):
    fm, fs, fc = naive_stats(face, matte)
    pm, ps, pc = naive_stats(plate, matte)
    flat = face.reshape(-1, 3)
    if method == "avg":
        out = flat - fm + pm
    elif method == "rct":
        out = (flat - fm) / fs * ps + pm
    elif method == "lct":
        out = (flat - fm) @ (np.linalg.cholesky(pc) @ np.linalg.inv(np.linalg.cholesky(fc))).T + pm
    else:  # mkl
        def sqrtm(c, p):
            w, v = np.linalg.eigh(c)
            return (v * np.maximum(w, 1e-10) ** p) @ v.T
        a, ai = sqrtm(fc, 0.5), sqrtm(fc, -0.5)
        out = (flat - fm) @ (ai @ sqrtm(a @ pc @ a, 0.5) @ ai).T + pm
    return out.reshape(face.shape).astype(np.float32)


def naive_match_1d(src, dst):
    order = np.argsort(src)
    out = np.empty_like(src)
    out[order] = np.sort(dst)[np.linspace(0, len(dst) - 1, len(src)).astype(int)]
    return out


def naive_histogram(face, plate, matte):
    f = (face * matte[..., None]).reshape(-1, 3)
    p = (plate * matte[..., None]).reshape(-1, 3)
    return np.stack([naive_match_1d(f[:, c], p[:, c]) for c in range(3)], 1).reshape(face.shape)


def naive_idt(face, plate, matte, steps=10, bases=1):
    f = (face * matte[..., None]).reshape(-1, 3).astype(np.float64)
    p = (plate * matte[..., None]).reshape(-1, 3).astype(np.float64)
    for _ in range(steps):
        move = np.zeros_like(f)
        for _ in range(bases):
            rot = np.linalg.qr(np.random.randn(3, 3))[0]  # global RNG, as the peers do
            for axis in rot:
                proj = f @ axis
                move += np.outer(naive_match_1d(proj, p @ axis) - proj, axis)
        f += move / bases
    return f.reshape(face.shape).astype(np.float32)


def naive_estimate_grain(plate, matte):
    """Whole-frame residual (cv2 blur), then its std inside the matte."""
    residual = plate - cv2.GaussianBlur(plate, (0, 0), 1.5)
    return residual[matte > 0.5].std(axis=0)


def naive_match_grain(face, plate, matte):
    """The same steps as match_grain on the whole frame: plate and face grain measured as above, the
    missing sigma made as whole-frame noise (cv2.randn, blurred) and added through the matte."""
    sigma = np.sqrt(np.maximum(naive_estimate_grain(plate, matte) ** 2 - naive_estimate_grain(face, matte) ** 2, 0))
    noise = np.empty_like(face)
    cv2.randn(noise, 0.0, 1.0)
    return face + cv2.GaussianBlur(noise, (0, 0), 0.8) * sigma * matte[..., None]


def seamless_clone(face, plate, matte):
    src = np.clip(face * 255, 0, 255).astype(np.uint8)
    dst = np.clip(plate * 255, 0, 255).astype(np.uint8)
    mask = ((matte > 0.5) * 255).astype(np.uint8)
    ys, xs = np.nonzero(mask)
    center = (int((xs.min() + xs.max() + 1) // 2), int((ys.min() + ys.max() + 1) // 2))
    return cv2.seamlessClone(src, dst, mask, center, cv2.NORMAL_CLONE)


def run_case(label, face, plate, matte, *, repeats, quick, full_frame):
    apply_to = "matte" if full_frame else "image"
    rows = []

    def row(name, ours, base=None, base_name="", reps=repeats):
        t_ours, t_base = paired_median_seconds(ours, base, repeats=reps, warmup=1)
        t_ours, t_base = t_ours * 1000, (t_base * 1000 if t_base is not None else None)
        rows.append({"case": label, "op": name, "ms": t_ours, "baseline": base_name,
                     "baseline_ms": t_base, "ratio": t_ours / t_base if t_base else None})
        print(f"  {label:9s} {name:28s} {t_ours:9.1f} ms" + (f"   {base_name}: {t_base:.1f} ms" if t_base else ""),
              flush=True)

    for method in ("avg", "rct", "lct", "mkl", "histogram"):
        base = (lambda m=method: naive_histogram(face, plate, matte)) if method == "histogram" else \
            (lambda m=method: naive_linear(face, plate, matte, m))
        row(f"color {method}", lambda m=method: color_transfer(face, plate, matte, method=m, working=ACESCG,
                                                                    apply_to=apply_to),
            base, "numpy naive (masked by *)")
    if full_frame:
        row("color rct, apply_to=image", lambda: color_transfer(face, plate, matte, method="rct", working=ACESCG),
            lambda: naive_linear(face, plate, matte, "rct"), "numpy naive (masked by *)")
    slow_reps = 1 if (quick and full_frame) else max(1, repeats // 2)
    row("color idt (10 steps)", lambda: color_transfer(face, plate, matte, method="idt", working=ACESCG,
                                                              apply_to=apply_to),
        lambda: naive_idt(face, plate, matte), "numpy naive idt", reps=slow_reps)
    row("color sot (8 steps x 4)", lambda: color_transfer(face, plate, matte, method="sot", working=ACESCG,
                                                                 apply_to=apply_to),
        lambda: naive_idt(face, plate, matte, steps=8, bases=4), "numpy naive sot", reps=slow_reps)
    row("poisson normal", lambda: poisson_blend(face, plate, matte),
        lambda: seamless_clone(face, plate, matte), "cv2.seamlessClone uint8")
    row("poisson mixed", lambda: poisson_blend(face, plate, matte, mode="mixed"))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (21, 21))
    row("grow_matte -10", lambda: grow_matte(matte, pixels=-10), lambda: cv2.erode(matte, kernel),
        "cv2.erode ellipse 21")
    row("feather_gaussian s=5", lambda: feather_gaussian(matte, sigma=5.0),
        lambda: cv2.GaussianBlur(matte, (0, 0), 5.0), "cv2.GaussianBlur")
    row("feather_distance 10", lambda: feather_distance(matte, pixels=10))
    row("unsharp_mask r=1.5", lambda: unsharp_mask(face, amount=0.5, radius=1.5),
        lambda: cv2.addWeighted(face, 1.5, cv2.GaussianBlur(face, (0, 0), 1.5), -0.5, 0), "cv2 blur+addWeighted")
    row("estimate_grain", lambda: estimate_grain(plate, matte), lambda: naive_estimate_grain(plate, matte),
        "cv2 blur residual, masked std")
    row("match_grain", lambda: match_grain(face, plate, matte, seed=1), lambda: naive_match_grain(face, plate, matte),
        "cv2 2 estimates+randn+blur")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="3 repeats, 1 for slow full-frame methods")
    parser.add_argument("--json", help="also write results here")
    args = parser.parse_args()
    repeats = 3 if args.quick else args.repeats
    print(f"load average before: {os.getloadavg()}; OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}")
    results = []
    face, plate, matte = make_case(256, 256, 220, 180)
    results += run_case("256x256", face, plate, matte, repeats=repeats, quick=args.quick, full_frame=False)
    face, plate, matte = make_case(1080, 1920, 500, 400)
    results += run_case("1920x1080", face, plate, matte, repeats=repeats, quick=args.quick, full_frame=True)
    print(f"load average after: {os.getloadavg()}")
    rows = [[r["case"], r["op"], r["ms"], r["baseline"] or "-",
             r["baseline_ms"] if r["baseline_ms"] is not None else "-",
             f"{r['ratio']:.2f}x" if r["ratio"] is not None else "-"] for r in results]
    print_table(f"core/post ops, ms per call (median of >= {repeats} calls and >= 0.25 s, op and baseline "
                f"alternating; {machine()['cpus']} CPUs; float32)",
                ["case", "op", "facegraft ms", "baseline", "baseline ms", "ratio"], rows)
    write_json(args.json, "post", results)


if __name__ == "__main__":
    main()
