#!/usr/bin/env bash
# GPU execution-provider check for the verifier, to run on a machine with an NVIDIA GPU.
#
#   scripts/gpu-check.sh [cuda|tensorrt]
#
# Needs a GPU build of ONNX Runtime: ORT_DYLIB_PATH pointing at its libonnxruntime.so (the
# onnxruntime-gpu wheel's onnxruntime/capi/ folder, with its CUDA and cuDNN libraries on
# LD_LIBRARY_PATH). Runs the `provider` bench binary: the same 512 VitaminC test pairs on the CPU
# provider (one pair per run) and on the GPU provider (up to 64 pairs per run), prints the largest
# logit difference, argmax agreement and pairs/s, and writes target/provider-check.json
# (FACTGATE_CHECK_OUT to change). Where cargo is not installed (a bare GPU machine), build here
# with `cargo bench --bench provider --no-run` and run the printed binary with `--bench` from the
# repository root instead.
set -euo pipefail
cd "$(dirname "$0")/.."
provider="${1:-cuda}"
if [[ -z "${ORT_DYLIB_PATH:-}" ]]; then
    echo "gpu-check: set ORT_DYLIB_PATH to a GPU build of libonnxruntime.so (onnxruntime-gpu wheel)" >&2
    exit 2
fi
FACTGATE_PROVIDER="$provider" cargo bench --bench provider
