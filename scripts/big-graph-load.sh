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
python3 - "$N" "$WORK/big.nt" <<'PY'
import sys
n, out = int(sys.argv[1]), sys.argv[2]
fg, city, ctry = "https://factgate.dev/ns#", "https://factgate.dev/id/gen/city/", "https://factgate.dev/id/country/"
countries = ["FR", "DE", "KE", "US", "BR", "IN", "JP", "NG"]
with open(out, "w") as f:
    for i in range(n // 5):
        s = f"<{city}{i}>"
        f.write(f'{s} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://schema.org/City> .\n')
        f.write(f'{s} <http://www.w3.org/2000/01/rdf-schema#label> "Gencity {i}" .\n')
        f.write(f'{s} <http://www.w3.org/2004/02/skos/core#altLabel> "Gen City Number {i}" .\n')
        f.write(f'{s} <{fg}population> "{1000 + (i * 7919) % 9000000}"^^<http://www.w3.org/2001/XMLSchema#integer> .\n')
        f.write(f'{s} <{fg}country> <{ctry}{countries[i % len(countries)]}> .\n')
PY
echo "generated $(wc -l < "$WORK/big.nt") triples, $(du -m "$WORK/big.nt" | cut -f1) MB"
/usr/bin/time -f "load + one check: %e s wall, peak RSS %M KB" \
  ./target/release/factgate check --verifier off --no-default-graph \
  --knowledge "$WORK/big.nt" --knowledge knowledge/lexicon.ttl \
  "Gencity 12 has a population of 95000." 2>&1 | grep -E "knowledge graph ready|load \+ one check|^[0-9]+ +[A-Z]" || true
