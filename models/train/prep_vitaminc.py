#!/usr/bin/env python3
"""Build the VitaminC train/dev/test splits (split by Wikipedia page, seeded) and the sidecar eval files."""
import collections, json, random, re
from common import *

BRACKETS = {"-LRB-": "(", "-RRB-": ")", "-LSB-": "[", "-RSB-": "]", "-LCB-": "{", "-RCB-": "}",
            "``": '"', "''": '"'}


def clean(s):
    s = s.replace("\ufffd", " ")
    for k, v in BRACKETS.items():
        s = s.replace(k, v)
    # light de-tokenization of the PTB-style spacing
    s = re.sub(r"\s+([,.;:!?%)\]}])", r"\1", s)
    s = re.sub(r"([(\[{])\s+", r"\1", s)
    s = re.sub(r"\s+('s|n't|'re|'ve|'ll|'d|'m)\b", r"\1", s)
    s = re.sub(r"\s+", " ", s).strip()
    return s


def main():
    task = json.loads((SRC / "vitaminc" / "task.json").read_text(encoding="utf-8"))
    lab = {"True": "SUPPORTS", "False": "REFUTES", "Neither": "NOT_ENOUGH_INFO"}
    rows = []
    for i, e in enumerate(task["examples"]):
        ev, claim = e["input"].split("\nClaim: ", 1)
        page = ev.split(": ", 1)[0].strip()
        gold = [k for k, v in e["target_scores"].items() if v == 1]
        assert len(gold) == 1
        rows.append({"id": f"vitc-{i:05d}", "page": page, "premise": clean(ev), "hypothesis": clean(claim),
                     "label": lab[gold[0]]})
    by_page = collections.defaultdict(list)
    for r in rows:
        by_page[r["page"]].append(r)
    pages = sorted(by_page)
    big = [p for p in pages if len(by_page[p]) > 200]
    rest = [p for p in pages if len(by_page[p]) <= 200]
    rng = random.Random(SEED)
    rng.shuffle(rest)
    n = len(rows)
    split = {p: "train" for p in big}
    cnt = collections.Counter()
    for p in rest:
        s = "dev" if cnt["dev"] < 0.1 * n else ("test" if cnt["test"] < 0.1 * n else "train")
        split[p] = s
        cnt[s] += len(by_page[p])
    out = collections.defaultdict(list)
    for r in rows:
        out[split[r["page"]]].append(r)
    stats = {}
    for s in ("train", "dev", "test"):
        write_jsonl(WORK / f"vitc_{s}.jsonl", out[s])
        stats[s] = {"rows": len(out[s]), "pages": len({r['page'] for r in out[s]}),
                    "labels": dict(collections.Counter(r["label"] for r in out[s]))}
    # sidecar evaluation files: seeded sample of <= 2000 rows of dev / test
    for s in ("dev", "test"):
        sample = random.Random(SEED + (1 if s == "dev" else 2)).sample(out[s], min(2000, len(out[s])))
        sample.sort(key=lambda r: r["id"])
        write_jsonl(DATA_OUT / f"vitaminc_{s}.jsonl", [
            {"id": r["id"], "text": r["hypothesis"], "prompt": None,
             "context": [{"id": r["id"] + "-ev", "text": r["premise"]}],
             "label": SIDECAR_LABEL[r["label"]], "source": "vitaminc"} for r in sample])
    stats["big_pages_in_train"] = len(big)
    (WORK / "vitc_stats.json").write_text(json.dumps(stats, indent=2))
    print(json.dumps(stats, indent=2))


if __name__ == "__main__":
    main()
