"""Stability of the patch-GAN term: the quick preset's network and recipe trained on real clips
with the term on (from `--gan-from` of the budget) and, as the control, the same run without it
(same seed, same batches). Prints the losses over the steps, the verdict of
`core.train.adversarial.gan_instability`, and held-out SSIM/PSNR of both runs.

    .venv/bin/python tests/benchmarks/bench_gan_stability.py [--quick] [--iterations N]
        [--gan-from F] [--weight W] [--every K] [--json out.json]

Data: A = d18.mp4, B = d19.mp4 (64 px centre crops, dlib landmarks, 48 faces each, the last 12
held out). Run it under `flock /work/bench.lock` on a shared machine.
"""
import argparse
import dataclasses
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "core" / "train"))

from faceset_builder import build_faceset  # noqa: E402

from facegraft.core.train import loop  # noqa: E402
from facegraft.core.train.adversarial import gan_instability  # noqa: E402
from facegraft.core.train.checkpoint import read_state  # noqa: E402
from facegraft.core.train.settings import GanSettings, quick_preset  # noqa: E402

FACES = Path(os.environ.get("FACEGRAFT_FACES_DIR", REPO.parent / "shared" / "data" / "faces"))
CLIPS = FACES / "KwaiVGI__LivePortrait" / "assets" / "examples" / "driving"
COLUMNS = ("loss", "loss_plain", "gan_g_a", "gan_g_b", "gan_d", "d_real", "d_fake")


def _rows(folder: Path) -> list[dict]:
    return [json.loads(r) for r in (folder / "training" / "history.jsonl").read_text().splitlines()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="120 iterations")
    parser.add_argument("--iterations", type=int, default=400)
    parser.add_argument("--gan-from", type=float, default=0.3)
    parser.add_argument("--weight", type=float, default=0.1)
    parser.add_argument("--every", type=int, default=20, help="rows per printed window")
    parser.add_argument("--json")
    args = parser.parse_args()
    iterations = 120 if args.quick else args.iterations
    chosen = quick_preset()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        a = build_faceset(CLIPS / "d18.mp4", root / "a", count=48, step=3)
        b = build_faceset(CLIPS / "d19.mp4", root / "b", count=48, step=3)
        base = dataclasses.replace(chosen.settings, iterations=iterations, minutes=None, log_every=1,
                                   preview_every=10**6, save_every_minutes=10**6)
        runs, seconds, quality = {}, {}, {}
        for name, gan in (("gan", GanSettings(weight=args.weight, start=args.gan_from)), ("plain", GanSettings())):
            t0 = time.monotonic()
            result = loop.train(a, b, root / name, model_config=chosen.model, settings=dataclasses.replace(base, gan=gan),
                                show_progress=False)
            seconds[name] = time.monotonic() - t0
            runs[name] = _rows(root / name)
            data_a, data_b = loop.prepare(a, b, chosen.model, base)
            quality[name] = loop.quality(result.network, data_a, data_b)
        start = read_state(root / "gan")["phase"]["gan_from"]
    gan_rows, plain_rows = runs["gan"], runs["plain"]
    print(f"quick preset network, {iterations} iterations, batch {base.batch_size}; GAN weight {args.weight} "
          f"from iteration {start} ({args.gan_from:.0%})")
    print(f"{'iterations':>11} " + " ".join(f"{c:>10}" for c in COLUMNS))
    for lo in range(0, iterations, args.every):
        window = gan_rows[lo: lo + args.every]
        cells = [statistics.fmean(r["loss"] for r in window),
                 statistics.fmean(r["loss"] for r in plain_rows[lo: lo + args.every])]
        cells += [statistics.fmean(r[k] for r in window) for k in COLUMNS[2:]]
        print(f"{lo + 1:>5}-{lo + len(window):<5} " + " ".join(f"{v:>10.4f}" for v in cells))
    verdict = gan_instability(gan_rows, start=start)
    print(f"stability: {'stable' if verdict is None else 'UNSTABLE: ' + verdict}")
    for name in ("gan", "plain"):
        q = quality[name]
        print(f"{name:>5}: {seconds[name]:.0f} s, held-out " + ", ".join(f"{k} {v:.4f}" for k, v in sorted(q.items())))
    if args.json:
        Path(args.json).write_text(json.dumps({"iterations": iterations, "gan_from": start, "weight": args.weight,
                                               "verdict": verdict, "seconds": seconds, "quality": quality,
                                               "gan": gan_rows, "plain": plain_rows}, indent=1))


if __name__ == "__main__":
    main()
