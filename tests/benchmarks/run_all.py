"""Run every benchmark script (tests/benchmarks/bench_*.py) and print one combined report.

    python tests/benchmarks/run_all.py --quick            # each script with --quick (a few minutes)
    python tests/benchmarks/run_all.py --only io,convert  # some of them, full size
    python tests/benchmarks/run_all.py --json all.json    # also write every result + machine info

Each script runs in its own process (so one crash or timeout does not stop the rest) with
`--json` into a temporary file; its printed tables are kept verbatim. The report is a summary
table (status, wall-clock, result count) followed by every script's tables. Exit code 1 when a
script failed or timed out.
"""
import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from benchlib import machine, print_table  # noqa: E402


@dataclass
class BenchRun:
    name: str
    status: str  # "ok", "failed (rc N)", "timeout"
    seconds: float
    tables: str
    results: object = None
    error: str = ""
    extra: dict = field(default_factory=dict)


def discover(only: list[str] | None = None) -> list[Path]:
    """bench_*.py scripts beside this file, by name; `only` keeps the named ones ("io" or "bench_io")."""
    scripts = sorted(HERE.glob("bench_*.py"))
    if only:
        wanted = {n.removeprefix("bench_").removesuffix(".py") for n in only}
        unknown = wanted - {p.stem.removeprefix("bench_") for p in scripts}
        if unknown:
            raise SystemExit(f"run_all: no benchmark named {', '.join(sorted(unknown))}; "
                             f"known: {', '.join(p.stem.removeprefix('bench_') for p in scripts)}")
        scripts = [p for p in scripts if p.stem.removeprefix("bench_") in wanted]
    return scripts


def run_one(script: Path, *, quick: bool, timeout: float) -> BenchRun:
    """Run one script; capture its tables (stdout) and JSON results."""
    name = script.stem.removeprefix("bench_")
    with tempfile.TemporaryDirectory() as tmp:
        out_json = Path(tmp) / f"{name}.json"
        command = [sys.executable, str(script), "--json", str(out_json)] + (["--quick"] if quick else [])
        start = time.perf_counter()
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=HERE.parents[1])
        except subprocess.TimeoutExpired as exc:
            stdout = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
            return BenchRun(name, "timeout", time.perf_counter() - start, stdout.strip(), error=f"over {timeout:.0f} s")
        seconds = time.perf_counter() - start
        results = None
        if out_json.is_file():
            try:
                document = json.loads(out_json.read_text())
            except ValueError:
                document = None
            if isinstance(document, dict):  # benchlib.write_json puts them under "results"; others at the top
                results = document.get("results", {k: v for k, v in document.items()
                                                   if k not in ("machine", "benchmark")})
    status = "ok" if done.returncode == 0 else f"failed (rc {done.returncode})"
    error = "" if done.returncode == 0 else (done.stderr.strip().splitlines() or [""])[-1]
    return BenchRun(name, status, seconds, done.stdout.strip(), results, error)


def count_numbers(value: object) -> int:
    """How many numeric results a JSON value holds (a rough size of what a script measured)."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, (int, float)):
        return 1
    if isinstance(value, dict):
        return sum(count_numbers(v) for v in value.values())
    if isinstance(value, list):
        return sum(count_numbers(v) for v in value)
    return 0


def report(runs: list[BenchRun], *, quick: bool) -> None:
    info = machine()
    print(f"facegraft benchmarks ({'quick' if quick else 'full'}): {info.get('cpus')} CPUs, Python {info['python']}, "
          f"torch {info.get('torch', '-')}, numpy {info['numpy']}, commit {info.get('commit') or '-'}")
    print_table("Summary", ["benchmark", "status", "wall s", "results", "note"],
                [[r.name, r.status, round(r.seconds, 1), count_numbers(r.results), r.error[:60]] for r in runs])
    for r in runs:
        print(f"\n=== {r.name} ({r.status}, {r.seconds:.1f} s) ===")
        print(r.tables or "(no table printed)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="run every script with --quick")
    parser.add_argument("--only", help="comma-separated benchmark names (e.g. io,convert)")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    parser.add_argument("--timeout", type=float, help="seconds per script (default 600 quick, 3600 full)")
    parser.add_argument("--json", help="also write every result and the machine info here")
    args = parser.parse_args(argv)
    scripts = discover(args.only.split(",") if args.only else None)
    if args.list:
        print("\n".join(p.stem.removeprefix("bench_") for p in scripts))
        return 0
    timeout = args.timeout or (600.0 if args.quick else 3600.0)
    runs = []
    for script in scripts:
        print(f"run_all: {script.name} ...", file=sys.stderr, flush=True)
        runs.append(run_one(script, quick=args.quick, timeout=timeout))
    report(runs, quick=args.quick)
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"benchmark": "all", "quick": args.quick, "machine": machine(),
             "results": {r.name: {"status": r.status, "seconds": round(r.seconds, 3), "results": r.results,
                                  "error": r.error} for r in runs}}, indent=2))
    return 0 if all(r.status == "ok" for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
