#!/usr/bin/env python3
"""Derives multi-sentence context files from the VitaminC splits (stdlib only, seeded).

Each row of vitaminc_{split}.jsonl keeps its claim and label; its single evidence passage is
replaced by one passage in which the evidence sits at a random position among the evidence
passages of *other Wikipedia pages* from the same split. This measures what the single-sentence
files cannot: whether the sidecar finds the right chunk of a longer context (lexical retrieval,
sentence windows) before the verifier reads it. Two files per split:

- vitaminc_{split}_passages.jsonl: 3 other pages (about 110 words, read whole);
- vitaminc_{split}_long.jsonl.gz: 19 other pages (about 500 words, longer than the 3 x 100 words
  read for one claim, so a claim is read against part of it, like a summary sentence against its
  article; gzipped).

    python3 models/data/make_passages.py dev    # -> models/data/vitaminc_dev_{passages,long}...
    python3 models/data/make_passages.py test   # -> models/data/vitaminc_test_{passages,long}...
"""
import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "train"))
from common import write_jsonl  # noqa: E402  (stdlib only; gzips a .gz name reproducibly)
# (name, other pages per row, row id suffix, file suffix): the file is vitaminc_{split}_{name}{suffix},
# its seed "factgate-{name}-{split}", its rows' source "vitaminc-{name}".
VARIANTS = [("passages", 3, "p", ".jsonl"), ("long", 19, "l", ".jsonl.gz")]


def page(text: str) -> str:
    """The Wikipedia page title the evidence is prefixed with ("Title: sentence")."""
    return text.split(":", 1)[0]


def main(split: str) -> None:
    src = HERE / f"vitaminc_{split}.jsonl"
    rows = [json.loads(line) for line in src.read_text(encoding="utf-8").splitlines()]
    evidence = [r["context"][0]["text"] for r in rows]
    for name, distractors, tag, suffix in VARIANTS:
        rng = random.Random(f"factgate-{name}-{split}")
        out = []
        for r in rows:
            own = r["context"][0]["text"]
            others = []
            while len(others) < distractors:
                cand = evidence[rng.randrange(len(evidence))]
                if page(cand) != page(own) and cand not in others:
                    others.append(cand)
            pos = rng.randrange(distractors + 1)
            parts = others[:pos] + [own] + others[pos:]
            # Evidence sentences do not always end with a full stop; the sentence splitter needs one.
            text = " ".join(p if p.rstrip().endswith((".", "!", "?")) else p.rstrip() + "." for p in parts)
            out.append({**r, "id": f"{r['id']}-{tag}", "context": [{"id": f"{r['id']}-passage", "text": text}],
                        "source": f"vitaminc-{name}"})
        dst = HERE / f"vitaminc_{split}_{name}{suffix}"
        write_jsonl(dst, out)
        print(f"{dst.name}: {len(out)} rows")


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in ("dev", "test"):
        sys.exit("usage: make_passages.py dev|test")
    main(sys.argv[1])
