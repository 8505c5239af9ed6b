#!/usr/bin/env bash
# Swap quality on a GPU in under 8 minutes: the `quality` preset (256 px, bf16 autocast, channels-last
# on CUDA) on the regression pair d18 -> d19, trained for a short wall-clock budget, converted and
# judged by `facegraft eval`; prints EG/s, MFU (step FLOPs x steps/s over the measured bf16 matmul
# peak) and the verdict, one table row (bench_quality.py).
#
#   bash tests/benchmarks/gpu_quality.sh [OUT_DIR]
#
# Environment: DEVICE (default cuda), MINUTES of training (default 4), FRAMES of the plate judged
# (default 60), CONFIG (default quality), PYTHON (default .venv/bin/python).
# A CPU dry run of the same path: DEVICE=cpu MINUTES=0.3 FRAMES=30 CONFIG=quick bash tests/benchmarks/gpu_quality.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-${OUT:-/tmp}/gpu_quality}"
mkdir -p "$out"
device="${DEVICE:-cuda}"
python="${PYTHON:-.venv/bin/python}"
if [[ "$device" == cuda* ]]; then
  "$python" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 'gpu_quality: torch sees no CUDA device')"
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
fi
start=$(date +%s)
timeout 450 "$python" tests/benchmarks/bench_quality.py --pairs d18:d19 --configs "${CONFIG:-quality}" \
  --minutes "${MINUTES:-4}" --target-frames "${FRAMES:-60}" --device "$device" --mfu \
  --work "$out/work" --json "$out/gpu_quality.json" 2>&1 | tee "$out/gpu_quality.txt"
echo "gpu_quality: $(( $(date +%s) - start )) s wall-clock; table in $out/gpu_quality.txt, report in $out/work/d18-d19/${CONFIG:-quality}/eval/"
