"""EXR sequence I/O throughput: the ceiling that convert is held to.

A 1920x1080 RGBA half EXR sequence (zip): frames/s for read, write, and read + color convert +
write, single-threaded (no overlap) vs facegraft's pipelined reader/writer, in one run.

    python tests/benchmarks/bench_io.py [--frames 24] [--size 1920x1080] [--quick] [--json out.json]
"""
import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from facegraft.core.color import ColorManager
from facegraft.core.media.image_io import new_image, write_image
from facegraft.core.media.source import open_source
from facegraft.core.media.transcode import TranscodeSettings, transcode

from benchlib import machine, print_table, write_json


def make_plate(folder: Path, frames: int, width: int, height: int) -> str:
    rng = np.random.default_rng(0)
    base = rng.random((height, width, 4), dtype=np.float32) * 2.0  # noisy: zip cannot cheat
    for i in range(frames):
        pixels = np.roll(base, i * 7, axis=1)
        image = new_image(pixels, ("R", "G", "B", "A"), attributes={"compression": "zip"})
        write_image(folder / f"plate.{1001 + i:04d}.exr", image)
    return str(folder / "plate.####.exr")


def fps(count: int, fn) -> float:
    start = time.perf_counter()
    fn()
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=24)
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--quick", action="store_true", help="8 frames")
    parser.add_argument("--json", help="also write results here")
    args = parser.parse_args()
    frames = 8 if args.quick else args.frames
    width, height = map(int, args.size.split("x"))
    color = ColorManager()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        plate = make_plate(tmp, frames, width, height)
        source = open_source(plate)
        images = [f.image for f in source.iter_frames(workers=0)]
        for label, workers in (("single-threaded", 0), ("pipelined", 2)):
            out = tmp / label
            out.mkdir()
            read = fps(frames, lambda: [None for _ in source.iter_frames(workers=workers)])

            def write_all():
                from facegraft.core.media.pipeline import BackgroundWriter

                with BackgroundWriter(workers=workers) as writer:
                    for i, image in enumerate(images):
                        writer.submit(write_image, out / f"w.{1001 + i:04d}.exr", image)

            write = fps(frames, write_all)
            settings = TranscodeSettings(to_colorspace="ACEScct", force=True, workers=workers)
            convert = fps(frames, lambda: transcode(source, str(out / "c.####.exr"), source.frames, settings,
                                                    color=color))
            results[label] = {"read": read, "write": write, "read_convert_write": convert}
    base = results["single-threaded"]
    rows = []
    for label, r in results.items():
        rows.append([label, r["read"], r["write"], r["read_convert_write"],
                     f"{r['read_convert_write'] / base['read_convert_write']:.2f}x"])
    print_table(f"EXR I/O, {width}x{height} RGBA half, zip, {frames} frames (frames/s; {machine()['cpus']} CPUs)",
                ["mode", "read", "write", "read+color+write", "vs single"], rows)
    write_json(args.json, "io", results)


if __name__ == "__main__":
    main()
