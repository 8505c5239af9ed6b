"""Swap quality at equal compute: every configuration trained for the same wall-clock budget on
each pair, converted, and judged by `facegraft eval` (criteria and verdict:
facegraft/core/evaluate/criteria.py). One row per (pair, configuration).

    .venv/bin/python tests/benchmarks/bench_quality.py [--quick] [--minutes M] [--pairs A:B,...]
        [--configs quick-v0,quick,original] [--target-frames N] [--work DIR] [--json out.json]
        [--base BASE] [--device cuda] [--mfu]

Pairs (source A → plate B, different people, clips from ../shared/data/faces/.../driving):
d18→d19 is the regression pair (README's main job; the plate talks and smiles with teeth showing),
d6→d14 puts a woman onto a plate that talks and smiles widely, d3→d10 onto one of strong
expressions. Configurations are named recipes (`config_settings`): the presets (`quick`,
`standard`, `quality`), the presets as they were before issue 12 (`quick-v0`, `standard-v0`: the
current recipe to beat) and, as the baseline, a port of faceswap's "original" model
(facegraft.core.models.original) trained by the same loop with quick-v0's augmentation and
faceswap's own learning rate (5e-5) and batch (16); "+modifier"s add one idea each (e.g.
`quick-v0+bal`, `quick+base` with `--base BASE` from `facegraft pretrain`). Each trains for
`--minutes` (the same for all) on all of A's frames and the first `--target-frames` of B, which
are then converted and evaluated. Extraction is shared by configurations of one crop size. EG/s
counts faces of both identities per second of training; `--mfu` adds model FLOP utilisation.
"""
import argparse
import dataclasses
import json
import os
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FACES = Path(os.environ.get("FACEGRAFT_FACES_DIR", REPO.parent / "shared" / "data" / "faces"))
CLIPS = FACES / "KwaiVGI__LivePortrait" / "assets" / "examples" / "driving"
PAIRS = ("d18:d19", "d6:d14", "d3:d10")
CONFIGS = ("quick-v0", "quick", "original")
_SHARED = ("plate", "source", "target", "pair_check.txt", "pair_check.json")
_SHARED_STAGES = ("plate", "extract_source", "extract_target", "pair_check")


# The recipe before issue 12 (presets as they were), kept as named configurations to measure against.
def _recipe_v0(preset: str, device: str):
    from facegraft.core.models.config import ModelConfig
    from facegraft.core.project.settings import swap_preset
    from facegraft.core.train.settings import LossSettings, SamplingSettings, ScheduleSettings

    settings = swap_preset(preset, device=device)
    widths = {"quick": (64, 32, 256, 32, 1), "standard": (128, 48, 384, 48, 1)}[preset]
    model = ModelConfig("df", resolution=widths[0], encoder_width=widths[1], bottleneck_dims=widths[2],
                        decoder_width=widths[3], decoder_depth=widths[4], face_type=settings.model.face_type)
    batch = {"quick": 8, "standard": 12}[preset]
    train = dataclasses.replace(settings.train, batch_size=batch, loss=LossSettings(), sampling=SamplingSettings(),
                                schedule=ScheduleSettings())
    return dataclasses.replace(settings, model=model, train=train)


def _original(device: str):
    """faceswap's model and its own learning rate and batch, in our loop, with quick's augmentation."""
    from facegraft.core.models.config import ModelConfig

    base = _recipe_v0("quick", device)
    train = dataclasses.replace(base.train, batch_size=16,
                                optim=dataclasses.replace(base.train.optim, learning_rate=5e-5))
    return dataclasses.replace(base, model=ModelConfig("original", resolution=64, learn_mask=False), train=train)


def _preset(name: str, device: str):
    from facegraft.core.project.settings import swap_preset

    return swap_preset(name, device=device)


BASES = {"quick": lambda d: _preset("quick", d), "standard": lambda d: _preset("standard", d),
         "quality": lambda d: _preset("quality", d),
         "quick-v0": lambda d: _recipe_v0("quick", d), "standard-v0": lambda d: _recipe_v0("standard", d),
         "original": _original}


def _train(**changes):
    return lambda s: dataclasses.replace(s, train=dataclasses.replace(s.train, **changes))


def _loss(**changes):
    return lambda s: dataclasses.replace(s, train=dataclasses.replace(
        s.train, loss=dataclasses.replace(s.train.loss, **changes)))


def _model(**changes):
    return lambda s: dataclasses.replace(s, model=dataclasses.replace(s.model, **changes))


def _modifiers():
    from facegraft.core.train.settings import GanSettings, LossSettings, SamplingSettings, ScheduleSettings

    return {
        "bal": _train(sampling=SamplingSettings(balanced=True)),  # balanced over pose and expression
        "sharp": _train(schedule=ScheduleSettings(sharpen_fraction=0.2)),  # warp off + LR decay, last 20 %
        "prio": _loss(eyes_weight=15.0, mouth_weight=15.0, regions_structural=True),  # DFL-like eye/mouth priority
        "lap": _loss(laplacian_weight=1.0),  # Laplacian-pyramid L1
        "2k": _loss(structural="two_kernel"),  # DSSIM at res/11.6 and res/23.2 (128 px and up)
        "liae": _model(architecture="liae"),  # DeepFaceLab's LIAE layout
        "expr": _model(expression=True),  # the code conditioned on the expression (the presets' default)
        "noexpr": _model(expression=False),  # the presets without expression conditioning
        "v0loss": _train(loss=LossSettings()),  # the loss before issue 12
        "gan": _train(gan=GanSettings(weight=0.1, start=0.8)),  # patch-GAN term (DFL's GAN power 0.1), last 20 %
        "bf16": _train(cpu_bf16=True),  # bf16 autocast on a CPU with native bf16 (AVX512-BF16/AMX)
        **{f"seed{k}": _train(seed=k) for k in range(1, 4)},  # another initialisation and data order
    }


def config_settings(name: str, *, minutes: float, target_frames: int, base: str | None = None,
                    device: str = "cpu"):
    """SwapSettings of configuration `name`, trained for `minutes` on the first `target_frames` of B.

    A name is a base recipe — `quick`, `standard`, `quality` (the presets), `quick-v0`, `standard-v0` (the
    presets before issue 12), `original` (faceswap's model) — followed by "+modifier"s applied in
    order (see `_modifiers`), e.g. `quick-v0+bal+sharp`. `+base` starts from the pretrained `base`.
    """
    head, *mods = name.split("+")
    if head not in BASES:
        raise SystemExit(f"bench_quality: unknown configuration {head!r}; known: {', '.join(BASES)}")
    settings = BASES[head](device)
    known = _modifiers()
    for mod in mods:
        if mod == "base":
            if base is None:
                raise SystemExit("bench_quality: +base needs --base BASE")
            settings = dataclasses.replace(settings, base=base)
        elif mod in known:
            settings = known[mod](settings)
        else:
            raise SystemExit(f"bench_quality: unknown modifier {mod!r}; known: {', '.join(known)}, base")
    train = dataclasses.replace(settings.train, minutes=minutes, iterations=None)
    return dataclasses.replace(settings, train=train, frames=tuple(range(1, target_frames + 1)))


def reuse_extraction(done: Path, fresh: Path) -> None:
    """Copy the plate, extraction and pair check of project `done` into the new project `fresh`."""
    fresh.mkdir(parents=True, exist_ok=True)
    (fresh / "stages").mkdir(exist_ok=True)
    for name in _SHARED:
        src = done / name
        if src.is_dir():
            shutil.copytree(src, fresh / name)
        elif src.is_file():
            shutil.copy2(src, fresh / name)
    for stage in _SHARED_STAGES:
        shutil.copy2(done / "stages" / f"{stage}.json", fresh / "stages" / f"{stage}.json")
    shutil.copy2(done / "project.json", fresh / "project.json")


def run_one(pair: str, config: str, *, work: Path, minutes: float, target_frames: int, log,
            base: str | None = None, device: str = "cpu", peak_flops: float | None = None) -> dict:
    from facegraft.core.color import ColorManager
    from facegraft.core.detect.registry import default_registry
    from facegraft.core.extract.pipeline import ExtractModels
    from facegraft.core.project.run import run_swap

    a, b = pair.split(":")
    settings = config_settings(config, minutes=minutes, target_frames=target_frames, base=base, device=device)
    project = work / pair.replace(":", "-") / config
    same_size = [p for p in project.parent.glob("*/stages/pair_check.json")
                 if p.parent.parent != project and _size(p.parent.parent) == settings.size]
    if not project.exists() and same_size:
        reuse_extraction(same_size[0].parent.parent, project)
    start = time.monotonic()
    registry, ex = default_registry(), settings.extract
    models = ExtractModels(registry.detector(ex.detector), registry.landmarks(ex.landmarks),
                           registry.identity("dlib_resnet"))
    run_swap(str(CLIPS / f"{a}.mp4"), str(CLIPS / f"{b}.mp4"), project, settings=settings, color=ColorManager(),
             models=lambda: models, log=log)
    seconds = time.monotonic() - start
    train = json.loads((project / "stages" / "train.json").read_text())
    summary = json.loads((project / "stages" / "eval.json").read_text())["results"]["summary"]
    iterations = train["results"]["iteration"]
    recon = summary.get("reconstruction") or {}
    failed = [c["name"] for c in summary["criteria"] if not c["passed"]]
    steps_per_s = iterations / max(train["seconds"], 1e-9)
    mfu = None
    if peak_flops:
        mfu = step_flops(settings.model, settings.train.batch_size, settings.train.loss, device) * steps_per_s / peak_flops
    return {"pair": pair.replace(":", "→"), "config": config, "minutes": minutes, "iterations": iterations,
            "eg_s": steps_per_s * settings.train.batch_size * 2, "mfu": mfu,
            "closer_to_a": summary["closer_to_a"], "dist_a": summary["dist_a"],
            "swap_detected": summary["swap_detected"],
            "mouth_corr": summary["mouth"]["correlation"], "mouth_range": summary["mouth"]["range_ratio"],
            "eyes_corr": summary["eyes"]["correlation"], "detail": summary["detail_ratio"],
            "delta_e": summary["delta_e"], "seam": summary["seam"], "flicker": summary["flicker"],
            "ssim_a": recon.get("ssim_a"), "psnr_a": recon.get("psnr_a"), "ssim_b": recon.get("ssim_b"),
            "verdict": summary["verdict"], "failed": failed, "wall_s": seconds}


def step_flops(model, batch_size: int, loss, device: str) -> float:
    """FLOPs of one training step's forward + backward (optimiser excluded) of `model` (a ModelConfig)
    at `batch_size` faces per identity, counted by torch's FlopCounterMode on random crops."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from facegraft.core.models.registry import create_model
    from facegraft.core.train.losses import reconstruction_loss

    network = create_model(model).to(device)
    s = model.resolution
    x, m, r = (torch.rand(batch_size, 3, s, s, device=device), torch.rand(batch_size, 1, s, s, device=device),
               torch.rand(batch_size, 2, s, s, device=device))
    with FlopCounterMode(display=False) as counter:
        fa, ma, fb, mb, *_ = network(x, x)
        total = (reconstruction_loss(fa, ma, x, m, r, settings=loss)["total"]
                 + reconstruction_loss(fb, mb, x, m, r, settings=loss)["total"])
        total.backward()
    return float(counter.get_total_flops())


def _size(project: Path) -> int | None:
    try:
        return int(json.loads((project / "stages" / "extract_source.json").read_text())["settings"]["size"])
    except (OSError, KeyError, ValueError, TypeError):
        return None


COLUMNS = (("pair", "pair", "s"), ("config", "config", "s"), ("iter", "iterations", "d"), ("EG/s", "eg_s", ".1f"),
           ("MFU", "mfu", ".1%"),
           ("found", "swap_detected", ".2f"), ("closerA", "closer_to_a", ".2f"), ("dA", "dist_a", ".3f"),
           ("mouth r", "mouth_corr", ".2f"), ("mouth rng", "mouth_range", ".2f"), ("eyes r", "eyes_corr", ".2f"),
           ("detail", "detail", ".2f"), ("ΔE", "delta_e", ".1f"), ("seam", "seam", ".2f"),
           ("flicker", "flicker", ".2f"), ("SSIM A", "ssim_a", ".3f"), ("PSNR A", "psnr_a", ".1f"),
           ("verdict", "verdict", "s"), ("failed", "failed", "s"))


def _cell(value, fmt: str) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, list):
        return ",".join(value) or "-"
    return format(value, fmt)


def print_table(rows: list[dict]) -> None:
    cells = [[_cell(r[key], fmt) for _, key, fmt in COLUMNS] for r in rows]
    widths = [max([len(title)] + [len(c[i]) for c in cells]) for i, (title, _, _) in enumerate(COLUMNS)]
    print("  ".join(t.ljust(w) for (t, _, _), w in zip(COLUMNS, widths)))
    for row in cells:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 minute per config, 30 target frames")
    parser.add_argument("--minutes", type=float, help="training budget per configuration (default 10; quick 1)")
    parser.add_argument("--target-frames", type=int, help="plate frames converted and judged (default 120; quick 30)")
    parser.add_argument("--pairs", default=",".join(PAIRS), help=f"A:B clip names (default {','.join(PAIRS)})")
    parser.add_argument("--configs", default=",".join(CONFIGS), help=f"configurations (default {','.join(CONFIGS)})")
    parser.add_argument("--work", type=Path, help="projects folder (default: a temporary one, removed)")
    parser.add_argument("--json", type=Path, help="write the rows here")
    parser.add_argument("--base", help="pretrained base model for configurations with +base (facegraft pretrain)")
    parser.add_argument("--device", default="cpu", help="torch device for training and convert (default cpu)")
    parser.add_argument("--mfu", action="store_true",
                        help="add model FLOP utilisation: step FLOPs x steps/s over the measured matmul peak "
                             "(bf16 on CUDA, fp32 on the CPU; bench_train.matmul_flops)")
    args = parser.parse_args()
    if not (FACES / "SOURCES.md").is_file():
        print(f"bench_quality: real face media not found at {FACES}; set FACEGRAFT_FACES_DIR", file=sys.stderr)
        return 2
    minutes = args.minutes if args.minutes is not None else (1.0 if args.quick else 10.0)
    target_frames = args.target_frames or (30 if args.quick else 120)
    work = args.work or Path(os.environ.get("TMPDIR", "/tmp")) / f"bench_quality_{os.getpid()}"
    log_file = work / "bench_quality.log"
    work.mkdir(parents=True, exist_ok=True)

    def log(line: str) -> None:
        with log_file.open("a") as f:
            f.write(f"{time.strftime('%H:%M:%S')} {line}\n")

    peak = None
    if args.mfu:
        import torch
        from bench_train import matmul_flops

        device = torch.device(args.device)
        peak = matmul_flops(device, repeats=5, dtype=torch.bfloat16 if device.type == "cuda" else torch.float32)["peak"]
        print(f"bench_quality: matmul peak {peak / 1e12:.1f} TFLOP/s on {args.device}", file=sys.stderr)
    rows = []
    try:
        for pair in args.pairs.split(","):
            for config in args.configs.split(","):
                print(f"bench_quality: {pair} {config} ({minutes:g} min) ...", file=sys.stderr, flush=True)
                rows.append(run_one(pair, config, work=work, minutes=minutes, target_frames=target_frames, log=log,
                                    base=args.base, device=args.device, peak_flops=peak))
    finally:
        if rows:
            print(f"\nswap quality at equal budget ({minutes:g} min of training each, {target_frames} plate frames; "
                  f"load {os.getloadavg()[0]:.1f})")
            print_table(rows)
        if args.json:
            args.json.write_text(json.dumps({"minutes": minutes, "target_frames": target_frames, "rows": rows},
                                            indent=1))
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
