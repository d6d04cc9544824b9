#!/bin/sh
# Re-run the whole verifier pipeline from scratch (same as `make -C models train`).
set -e
cd "$(dirname "$0")/.."
exec make train "$@"
