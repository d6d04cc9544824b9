#!/usr/bin/env python3
"""Derives multi-sentence context files from the VitaminC splits (stdlib only, seeded).

Each row of vitaminc_{split}.jsonl keeps its claim and label; its single evidence passage is
replaced by one passage in which the evidence sits at a random position among 3 evidence
passages of *other Wikipedia pages* from the same split. This measures what the single-sentence
files cannot: whether the sidecar finds the right chunk of a longer context (lexical retrieval,
sentence windows) before the verifier reads it.

    python3 models/data/make_passages.py dev    # -> models/data/vitaminc_dev_passages.jsonl
    python3 models/data/make_passages.py test   # -> models/data/vitaminc_test_passages.jsonl
"""
import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DISTRACTORS = 3


def page(text: str) -> str:
    """The Wikipedia page title the evidence is prefixed with ("Title: sentence")."""
    return text.split(":", 1)[0]


def main(split: str) -> None:
    src = HERE / f"vitaminc_{split}.jsonl"
    rows = [json.loads(line) for line in src.read_text(encoding="utf-8").splitlines()]
    rng = random.Random(f"factgate-passages-{split}")
    evidence = [r["context"][0]["text"] for r in rows]
    out = []
    for r in rows:
        own = r["context"][0]["text"]
        others = []
        while len(others) < DISTRACTORS:
            cand = evidence[rng.randrange(len(evidence))]
            if page(cand) != page(own) and cand not in others:
                others.append(cand)
        pos = rng.randrange(DISTRACTORS + 1)
        parts = others[:pos] + [own] + others[pos:]
        # Evidence sentences do not always end with a full stop; the sentence splitter needs one.
        text = " ".join(p if p.rstrip().endswith((".", "!", "?")) else p.rstrip() + "." for p in parts)
        out.append({**r, "id": r["id"] + "-p", "context": [{"id": r["id"] + "-passage", "text": text}],
                    "source": "vitaminc-passages"})
    dst = HERE / f"vitaminc_{split}_passages.jsonl"
    dst.write_text("".join(json.dumps(o, ensure_ascii=False) + "\n" for o in out), encoding="utf-8")
    print(f"{dst.name}: {len(out)} rows")


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in ("dev", "test"):
        sys.exit("usage: make_passages.py dev|test")
    main(sys.argv[1])
