#!/usr/bin/env python3
"""Writes a generated graph for the load and index-size measurements: `gen-graph.py ENTITIES OUT`
writes ENTITIES cities as N-Triples, 5 triples each (type, label, alias, population, country),
so every entity is labelled twice and the label index grows with ENTITIES. Used by
scripts/big-graph-load.sh and scripts/remote-index-size.sh."""
import sys
n, out = int(sys.argv[1]), sys.argv[2]
fg, city, ctry = "https://factgate.dev/ns#", "https://factgate.dev/id/gen/city/", "https://factgate.dev/id/country/"
countries = ["FR", "DE", "KE", "US", "BR", "IN", "JP", "NG"]
with open(out, "w") as f:
    for i in range(n):
        s = f"<{city}{i}>"
        f.write(f'{s} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://schema.org/City> .\n')
        f.write(f'{s} <http://www.w3.org/2000/01/rdf-schema#label> "Gencity {i}" .\n')
        f.write(f'{s} <http://www.w3.org/2004/02/skos/core#altLabel> "Gen City Number {i}" .\n')
        f.write(f'{s} <{fg}population> "{1000 + (i * 7919) % 9000000}"^^<http://www.w3.org/2001/XMLSchema#integer> .\n')
        f.write(f'{s} <{fg}country> <{ctry}{countries[i % len(countries)]}> .\n')
