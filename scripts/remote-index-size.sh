#!/usr/bin/env bash
# How big a label set the remote backend holds: `scripts/remote-index-size.sh 200000` generates N
# entities (5 triples each, as scripts/big-graph-load.sh: type, label, alias, population,
# country; so 2N labels), loads them next to the default graph into a private Virtuoso
# (scripts/virtuoso-test.sh), then times `factgate check --sparql-endpoint` (release build,
# verifier off): the index fetch (labels, aliases, types, ranks, lexicon, string values) and
# one check, with wall time and peak RSS from GNU time. Used for the README figures ("Remote
# SPARQL endpoint").
set -euo pipefail
N=${1:-200000}
cd "$(dirname "$0")/.."
cargo build --release --quiet
GEN=$(mktemp -d)
trap 'rm -rf "$GEN"' EXIT
python3 scripts/gen-graph.py "$N" "$GEN/generated.nt"
echo "generated $N entities, $(wc -l < "$GEN/generated.nt") triples"
export VIRTUOSO_EXTRA_LOAD="$GEN"
export VIRTUOSO_TEST_CMD='/usr/bin/time -f "index fetch + one check: %e s wall, peak RSS %M KB" \
  ./target/release/factgate check --verifier off --sparql-endpoint "$FACTGATE_TEST_SPARQL" \
  "Gencity 12 has a population of 95000. Nairobi is the capital of Kenya." 2>&1 |
  grep -E "graph index ready|index fetch \+ one check|^[0-9]+ +[A-Z]"'
./scripts/virtuoso-test.sh
