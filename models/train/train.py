#!/usr/bin/env python3
"""Fine-tune all-MiniLM-L6-v2 as a 3-way (SUPPORTS / REFUTES / NOT_ENOUGH_INFO) cross-encoder on CPU.

Recipe (defaults): VitaminC train + graph-derived train pairs + the grounding mix of prep_mix.py (question +
answer, dialogue, summary sentences, NLI, synthetic negatives; capped per source by --mix-caps), AdamW, linear warm-up 6 % then linear decay,
batch 32, length-sorted buckets padded to the batch maximum, bf16 autocast, torch threads = 2, seeded.
The best checkpoint by dev accuracy (mean of VitaminC dev, graph dev and the mix's dev pairs) is kept.
Resumable: every dev evaluation writes work/ckpt/last.pt (model, optimizer, step); --resume continues from it.
"""
import argparse, json, math, os, random, time
import numpy as np
import torch
from common import *
from model import CrossEncoder


def featurize(tok, rows):
    encs = tok.encode_batch([(r["premise"], r["hypothesis"]) for r in rows])
    return [(e.ids, e.type_ids, L2I[r["label"]]) for e, r in zip(encs, rows)]


def collate(items):
    n = max(len(i[0]) for i in items)
    ids = torch.zeros(len(items), n, dtype=torch.long)
    tt = torch.zeros(len(items), n, dtype=torch.long)
    am = torch.zeros(len(items), n, dtype=torch.long)
    for k, (a, t, _) in enumerate(items):
        ids[k, :len(a)] = torch.tensor(a)
        tt[k, :len(a)] = torch.tensor(t)
        am[k, :len(a)] = 1
    y = torch.tensor([i[2] for i in items])
    return ids, am, tt, y


def batches(feats, bs, rng, bucket=100):
    idx = list(range(len(feats)))
    rng.shuffle(idx)
    out = []
    for s in range(0, len(idx), bs * bucket):
        chunk = sorted(idx[s:s + bs * bucket], key=lambda i: len(feats[i][0]))
        out += [chunk[j:j + bs] for j in range(0, len(chunk), bs)]
    rng.shuffle(out)
    return out


@torch.no_grad()
def predict(model, feats, bs=64):
    model.eval()
    order = sorted(range(len(feats)), key=lambda i: len(feats[i][0]))
    logits = np.zeros((len(feats), 3), dtype=np.float32)
    for s in range(0, len(order), bs):
        b = order[s:s + bs]
        ids, am, tt, _ = collate([feats[i] for i in b])
        with torch.autocast("cpu", dtype=torch.bfloat16):
            lo = model(ids, am, tt)
        logits[b] = lo.float().numpy()
    model.train()
    return logits


# Rows per grounding-mix source that training reads (sources not named are left out).
MIX_CAPS = ("cpkc=16000,cpkc-otherq=3000,disfl_qa=6000,question_selection=2540,epistemic_reasoning=1589,"
            "presuppositions_as_nli=593,halueval-dialogue=12000,halueval-summary=20000,synthetic-number=3746,"
            "synthetic-entity=5000,synthetic-addition=5000,vitaminc-window=15000,other-window=12000")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(WORK / "ckpt"))
    ap.add_argument("--pool", default="mean", choices=["mean", "cls"])
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--bs", type=int, default=32)
    ap.add_argument("--max-steps", type=int, default=2800)
    ap.add_argument("--warmup", type=float, default=0.06)
    ap.add_argument("--max-length", type=int, default=MAX_LENGTH)
    ap.add_argument("--class-weights", action="store_true")
    ap.add_argument("--no-graph", action="store_true")
    ap.add_argument("--graph-train-cap", type=int, default=20000)
    ap.add_argument("--dev-every", type=int, default=500)
    ap.add_argument("--dev-size", type=int, default=2000)
    ap.add_argument("--time-budget", type=float, default=40 * 60, help="wall-clock budget of the optimisation loop (s)")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--vitc-cap", type=int, default=30000)
    ap.add_argument("--no-mix", action="store_true")
    ap.add_argument("--mix-caps", default="", help="source=rows,... merged into MIX_CAPS (0 leaves a source out)")
    ap.add_argument("--resume", action="store_true", help="continue from <out>/last.pt")
    ap.add_argument("--init", help="start from this state_dict (.pt, e.g. init_from_onnx.py's) instead of the base encoder")
    a = ap.parse_args()
    t0 = time.time()
    torch.set_num_threads(2)
    torch.manual_seed(a.seed); random.seed(a.seed); np.random.seed(a.seed)
    tok = load_pair_tokenizer(max_length=a.max_length)
    rng = random.Random(a.seed)
    train = read_jsonl(WORK / "vitc_train.jsonl")
    rng.shuffle(train)
    train = train[:a.vitc_cap]
    n_vitc = len(train)
    dev = rng.sample(read_jsonl(WORK / "vitc_dev.jsonl"), a.dev_size)
    mdev = []
    if not a.no_mix:
        caps = {k: int(v) for k, v in (x.split("=") for x in (MIX_CAPS + "," + a.mix_caps).strip(",").split(","))}
        by_src = {}
        for r in read_jsonl(WORK / "mix_train.jsonl"):
            by_src.setdefault(r["source"], []).append(r)
        for src, rs in sorted(by_src.items()):
            if caps.get(src, 0) == 0:  # not in this recipe (no draw from rng: the others are unchanged)
                continue
            rng.shuffle(rs)
            train += rs[:caps.get(src, 0)]
        mdev = rng.sample(read_jsonl(WORK / "mix_dev.jsonl"), a.dev_size)
    gdev = []
    if not a.no_graph and (WORK / "graph_train.jsonl").exists():
        g = read_jsonl(WORK / "graph_train.jsonl")
        rng.shuffle(g)
        train += g[:a.graph_train_cap]
        gdev = read_jsonl(WORK / "graph_dev.jsonl")
        gdev = rng.sample(gdev, min(600, len(gdev)))
    print(f"train {len(train)} (vitaminc {n_vitc}) dev {len(dev)} gdev {len(gdev)} mix dev {len(mdev)}", flush=True)
    ftr = featurize(tok, train)
    fdev, fgdev, fmdev = featurize(tok, dev), featurize(tok, gdev), featurize(tok, mdev)
    ydev = np.array([f[2] for f in fdev]); ygdev = np.array([f[2] for f in fgdev])
    ymdev = np.array([f[2] for f in fmdev])
    model = CrossEncoder(SRC / "minilm", pool=a.pool)
    if a.init:
        model.load_state_dict(torch.load(a.init, map_location="cpu"))
        print(f"initialised from {a.init}", flush=True)
    model.train()
    nd = ["bias", "LayerNorm.weight"]
    params = [{"params": [p for n, p in model.named_parameters() if not any(x in n for x in nd)], "weight_decay": 0.01},
              {"params": [p for n, p in model.named_parameters() if any(x in n for x in nd)], "weight_decay": 0.0}]
    opt = torch.optim.AdamW(params, lr=a.lr)
    # Linear warm-up then linear decay over "progress" = max(step / max_steps, elapsed / time_budget):
    # on an idle machine the run is step-limited (deterministic); if the CPU is shared and slower, the
    # schedule still ends fully annealed inside the wall-clock budget.
    def lr_at(progress):
        if progress < a.warmup:
            return a.lr * max(progress, 1.0 / a.max_steps) / a.warmup
        return a.lr * max(0.0, (1.0 - progress) / (1.0 - a.warmup))
    w = None
    if a.class_weights:
        cnt = np.bincount([f[2] for f in ftr], minlength=3).astype(np.float64)
        w = torch.tensor((cnt.sum() / (3 * cnt)) ** 0.5, dtype=torch.float32)
        print("class weights", w.tolist())
    lossf = torch.nn.CrossEntropyLoss(weight=w)
    os.makedirs(a.out, exist_ok=True)
    log = []
    best = -1.0
    step, ep = 0, 0
    t_train = time.time()
    if a.resume and os.path.exists(os.path.join(a.out, "last.pt")):
        st = torch.load(os.path.join(a.out, "last.pt"), map_location="cpu")
        model.load_state_dict(st["model"]); opt.load_state_dict(st["opt"])
        step, best, log = st["step"], st["best"], st["log"]
        t_train -= st["elapsed"]
        rng = random.Random(a.seed + step)
        print(f"resumed at step {step} (best {best:.4f})", flush=True)
    stop = False

    def evaluate():
        nonlocal best
        lv = predict(model, fdev)
        acc = float((lv.argmax(1) == ydev).mean())
        gacc = float((predict(model, fgdev).argmax(1) == ygdev).mean()) if fgdev else None
        macc = float((predict(model, fmdev).argmax(1) == ymdev).mean()) if fmdev else None
        parts = [x for x in (acc, gacc, macc) if x is not None]
        score = sum(parts) / len(parts)
        rec = {"step": step, "dev_acc": acc, "graph_dev_acc": gacc, "mix_dev_acc": macc, "score": score,
               "elapsed_s": round(time.time() - t0, 1)}
        if score > best:
            best = score
            torch.save(model.state_dict(), os.path.join(a.out, "model.pt"))
            rec["saved"] = True
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "best": best, "log": log + [rec],
                    "elapsed": time.time() - t_train}, os.path.join(a.out, "last.pt"))
        log.append(rec)
        print(json.dumps(rec), flush=True)

    run_loss = 0.0
    while not stop:
        for b in batches(ftr, a.bs, rng):
            progress = max(step / a.max_steps, (time.time() - t_train) / a.time_budget)
            if progress >= 1.0:
                stop = True; break
            for gr in opt.param_groups:
                gr["lr"] = lr_at(progress)
            ids, am, tt, y = collate([ftr[i] for i in b])
            with torch.autocast("cpu", dtype=torch.bfloat16):
                lo = model(ids, am, tt)
            loss = lossf(lo.float(), y)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step(); opt.zero_grad(set_to_none=True)
            step += 1
            run_loss = 0.98 * run_loss + 0.02 * loss.item() if step > 1 else loss.item()
            if step % 50 == 0:
                el = time.time() - t_train
                print(f"step {step} ep {ep} loss {run_loss:.4f} lr {opt.param_groups[0]['lr']:.2e} progress {progress:.3f} "
                      f"{el / step:.3f}s/step elapsed {time.time() - t0:.0f}s", flush=True)
            if step % a.dev_every == 0:
                evaluate()
        ep += 1
    if not log or log[-1]["step"] != step:
        evaluate()
    meta = {"args": vars(a), "steps": step, "epochs_started": ep, "n_train": len(ftr),
            "train_wall_s": round(time.time() - t0, 1), "log": log, "best_score": best,
            "torch": torch.__version__}
    json.dump(meta, open(os.path.join(a.out, "train_meta.json"), "w"), indent=2)
    print("done", json.dumps({k: meta[k] for k in ("steps", "train_wall_s", "best_score")}), flush=True)


if __name__ == "__main__":
    main()
