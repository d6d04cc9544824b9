"""Shared constants and helpers for the factgate verifier pipeline."""
import hashlib, json, os, re
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODELS = HERE.parent
REPO = MODELS.parent
WORK = HERE / "work"
SRC = WORK / "src"
DATA_OUT = MODELS / "data"
VERIFIER = MODELS / "verifier"
KNOWLEDGE = REPO / "knowledge"

LABELS = ["SUPPORTS", "REFUTES", "NOT_ENOUGH_INFO"]  # logits order
L2I = {l: i for i, l in enumerate(LABELS)}
SIDECAR_LABEL = {"SUPPORTS": "SUPPORTED", "REFUTES": "CONTRADICTED", "NOT_ENOUGH_INFO": "UNVERIFIABLE"}
SEED = 20261128
MAX_LENGTH = int(os.environ.get("FG_MAX_LENGTH", "128"))


def read_jsonl(p):
    with open(p, encoding="utf-8") as f:
        return [json.loads(l) for l in f if l.strip()]


def write_jsonl(p, rows):
    """JSON Lines; gzipped when the name ends in .gz, with no name or time in the header, so the
    same rows give the same bytes."""
    Path(p).parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")
    if str(p).endswith(".gz"):
        import gzip
        with open(p, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as f:
            f.write(text)
    else:
        Path(p).write_bytes(text)


def load_pair_tokenizer(path=None, max_length=MAX_LENGTH):
    """The MiniLM tokenizer with padding disabled and premise-first truncation for pairs."""
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(str(path or (SRC / "minilm" / "tokenizer.json")))
    tok.no_padding()
    tok.enable_truncation(max_length=max_length, strategy="only_first", direction="right")
    return tok


def encode_pairs(tok, premises, hypotheses, max_length=MAX_LENGTH):
    """Encode (premise, hypothesis) pairs; falls back to longest_first when the claim alone is too long."""
    encs = tok.encode_batch(list(zip(premises, hypotheses)))
    return encs


NUM_RE = re.compile(r"\d+(?:[.,]\d+)*")


def split_of(doc_key):
    """train / dev / test (80 / 10 / 10) of a source document, by a seeded hash of its text."""
    h = int(hashlib.sha256(f"{SEED}:{doc_key}".encode()).hexdigest()[:8], 16) % 100
    return "train" if h < 80 else ("dev" if h < 90 else "test")


def sidecar(i, text, prompt, ctx, label, source, correct=None):
    """A row of the sidecar's labeled format (models/data/README.md)."""
    r = {"id": i, "text": text, "prompt": prompt, "context": [{"id": f"{i}-ctx", "text": ctx}] if ctx else [],
         "label": label, "source": source}
    if correct is not None:
        r["correct"] = correct
    return r
