"""Farm throughput: a 200-frame face convert on a local Dask cluster (2 worker processes) vs the same
convert in one process, in one run; the time lost when one worker is killed mid-job; and whether
every frame of every farm run is byte-identical to the one-process run.

The plate is 512x512 EXR frames made from a real clip (d10.mp4); its alignments come from
`facegraft extract` and the model is a tiny one trained here (d19's faces as identity A), all
untimed. The command is a template (`{plate}`, `{out}`, `{alignments}`, `{model}` are filled in,
`--frames` is added); `--media-convert` times plain `media convert` (pure I/O) instead:

    python tests/benchmarks/bench_farm.py [--quick] [--frames 200] [--chunk 20] [--json out.json]
        [--media-convert | --command "convert {plate} --alignments {alignments} --model {model} -o {out}"]

--quick: 60 frames in chunks of 10 (with --media-convert: 256x256 crops). Wall-clock seconds of
one run each (the job is minutes long, so no repeats); the Dask rows include starting and closing
the cluster.
"""
import argparse
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from facegraft.core.media.image_io import new_image, write_image
from facegraft.core.media.video import read_video
from facegraft.plugins.farm.dask_engine import DaskSettings, run_job
from facegraft.plugins.farm.job import FarmSettings, JobSpec, LayerSpec, default_executable, write_job
from facegraft.plugins.farm.record import claim_outputs
from facegraft.plugins.farm.status import job_status
from facegraft.plugins.farm.task import read_summary

from benchlib import print_table, write_json

CLIP = Path(__file__).resolve().parents[2].parent / "shared/data/faces/KwaiVGI__LivePortrait/assets/examples/driving/d10.mp4"
MEDIA_COMMAND = "media convert {plate} {out} --to-colorspace 'sRGB Encoded Rec.709 (sRGB)'"
FACE_COMMAND = "convert {plate} --alignments {alignments} --model {model} -o {out} --blend poisson --grain match"


def prepare_face_convert(tmp: Path, plate: str) -> dict[str, str]:
    """Alignments of the plate and a 64 px DF model trained briefly on real faces (untimed)."""
    facegraft = [*default_executable(), "-q"]
    subprocess.run([*facegraft, "extract", plate, "-o", str(tmp / "plate.json"), "--faces-out", str(tmp / "faces_b"),
                    "--size", "64"], check=True)
    subprocess.run([*facegraft, "extract", str(CLIP.with_name("d19.mp4")), "--frames", "1-24", "-o", str(tmp / "a.json"),
                    "--faces-out", str(tmp / "faces_a"), "--size", "64"], check=True)
    subprocess.run([*facegraft, "train", "--a", str(tmp / "faces_a"), "--b", str(tmp / "faces_b"), "-o",
                    str(tmp / "model"), "--iterations", "30", "--batch", "8", "--encoder-width", "16",
                    "--decoder-width", "16", "--bottleneck-dims", "64", "--preview-every", "1000"], check=True)
    return {"alignments": str(tmp / "plate.json"), "model": str(tmp / "model")}


def identical_frames(single: Path, farm: Path) -> tuple[int, int]:
    """(frames whose bytes equal the one-process run's, frames of that run)."""
    names = sorted(p.name for p in single.glob("conv.*.exr"))
    return sum((farm / n).is_file() and (farm / n).read_bytes() == (single / n).read_bytes() for n in names), len(names)


def make_plate(folder: Path, frames: int, size: int) -> str:
    for number, pixels in read_video(CLIP, frames=range(1, frames + 1)):
        write_image(folder / f"plate.{1000 + number}.exr", new_image(pixels[:size, :size].copy(), ("R", "G", "B"),
                                                                      pixel_type="half"))
    return str(folder / "plate.####.exr")


def one_process(command: list[str], frame_range: str) -> float:
    start = time.perf_counter()
    subprocess.run([*default_executable(), "-q", *command, "--frames", frame_range], check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def watch_and_kill(job_dir: Path, stop: threading.Event, killed: list, after_done: int) -> None:
    """SIGKILL the worker of a running chunk once `after_done` chunks are done (the worker restarts)."""
    while not stop.is_set():
        summaries = [s for s in map(read_summary, (job_dir / "summaries").rglob("[!.]*.json")) if s]
        if sum(s["state"] == "done" for s in summaries) >= after_done:
            running = [s for s in summaries if s["state"] == "running"]
            if running:
                os.kill(running[0]["pid"], signal.SIGKILL)
                killed.append((running[0]["chunk"], time.time() - running[0]["started"]))
                return
        time.sleep(0.01)


def on_dask(job: JobSpec, job_dir: Path, *, kill: bool) -> tuple[float, float, list]:
    from distributed import LocalCluster

    claim_outputs(job)
    write_job(job, job_dir)
    killed: list = []
    stop = threading.Event()
    start = time.perf_counter()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", scheduler_port=0,
                      dashboard_address="127.0.0.1:0") as cluster:
        started = time.perf_counter()
        watcher = threading.Thread(target=watch_and_kill, args=(job_dir, stop, killed, 3), daemon=True)
        report = run_job(job, job_dir, settings=DaskSettings(cluster.scheduler_address, timeout=3600),
                         on_submitted=(lambda client, futures: watcher.start()) if kill else None)
        job_seconds = time.perf_counter() - started
        stop.set()
    total = time.perf_counter() - start
    if report.failed or not job_status(job_dir).complete:
        raise SystemExit(f"farm run incomplete: {report.failed}")
    return total, job_seconds, killed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--chunk", type=int, default=20)
    parser.add_argument("--threads", type=int, default=None, help="thread limit per farm task")
    parser.add_argument("--command", default=FACE_COMMAND,
                        help="facegraft command template ({plate}, {out}, {alignments}, {model})")
    parser.add_argument("--media-convert", action="store_true", help=f"time `{MEDIA_COMMAND}` (pure I/O) instead")
    parser.add_argument("--quick", action="store_true", help="60 frames in chunks of 10 (media convert: 256x256)")
    parser.add_argument("--json", help="also write results here")
    args = parser.parse_args()
    face = not args.media_convert
    if args.media_convert:
        args.command = MEDIA_COMMAND
    if args.quick:
        args.frames, args.chunk = min(args.frames, 60), min(args.chunk, 10)
    size = 256 if args.quick and not face else 512  # a 256 crop of d10 cuts the face
    frame_range = f"1001-{1000 + args.frames}"
    results = {"frames": args.frames, "size": size, "chunk": args.chunk, "command": args.command}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "plate").mkdir()
        plate = make_plate(tmp / "plate", args.frames, size)
        extra = prepare_face_convert(tmp, plate) if face else {}

        def command(out: Path) -> list[str]:
            return [a.format(plate=plate, out=out / "conv.####.exr", **extra) for a in shlex.split(args.command)]

        def job(name: str, chunk: int = args.chunk) -> JobSpec:
            out = tmp / name
            layer = LayerSpec("convert", tuple(command(out)), tuple(range(1001, 1001 + args.frames)), chunk,
                              str(out / "conv.####.exr"))
            return JobSpec(name, (layer,), FarmSettings(threads=args.threads, retries=2))

        single = one_process(command(tmp / "single"), frame_range)
        dask_total, dask_job, _ = on_dask(job("dask"), tmp / "dask_job", kill=False)
        half = -(-args.frames // 2)
        _, big_job, _ = on_dask(job("big", half), tmp / "big_job", kill=False)
        kill_total, kill_job, killed = on_dask(job("killed"), tmp / "killed_job", kill=True)
        summaries = [read_summary(p) for p in (tmp / "dask_job/summaries").rglob("[!.]*.json")]
        task_seconds = sorted(s["seconds"] for s in summaries)
        identical = {name: identical_frames(tmp / "single", tmp / name) for name in ("dask", "big", "killed")}
    results.update(one_process_s=single, dask_total_s=dask_total, dask_job_s=dask_job, killed_total_s=kill_total,
                   killed_job_s=kill_job, killed_chunks=killed, one_chunk_per_worker_job_s=big_job, time_lost_s=kill_job - dask_job,
                   median_task_s=task_seconds[len(task_seconds) // 2],
                   identical_frames={k: list(v) for k, v in identical.items()})
    n = args.frames
    same = {k: f"{a}/{b}" for k, (a, b) in identical.items()}
    rows = [("one process (baseline)", single, n / single, 1.0, "-"),
            ("dask 2 workers, incl. cluster start", dask_total, n / dask_total, single / dask_total, same["dask"]),
            ("dask 2 workers, job only", dask_job, n / dask_job, single / dask_job, same["dask"]),
            (f"dask 2 workers, job only, chunks of {half}", big_job, n / big_job, single / big_job, same["big"]),
            ("dask, 1 worker killed mid-job", kill_job, n / kill_job, single / kill_job, same["killed"])]
    print_table(f"farm: {n} frames {size}x{size} half EXR, chunks of {args.chunk}, `{args.command.split('{')[0].strip()}`",
                ("run", "seconds", "frames/s", "speed-up", "frames byte-identical to one process"),
                [(r, s, f, f"{x:.2f}x", i) for r, s, f, x, i in rows])
    for chunk, seconds in killed:
        print(f"\nworker killed {seconds:.1f} s into chunk {chunk} (that work is redone); job wall time "
              f"{kill_job - dask_job:+.1f} s vs the run without a kill")
    print(f"median task {results['median_task_s']:.1f} s for {args.chunk} frames (each task starts a facegraft process)")
    write_json(args.json, "farm", results)


if __name__ == "__main__":
    sys.exit(main())
