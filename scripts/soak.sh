#!/usr/bin/env bash
# Long soak/fault test (tests/soak.rs) against a release build of `factgate serve`.
#
# Usage: scripts/soak.sh [SECONDS]   (default 600 seconds of load)
#
# 8 concurrent gRPC clients send checks while the server is SIGKILLed at random moments (one a
# minute, at least 3) and restarted on the same audit log, then SIGTERMed under load. It fails
# unless the server exits 0 within shutdown grace + 2 s, every acknowledged check is in the
# audit log under its audit_id, `factgate audit verify` prints OK and no call hung.
# The seed of the kill schedule is printed; FACTGATE_SOAK_SEED=<seed> replays it.
# The short form (20 s, debug build, fixture graph) runs with the ordinary suite (`make test`);
# this long form serves the default graph (knowledge/). After every other SIGKILL a torn record
# is appended to the log (a crash mid-write), which start-up must move aside.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-600}"
case "$secs" in
  ''|*[!0-9]*) echo "soak.sh: SECONDS must be a whole number, got '$secs'" >&2; exit 2 ;;
esac
export ORT_DYLIB_PATH="${ORT_DYLIB_PATH:-$PWD/.onnxruntime/libonnxruntime.so.1.31.1}"
FACTGATE_SOAK_SECS="$secs" exec cargo test --release --test main soak -- --nocapture
