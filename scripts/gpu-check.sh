#!/usr/bin/env bash
# GPU execution-provider check for the verifier, to run on a machine with an NVIDIA GPU (driver for
# CUDA 13: 580 or later).
#
#   scripts/gpu-check.sh [cuda|tensorrt]
#
# 1. ONNX Runtime's GPU build: ORT_DYLIB_PATH when set (its CUDA libraries on LD_LIBRARY_PATH),
#    else `scripts/fetch-onnxruntime.sh gpu` (.onnxruntime-gpu/, with the CUDA 13.0 libraries).
# 2. The `provider` bench at 64 and at 1 pair per run: the same 512 VitaminC test pairs on the CPU
#    (one pair per run) and on the provider; the largest logit difference, argmax agreement and
#    pairs/s (target/gpu-check/provider-b64.json, provider-b1.json).
# 3. `factgate eval` on the dev files with the provider and with the CPU, and per file the
#    supported-or-not balanced accuracy, ECE and p50 latency of both (target/gpu-check/eval-*).
#
# Where cargo is not installed (a bare GPU machine), build here (`cargo build --release` and
# `cargo bench --bench provider --no-run`) and name the binaries: FACTGATE_BIN=path/to/factgate
# FACTGATE_PROVIDER_BENCH=path/to/provider-<hash> (absolute, or from the repository root: the
# script runs there).
set -euo pipefail
cd "$(dirname "$0")/.."
provider="${1:-cuda}"
if [[ -z "${ORT_DYLIB_PATH:-}" ]]; then
    ./scripts/fetch-onnxruntime.sh gpu
    gpu="$PWD/.onnxruntime-gpu"
    export ORT_DYLIB_PATH="$gpu/libonnxruntime.so.1.31.1"
    export LD_LIBRARY_PATH="$gpu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
out=target/gpu-check
mkdir -p "$out"
bench="${FACTGATE_PROVIDER_BENCH:-}"
if [[ -z "$bench" ]]; then
    bench=$(cargo bench --bench provider --no-run 2>&1 | sed -n 's/.*Executable benches\/provider.rs (\(.*\))/\1/p')
    [[ -n "$bench" ]] || { echo "gpu-check: cargo printed no provider bench binary; set FACTGATE_PROVIDER_BENCH" >&2; exit 2; }
fi
factgate="${FACTGATE_BIN:-}"
if [[ -z "$factgate" ]]; then
    cargo build --release
    factgate=target/release/factgate
fi
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || true

for batch in 64 1; do
    echo "== provider bench: $provider, up to $batch pairs per run"
    FACTGATE_PROVIDER="$provider" FACTGATE_CHECK_BATCH="$batch" \
        FACTGATE_CHECK_OUT="$out/provider-b$batch.json" "$bench" --bench
done

dev=(vitaminc_dev.jsonl vitaminc_dev_passages.jsonl graph_dev.jsonl qa_dev.jsonl dialogue_dev.jsonl
    summary_dev.jsonl noevidence_dev.jsonl)
runs=("$provider")
[[ "$provider" == cpu ]] || runs+=(cpu)
for p in "${runs[@]}"; do
    echo "== factgate eval --provider $p (dev files; $out/eval-$p.txt, its log eval-$p.log)"
    "$factgate" eval --provider "$p" --data "${dev[@]/#/models/data/}" --report "$out/eval-$p" \
        >"$out/eval-$p.txt" 2>"$out/eval-$p.log"
done
python3 - "$out/eval-$provider/metrics.json" "$out/eval-cpu/metrics.json" "$provider" <<'PY'
import json, sys
gpu, cpu, name = sys.argv[1:]
rows = {f["file"]: f for f in json.load(open(cpu))["files"]}
print(f"{'file':<45} {'bal. acc. cpu / ' + name:>24} {'ECE cpu / ' + name:>18} {'p50 ms cpu / ' + name:>20}")
for f in json.load(open(gpu))["files"]:
    c, g = rows[f["file"]], f
    num = lambda x: "-" if x is None else f"{x:.3f}"
    pair = lambda k: f"{num(c['metrics'][k])} / {num(g['metrics'][k])}"
    lat = f"{c['latency_ms'][0]:.1f} / {g['latency_ms'][0]:.1f}"
    print(f"{f['file']:<45} {pair('supported_balanced_accuracy'):>24} {pair('ece'):>18} {lat:>20}")
PY
