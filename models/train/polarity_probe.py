#!/usr/bin/env python3
"""How exported verifiers read the polarity probe (work/polarity_dev.jsonl, written by prep_mix.py from
dev pairs): SUPPORTS pairs as they are ("original"), the same hypotheses negated or un-negated
("synthetic-negation") and with a name swapped for another name of the same premise
("synthetic-inpassage"), both REFUTES. Prints, per model and kind, the share read as each label.

    .venv/bin/python polarity_probe.py --onnx ../verifier/model.onnx [--onnx other.onnx ...]
"""
import argparse, collections, json

from common import WORK, read_jsonl
from prep_mix import predict_onnx

LABELS = ["SUPPORTS", "REFUTES", "NOT_ENOUGH_INFO"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--onnx", action="append", required=True)
    ap.add_argument("--data", default=str(WORK / "polarity_dev.jsonl"))
    a = ap.parse_args()
    rows = read_jsonl(a.data)
    out = {}
    for path in a.onnx:
        p = predict_onnx(path, [(r["premise"], r["hypothesis"]) for r in rows]).argmax(1)
        by = collections.defaultdict(collections.Counter)
        for r, k in zip(rows, p):
            by[r["source"]][LABELS[k]] += 1
        out[path] = {src: {l: round(c[l] / sum(c.values()), 3) for l in LABELS} | {"n": sum(c.values())}
                     for src, c in sorted(by.items())}
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
