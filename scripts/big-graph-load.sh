#!/usr/bin/env bash
# Load time and peak memory of a large generated graph: `scripts/big-graph-load.sh 1000000`
# generates N triples of N-Triples (cities with labels, aliases, types, populations and
# countries: 5 triples per entity, every entity labelled, so the label index grows with N), then
# times `factgate check` loading it (release build, verifier off, with the shipped lexicon only)
# and prints wall time and peak RSS (GNU time's %M). The generated file goes to a temp dir and is
# removed afterwards. Used for the figures in README.md ("Knowledge graph").
set -euo pipefail
N=${1:-1000000}
cd "$(dirname "$0")/.."
cargo build --release --quiet
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
python3 scripts/gen-graph.py $((N / 5)) "$WORK/big.nt"
echo "generated $(wc -l < "$WORK/big.nt") triples, $(du -m "$WORK/big.nt" | cut -f1) MB"
/usr/bin/time -f "load + one check: %e s wall, peak RSS %M KB" \
  ./target/release/factgate check --verifier off --no-default-graph \
  --knowledge "$WORK/big.nt" --knowledge knowledge/lexicon.ttl \
  "Gencity 12 has a population of 95000." 2>&1 | grep -E "knowledge graph ready|load \+ one check|^[0-9]+ +[A-Z]" || true
