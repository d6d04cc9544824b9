#!/usr/bin/env bash
# Fetches the ONNX Runtime shared library from its PyPI wheel (onnxruntime==1.31.1, MIT) into
# .onnxruntime/ and checks its sha256. Idempotent: does nothing when the library is present.
# The `ort` crate loads it at run time (feature load-dynamic) through ORT_DYLIB_PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=1.31.1
WHEEL=onnxruntime-${VERSION}-cp311-cp311-manylinux_2_28_x86_64.whl
WHEEL_SHA256=5752bd508126ae7c49894d3b9d2e83f0c3d487319246d04c444b393308d7ad7f
DEST=.onnxruntime
LIB=$DEST/libonnxruntime.so.$VERSION
if [ -f "$LIB" ]; then
  exit 0
fi
if [ "$(uname -m)" != "x86_64" ] || [ "$(uname -s)" != "Linux" ]; then
  echo "fetch-onnxruntime: only linux x86_64 is pinned; set ORT_DYLIB_PATH to your own libonnxruntime" >&2
  exit 1
fi
mkdir -p "$DEST/dl"
if [ ! -f "$DEST/dl/$WHEEL" ]; then
  python3 -m pip download --quiet --no-deps --only-binary=:all: \
    --python-version 3.11 --platform manylinux_2_28_x86_64 \
    -d "$DEST/dl" "onnxruntime==$VERSION"
fi
echo "$WHEEL_SHA256  $DEST/dl/$WHEEL" | sha256sum -c --quiet -
python3 - "$DEST/dl/$WHEEL" "$LIB" "$VERSION" <<'PY'
import sys, zipfile, shutil
wheel, out, version = sys.argv[1:]
with zipfile.ZipFile(wheel) as z, z.open(f"onnxruntime/capi/libonnxruntime.so.{version}") as src, open(out + ".tmp", "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
mv "$LIB.tmp" "$LIB"
echo "fetch-onnxruntime: $LIB ready"
