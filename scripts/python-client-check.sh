#!/usr/bin/env bash
# Interop check: generates Python stubs from proto/ with plain grpc_tools.protoc and calls
# Guard/Check on a real factgate server (debug build, fixture graph, port chosen by the OS).
# Idempotent; the venv lives in .cache/pyclient (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.cache/pyclient
BIN=${FACTGATE_BIN:-target/debug/factgate}
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet grpcio==1.85.3 grpcio-tools==1.85.1
fi
WORK=$(mktemp -d)
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
"$VENV/bin/python" -m grpc_tools.protoc -I proto --python_out="$WORK" --grpc_python_out="$WORK" \
  proto/factgate/v1/guard.proto
RUST_LOG=info "$BIN" serve --listen 127.0.0.1:0 --http-listen off --no-default-graph --knowledge tests/fixtures/graph \
  --audit-log "$WORK/audit.jsonl" >"$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 300); do
  grep -q SERVING "$WORK/server.log" && break
  kill -0 $SERVER 2>/dev/null || { cat "$WORK/server.log"; exit 1; }
  sleep 0.1
done
ADDR=$(sed -n 's/.*addr=Some(\([0-9.:]*\)).*/\1/p' "$WORK/server.log" | head -1)
OUT=$(PYTHONPATH="$WORK" "$VENV/bin/python" examples/python_client.py "$ADDR" "The capital of France is Berlin.")
echo "$OUT"
echo "$OUT" | grep -q "^VERDICT_BLOCK" && echo "$OUT" | grep -q "CLAIM_CONTRADICTED"
kill -TERM $SERVER && wait $SERVER || true
"$BIN" audit verify "$WORK/audit.jsonl"
echo "python-client-check: OK"
