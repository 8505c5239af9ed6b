"""Convert throughput against the pure I/O ceiling of the same plate, and memory over a long plate.

For a 1920x1080 and a 3840x2160 RGBA half EXR plate (zip) with one face per frame and a 128 px
model on the CPU: frames/s of `convert_plate` end to end (composite + layers, and composite only)
vs the pure read + write throughput of the same plate (pipelined copy), measured in the same run.
"network free" converts with all outputs around a network that costs nothing (the crop comes back
as the face): what convert costs besides the network, the ceiling a GPU's network approaches. With
--device cuda the faces are placed on the GPU in every row (warp back, matte, color match:
core/convert/device_place.py).
Memory: resident set size sampled during the run, at the first and last quarter of the plate.
Long plate (--long N): an N-frame convert (all outputs) of a plate made of 24 distinct frames
repeated, printing the RSS curve (sampled per frame read), whether frames were read in order, and how
far the order in which output files were completed strays from frame order (the writer runs
`workers` frames behind, so at most that many).

    python tests/benchmarks/bench_convert.py [--quick] [--frames N] [--json out.json]
        [--long 500 [--long-size 1920x1080] [--long-only]] [--device cuda]
"""
import argparse
import os
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch

from facegraft.core.color import ColorManager
from facegraft.core.color.ocio import SRGB_ENCODED
from facegraft.core.convert.run import convert_plate
from facegraft.core.convert.settings import ConvertSettings
from facegraft.core.convert.swapper import ModelSwapper
from facegraft.core.media.image_io import new_image, write_image
from facegraft.core.media.source import open_source
from facegraft.core.media.transcode import TranscodeSettings, transcode
from facegraft.core.media.video import read_video
from facegraft.core.models.config import ModelConfig
from facegraft.core.models.files import load_model, save_model
from facegraft.core.models.registry import create_model

from benchlib import machine, print_table, write_json

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core" / "convert"))
from convert_helpers import synthetic_alignments  # noqa: E402  (the convert tests' synthetic alignments)

CLIP = Path(os.environ.get("FACEGRAFT_FACES_DIR", Path(__file__).resolve().parents[3] / "shared" / "data" / "faces")) \
    / "KwaiVGI__LivePortrait" / "assets" / "examples" / "driving" / "d19.mp4"


def make_plate(folder: Path, frames: int, width: int, height: int, color: ColorManager) -> str:
    for number, pixels in read_video(CLIP, range(1, frames + 1)):
        big = cv2.resize(pixels, (width, height), interpolation=cv2.INTER_LINEAR)
        linear = color.convert(big, "sRGB Encoded Rec.709 (sRGB)", "ACEScg")
        rgba = np.concatenate([linear, np.ones((height, width, 1), np.float32)], axis=2)
        write_image(folder / f"plate.{1000 + number:04d}.exr",
                    new_image(rgba, ("R", "G", "B", "A"), attributes={"compression": "zip"}))
    return str(folder / "plate.####.exr")


class RssSampler:
    """Samples this process's resident set size (MiB) every 50 ms."""

    def __init__(self) -> None:
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        page = os.sysconf("SC_PAGE_SIZE") / 2 ** 20
        while not self._stop.is_set():
            with open("/proc/self/statm") as f:
                self.samples.append((time.perf_counter(), int(f.read().split()[1]) * page))
            time.sleep(0.05)

    def __enter__(self) -> "RssSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def quarters(self) -> tuple[float, float]:
        values = [v for _, v in self.samples]
        q = max(1, len(values) // 4)
        return max(values[:q]), max(values[-q:])


def bench_size(tmp: Path, width: int, height: int, frames: int, swapper: ModelSwapper, color: ColorManager) -> dict:
    plate = make_plate(tmp, frames, width, height, color)
    source = open_source(plate)
    scale = height / 480  # d19 is 480x480: its face scales with the frame height
    alignments = synthetic_alignments(source.frames, width=width, height=height, size=256)
    alignments = _scaled(alignments, scale, (width - 480 * scale) / 2)
    # warm-up: the network's first call, OCIO processors, file caches
    convert_plate(source, alignments, swapper, str(tmp / "warm.####.exr"), source.frames[:2],
                  ConvertSettings(force=True), color=color)
    result = {"io_fps": frames / best_seconds(lambda: transcode(
        source, str(tmp / "copy.####.exr"), source.frames, TranscodeSettings(force=True), color=color))}
    runs = {"all": ("all", swapper), "composite": ("composite", swapper),
            "free": ("all", FreeSwapper(swapper.resolution, swapper.face_type, swapper.device))}
    for name, (outputs, network) in runs.items():
        settings = ConvertSettings(outputs=outputs, force=True, batch=4)
        with RssSampler() as rss:
            seconds = best_seconds(lambda: convert_plate(source, alignments, network,
                                                         str(tmp / f"out_{name}.####.exr"), source.frames,
                                                         settings, color=color))
        result[f"convert_{name}_fps"] = frames / seconds
        result[f"rss_{name}_first_quarter_mib"], result[f"rss_{name}_last_quarter_mib"] = rss.quarters()
    for path in tmp.glob("*.exr"):
        path.unlink()
    return result


@dataclass(frozen=True)
class FreeSwapper:
    """A network that costs nothing: the crop comes back as the face, under a full mask. Convert with
    it measures everything around the network (crop, color, warp back, post, composite, layers, I/O):
    the ceiling a fast GPU network approaches."""

    resolution: int
    face_type: str
    device: torch.device | None = None  # where convert places the faces (a GPU: `device_place`)
    color_encoding: str = SRGB_ENCODED
    model_id: str = "free"

    def __call__(self, crops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return crops.copy(), np.ones(crops.shape[:3], np.float32)


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2 ** 20


def bench_long(tmp: Path, frames: int, width: int, height: int, swapper: ModelSwapper, color: ColorManager) -> dict:
    """Convert an N-frame plate once; RSS per frame read, read order, output completion order."""
    (tmp / "base").mkdir()
    base = make_plate(tmp / "base", 24, width, height, color)
    for i in range(frames):  # 24 distinct frames, repeated: a long plate without 500 EXR encodes
        shutil.copyfile(base.replace("####", f"{1001 + i % 24:04d}"), tmp / f"plate.{1001 + i:04d}.exr")
    source = open_source(str(tmp / "plate.####.exr"))
    scale = height / 480
    alignments = _scaled(synthetic_alignments(source.frames, width=width, height=height, size=256), scale,
                         (width - 480 * scale) / 2)
    order: list[int] = []
    curve: list[float] = []

    def progress(it, total):
        for frame in it:
            order.append(frame.number)
            curve.append(rss_mib())
            yield frame

    start = time.perf_counter()
    convert_plate(source, alignments, swapper, str(tmp / "out.####.exr"), source.frames,
                  ConvertSettings(outputs="all", force=True, batch=4), color=color, progress=progress)
    seconds = time.perf_counter() - start
    finished = [int(p.name.split(".")[1]) for p in sorted(tmp.glob("out.*.exr"), key=lambda p: p.stat().st_mtime_ns)]
    stray = max(abs(i - source.frames.index(f)) for i, f in enumerate(finished))
    quarter = max(1, frames // 4)
    return {"frames": frames, "size": f"{width}x{height}", "fps": frames / seconds,
            "read_in_order": order == sorted(order) and len(order) == frames,
            "written": len(finished), "max_write_order_stray": stray,
            "rss_first_quarter_mib": max(curve[:quarter]), "rss_last_quarter_mib": max(curve[-quarter:]),
            "rss_curve_mib": [(order[i], round(curve[i])) for i in range(0, frames, max(1, frames // 20))]
            + [(order[-1], round(curve[-1]))]}


def best_seconds(run, repeats: int = 2) -> float:
    """The fastest of `repeats` runs (the machine's other load only ever slows a run down)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def _scaled(alignments, scale: float, shift_x: float):
    from dataclasses import replace

    from facegraft.core.align.geometry import FaceCrop

    by_frame = {}
    for frame, faces in alignments.by_frame.items():
        new = []
        for face in faces:
            pts = face.landmarks * scale + np.array([shift_x, 0.0])
            crop = FaceCrop.from_landmarks(pts, size=alignments.header.size, face_type=alignments.header.face_type)
            new.append(replace(face, landmarks=pts, landmarks_raw=pts, frame_to_crop=crop.frame_to_crop))
        by_frame[frame] = tuple(new)
    return alignments.with_frames(by_frame)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=24, help="frames of the 1080p plate (4K: half as many)")
    parser.add_argument("--quick", action="store_true", help="10 frames of 1080p, 5 of 4K")
    parser.add_argument("--json", help="also write results here")
    parser.add_argument("--long", type=int, default=0, metavar="N", help="also convert an N-frame plate once (memory)")
    parser.add_argument("--long-size", default="1920x1080", help="WxH of the long plate (default 1920x1080)")
    parser.add_argument("--long-only", action="store_true", help="skip the throughput tables")
    parser.add_argument("--device", default="cpu", help="torch device of the network (cpu, cuda, cuda:N)")
    args = parser.parse_args()
    frames = 10 if args.quick else args.frames
    color = ColorManager()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        config = ModelConfig("df", resolution=128)
        save_model(create_model(config), config, tmp / "model", training_state={"iteration": 0})
        swapper = ModelSwapper(load_model(tmp / "model", device=args.device), batch=4)
        sizes = {} if args.long_only else \
            {"1920x1080": (1920, 1080, frames), "3840x2160": (3840, 2160, max(5, frames // 2))}
        for label, (w, h, n) in sizes.items():
            (tmp / label).mkdir()
            results[label] = {"frames": n, **bench_size(tmp / label, w, h, n, swapper, color)}
        if args.long:
            (tmp / "long").mkdir()
            w, h = (int(v) for v in args.long_size.lower().split("x"))
            long = bench_long(tmp / "long", args.long, w, h, swapper, color)
    if args.long:
        print(f"\nLong plate: {long['frames']} frames {long['size']}, all outputs, {long['fps']:.2f} frames/s; read in "
              f"order: {'yes' if long['read_in_order'] else 'NO'}; {long['written']} written, completion order strays "
              f"at most {long['max_write_order_stray']} frame(s) from frame order")
        print_table("RSS (MiB) after each frame read", ["frame", "RSS MiB"], long["rss_curve_mib"])
        print(f"RSS max, first quarter → last quarter: {long['rss_first_quarter_mib']:.0f} → "
              f"{long['rss_last_quarter_mib']:.0f} MiB")
        results["long"] = long
    rows = []
    for label, r in ((k, v) for k, v in results.items() if k != "long"):
        for name, outputs in (("all", "all"), ("composite", "composite"), ("free", "all, network free")):
            fps = r[f"convert_{name}_fps"]
            rows.append([label, r["frames"], outputs, r["io_fps"], fps, f"{fps / r['io_fps']:.2f}x",
                         f"{r[f'rss_{name}_first_quarter_mib']:.0f} → {r[f'rss_{name}_last_quarter_mib']:.0f}"])
    if rows:
        print_table(f"Convert, half EXR plate, 1 face/frame, 128 px DF model, network on {args.device} "
                    f"({machine()['cpus']} CPUs)",
                    ["plate", "frames", "outputs", "read+write fps", "convert fps", "vs I/O",
                     "RSS MiB first→last quarter"], rows)
    write_json(args.json, "convert", results)


if __name__ == "__main__":
    main()
