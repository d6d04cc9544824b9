#!/usr/bin/env python3
"""Evaluate the exported ONNX models with ONNX Runtime, fit temperature on dev, measure latency,
pick the shipped variant, and write models/verifier/{model.onnx,tokenizer.json,config.json,metrics.json}
and tests/fixtures/verifier_parity.json."""
import argparse, hashlib, json, os, random, shutil, statistics, time
import numpy as np
import onnxruntime as ort
from common import *
from subsets import number_mismatch, number_only_diff

INPUTS = ["input_ids", "attention_mask", "token_type_ids"]


def session(path):
    so = ort.SessionOptions(); so.intra_op_num_threads = 2; so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def pad(encs, n=None):
    n = max(n or 0, max(len(e.ids) for e in encs))
    ids = np.zeros((len(encs), n), np.int64); am = np.zeros_like(ids); tt = np.zeros_like(ids)
    for i, e in enumerate(encs):
        ids[i, :len(e.ids)] = e.ids; am[i, :len(e.ids)] = 1; tt[i, :len(e.ids)] = e.type_ids
    return {"input_ids": ids, "attention_mask": am, "token_type_ids": tt}


def run_logits(sess, tok, rows, bs=32):
    encs = tok.encode_batch([(r["premise"], r["hypothesis"]) for r in rows])
    order = sorted(range(len(encs)), key=lambda i: len(encs[i].ids))
    out = np.zeros((len(rows), 3), np.float32)
    for s in range(0, len(order), bs):
        b = order[s:s + bs]
        out[b] = sess.run(["logits"], pad([encs[i] for i in b]))[0]
    return out


def softmax(z):
    z = z - z.max(1, keepdims=True); e = np.exp(z); return e / e.sum(1, keepdims=True)


def nll(logits, y, T):
    p = softmax(logits / T)
    return float(-np.log(np.clip(p[np.arange(len(y)), y], 1e-12, None)).mean())


def fit_temperature(logits, y):
    grid = np.arange(0.50, 5.001, 0.01)
    losses = [nll(logits, y, T) for T in grid]
    return float(round(grid[int(np.argmin(losses))], 2))


def ece(p, y, bins=15):
    conf = p.max(1); pred = p.argmax(1); acc = (pred == y)
    edges = np.linspace(0, 1, bins + 1); e = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        m = (conf > lo) & (conf <= hi)
        if m.any():
            e += m.mean() * abs(acc[m].mean() - conf[m].mean())
    return float(e)


def metrics(logits, y, T=1.0):
    p = softmax(logits / T); pred = p.argmax(1)
    cm = np.zeros((3, 3), int)
    for t, q in zip(y, pred):
        cm[t, q] += 1
    per = {}
    for i, l in enumerate(LABELS):
        tp = cm[i, i]; prec = tp / max(1, cm[:, i].sum()); rec = tp / max(1, cm[i].sum())
        per[l] = {"precision": round(float(prec), 4), "recall": round(float(rec), 4),
                  "f1": round(float(2 * prec * rec / max(1e-12, prec + rec)), 4), "support": int(cm[i].sum())}
    onehot = np.eye(3)[y]
    return {"n": int(len(y)), "accuracy": round(float((pred == y).mean()), 4), "ece_15": round(ece(p, y), 4),
            "brier": round(float(((p - onehot) ** 2).sum(1).mean()), 4), "nll": round(nll(logits, y, T), 4),
            "per_class": per, "confusion_matrix": {"rows_gold_cols_pred": LABELS, "matrix": cm.tolist()}}


def subset_metrics(logits, rows, y, T, pred_fn):
    idx = [i for i, r in enumerate(rows) if pred_fn(r["premise"], r["hypothesis"])]
    if not idx:
        return None
    pr = softmax(logits[idx] / T).argmax(1); yy = y[idx]
    ref = yy == L2I["REFUTES"]
    return {"n": len(idx), "n_refutes": int(ref.sum()), "accuracy": round(float((pr == yy).mean()), 4),
            "refutes_recall": round(float((pr[ref] == yy[ref]).mean()), 4) if ref.any() else None}


def by_kind(logits, rows, y):
    out = {}
    pred = logits.argmax(1)
    for kind in sorted({r.get("kind") for r in rows}):
        idx = [i for i, r in enumerate(rows) if r.get("kind") == kind]
        out[kind] = {"n": len(idx), "accuracy": round(float((pred[idx] == y[idx]).mean()), 4)}
    return out


def latency(sess, tok, rows, reps=10):
    out = {}
    encs = tok.encode_batch([(r["premise"], r["hypothesis"]) for r in rows])
    longest = sorted(encs, key=lambda e: -len(e.ids))[:32]
    typical = encs[:32]
    for name, batch, n in (("batch32_padded128", longest, 128), ("batch32_typical", typical, None)):
        feed = pad(batch, n)
        sess.run(["logits"], feed); sess.run(["logits"], feed)
        ts = []
        for _ in range(reps):
            t = time.perf_counter(); sess.run(["logits"], feed); ts.append(time.perf_counter() - t)
        out[name] = {"seq_len": int(feed["input_ids"].shape[1]),
                     "ms_per_pair": round(1000 * statistics.median(ts) / 32, 2)}
    feed = pad(encs[:1])
    sess.run(["logits"], feed)
    ts = []
    for e in encs[:50]:
        f = pad([e]); t = time.perf_counter(); sess.run(["logits"], f); ts.append(time.perf_counter() - t)
    out["batch1"] = {"ms_per_pair": round(1000 * statistics.median(ts), 2)}
    return out


def sha256(p):
    return hashlib.sha256(open(p, "rb").read()).hexdigest()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--onnx", default=str(WORK / "onnx"))
    ap.add_argument("--ckpt", default=str(WORK / "ckpt"))
    ap.add_argument("--max-drop", type=float, default=0.015, help="max dev accuracy loss accepted for int8")
    ap.add_argument("--graph-dev-limit", type=int, default=1500)
    ap.add_argument("--limit", type=int, default=0, help="smoke test: only the first N rows of each split")
    ap.add_argument("--mix-limit", type=int, default=3000, help="rows sampled from each mix dev / test file")
    a = ap.parse_args()
    exp = json.load(open(os.path.join(a.onnx, "export.json")))
    max_length = exp["max_length"]
    tok = load_pair_tokenizer(os.path.join(a.onnx, "tokenizer.json"), max_length)
    splits = {"vitaminc_dev": read_jsonl(WORK / "vitc_dev.jsonl"), "vitaminc_test": read_jsonl(WORK / "vitc_test.jsonl")}
    for s in ("dev", "test"):
        p = WORK / f"graph_{s}.jsonl"
        if p.exists():
            splits[f"graph_{s}"] = read_jsonl(p)
    if "graph_dev" in splits:
        splits["graph_dev"] = splits["graph_dev"][:a.graph_dev_limit]
    # the grounding mix (prep_mix.py): dev / test pairs, seeded sample, figures per source
    for s in ("dev", "test"):
        p = WORK / f"mix_{s}.jsonl"
        if p.exists():
            rows = read_jsonl(p)
            splits[f"mix_{s}"] = random.Random(SEED).sample(rows, min(a.mix_limit, len(rows)))
    if a.limit:
        splits = {k: v[:a.limit] for k, v in splits.items()}
    ys = {k: np.array([L2I[r["label"]] for r in v]) for k, v in splits.items()}
    res = {"export": exp, "variants": {}}
    logits = {}
    for var in ("fp32", "int8"):
        sess = session(os.path.join(a.onnx, f"model_{var}.onnx"))
        t0 = time.time()
        lg = {k: run_logits(sess, tok, v) for k, v in splits.items()}
        logits[var] = lg
        dev_keys = [k for k in lg if k.endswith("_dev")]
        T = fit_temperature(np.concatenate([lg[k] for k in dev_keys]), np.concatenate([ys[k] for k in dev_keys]))
        r = {"temperature": T, "eval_wall_s": round(time.time() - t0, 1)}
        for k in splits:
            r[k] = {"before_ts": metrics(lg[k], ys[k]), "after_ts": metrics(lg[k], ys[k], T)}
        for k in ("vitaminc_dev", "vitaminc_test"):
            r[k]["numbers_only_diff"] = subset_metrics(lg[k], splits[k], ys[k], T, number_only_diff)
            r[k]["number_mismatch"] = subset_metrics(lg[k], splits[k], ys[k], T, number_mismatch)
        for k in [k for k in splits if k.startswith("graph_")]:
            r[k]["by_kind"] = by_kind(lg[k], splits[k], ys[k])
        for k in [k for k in splits if k.startswith("mix_")]:
            r[k]["by_source"] = by_kind(lg[k], [{"kind": x["source"]} for x in splits[k]], ys[k])
        r["latency_2threads"] = latency(sess, tok, splits["vitaminc_test"])
        r["bytes"] = os.path.getsize(os.path.join(a.onnx, f"model_{var}.onnx"))
        res["variants"][var] = r
        print(var, json.dumps({k: r[k]["after_ts"]["accuracy"] for k in splits}), "T", T,
              json.dumps(r["latency_2threads"]), flush=True)
    # choose the shipped variant on DEV numbers: int8 unless it loses more than max_drop dev accuracy
    # (fp32 is ~90 MB, over the 30 MB budget for model.onnx, so it can only ship if int8 fails this check)
    dacc = {v: res["variants"][v]["vitaminc_dev"]["before_ts"]["accuracy"] for v in ("fp32", "int8")}
    ship = "int8" if dacc["fp32"] - dacc["int8"] <= a.max_drop else "fp32"
    res["shipped"] = ship
    res["ship_reason"] = (f"dev accuracy fp32 {dacc['fp32']:.4f} vs int8 {dacc['int8']:.4f} (drop "
                          f"{dacc['fp32'] - dacc['int8']:+.4f}, accepted <= {a.max_drop}); int8 is "
                          f"{res['variants']['int8']['bytes'] / 1e6:.1f} MB vs {res['variants']['fp32']['bytes'] / 1e6:.1f} MB "
                          f"(budget 30 MB) and faster")
    VERIFIER.mkdir(parents=True, exist_ok=True)
    dst = VERIFIER / "model.onnx"
    shutil.copyfile(os.path.join(a.onnx, f"model_{ship}.onnx"), dst)
    shutil.copyfile(os.path.join(a.onnx, "tokenizer.json"), VERIFIER / "tokenizer.json")
    h = sha256(dst)
    cfg = {"labels": LABELS, "max_length": max_length, "input_names": INPUTS, "output_name": "logits",
           "temperature": res["variants"][ship]["temperature"], "onnx_sha256": h, "pad_id": 0, "variant": ship,
           "version": f"minilm-l6-mix2-{h[:8]}", "pooling": exp["pool"],
           "truncation": "only_first (premise truncated first)", "pair": "premise=evidence (A), hypothesis=claim (B)"}
    json.dump(cfg, open(VERIFIER / "config.json", "w"), indent=2)
    # examples the shipped model gets wrong (test splits), for the card
    wrong = {}
    for k in [k for k in splits if k.endswith("_test")]:
        lg = logits[ship][k]; pr = lg.argmax(1)
        bad = [i for i in range(len(pr)) if pr[i] != ys[k][i]]
        rng = np.random.default_rng(SEED)
        pick = rng.choice(bad, size=min(8, len(bad)), replace=False) if bad else []
        wrong[k] = [{"premise": splits[k][i]["premise"], "hypothesis": splits[k][i]["hypothesis"],
                     "gold": splits[k][i]["label"], "pred": LABELS[int(pr[i])],
                     **({"kind": splits[k][i].get("kind")} if "kind" in splits[k][i] else {})} for i in pick]
        # also numeric refutes misses
        if k == "vitaminc_test":
            nb = [i for i in bad if ys[k][i] == 1 and number_only_diff(splits[k][i]["premise"], splits[k][i]["hypothesis"])]
            wrong["vitaminc_test_numeric_refutes_missed"] = [
                {"premise": splits[k][i]["premise"], "hypothesis": splits[k][i]["hypothesis"], "gold": "REFUTES",
                 "pred": LABELS[int(pr[i])]} for i in nb[:6]]
    res["wrong_examples"] = wrong
    # the polarity probe (prep_mix.py: dev SUPPORTS pairs, negated / name-swapped copies REFUTES):
    # share of each kind the shipped variant reads as each label
    probe = WORK / "polarity_dev.jsonl"
    if probe.exists():
        from polarity_probe import shares
        rows = read_jsonl(probe)
        res["polarity_probe_dev"] = shares(rows, run_logits(session(str(dst)), tok, rows).argmax(1))
    ckm = os.path.join(a.ckpt, "train_meta.json")
    if os.path.exists(ckm):
        res["training"] = json.load(open(ckm))
    res["sources"] = json.load(open(SRC / "SOURCES.json"))
    for p in (WORK / "vitc_stats.json", WORK / "graph_stats.json", WORK / "mix_stats.json"):
        if p.exists():
            res[p.stem] = json.load(open(p))
    res["config"] = cfg
    json.dump(res, open(VERIFIER / "metrics.json", "w"), indent=2, ensure_ascii=False)
    parity(tok, dst)
    print("shipped", ship, cfg["version"], res["ship_reason"])


def parity(tok, model_path):
    sess = session(str(model_path))
    long_premise = ("Paris: Paris is the capital and most populous city of France, with an estimated population "
                    "of 2,102,650 residents in January 2023 in an area of more than 105 km2. " * 8).strip()
    pairs = [
        ("The capital of France is Paris.", "Paris is the capital of France."),
        ("The capital of France is Paris.", "The capital of France is Lyon."),
        ("The population of Germany is 83,190,556.", "Germany has a population of about 40 million."),
        ("The atomic number of iron is 26.", "Iron was discovered in 1850."),
        ("Zürich: São Paulo-born Müller moved to Zürich in 1998, where he founded Café Größe.",
         "Müller founded Café Größe in Zürich."),
        ("Westlife: Westlife has sold more than 24 million records in the UK.", "Westlife sold under 23.5 million records in the UK."),
        (long_premise, "The population of Paris is about 2.1 million."),
        ("Mount Everest is 8,849 metres tall.", "Mount Everest is 8,849 m high."),
    ]
    out = []
    for p, h in pairs:
        e = tok.encode(p, h)
        feed = pad([e])
        lo = sess.run(["logits"], feed)[0][0]
        out.append({"premise": p, "hypothesis": h, "input_ids": e.ids, "attention_mask": e.attention_mask,
                    "token_type_ids": e.type_ids, "logits": [float(x) for x in lo]})
    fx = REPO / "tests" / "fixtures" / "verifier_parity.json"
    fx.parent.mkdir(parents=True, exist_ok=True)
    json.dump(out, open(fx, "w"), indent=1, ensure_ascii=False)
    print("parity fixture:", fx, [len(o["input_ids"]) for o in out])


if __name__ == "__main__":
    main()
