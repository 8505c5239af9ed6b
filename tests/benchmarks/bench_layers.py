"""What convert's face/matte layers cost on disk: writing (and reading back) one frame of a half
RGBA EXR plate (zip) with no layers, with the 5 layer channels full frame in one part (`--outputs
flat`, the layout before issue 15), and with them in a second part around the face (`--outputs
all`). The face box is ~a quarter of the frame height, as in bench_convert. The network and the
compositing are left out: this is the I/O that the layers add. Ratios are against the plate alone,
measured in the same run (median of repeats).

    python tests/benchmarks/bench_layers.py [--quick] [--repeats 3] [--json out.json]
"""
import argparse
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

from facegraft.core.media.image_io import Window, new_image, read_image, write_image

from benchlib import machine, median_seconds, print_table, write_json

LAYERS = ("face.R", "face.G", "face.B", "face.A", "matte.A")


def frame(width: int, height: int) -> tuple:
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:height, :width].astype(np.float32)
    rgb = 0.4 + 0.3 * np.sin(xx / 41.0)[..., None] * np.cos(yy / 29.0)[..., None] * np.array([1.0, 0.8, 0.6])
    rgb = (rgb + rng.normal(0, 0.01, rgb.shape)).astype(np.float32)
    plate = new_image(np.concatenate([rgb, np.ones((height, width, 1), np.float32)], 2), ("R", "G", "B", "A"),
                      attributes={"compression": "zip"})
    bw, bh = int(height * 0.47), int(height * 0.58)  # the face's box (bench_convert's face at this height)
    x0, y0 = (width - bw) // 2, (height - bh) // 2
    box = np.zeros((bh, bw, 5), np.float32)
    ry, rx = np.mgrid[:bh, :bw]
    matte = np.clip((1 - ((ry - bh / 2) / (bh / 2)) ** 2 - ((rx - bw / 2) / (bw / 2)) ** 2) * 6, 0, 1).astype(np.float32)
    face = 0.5 + 0.2 * np.sin(rx / 17.0)[..., None] * np.cos(ry / 23.0)[..., None] * np.array([0.9, 0.7, 0.5])
    face = face + rng.normal(0, 0.01, face.shape)  # its own content and grain (not a copy of the plate)
    box[..., :3] = face * matte[..., None]
    box[..., 3] = box[..., 4] = matte
    part = replace(new_image(box, LAYERS, attributes={"compression": "zip"}), data_window=Window(x0, y0, bw, bh),
                   display_window=plate.display_window)
    full = np.zeros((height, width, 5), np.float32)
    full[y0:y0 + bh, x0:x0 + bw] = box
    flat = replace(plate, pixels=np.concatenate([plate.pixels, full], 2), channels=plate.channels + LAYERS,
                   pixel_types=plate.pixel_types + ("half",) * 5)
    return plate, flat, part


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="2 repeats")
    parser.add_argument("--json", help="also write results here")
    args = parser.parse_args()
    if args.quick:
        args.repeats = min(args.repeats, 2)
    rows, results = [], []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "f.exr"
        for width, height in ((1920, 1080), (3840, 2160)):
            plate, flat, part = frame(width, height)
            cases = {"plate only (RGBA)": lambda: write_image(path, plate),
                     "layers full frame, one part (flat)": lambda: write_image(path, flat),
                     "layers in a 2nd part around the face (all)": lambda: write_image(path, plate, parts=[part])}
            base = None
            for name, write in cases.items():
                seconds = median_seconds(write, repeats=args.repeats, warmup=1)
                read = median_seconds(lambda: read_image(path), repeats=args.repeats, warmup=1)
                size = path.stat().st_size / 2 ** 20
                base = base or (seconds, read)
                rows.append([f"{width}x{height}", name, seconds * 1000, f"{seconds / base[0]:.2f}x", read * 1000,
                             f"{read / base[1]:.2f}x", size])
                results.append({"size": f"{width}x{height}", "case": name, "write_s": seconds, "read_s": read,
                                "mib": size})
    print_table(f"EXR frame with convert's layers, half zip ({machine()['cpus']} CPUs; median of {args.repeats})",
                ["frame", "layout", "write ms", "vs plate", "read ms", "vs plate", "MiB"], rows)
    write_json(args.json, "layers", results)


if __name__ == "__main__":
    main()
