#!/usr/bin/env bash
# Fetches ONNX Runtime from its PyPI wheels and checks every wheel's sha256. Idempotent: does
# nothing when the folder is complete. The `ort` crate loads the library at run time (feature
# load-dynamic) through ORT_DYLIB_PATH.
#
#   scripts/fetch-onnxruntime.sh        CPU build (onnxruntime==1.31.1, MIT, 24 MB) into .onnxruntime/
#   scripts/fetch-onnxruntime.sh gpu    GPU build into .onnxruntime-gpu/ (~740 MB of wheels, ~1 GB
#                                       unpacked): onnxruntime-gpu==1.31.1 (MIT) with its CUDA
#                                       execution provider, and the CUDA 13.0 libraries that
#                                       provider links (libcudart, libcublas, libcublasLt, libcurand
#                                       from NVIDIA's PyPI wheels, NVIDIA licence). The provider has
#                                       no RUNPATH: the folder goes on LD_LIBRARY_PATH. Only the
#                                       NVIDIA driver (libcuda.so.1, a CUDA 13 driver: 580 or later)
#                                       must be installed. Then `make run-gpu`, or
#                                       LD_LIBRARY_PATH=.onnxruntime-gpu ORT_DYLIB_PATH=.onnxruntime-gpu/libonnxruntime.so.1.31.1
#                                       factgate serve --provider cuda.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=1.31.1
variant="${1:-cpu}"
# One line per wheel: pip requirement, wheel file, sha256, members to extract (into DEST, flat).
case "$variant" in
cpu)
    DEST=.onnxruntime
    PYVER=3.11
    WHEELS="onnxruntime==$VERSION onnxruntime-$VERSION-cp311-cp311-manylinux_2_28_x86_64.whl 5752bd508126ae7c49894d3b9d2e83f0c3d487319246d04c444b393308d7ad7f onnxruntime/capi/libonnxruntime.so.$VERSION"
    ;;
gpu)
    DEST=.onnxruntime-gpu
    PYVER=3.12
    WHEELS="onnxruntime-gpu==$VERSION onnxruntime_gpu-$VERSION-cp312-cp312-manylinux_2_28_x86_64.whl 05d548956197b9d01f59b625de740e0d6be3593f874e241a12dc0362650ecdf7 onnxruntime/capi/libonnxruntime.so.$VERSION onnxruntime/capi/libonnxruntime_providers_shared.so onnxruntime/capi/libonnxruntime_providers_cuda.so
nvidia-cuda-runtime==13.0.96 nvidia_cuda_runtime-13.0.96-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl 7f82250d7782aa23b6cfe765ecc7db554bd3c2870c43f3d1821f1d18aebf0548 nvidia/cu13/lib/libcudart.so.13
nvidia-cublas==13.0.2.14 nvidia_cublas-13.0.2.14-py3-none-manylinux_2_27_x86_64.whl 0cf238ffdbe46c00cb9aa98e7bca745c223a5ca5a53e686ac8b3e5a08fe80d6c nvidia/cu13/lib/libcublas.so.13 nvidia/cu13/lib/libcublasLt.so.13
nvidia-curand==10.4.0.35 nvidia_curand-10.4.0.35-py3-none-manylinux_2_27_x86_64.whl 1aee33a5da6e1db083fe2b90082def8915f30f3248d5896bcec36a579d941bfc nvidia/cu13/lib/libcurand.so.10"
    ;;
*)
    echo "fetch-onnxruntime: unknown variant '$variant' (cpu or gpu)" >&2
    exit 2
    ;;
esac
LIB=$DEST/libonnxruntime.so.$VERSION
# The CPU folder predates the marker: its library alone means done.
if [ -f "$DEST/READY" ] || { [ "$variant" = cpu ] && [ -f "$LIB" ]; }; then
    exit 0
fi
if [ "$(uname -m)" != "x86_64" ] || [ "$(uname -s)" != "Linux" ]; then
    echo "fetch-onnxruntime: only linux x86_64 is pinned; set ORT_DYLIB_PATH to your own libonnxruntime" >&2
    exit 1
fi
mkdir -p "$DEST/dl"
while read -r req wheel sha members; do
    if [ ! -f "$DEST/dl/$wheel" ]; then
        python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version "$PYVER" \
            --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
            --platform manylinux_2_17_x86_64 -d "$DEST/dl" "$req"
    fi
    echo "$sha  $DEST/dl/$wheel" | sha256sum -c --quiet -
    # shellcheck disable=SC2086 # members is a list
    python3 - "$DEST/dl/$wheel" "$DEST" $members <<'PY'
import os, shutil, sys, zipfile
wheel, dest, *members = sys.argv[1:]
with zipfile.ZipFile(wheel) as z:
    for m in members:
        out = os.path.join(dest, os.path.basename(m))
        with z.open(m) as src, open(out + ".tmp", "wb") as dst:
            shutil.copyfileobj(src, dst)
        os.chmod(out + ".tmp", 0o755)
        os.replace(out + ".tmp", out)
PY
done <<<"$WHEELS"
# The wheels are kept in dl/ only for the CPU build (24 MB); the GPU ones are ~740 MB.
if [ "$variant" = gpu ]; then
    rm -rf "$DEST/dl"
    touch "$DEST/READY"
fi
echo "fetch-onnxruntime: $LIB ready"
