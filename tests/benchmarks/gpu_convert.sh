#!/usr/bin/env bash
# Convert throughput with the network on a GPU, in under 5 minutes: bench_convert.py --quick with
# --device cuda (a 1080p plate of 10 frames and a 4K plate of 5, one face per frame, 128 px DF model;
# the network, and the warp back, matte and color match of each face, on the GPU), printing frames/s
# of convert (all outputs, composite only, and all outputs around a network that costs nothing) beside
# the pure read+write frames/s of the same plate, measured in the same run. Target (issue 15): 4K
# convert >= 0.9x pure I/O.
#
#   bash tests/benchmarks/gpu_convert.sh [OUT_DIR]
#
# Environment: DEVICE (default cuda), FRAMES of the 1080p plate (default: --quick's 10; 4K gets half,
# at least 5), PYTHON (default .venv/bin/python).
# A CPU dry run of the same path: DEVICE=cpu FRAMES=2 bash tests/benchmarks/gpu_convert.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-${OUT:-/tmp}/gpu_convert}"
mkdir -p "$out"
device="${DEVICE:-cuda}"
python="${PYTHON:-.venv/bin/python}"
if [[ "$device" == cuda* ]]; then
  "$python" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 'gpu_convert: torch sees no CUDA device')"
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
fi
frames=(--quick)
if [[ -n "${FRAMES:-}" ]]; then frames=(--frames "$FRAMES"); fi
start=$(date +%s)
timeout 290 "$python" tests/benchmarks/bench_convert.py "${frames[@]}" --device "$device" \
  --json "$out/gpu_convert.json" 2>&1 | tee "$out/gpu_convert.txt"
echo "gpu_convert: $(( $(date +%s) - start )) s wall-clock; table in $out/gpu_convert.txt"
