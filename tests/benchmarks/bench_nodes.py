"""`facegraft node run` throughput on an EXR sequence: frames/s per node, serial vs pipelined I/O.

A half RGBA EXR sequence (zip) with a `matte.A` layer (a face-sized disk). Baseline: Sharpen run
with `workers=0` (read → process → write in one thread, no overlap), in the same run. Each row
reports seconds per frame and the speed ratio against that baseline (> 1 = faster).

    python tests/benchmarks/bench_nodes.py [--frames 8] [--size 1920x1080] [--repeats 3] [--quick] [--json out.json]
"""
import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from facegraft.core.media.image_io import new_image, write_image
from facegraft.nodes.binding import Binding
from facegraft.nodes.registry import builtin_registry
from facegraft.nodes.runner import run_node

from benchlib import machine, print_table, write_json


def make_plate(folder: Path, frames: int, width: int, height: int) -> str:
    rng = np.random.default_rng(0)
    base = (0.2 + rng.random((height, width, 4), dtype=np.float32)).astype(np.float32)
    y, x = np.mgrid[0:height, 0:width]
    disk = np.clip((height / 5 - np.hypot(y - height / 2, x - width / 2)) / 8, 0, 1).astype(np.float32)
    for i in range(frames):
        pixels = np.concatenate([np.roll(base, i * 7, axis=1), disk[..., None]], axis=2)
        image = new_image(pixels, ("R", "G", "B", "A", "matte.A"), attributes={"compression": "zip"})
        write_image(folder / f"plate.{1001 + i:04d}.exr", image)
    return str(folder / "plate.####.exr")


CASES = (  # (label, node, settings, workers)
    ("Sharpen, workers=0 (baseline)", "Sharpen", [], 0),
    ("Sharpen, workers=2", "Sharpen", [], 2),
    ("MaskFeather grow 4 feather 8, workers=2", "MaskFeather", ["grow=4", "feather=8"], 2),
    ("ColorMatch rct, workers=2", "ColorMatch", [], 2),
    ("PoissonBlend, workers=2", "PoissonBlend", [], 2),
    ("Grain, workers=2", "Grain", [], 2),
)


def bindings(node: str, plate: str) -> list[Binding]:
    layer = {"matte": "matte", "face": None, "plate": None, "image": None}
    spec = builtin_registry().get(node).spec
    return [Binding(p.name, plate, layer[p.name]) for p in spec.inputs]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=8)
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="960x540, 3 frames, 1 repeat")
    parser.add_argument("--json", help="write results (with machine and versions) here")
    args = parser.parse_args()
    if args.quick:
        args.frames, args.size, args.repeats = 3, "960x540", 1
    width, height = (int(v) for v in args.size.split("x"))
    registry = builtin_registry()
    rows, results = [], []
    with tempfile.TemporaryDirectory() as tmp:
        plate = make_plate(Path(tmp), args.frames, width, height)
        base = None
        for label, node, settings, workers in CASES:
            entry = registry.get(node)
            params = entry.spec.parse_settings(settings)
            times = []
            for r in range(args.repeats):
                out = Path(tmp) / f"out{r}"
                start = time.perf_counter()
                run_node(entry, bindings(node, plate), str(out / "o.####.exr"), params, workers=workers, force=True)
                times.append((time.perf_counter() - start) / args.frames)
                shutil.rmtree(out)
            per_frame = statistics.median(times)
            base = base or per_frame
            rows.append((label, per_frame, f"{base / per_frame:.2f}x", 1.0 / per_frame))
            results.append({"case": label, "s_per_frame": per_frame, "speed_vs_baseline": base / per_frame})
    print_table(f"facegraft node run, {args.frames} frames {width}x{height} half EXR (RGBA + matte.A), "
                f"median of {args.repeats}", ("case", "s/frame", "vs baseline", "frames/s"), rows)
    info = machine()
    print(f"\n{info['cpus']} CPUs, Python {info['python']}, numpy {info['numpy']}, OpenImageIO {info.get('OpenImageIO', '?')}")
    write_json(args.json, "bench_nodes", results)


if __name__ == "__main__":
    main()
