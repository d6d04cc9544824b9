#!/usr/bin/env bash
# The demo page in headless Chromium against a real server (debug build, fixture graph, ports
# chosen by the OS). Installs Debian's chromium when missing and Playwright (driver only, it
# drives the system Chromium) into .cache/browser; idempotent. Screenshots: target/browser/.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${FACTGATE_BIN:-target/debug/factgate}
VENV=.cache/browser
if ! command -v "${CHROMIUM:-/usr/bin/chromium}" >/dev/null; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null \
    || { $SUDO apt-get update -q >/dev/null && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; }
fi
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import playwright' 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet playwright==1.65.2
fi
WORK=$(mktemp -d)
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
RUST_LOG=info "$BIN" serve --listen 127.0.0.1:0 --http-listen 127.0.0.1:0 --no-default-graph \
  --knowledge tests/fixtures/graph --audit-log "$WORK/audit.jsonl" >"$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 300); do
  grep -q SERVING "$WORK/server.log" && break
  kill -0 $SERVER 2>/dev/null || { cat "$WORK/server.log"; exit 1; }
  sleep 0.1
done
HTTP=$(sed -n 's/.*addr=Some(\([0-9.:]*\)).*HTTP\/JSON listening.*/\1/p; s/.*HTTP\/JSON listening.*addr=Some(\([0-9.:]*\)).*/\1/p' "$WORK/server.log" | head -1)
[ -n "$HTTP" ] || { cat "$WORK/server.log"; echo "no HTTP address in the log"; exit 1; }
"$VENV/bin/python" tests/browser/test_demo.py "http://$HTTP/" target/browser
kill -TERM $SERVER && wait $SERVER || true
"$BIN" audit verify "$WORK/audit.jsonl" >/dev/null
