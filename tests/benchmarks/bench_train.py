"""Training benchmark: throughput (EG/s, both identities counted), model FLOP utilisation, and
held-out quality over wall-clock time for `--preset quick`.

    .venv/bin/python tests/benchmarks/bench_train.py [--quick] [--json out.json]
        [--device cpu|cuda] [--resolution 64] [--batch 16] [--bf16]

Method: warm-up steps, then the median of timed repeats (device synchronised). FLOPs of one
training step (forward + backward, optimiser excluded) come from FlopCounterMode; MFU divides the
achieved FLOP/s by this machine's fp32 matmul FLOP/s measured in the same run. The baseline is a
port of the peer's 64 px "original" autoencoder (`facegraft.core.models.original`: 5x5 convs
128..1024, dense 1024, decoders 256/128/64) trained with the same step code. Quality: `--preset quick` on real clips
(A = d18.mp4, B = d19.mp4, 64 px center crops), SSIM/PSNR of held-out frames (the last 8 of each
set, never trained on) at intervals; evaluation time is not counted as training time.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.flop_counter import FlopCounterMode

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "core" / "train"))

from facegraft.core.models.config import ModelConfig  # noqa: E402
from facegraft.core.models.registry import create_model  # noqa: E402
from facegraft.core.train.batches import make_batch, stream_batches  # noqa: E402
from facegraft.core.train.data import load_face_data  # noqa: E402
from facegraft.core.train.evaluate import holdout_quality, preview_grid, write_preview  # noqa: E402
from facegraft.core.train.loop import build  # noqa: E402
from facegraft.core.train.settings import quick_preset  # noqa: E402
from facegraft.core.train.step import training_step  # noqa: E402

CLIPS = REPO.parent / "shared" / "data" / "faces" / "KwaiVGI__LivePortrait" / "assets" / "examples" / "driving"


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def matmul_flops(device: torch.device, *, repeats: int, dtype: torch.dtype = torch.float32) -> dict[str, float]:
    """Best FLOP/s of a square matmul via torch.mm (MKL/cuBLAS) and via a 1x1 convolution (the
    oneDNN GEMM the CPU convolutions use; MKL takes a slower path on some AMD CPUs). "peak" is
    the larger, used for MFU."""
    n = 8192 if device.type == "cuda" else 2048
    a, b = torch.randn(n, n, device=device, dtype=dtype), torch.randn(n, n, device=device, dtype=dtype)
    x = torch.randn(1, n, 32, 64, device=device, dtype=dtype)
    w = torch.randn(n, n, 1, 1, device=device, dtype=dtype)
    out = {}
    for name, fn, flops in (("mm", lambda: a @ b, 2 * n ** 3),
                            ("conv1x1", lambda: F.conv2d(x, w), 2 * n * n * 32 * 64)):
        for _ in range(2):
            fn()
        times = []
        for _ in range(repeats):
            sync(device)
            t = time.perf_counter()
            fn()
            sync(device)
            times.append(time.perf_counter() - t)
        out[name] = flops / min(times)
    out["peak"] = max(out["mm"], out["conv1x1"])
    return out


def step_flops(network: nn.Module, batch, loss_settings) -> float:
    """FLOPs of one forward + backward of the training loss (optimiser excluded)."""
    from facegraft.core.train.losses import reconstruction_loss
    with FlopCounterMode(display=False) as counter:
        fa, ma, fb, mb, *_ = network(batch.a.inputs, batch.b.inputs)
        a, b = batch.a, batch.b
        total = (reconstruction_loss(fa, ma, a.targets, a.masks, a.regions, settings=loss_settings)["total"]
                 + reconstruction_loss(fb, mb, b.targets, b.masks, b.regions, settings=loss_settings)["total"])
        total.backward()
    network.zero_grad(set_to_none=True)
    return float(counter.get_total_flops())


def _optimizer(network: nn.Module) -> torch.optim.Optimizer:
    return torch.optim.AdamW(network.parameters(), lr=1e-4, betas=(0.5, 0.999))


class Case:
    """One timed training configuration: its network, optimiser and batch source."""

    def __init__(self, name: str, network: nn.Module, data, *, settings, device: torch.device, channels_last: bool,
                 bf16: bool, pipeline: bool) -> None:
        self.name, self.settings, self.device = name, settings, device
        self.channels_last, self.bf16 = channels_last, bf16
        network = network.to(device)
        self.network = network.to(memory_format=torch.channels_last) if channels_last else network
        self.optimizer = _optimizer(self.network)
        self.fixed = make_batch(*data, batch_size=settings.batch_size, settings=settings.augment, seed=0, rank=0,
                                iteration=0)
        self.flops = step_flops(self.network, self.fixed, settings.loss)
        self.stream = stream_batches(*data, batch_size=settings.batch_size, settings=settings.augment, seed=0,
                                     rank=0, start=0, workers=settings.workers) if pipeline else None
        self.times: list[float] = []

    def step(self, *, record: bool) -> None:
        """One step; with `pipeline` the wait for the next batch is included."""
        sync(self.device)
        t = time.perf_counter()
        batch = next(self.stream) if self.stream is not None else self.fixed
        training_step(self.network, self.optimizer, batch, optim=self.settings.optim, loss=self.settings.loss,
                      device=self.device, bf16=self.bf16, channels_last=self.channels_last,
                      any_nonfinite=lambda f: f)
        sync(self.device)
        if record:
            self.times.append(time.perf_counter() - t)

    def close(self) -> None:
        if self.stream is not None:
            self.stream.close()


def throughput_table(data, *, settings, device: torch.device, bf16: bool, quick: bool, peak: float) -> list[dict]:
    """Cases timed in interleaved rounds (one step of each per round, median per case), so load
    from other processes drifting over the run hits every case alike."""
    rounds, inner = (3, 2) if quick else (5, 3)
    res = data[0].size
    model = quick_preset().model
    specs = [("peer 'original' (baseline)", lambda: create_model(ModelConfig("original", learn_mask=False)), False,
              False)] if res == 64 else []
    specs += [(f"facegraft df ({_shape(model)})", lambda: create_model(_at(model, res)), False, False),
              ("facegraft df, channels_last", lambda: create_model(_at(model, res)), True, False),
              (f"facegraft liae ({_shape(model)})", lambda: create_model(_at(model, res, "liae")), False, False),
              ("facegraft df + data pipeline", lambda: create_model(_at(model, res)), False, True)]
    cases = []
    for name, make, channels_last, pipeline in specs:
        torch.manual_seed(0)
        cases.append(Case(name, make(), data, settings=settings, device=device, channels_last=channels_last,
                          bf16=bf16, pipeline=pipeline))
    for case in cases:
        case.step(record=False)  # warm-up
    for _ in range(rounds):
        for k, case in enumerate(cases):
            for _ in range(1 if k == 0 and res == 64 else inner):  # the slow baseline: one step per round
                case.step(record=True)
    rows = []
    for case in cases:
        case.close()
        seconds = statistics.median(case.times)
        rows.append({"case": case.name, "s_per_step": seconds, "eg_per_s": 2 * settings.batch_size / seconds,
                     "gflop_per_step": case.flops / 1e9, "gflop_per_s": case.flops / seconds / 1e9,
                     "mfu": case.flops / seconds / peak, "steps_timed": len(case.times)})
    base = rows[0]["eg_per_s"]
    for row in rows:
        row["ratio"] = row["eg_per_s"] / base
    return rows


def _shape(model: ModelConfig) -> str:
    return f"e{model.encoder_width}/b{model.bottleneck_dims}/d{model.decoder_width}x{model.decoder_depth}"


def _at(model: ModelConfig, resolution: int, architecture: str = "df") -> ModelConfig:
    import dataclasses
    return dataclasses.replace(model, resolution=resolution, architecture=architecture)


def quality_curve(data, *, minutes: float, every_s: float, device: torch.device,
                  preview: Path | None) -> list[dict]:
    """Train `--preset quick` for `minutes` of training time; held-out SSIM/PSNR every `every_s`;
    the held-out preview grid (A, A→A, B, B→B, B→A) at the end is written to `preview`."""
    preset = quick_preset()
    network, optimizer = build(preset.model, preset.settings, device, channels_last=False)
    s = preset.settings
    stream = stream_batches(*data, batch_size=s.batch_size, settings=s.augment, seed=s.seed, rank=0, start=0,
                            workers=s.workers)
    rows, trained, next_eval = [], 0.0, 0.0
    for batch in stream:
        if trained >= next_eval:
            q = holdout_quality(network, data[0].holdout, data[1].holdout)
            rows.append({"minutes": trained / 60, "iteration": batch.iteration, **q})
            next_eval += every_s
            if trained >= minutes * 60:
                break
        t = time.perf_counter()
        training_step(network, optimizer, batch, optim=s.optim, loss=s.loss, device=device, bf16=False,
                      channels_last=False, any_nonfinite=lambda f: f)
        trained += time.perf_counter() - t
    stream.close()
    if preview is not None:
        write_preview(preview, preview_grid(network, data[0].holdout, data[1].holdout))
    return rows


def load_data(root: Path, *, count: int, resolution: int):
    from faceset_builder import build_faceset
    a = build_faceset(CLIPS / "d18.mp4", root / "a", count=count, step=3, size=resolution)
    b = build_faceset(CLIPS / "d19.mp4", root / "b", count=count, step=3, size=resolution)
    return load_face_data(a, holdout=8, gap=0, name="A"), load_face_data(b, holdout=8, gap=0, name="B")


def machine() -> dict:
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    except OSError:
        commit = ""
    return {"platform": platform.platform(), "cpus": os.cpu_count(), "load_average_1m": round(os.getloadavg()[0], 2),
            "python": platform.python_version(),
            "torch": torch.__version__, "threads": torch.get_num_threads(), "commit": commit,
            "cuda": torch.cuda.get_device_name() if torch.cuda.is_available() else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, a 1-minute quality curve")
    parser.add_argument("--json", type=Path, help="write results here")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--resolution", type=int, default=64)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--bf16", action="store_true", help="bf16 autocast (CUDA)")
    parser.add_argument("--minutes", type=float, help="quality curve length (default 3, --quick 1)")
    parser.add_argument("--no-quality", action="store_true")
    parser.add_argument("--preview", type=Path, help="write the quality run's final held-out preview PNG here")
    args = parser.parse_args()
    device = torch.device(args.device)
    import dataclasses
    settings = dataclasses.replace(quick_preset().settings, batch_size=args.batch)
    with tempfile.TemporaryDirectory() as tmp:
        data = load_data(Path(tmp), count=72, resolution=args.resolution)
    measured = matmul_flops(device, repeats=5 if args.quick else 10,
                            dtype=torch.bfloat16 if args.bf16 else torch.float32)
    peak = measured["peak"]
    print(f"machine: {machine()}")
    print(f"matmul ({'bf16' if args.bf16 else 'fp32'}, 2048^2 best of repeats): torch.mm {measured['mm'] / 1e9:.1f}, "
          f"1x1-conv GEMM {measured['conv1x1'] / 1e9:.1f} GFLOP/s; MFU uses {peak / 1e9:.1f}")
    print(f"\nthroughput: {args.resolution}px, batch {args.batch} per identity, {args.device}; "
          "EG/s counts both identities")
    rows = throughput_table(data, settings=settings, device=device, bf16=args.bf16, quick=args.quick, peak=peak)
    after = matmul_flops(device, repeats=3, dtype=torch.bfloat16 if args.bf16 else torch.float32)
    if after["peak"] > peak:  # the machine was busier at the start: use the better peak for every row
        measured, peak = after, after["peak"]
        for r in rows:
            r["mfu"] = r["gflop_per_s"] * 1e9 / peak
        print(f"matmul re-measured after the runs: {peak / 1e9:.1f} GFLOP/s (used for MFU)")
    print(f"{'case':34} {'s/step':>8} {'EG/s':>8} {'GFLOP/step':>11} {'GFLOP/s':>8} {'MFU':>6} {'vs base':>8}")
    for r in rows:
        print(f"{r['case']:34} {r['s_per_step']:8.4f} {r['eg_per_s']:8.1f} {r['gflop_per_step']:11.2f} "
              f"{r['gflop_per_s']:8.1f} {r['mfu']:6.1%} {r['ratio']:7.2f}x")
    curve = []
    if not args.no_quality and args.resolution == 64:
        minutes = args.minutes or (1.0 if args.quick else 3.0)
        curve = quality_curve(data, minutes=minutes, every_s=15.0 if args.quick else 30.0, device=device,
                              preview=args.preview)
        print(f"\nquality over training time: --preset quick, held-out frames (8 per identity), {args.device}")
        print(f"{'minutes':>8} {'iter':>6} {'SSIM A':>7} {'PSNR A':>7} {'SSIM B':>7} {'PSNR B':>7}")
        for r in curve:
            print(f"{r['minutes']:8.2f} {r['iteration']:6d} {r['ssim_a']:7.3f} {r['psnr_a']:7.2f} "
                  f"{r['ssim_b']:7.3f} {r['psnr_b']:7.2f}")
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), "matmul_flops": measured, "throughput": rows,
                                         "quality": curve, "args": {k: str(v) for k, v in vars(args).items()}},
                                        indent=1))


if __name__ == "__main__":
    main()
