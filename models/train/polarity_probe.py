#!/usr/bin/env python3
"""How exported verifiers read the polarity probe (work/polarity_dev.jsonl, written by prep_mix.py from
dev pairs): SUPPORTS pairs as they are ("original"), the same hypotheses negated or un-negated
("synthetic-negation") and with a name swapped for another name of the same premise
("synthetic-inpassage"), both REFUTES. Prints, per model and kind, the share read as each label.

    .venv/bin/python polarity_probe.py --onnx ../verifier/model.onnx [--onnx other.onnx ...]
"""
import argparse, collections, json

from common import LABELS, WORK, read_jsonl


def shares(rows, pred):
    """Per probe kind (the rows' `source`): its row count and the share of it predicted as each label
    (`pred`: label indices, one per row)."""
    by = collections.defaultdict(collections.Counter)
    for r, k in zip(rows, pred):
        by[r["source"]][LABELS[int(k)]] += 1
    return {src: {"n": sum(c.values())} | {l: round(c[l] / sum(c.values()), 3) for l in LABELS}
            for src, c in sorted(by.items())}


def main():
    from prep_mix import predict_onnx

    ap = argparse.ArgumentParser()
    ap.add_argument("--onnx", action="append", required=True)
    ap.add_argument("--data", default=str(WORK / "polarity_dev.jsonl"))
    a = ap.parse_args()
    rows = read_jsonl(a.data)
    out = {path: shares(rows, predict_onnx(path, [(r["premise"], r["hypothesis"]) for r in rows]).argmax(1))
           for path in a.onnx}
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
