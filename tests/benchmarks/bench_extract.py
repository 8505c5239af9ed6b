"""Extraction benchmark: landmark accuracy, speed (tracking vs detecting), jitter and lag.

    .venv/bin/python tests/benchmarks/bench_extract.py [--quick] [--json out.json]

1. Accuracy: mean landmark error / outer-eye-corner distance (points 36, 45) on dlib's example
   XML sets, per landmark backend, seeded with the XML boxes and with our HOG boxes. The XML
   points came from dlib's own 68-point model: a regression check, not ground truth.
2. Speed: frames/s of the face finding per frame (decoded float frames in memory; timed: the
   detection image, detector, landmarks, embeddings, tracking) on the 512x512 clip d3.mp4 and on a 1920x1080 sequence made
   by upscaling it (centred, 1080x1080 face area), per detector, tracking (keyframe every 10) vs
   detecting on every frame; ratio against detect-every-frame HOG in the same run. Accuracy of
   tracking: mean distance of its landmarks to the detect-every-frame landmarks / eye distance.
3. Stability: jitter (RMS second difference / eye distance) raw vs smoothed per preset on the
   near-static d18/d19; lag on the moving d3: best time shift (frames) between smoothed and raw
   face centres, and mean deviation on the fastest 10 % of frames, for our zero-phase filter
   and for the plain causal One-Euro filter.
"""
import argparse
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import print_table, write_json  # noqa: E402

from facegraft.core.alignments.stats import jitter  # noqa: E402
from facegraft.core.color import SRGB_ENCODED, ColorManager  # noqa: E402
from facegraft.core.detect.prepare import detection_image  # noqa: E402
from facegraft.core.detect.registry import BackendOptions, default_registry  # noqa: E402
from facegraft.core.errors import FacegraftError  # noqa: E402
from facegraft.core.extract.smoothing import SMOOTHING_PRESETS, one_euro, smooth_track  # noqa: E402
from facegraft.core.extract.tracking import FaceTracker, TrackingSettings  # noqa: E402
from facegraft.core.media.video import read_video  # noqa: E402

FACES = Path(__file__).resolve().parents[3] / "shared" / "data" / "faces"
CLIPS = FACES / "KwaiVGI__LivePortrait" / "assets" / "examples" / "driving"
XML_DIR = FACES / "davisking__dlib" / "examples" / "faces"


def xml_faces(path: Path):
    for image in ET.parse(path).getroot().iter("image"):
        for box in image.iter("box"):
            left, top = float(box.get("left")), float(box.get("top"))
            b = np.array([left, top, left + float(box.get("width")), top + float(box.get("height"))])
            parts = sorted(box.iter("part"), key=lambda p: int(p.get("name")))
            yield path.parent / image.get("file"), b, np.array([[float(p.get("x")) + 0.5, float(p.get("y")) + 0.5]
                                                                for p in parts])


def iou(a, b):
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    return w * h / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h)


def accuracy(registry) -> list[dict]:
    rows = []
    hog = registry.detector("hog", BackendOptions(upsample=1))
    for name in registry.names("landmarks"):
        try:
            model = registry.landmarks(name)
        except FacegraftError as exc:
            rows.append({"backend": name, "set": "all", "boxes": "-", "faces": 0, "mean": None, "median": None,
                         "note": str(exc).split(";")[0]})
            continue
        for xml in sorted(XML_DIR.glob("*.xml")):
            for seed in ("xml", "hog"):
                errors = []
                for file, box, truth in xml_faces(xml):
                    image = np.ascontiguousarray(cv2.imread(str(file))[..., ::-1])
                    if seed == "hog":
                        found = [d.box for d in hog(image) if iou(d.box, box) > 0.3]
                        if not found:
                            continue
                        box = np.array(found[0])
                    pts = model(image, box[None])[0]
                    errors.append(np.linalg.norm(pts - truth, axis=-1).mean() / np.linalg.norm(truth[45] - truth[36]))
                rows.append({"backend": name, "set": xml.stem.split("_")[0], "boxes": seed, "faces": len(errors),
                             "mean": float(np.mean(errors)), "median": float(np.median(errors)), "note": ""})
    return rows


def load_frames(path: Path, count: int, *, canvas: tuple[int, int] | None = None) -> list[tuple[int, np.ndarray]]:
    frames = []
    for n, px in read_video(path, frames=range(1, count + 1)):
        img = (np.clip(px, 0, 1) * 255 + 0.5).astype(np.uint8)
        if canvas is not None:
            w, h = canvas
            big = np.zeros((h, w, 3), np.uint8)
            side = min(w, h)
            big[(h - side) // 2:(h + side) // 2, (w - side) // 2:(w + side) // 2] = cv2.resize(
                img, (side, side), interpolation=cv2.INTER_CUBIC)
            img = big
        frames.append((n, np.ascontiguousarray(img)))
    return frames


def run_tracker(models, frames, redetect_every: int, color: ColorManager) -> tuple[float, np.ndarray, int]:
    tracker = FaceTracker(*models, TrackingSettings(redetect_every=redetect_every))
    out = []
    elapsed = 0.0
    for n, img in frames:
        pixels = img.astype(np.float32) * np.float32(1 / 255)  # what a reader hands over (not timed)
        start = time.perf_counter()
        image = detection_image(pixels, colorspace=SRGB_ENCODED, color=color)
        faces = tracker.process(n, image)
        elapsed += time.perf_counter() - start
        out.append(faces[0].landmarks if faces else np.full((68, 2), np.nan))
    return len(frames) / elapsed, np.array(out), tracker.detections


def speed(registry, quick: bool) -> list[dict]:
    color = ColorManager()
    count = 30 if quick else 120
    landmarks, identity = registry.landmarks("dlib68"), registry.identity("dlib_resnet")
    plates = {"512x512 (d3.mp4)": load_frames(CLIPS / "d3.mp4", count),
              "1920x1080 (d3 upscaled)": load_frames(CLIPS / "d3.mp4", count // 2, canvas=(1920, 1080))}
    rows = []
    for plate, frames in plates.items():
        detectors = [("hog", 0, frames), ("hog", 1, frames[: max(4, len(frames) // 4)]), ("mmod", 0, frames[:2])]
        base_fps, base_points = None, None
        for det_name, upsample, subset in detectors:
            detector = registry.detector(det_name, BackendOptions(upsample=upsample))
            models = (detector, landmarks, identity)
            for mode, every in (("detect every frame", 1), ("track, keyframe /10", 10)):
                if det_name == "mmod" and every == 10:
                    subset = frames[: 2 if quick else 10]
                fps, points, detections = run_tracker(models, subset, every, color)
                if base_fps is None:
                    base_fps, base_points = fps, points
                ref = base_points[: len(points)]
                iod = np.linalg.norm(ref[:, 45] - ref[:, 36], axis=-1)
                diff = np.nanmean(np.linalg.norm(points - ref, axis=-1).mean(-1) / iod)
                label = det_name + (f" up{upsample}" if upsample else "")
                rows.append({"plate": plate, "detector": label, "mode": mode, "frames": len(subset),
                             "detections": detections, "fps": fps, "speedup": fps / base_fps,
                             "diff_vs_detect_hog": float(diff)})
    return rows


def landmarks_of(clip: str, count: int, registry) -> np.ndarray:
    color = ColorManager()
    models = (registry.detector("hog"), registry.landmarks("dlib68"), registry.identity("dlib_resnet"))
    _, points, _ = run_tracker(models, load_frames(CLIPS / clip, count), 10, color)
    return points[~np.isnan(points).any(axis=(1, 2))]


def stability(registry, quick: bool) -> tuple[list[dict], list[dict]]:
    count = 60 if quick else 200
    jitter_rows = []
    for clip in ("d18.mp4", "d19.mp4"):
        raw = landmarks_of(clip, count, registry)
        row = {"clip": clip, "frames": len(raw), "raw": jitter(raw)}
        for name in ("low", "medium", "high"):
            row[name] = jitter(smooth_track(raw, SMOOTHING_PRESETS[name]))
        jitter_rows.append(row)
    raw = landmarks_of("d3.mp4", count, registry)
    iod = float(np.median(np.linalg.norm(raw[:, 45] - raw[:, 36], axis=-1)))
    centre = raw.mean(1)
    speed_ = np.r_[0, np.linalg.norm(np.diff(centre, axis=0), axis=-1)]
    fast = speed_ >= np.quantile(speed_, 0.9)
    lag_rows = []
    for name in ("low", "medium", "high"):
        s = SMOOTHING_PRESETS[name]
        causal = one_euro(raw / iod, min_cutoff=s.min_cutoff, beta=s.beta, d_cutoff=s.d_cutoff) * iod
        for kind, out in (("zero-phase (ours)", smooth_track(raw, s)), ("causal One-Euro", causal)):
            c = out.mean(1)
            shifts = np.arange(-3.0, 3.01, 0.25)
            t = np.arange(len(c))
            errs = [np.mean([np.abs(np.interp(t[5:-5] - sh, t, c[:, k]) - centre[5:-5, k]).mean() for k in (0, 1)])
                    for sh in shifts]
            lag_rows.append({"preset": name, "filter": kind, "frames": len(raw), "fast_px_per_frame": float(speed_[fast].mean()),
                             "lag_frames": float(shifts[int(np.argmin(errs))]),
                             "fast_dev_iod": float(np.abs(out - raw)[fast].mean() / iod)})
    return jitter_rows, lag_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer frames")
    parser.add_argument("--json", help="write results here")
    args = parser.parse_args()
    registry = default_registry()
    acc = accuracy(registry)
    print_table("Landmark accuracy (mean error / outer-eye distance; XML points came from dlib's model)",
                ["backend", "set", "boxes", "faces", "mean", "median", "note"],
                [[r["backend"], r["set"], r["boxes"], r["faces"], "-" if r["mean"] is None else r["mean"],
                  "-" if r["median"] is None else r["median"], r["note"]] for r in acc])
    spd = speed(registry, args.quick)
    print_table("Speed (frames/s, decoded frames; speedup vs detect-every-frame hog on the same plate)",
                ["plate", "detector", "mode", "frames", "detections", "fps", "speedup", "diff vs detect (IOD)"],
                [[r["plate"], r["detector"], r["mode"], r["frames"], r["detections"], r["fps"],
                  f"{r['speedup']:.2f}x", r["diff_vs_detect_hog"]] for r in spd])
    jit, lag = stability(registry, args.quick)
    print_table("Jitter (RMS 2nd difference / eye distance), near-static clips",
                ["clip", "frames", "raw", "low", "medium", "high", "medium/raw"],
                [[r["clip"], r["frames"], r["raw"], r["low"], r["medium"], r["high"], f"{r['medium'] / r['raw']:.2f}x"]
                 for r in jit])
    print_table("Lag on d3.mp4 (moving head): best time shift of smoothed vs raw centres; deviation on fastest 10 %",
                ["preset", "filter", "frames", "fast px/frame", "lag (frames)", "fast deviation (IOD)"],
                [[r["preset"], r["filter"], r["frames"], r["fast_px_per_frame"], r["lag_frames"], r["fast_dev_iod"]]
                 for r in lag])
    write_json(args.json, "extract", {"accuracy": acc, "speed": spd, "jitter": jit, "lag": lag, "quick": args.quick})


if __name__ == "__main__":
    main()
