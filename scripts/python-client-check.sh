#!/usr/bin/env bash
# Python client tests (make test): installs the `factgate` package from clients/python (its gRPC
# stubs are generated from proto/ by the package build, nothing is pre-generated) with the
# LangChain extra into a venv with pinned versions (clients/python/requirements-test.txt), then
# runs its pytest suite against real factgate servers (the binary in $FACTGATE_BIN, default
# target/debug/factgate; fixture graph; ports chosen by the OS). The suite also checks that stubs
# from plain grpc_tools.protoc work, that examples/python_client.py runs, and that the server's
# audit log verifies.
# Idempotent: the venv lives in .cache/python-client (git-ignored) and the package is rebuilt only
# when clients/python, proto/ or the pins change. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=.cache/python-client
PKG=clients/python
export FACTGATE_BIN=${FACTGATE_BIN:-$ROOT/target/debug/factgate}
case $FACTGATE_BIN in /*) ;; *) FACTGATE_BIN=$ROOT/$FACTGATE_BIN ;; esac

if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
# What the installed package was built from: its sources (not build outputs or tests), the proto
# and the pins.
STAMP=$( (cd "$PKG" && find pyproject.toml setup.py README.md requirements-test.txt src -type f \
            ! -name '*.pyc' ! -name 'guard_pb2*' ! -path '*.egg-info/*' ! -path '*/__pycache__/*' \
            | LC_ALL=C sort | xargs sha256sum; cd "$ROOT" && sha256sum proto/factgate/v1/guard.proto) \
        | sha256sum | cut -d' ' -f1)
if [ "$(cat "$VENV/.factgate-stamp" 2>/dev/null)" != "$STAMP" ]; then
  rm -rf "$PKG/build"  # stale build outputs would go into the wheel
  # pip always rebuilds and reinstalls a local directory; the pins must satisfy its dependencies.
  "$VENV/bin/pip" install --quiet -r "$PKG/requirements-test.txt" "./$PKG[langchain]"
  "$VENV/bin/pip" check
  echo "$STAMP" > "$VENV/.factgate-stamp"
fi
cd "$PKG"
"$ROOT/$VENV/bin/python" -m pytest -q -p no:cacheprovider "$@"
