#!/usr/bin/env bash
# The remote SPARQL backend against a real Virtuoso (tests/remote.rs with FACTGATE_TEST_SPARQL).
#
# Installs Debian's virtuoso-opensource if missing (idempotent; needs root or sudo), starts a
# private instance as the current user on free loopback ports (its own virtuoso.ini and
# database in a temp dir), bulk-loads the default graph (knowledge/*.ttl, *.ttl.gz) with each
# file in the named graph the in-process loader gives it (https://factgate.dev/graph/<stem>),
# runs the remote tests against http://127.0.0.1:PORT/sparql, and stops Virtuoso again.
#
#   scripts/virtuoso-test.sh                 # install, start, load, test, stop
#   scripts/virtuoso-test.sh -- --nocapture  # extra arguments go to the test binary
#   VIRTUOSO_TEST_CMD='sleep 600' scripts/virtuoso-test.sh   # any command instead of the tests
#   VIRTUOSO_EXTRA_LOAD=DIR ...   # also load DIR's .ttl/.nt(.gz) files (graph by file stem)
#
# Prints how long install, start and load took.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

t0=$(now)
if ! command -v virtuoso-t >/dev/null || ! command -v isql-vt >/dev/null; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  # The package asks for a DBA password for its system database: preseed one (the private
  # instance below has its own database and never uses it).
  printf '%s\n' \
    "virtuoso-opensource-7 virtuoso-opensource-7/dba-password password dba" \
    "virtuoso-opensource-7 virtuoso-opensource-7/dba-password-again password dba" |
    $SUDO debconf-set-selections
  $SUDO apt-get install -y --no-install-recommends virtuoso-opensource >/dev/null ||
    { $SUDO apt-get update >/dev/null && $SUDO apt-get install -y --no-install-recommends virtuoso-opensource >/dev/null; }
fi
t1=$(now)

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/factgate-virtuoso.XXXXXX")
SQL_PORT=$(free_port)
HTTP_PORT=$(free_port)
mkdir -p "$WORK/load"
PID=""
stop() {
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
    isql-vt "127.0.0.1:$SQL_PORT" dba dba -K >/dev/null 2>&1 || kill "$PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$PID" 2>/dev/null && kill -9 "$PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap stop EXIT

# The default graph, as the loader names its graphs: file name without .gz and extension.
LOAD_SQL=""
EXTRA=()
if [ -n "${VIRTUOSO_EXTRA_LOAD:-}" ]; then
  EXTRA=("$VIRTUOSO_EXTRA_LOAD"/*.ttl "$VIRTUOSO_EXTRA_LOAD"/*.ttl.gz "$VIRTUOSO_EXTRA_LOAD"/*.nt "$VIRTUOSO_EXTRA_LOAD"/*.nt.gz)
fi
for f in knowledge/*.ttl knowledge/*.ttl.gz "${EXTRA[@]}"; do
  [ -e "$f" ] || continue
  name=$(basename "$f")
  stem=${name%.gz}
  stem=${stem%.*}
  case "$f" in /*) ln -s "$f" "$WORK/load/$name" ;; *) ln -s "$ROOT/$f" "$WORK/load/$name" ;; esac
  LOAD_SQL+="ld_dir('$WORK/load', '$name', 'https://factgate.dev/graph/$stem');"$'\n'
done

VSP=/var/lib/virtuoso-opensource-7/vsp
cat >"$WORK/virtuoso.ini" <<EOF
[Database]
DatabaseFile = $WORK/virtuoso.db
ErrorLogFile = $WORK/virtuoso.log
LockFile = $WORK/virtuoso.lck
TransactionFile = $WORK/virtuoso.trx
xa_persistent_file = $WORK/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = $WORK/virtuoso-temp.db
TransactionFile = $WORK/virtuoso-temp.trx

[Parameters]
ServerPort = 127.0.0.1:$SQL_PORT
DisableUnixSocket = 1
CheckpointInterval = 60
DirsAllowed = ., $WORK/load
NumberOfBuffers = 20000
MaxDirtyBuffers = 15000

[HTTPServer]
ServerPort = 127.0.0.1:$HTTP_PORT
ServerRoot = $VSP
ServerThreads = 10
MaxKeepAlives = 10
KeepAliveTimeout = 10

[SPARQL]
ResultSetMaxRows = 100000
MaxQueryExecutionTime = 60
EOF

t2=$(now)
(cd "$WORK" && virtuoso-t -c virtuoso.ini +wait >"$WORK/start.log" 2>&1) ||
  { cat "$WORK/start.log" "$WORK/virtuoso.log" 2>/dev/null; echo "virtuoso-test: Virtuoso did not start" >&2; exit 1; }
PID=$(sed -n 's/.*VIRT_PID=\([0-9]*\).*/\1/p' "$WORK/virtuoso.lck" 2>/dev/null | head -1)
[ -n "$PID" ] || PID=$(sed -n 's/.*Server online at .*(pid \([0-9]*\)).*/\1/p' "$WORK/virtuoso.log" | tail -1)
t3=$(now)

cat >"$WORK/load.sql" <<EOF
$LOAD_SQL
rdf_loader_run();
checkpoint;
SELECT 'NOT_LOADED=' || CAST(COUNT(*) AS VARCHAR) FROM DB.DBA.LOAD_LIST WHERE ll_state <> 2 OR ll_error IS NOT NULL;
EOF
OUT=$(isql-vt "127.0.0.1:$SQL_PORT" dba dba "$WORK/load.sql" 2>&1) ||
  { echo "$OUT"; echo "virtuoso-test: load failed" >&2; exit 1; }
BAD=$(echo "$OUT" | sed -n 's/.*NOT_LOADED=\([0-9]*\).*/\1/p' | tail -1)
if [ "$BAD" != "0" ]; then
  echo "$OUT"
  isql-vt "127.0.0.1:$SQL_PORT" dba dba exec="SELECT ll_file, ll_error FROM DB.DBA.LOAD_LIST;" || true
  echo "virtuoso-test: some files did not load" >&2
  exit 1
fi
t4=$(now)

ENDPOINT="http://127.0.0.1:$HTTP_PORT/sparql"
COUNTS=$(curl -s "$ENDPOINT" -H 'Accept: text/csv' --data-urlencode \
  'query=SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } FILTER(STRSTARTS(STR(?g), "https://factgate.dev/graph/")) } GROUP BY ?g ORDER BY ?g' | tr '\n' ' ')
echo "virtuoso-test: Virtuoso $(virtuoso-t -? 2>&1 | sed -n 's/.*Version \([0-9.]*\).*/\1/p' | head -1) at $ENDPOINT (pid $PID)"
echo "virtuoso-test: graphs $COUNTS"
echo "virtuoso-test: install $(secs "$t0" "$t1") s, start $(secs "$t2" "$t3") s, load $(secs "$t3" "$t4") s (total $(secs "$t0" "$t4") s)"

export FACTGATE_TEST_SPARQL="$ENDPOINT"
export ORT_DYLIB_PATH="${ORT_DYLIB_PATH:-$ROOT/.onnxruntime/libonnxruntime.so.1.31.1}"
if [ -n "${VIRTUOSO_TEST_CMD:-}" ]; then
  bash -c "$VIRTUOSO_TEST_CMD"
else
  [ "${1:-}" = "--" ] && shift
  cargo test --test main remote:: -- "$@"
fi
t5=$(now)
echo "virtuoso-test: tests $(secs "$t4" "$t5") s; OK"
