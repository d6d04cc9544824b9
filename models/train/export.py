#!/usr/bin/env python3
"""Export the trained cross-encoder to ONNX (fp32 + dynamic int8), check ORT vs torch, save the pair tokenizer."""
import argparse, json, os, random
import numpy as np
import torch
from common import *
from model import CrossEncoder

INPUTS = ["input_ids", "attention_mask", "token_type_ids"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default=str(WORK / "ckpt"))
    ap.add_argument("--out", default=str(WORK / "onnx"))
    a = ap.parse_args()
    torch.set_num_threads(2)
    meta = json.load(open(os.path.join(a.ckpt, "train_meta.json")))
    max_length = meta["args"]["max_length"]
    model = CrossEncoder(SRC / "minilm", pool=meta["args"]["pool"])
    model.load_state_dict(torch.load(os.path.join(a.ckpt, "model.pt"), map_location="cpu"))
    model.eval()
    os.makedirs(a.out, exist_ok=True)
    # tokenizer for pair input: no padding, premise-first truncation at max_length
    tok = load_pair_tokenizer(max_length=max_length)
    tok.save(os.path.join(a.out, "tokenizer.json"))
    rows = random.Random(SEED).sample(read_jsonl(WORK / "vitc_dev.jsonl"), 64)
    encs = tok.encode_batch([(r["premise"], r["hypothesis"]) for r in rows])
    n = max(len(e.ids) for e in encs)
    ids = np.zeros((len(encs), n), np.int64); am = np.zeros_like(ids); tt = np.zeros_like(ids)
    for i, e in enumerate(encs):
        ids[i, :len(e.ids)] = e.ids; am[i, :len(e.ids)] = 1; tt[i, :len(e.ids)] = e.type_ids
    fp32 = os.path.join(a.out, "model_fp32.onnx")
    dummy = tuple(torch.from_numpy(x[:2, :16]) for x in (ids, am, tt))
    torch.onnx.export(model, dummy, fp32, input_names=INPUTS, output_names=["logits"],
                      dynamic_axes={k: {0: "batch", 1: "sequence"} for k in INPUTS} | {"logits": {0: "batch"}},
                      opset_version=17, do_constant_folding=True, dynamo=False)
    import onnx
    onnx.checker.check_model(fp32)
    import onnxruntime as ort
    from onnxruntime.quantization import QuantType, quantize_dynamic
    int8 = os.path.join(a.out, "model_int8.onnx")
    quantize_dynamic(fp32, int8, per_channel=True, weight_type=QuantType.QInt8)
    with torch.no_grad():
        ref = model(*(torch.from_numpy(x) for x in (ids, am, tt))).numpy()
    so = ort.SessionOptions(); so.intra_op_num_threads = 2; so.inter_op_num_threads = 1
    res = {"max_length": max_length, "pool": meta["args"]["pool"], "sample": len(rows)}
    for name, path in (("fp32", fp32), ("int8", int8)):
        s = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
        out = s.run(["logits"], {"input_ids": ids, "attention_mask": am, "token_type_ids": tt})[0]
        d = float(np.abs(out - ref).max())
        agree = float((out.argmax(1) == ref.argmax(1)).mean())
        res[name] = {"max_abs_diff_vs_torch": d, "argmax_agreement": agree, "bytes": os.path.getsize(path)}
        print(f"{name}: ONNX Runtime vs torch on {len(rows)} padded dev pairs: max abs diff {d:.3e}, "
              f"argmax agreement {agree:.3f}, size {os.path.getsize(path) / 1e6:.1f} MB", flush=True)
    json.dump(res, open(os.path.join(a.out, "export.json"), "w"), indent=2)


if __name__ == "__main__":
    main()
