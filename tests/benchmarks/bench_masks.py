"""Segmentation masks: speed per face, convert throughput with segmentation, and IoU on real clips.

1. ms per face of the mask model on 256 px crops (network at 128 and 256 px), CPU.
2. Convert frames/s on a 1920x1080 half EXR plate (one face per frame, 128 px DF model) with
   `--mask product` against `--mask product --mask-model M`, in the same run (target >= 0.9x).
3. IoU with the true visible face (landmark hull minus known synthetic occluders, two per face,
   fills from another person's clip) on held-out frames of real talking-head clips: the landmark
   hull, the segmentation (trained on the other frames), and on a shot with a persistent occluder
   (a bar in every frame, which the hull labels face) the segmentation before and after
   fine-tuning with three roto frames (the control fine-tunes as long without roto). The swap
   model's learned decoder mask is not measured here: it is trained to copy the face set's mask
   (the hull), so it cannot see occluders either.

    flock /work/bench.lock python tests/benchmarks/bench_masks.py [--quick] [--skip-iou] [--json out.json]
"""
import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from facegraft.core.color import ColorManager
from facegraft.core.convert.run import convert_plate
from facegraft.core.convert.settings import ConvertSettings
from facegraft.core.convert.swapper import ModelSwapper
from facegraft.core.masks.occluders import FILLS
from facegraft.core.masks.segment import (SegmentConfig, SegmentMasker, load_mask_model, predict_masks,
                                          save_mask_model)
from facegraft.core.masks.segment_train import load_samples, train_segmenter
from facegraft.core.masks.unet import SegmentUNet
from facegraft.core.media.source import open_source
from facegraft.core.models.config import ModelConfig
from facegraft.core.models.files import load_model, save_model
from facegraft.core.models.registry import create_model

from benchlib import machine, print_table, write_json
from bench_convert import _scaled, best_seconds, make_plate

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core" / "convert"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core" / "masks"))
from convert_helpers import synthetic_alignments  # noqa: E402
from mask_world import barred_faceset, bar_alpha, build_faceset, hull, iou, occluded_faces  # noqa: E402

FACES = Path(os.environ.get("FACEGRAFT_FACES_DIR", Path(__file__).resolve().parents[3] / "shared" / "data" / "faces"))
CLIPS = FACES / "KwaiVGI__LivePortrait" / "assets" / "examples" / "driving"


def ms_per_face(resolution: int, crops: int = 8, repeats: int = 5) -> float:
    config = SegmentConfig(resolution=resolution)
    with tempfile.TemporaryDirectory() as tmp:
        save_mask_model(SegmentUNet(config.channels), config, tmp, training_state={"step": 0})
        masker = SegmentMasker(load_mask_model(tmp))
        rng = np.random.default_rng(0)
        images = rng.random((crops, 256, 256, 3), dtype=np.float32)
        points = np.tile(np.array([[128.0, 128.0]]), (crops, 68, 1)) + rng.normal(0, 40, (crops, 68, 2))
        masker.many(images, points)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            masker.many(images, points)
            times.append(time.perf_counter() - start)
    return 1000 * float(np.median(times)) / crops


def train_seconds_per_step(resolution: int, threads: int | None, steps: int = 6) -> float:
    """Seconds per training step (batch 16) on random faces at `resolution`, after one warm-up step."""
    rng = np.random.default_rng(0)
    n = 8
    prior = np.zeros((n, resolution, resolution), np.float32)
    prior[:, resolution // 5:-resolution // 8, resolution // 5:-resolution // 5] = 1
    from facegraft.core.masks.segment_train import SegmentSamples

    samples = SegmentSamples(rng.random((n, resolution, resolution, 3), dtype=np.float32), prior.copy(), prior,
                             np.zeros(n, bool))
    config = SegmentConfig(resolution=resolution)
    with tempfile.TemporaryDirectory() as tmp:
        train_segmenter(samples, Path(tmp) / "m", steps=1, config=config, threads=threads, save_every=10 ** 6)
        start = time.perf_counter()
        train_segmenter(samples, Path(tmp) / "m", steps=1 + steps, resume=True, threads=threads, save_every=10 ** 6)
        return (time.perf_counter() - start) / steps


def convert_speed(tmp: Path, frames: int) -> dict:
    color = ColorManager()
    config = ModelConfig("df", resolution=128)
    save_model(create_model(config), config, tmp / "model", training_state={"iteration": 0})
    swapper = ModelSwapper(load_model(tmp / "model"), batch=4)
    mask_config = SegmentConfig(resolution=128)
    save_mask_model(SegmentUNet(mask_config.channels), mask_config, tmp / "mask", training_state={"step": 0})
    masker = SegmentMasker(load_mask_model(tmp / "mask"))
    plate = make_plate(tmp, frames, 1920, 1080, color)
    source = open_source(plate)
    scale = 1080 / 480
    alignments = _scaled(synthetic_alignments(source.frames, width=1920, height=1080, size=256), scale,
                         (1920 - 480 * scale) / 2)
    runs = {"without": (ConvertSettings(force=True, batch=4), None),
            "with segmentation": (ConvertSettings(force=True, batch=4, mask_model="bench"), masker.many)}
    convert_plate(source, alignments, swapper, str(tmp / "warm.####.exr"), source.frames[:2], runs["without"][0],
                  color=color, segmenter=masker.many)
    out = {}
    for label, (settings, segmenter) in runs.items():
        seconds = best_seconds(lambda: convert_plate(source, alignments, swapper, str(tmp / "out.####.exr"),
                                                     source.frames, settings, color=color, segmenter=segmenter))
        out[label] = frames / seconds
    return out


def iou_table(tmp: Path, clips: list[str], *, size: int, steps: int, fine_tune: int) -> list[dict]:
    donors_set = build_faceset(CLIPS / "d19.mp4", tmp / "donors", count=6, size=size, step=20)
    donors = [donors_set.load(i)[0] for i in range(len(donors_set))]
    rows = []
    for clip in clips:
        shot = build_faceset(CLIPS / clip, tmp / clip, count=24, size=size, step=9)
        train = shot.with_faces(shot.faces[::2])
        held_out = list(range(1, len(shot), 2))
        folder = tmp / f"{clip}.mask"
        start = time.perf_counter()
        train_segmenter(load_samples([train], resolution=size), folder, steps=steps,
                        config=SegmentConfig(resolution=size), batch=16, learning_rate=4e-3, threads=1,
                        save_every=10 ** 6)
        seconds = time.perf_counter() - start
        model = load_mask_model(folder)
        row = {"clip": clip, "train_seconds": seconds}
        cases = occluded_faces(shot, held_out, donors, seed=2024)
        predicted = predict_masks(model.network, np.stack([c[0] for c in cases]), np.stack([c[2] for c in cases]),
                                  resolution=size)
        row["hull"] = float(np.mean([iou(face, truth) for _, truth, face in cases]))
        row["segmentation"] = float(np.mean([iou(p, truth) for p, (_, truth, _) in zip(predicted, cases)]))
        row["by_fill"] = _by_fill(model, shot, held_out, donors, size)
        row.update(_roto_rows(tmp / f"{clip}.roto", shot, model, folder, size, steps + fine_tune))
        rows.append(row)
    return rows


def _by_fill(model, shot, held_out, donors, size: int) -> dict:
    """Segmentation IoU with one occluder per face, per fill kind."""
    from facegraft.core.masks.occluders import SHAPES, fill_texture, shape_alpha

    out = {}
    for kind in FILLS:
        rng = np.random.default_rng(11)
        scores = []
        for i in held_out:
            crop, _ = shot.load(i)
            face = hull(shot, i)
            alpha = shape_alpha(rng, size, SHAPES[int(rng.integers(len(SHAPES)))])
            texture = fill_texture(rng, size, kind, skin=crop[face > 0.5].mean(0), donors=donors)
            image = crop * (1 - alpha[..., None]) + texture * alpha[..., None]
            p = predict_masks(model.network, image[None], face[None], resolution=size)[0]
            scores.append(iou(p, face * (1 - alpha)))
        out[kind] = float(np.mean(scores))
    return out


def _roto_rows(tmp: Path, shot, model, folder: Path, size: int, steps: int) -> dict:
    """The bar shot: hull, base segmentation, fine-tuned without / with three roto frames."""
    barred = barred_faceset(shot, tmp / "barred")
    bar = bar_alpha(size)
    truth = {i: hull(shot, i) * (1 - bar) for i in range(len(shot))}
    roto_faces = (0, 10, 20)
    labels = {i: truth[i] for i in roto_faces}
    others = [i for i in range(len(shot)) if i not in roto_faces]
    crops = np.stack([barred.load(i)[0] for i in others])
    priors = np.stack([hull(shot, i) for i in others])

    def score(m) -> float:
        predicted = predict_masks(m.network, crops, priors, resolution=size)
        return float(np.mean([iou(p, truth[i]) for p, i in zip(predicted, others)]))

    out = {"bar_hull": float(np.mean([iou(hull(shot, i), truth[i]) for i in others])), "bar_segmentation": score(model)}
    for name, roto in (("bar_fine_tuned_no_roto", None), ("bar_fine_tuned_3_roto", [labels])):
        arm = tmp / name
        shutil.copytree(folder, arm)
        train_segmenter(load_samples([barred], resolution=size, roto=roto), arm, steps=steps, resume=True, batch=16,
                        learning_rate=4e-3, threads=1, save_every=10 ** 6)
        out[name] = score(load_mask_model(arm))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one clip, 64 px faces, 400 steps; 6 convert frames")
    parser.add_argument("--frames", type=int, default=12, help="frames of the 1080p convert plate")
    parser.add_argument("--skip-iou", action="store_true", help="speed tables only (no training)")
    parser.add_argument("--json", help="also write results here")
    args = parser.parse_args()
    results: dict = {"threads": torch.get_num_threads()}
    results["ms_per_face"] = {r: ms_per_face(r) for r in (64, 128, 256)}
    print_table(f"Mask model on 256 px crops, CPU ({machine()['cpus']} CPUs, {torch.get_num_threads()} torch threads)",
                ["network px", "ms/face"], [[r, v] for r, v in results["ms_per_face"].items()])
    results["train_s_per_step"] = {f"{r} px, {t or 'default'} threads": train_seconds_per_step(r, t)
                                   for r in (64, 128) for t in (1, None)}
    print_table("Mask training, batch 16 (the loop with augmentation, one step)", ["setting", "s/step",
                                                                               "3000 steps, min"],
                [[k, v, v * 3000 / 60] for k, v in results["train_s_per_step"].items()])
    with tempfile.TemporaryDirectory() as tmp:
        frames = 6 if args.quick else args.frames
        (Path(tmp) / "convert").mkdir()
        fps = convert_speed(Path(tmp) / "convert", frames)
        results["convert_fps"] = fps
        base = fps["without"]
        print_table(f"Convert 1920x1080 half EXR, 1 face/frame, 128 px DF model, {frames} frames",
                    ["matte", "frames/s", "vs without"], [[k, v, f"{v / base:.2f}x"] for k, v in fps.items()])
        if args.skip_iou:
            write_json(args.json, "masks", results)
            return
        clips = ["d18.mp4"] if args.quick else ["d18.mp4", "d3.mp4", "d19.mp4"]
        size, steps, fine_tune = (64, 400, 120) if args.quick else (64, 800, 200)
        rows = iou_table(Path(tmp), clips, size=size, steps=steps, fine_tune=fine_tune)
        results["iou"] = rows
    print_table(f"IoU with the true visible face, held-out frames, two synthetic occluders each ({size} px, "
                f"{steps} steps)", ["clip", "hull", "segmentation", "train s"],
                [[r["clip"], r["hull"], r["segmentation"], r["train_seconds"]] for r in rows])
    print_table("Segmentation IoU by occluder fill (one occluder per face)", ["clip", *FILLS],
                [[r["clip"], *(r["by_fill"][k] for k in FILLS)] for r in rows])
    print_table(f"A bar in front of the face in every frame (the hull calls it face); {fine_tune} fine-tune steps",
                ["clip", "hull", "segmentation", "+fine-tune, no roto", "+fine-tune, 3 roto frames"],
                [[r["clip"], r["bar_hull"], r["bar_segmentation"], r["bar_fine_tuned_no_roto"],
                  r["bar_fine_tuned_3_roto"]] for r in rows])
    write_json(args.json, "masks", results)


if __name__ == "__main__":
    main()
