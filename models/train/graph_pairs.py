#!/usr/bin/env python3
"""Generate (evidence, claim, label) pairs from factgate's knowledge graph (knowledge/*.ttl[.gz]).

Evidence = verbalized graph facts about one subject (lexicon templates, several phrasings);
claims agree (SUPPORTS), contradict (REFUTES: another value of the same functional predicate, a
perturbed number / year, a swapped entity of the same type) or are about something else
(NOT_ENOUGH_INFO: another predicate of the subject, another subject, or a predicate the graph does not
hold). Subjects are split train / dev / test (80/10/10, seeded) so test entities are unseen.
Also writes the sidecar evaluation files models/data/graph_{dev,test}.jsonl (claims only, context []).
"""
import collections, gzip, json, math, random, re, sys
from rdflib import Graph, Literal, Namespace, RDF, RDFS, URIRef
from rdflib.namespace import OWL, SKOS, XSD
from common import *

FG = Namespace("https://factgate.dev/ns#")
SCHEMA = Namespace("https://schema.org/")
TYPE_NAME = {SCHEMA.Country: "country", SCHEMA.City: "city", FG.ChemicalElement: "element", SCHEMA.Airport: "airport",
             SCHEMA.Continent: "continent"}
# subjects sampled per type (cities / airports are many and mostly obscure)
PER_TYPE = {"country": 10 ** 9, "element": 10 ** 9, "city": 2500, "airport": 1500}
NAMES = ["Maria Keller", "Jonas Berg", "Amina Diallo", "Kenji Watanabe", "Lucía Fernández", "Pieter de Vries",
         "Olga Petrova", "Rahul Mehta", "Chen Wei", "Fatima Haddad", "Tomás Novák", "Grace Mwangi",
         "Henrik Larsen", "Sofia Rossi", "Ahmed Karimi", "Emily Carter", "Mateus Silva", "Ingrid Solberg"]
ANIMALS = ["lion", "eagle", "bear", "wolf", "falcon", "tiger", "deer", "swan", "owl", "horse"]
THINGS = ["batteries", "fireworks", "glass", "fertilizers", "jewellery", "medicine", "coins", "paint"]
ABSENT = {  # predicates the graph does not hold at all -> NOT_ENOUGH_INFO / UNVERIFIABLE
    "country": ["{s} was founded in {year}.", "The president of {s} is {name}.",
                "The national animal of {s} is the {animal}.", "{s} has {n} universities.",
                "{s} won its first Olympic gold medal in {year}."],
    "city": ["The mayor of {s} is {name}.", "{s} was founded in {year}.", "{s} has {n} museums.",
             "{s} hosted a world fair in {year}."],
    "element": ["{s} was named after {name}.", "{s} is mainly used in {thing}.",
                "The price of {s} is {n} dollars per kilogram."],
    "airport": ["{s} opened in {year}.", "The director of {s} is {name}.", "{s} has {small} runways.",
                "{s} handled {n} thousand flights in 2019."],
}


def load():
    lex = Graph()
    lex.parse(KNOWLEDGE / "lexicon.ttl", format="turtle")
    g = Graph()
    files = []
    for p in sorted(KNOWLEDGE.iterdir()):
        name = p.name
        if name.startswith("lexicon") or not re.search(r"\.(ttl|nt)(\.gz)?$", name):
            continue
        fmt = "nt" if ".nt" in name else "turtle"
        data = gzip.open(p, "rt", encoding="utf-8").read() if name.endswith(".gz") else p.read_text(encoding="utf-8")
        g.parse(data=data, format=fmt)
        files.append(name)
    return lex, g, files


def lexicon(lex):
    out = {}
    for p in lex.subjects(RDF.type, FG.Predicate):
        tpl = sorted(str(t) for t in lex.objects(p, FG.template))
        if not tpl:
            continue
        one = lambda q: next(iter(lex.objects(p, q)), None)
        out[p] = {"name": str(p).split("#")[-1], "label": str(one(RDFS.label) or ""), "templates": tpl,
                  "phrases": [str(x) for x in lex.objects(p, FG.phrase)],
                  "kind": str(one(FG.valueKind) or "string"), "unit": str(one(FG.unit) or ""),
                  "functional": (p, RDF.type, OWL.FunctionalProperty) in lex,
                  "subj": {TYPE_NAME.get(t) for t in lex.objects(p, FG.subjectType)},
                  "tol": float(one(FG.tolerance) or 0.0), "abstol": float(one(FG.absTolerance) or 0.0)}
    return out


def fmt_num(v, rng, kind, allow_words=True):
    if kind == "year":
        return str(int(v))
    if isinstance(v, float) and not v.is_integer():
        s = f"{v:.6g}"
        return s
    v = int(v)
    r = rng.random()
    if v >= 10000 and r < 0.5:
        return f"{v:,}"
    return str(v)


def approx(v, rng, tol):
    """A rounded rendering within tolerance (for SUPPORTS), or None."""
    if tol < 0.05 or v < 1000:
        return None
    for digits in (2, 3):
        e = int(math.floor(math.log10(abs(v)))) - digits + 1
        r = round(v / 10 ** e) * 10 ** e
        if abs(r - v) / v <= min(tol, 0.05):
            word = rng.choice(["about", "around", "roughly", "approximately", "nearly", "some"])
            if r >= 1e6 and rng.random() < 0.6:
                m = r / 1e6
                return f"{word} {m:g} million"
            return f"{word} {int(r):,}"
    return None


def perturb(v, rng, info):
    kind = info["kind"]
    if kind == "year":
        d = rng.choice([-1, 1]) * rng.randint(2, 60)
        return int(v) + d
    isint = float(v).is_integer()
    if info["abstol"] and info["tol"] == 0.0:  # coordinates, elevation, atomic weight
        step = max(info["abstol"] * rng.uniform(4, 40), 1.0 if isint else 0.0)
        nv = v + rng.choice([-1, 1]) * step
    elif isint and abs(v) < 200:
        nv = v + rng.choice([-1, 1]) * rng.randint(1, 3 if abs(v) < 20 else 25)
        if nv <= 0:
            nv = v + rng.randint(1, 3)
    else:
        f = rng.choice([rng.uniform(1.3, 3.0), rng.uniform(0.3, 0.75)])
        nv = v * f
    if isint:
        nv = int(round(nv))
        if abs(nv) >= 10000:  # keep magnitude-like rounding
            e = int(math.log10(abs(nv))) - 3
            nv = int(round(nv / 10 ** e) * 10 ** e)
    else:
        dec = len(str(v).split(".")[-1]) if "." in str(v) else 2
        nv = round(nv, min(dec, 4))
    return nv


def differs(a, b, info):
    if info["kind"] not in ("number", "year"):
        return a != b
    a, b = float(a), float(b)
    lim = max(info["tol"] * abs(a), info["abstol"])
    return abs(a - b) > max(lim * 1.5, 1e-9) and abs(a - b) >= (1 if info["kind"] == "year" else 0)


class KG:
    def __init__(self, g, lex):
        self.g, self.lex = g, lex
        self.label = {}
        for s, o in g.subject_objects(RDFS.label):
            if s not in self.label or (isinstance(o, Literal) and o.language in (None, "en")):
                self.label[s] = str(o)
        self.type = {}
        for s, t in g.subject_objects(RDF.type):
            if t in TYPE_NAME:
                self.type[s] = TYPE_NAME[t]
        self.facts = collections.defaultdict(lambda: collections.defaultdict(list))
        for p in lex:
            for s, o in g.subject_objects(p):
                self.facts[s][p].append(o)
        self.values = collections.defaultdict(list)  # predicate -> list of (subject, value)
        for s, ps in self.facts.items():
            for p, os_ in ps.items():
                for o in os_:
                    self.values[p].append((s, o))
        self.pop = {s: float(ps[FG.population][0]) for s, ps in self.facts.items() if FG.population in ps}
        # cities per country (largest first) for hard "swapped entity" negatives
        self.cities_in = collections.defaultdict(list)
        for s, ps in self.facts.items():
            if self.type.get(s) == "city" and FG.country in ps:
                self.cities_in[ps[FG.country][0]].append(s)
        for c in self.cities_in:
            self.cities_in[c].sort(key=lambda x: -self.pop.get(x, 0))
        # label ambiguity: only the most populous entity of a label is what the sidecar links to
        best = {}
        for s, l in self.label.items():
            k = l.lower()
            if k not in best or self.pop.get(s, 0) > self.pop.get(best[k], 0):
                best[k] = s
        self.unambiguous = {s for s in self.label if best[self.label[s].lower()] == s}

    def val(self, o):
        if isinstance(o, URIRef):
            return self.label.get(o)
        return o.toPython() if isinstance(o, Literal) else str(o)

    def render(self, p, o, rng, style="exact"):
        info = self.lex[p]
        if isinstance(o, URIRef):
            return self.label.get(o)
        v = o.toPython() if isinstance(o, Literal) else o
        if info["kind"] == "year":
            return str(v.year if hasattr(v, "year") else int(str(v)[:4]))
        if info["kind"] == "number":
            v = float(v) if not isinstance(v, int) else v
            if style == "approx":
                a = approx(float(v), rng, info["tol"])
                if a:
                    return a
            return fmt_num(v, rng, "number")
        return str(v)

    def phrasings(self, p, subj_type):
        info = self.lex[p]
        tpl = list(info["templates"])
        if subj_type == "airport" and p == FG.country:
            tpl = [t for t in tpl if "city in" not in t] + ["{s} is an airport in {o}."]
        if subj_type != "city" and p == FG.country:
            tpl = [t for t in tpl if "city in" not in t]
        if info["functional"] and info["label"] and info["kind"] in ("number", "year", "entity") and p not in (FG.country, FG.continent, FG.city):
            unit = f" {info['unit']}" if info["unit"] and info["unit"] != "°" else info["unit"]
            tpl += ["The " + info["label"] + " of {s} is {o}" + unit + ".", "{s}'s " + info["label"] + " is {o}" + unit + "."]
        return tpl


def fill(t, s, o):
    return t.replace("{s}", s).replace("{o}", o)


def main():
    lex_g, g, files = load()
    lex = lexicon(lex_g)
    kg = KG(g, lex)
    rng = random.Random(SEED)
    by_type = collections.defaultdict(list)
    for s in sorted(kg.facts, key=str):
        t = kg.type.get(s)
        if t in PER_TYPE and s in kg.label and len(kg.facts[s]) >= 2:
            by_type[t].append(s)
    split_of = {}
    for t, subs in by_type.items():
        if t == "city":  # prefer larger, unambiguous cities (what claims talk about)
            subs = [s for s in subs if s in kg.unambiguous]
            subs.sort(key=lambda s: -kg.pop.get(s, 0))
            subs = subs[:PER_TYPE[t]]
        else:
            subs = [s for s in subs if s in kg.unambiguous]
            rng.shuffle(subs)
            subs = subs[:PER_TYPE[t]]
        subs = sorted(subs, key=str)
        rng.shuffle(subs)
        n = len(subs)
        for i, s in enumerate(subs):
            split_of[s] = "dev" if i < 0.1 * n else ("test" if i < 0.2 * n else "train")
        by_type[t] = subs
    pairs = collections.defaultdict(list)
    side = collections.defaultdict(list)
    ctr = collections.Counter()

    def evidence(s, preds, r):
        t = kg.type[s]
        sents = []
        for p in preds:
            tpl = lex[p]["templates"]
            for o in kg.facts[s][p][:4]:
                val = kg.render(p, o, r)
                if val:
                    sents.append(fill(r.choice([x for x in kg.phrasings(p, t) if x in tpl] or tpl), kg.label[s], val))
        return " ".join(sents)

    for t, subs in sorted(by_type.items()):
        for s in subs:
            sp = split_of[s]
            r = random.Random(f"{SEED}-{s}")
            sl = kg.label[s]
            preds = [p for p in kg.facts[s] if p in lex and t in lex[p]["subj"]]
            if not preds:
                continue
            for p in preds:
                info = lex[p]
                others = [q for q in preds if q != p]
                ctx_preds = [p] + r.sample(others, min(len(others), r.randint(0, 2)))
                r.shuffle(ctx_preds)
                ev = evidence(s, ctx_preds, r)
                o = r.choice(kg.facts[s][p])
                true_val = kg.render(p, o, r, style=r.choice(["exact", "approx"]))
                if not true_val:
                    continue
                phr = kg.phrasings(p, t)
                rec = lambda hyp, lab, kind: pairs[sp].append(
                    {"id": f"g-{sp}-{len(pairs[sp]):06d}", "premise": ev, "hypothesis": hyp, "label": lab,
                     "kind": kind, "subject": str(s), "predicate": info["name"]})
                rec(fill(r.choice(phr), sl, true_val), "SUPPORTS", "true")
                exact_val = kg.render(p, o, r)
                side[sp].append((f"{fill(r.choice(info['templates']), sl, exact_val)}", "SUPPORTED", "true", s, p))
                # contradictions (functional predicates only)
                if info["functional"]:
                    wrong = None; kind = None
                    v = kg.val(o)
                    if info["kind"] in ("number", "year") and r.random() < 0.6:
                        try:
                            fv = float(v.year) if hasattr(v, "year") else float(str(v)[:4]) if info["kind"] == "year" else float(v)
                        except Exception:
                            fv = None
                        if fv is not None:
                            for _ in range(5):
                                nv = perturb(int(fv) if float(fv).is_integer() else fv, r, info)
                                if differs(fv, nv, info):
                                    wrong = fmt_num(nv, r, info["kind"]); kind = "perturbed_number"; break
                    if wrong is None and info["kind"] == "entity":
                        cand = []
                        if p in (FG.capital, FG.city):  # another city of the same country: hard negative
                            cc = s if p == FG.capital else (kg.facts[s].get(FG.country) or [None])[0]
                            cand = [c for c in kg.cities_in.get(cc, [])[:15] if c != o and c in kg.label]
                        elif p == FG.country and (kg.facts[o].get(FG.neighbour)):
                            cand = [c for c in kg.facts[o][FG.neighbour] if c in kg.label]
                        if cand:
                            wrong = kg.label[r.choice(cand)]; kind = "swapped_entity"
                    if wrong is None:
                        pool = kg.values[p]
                        for _ in range(20):
                            s2, o2 = r.choice(pool)
                            if s2 == s or o2 in kg.facts[s][p]:
                                continue
                            w = kg.render(p, o2, r)
                            if w and w != exact_val and (info["kind"] not in ("number", "year") or
                                                         differs(float(kg.val(o).year if hasattr(kg.val(o), "year") else kg.val(o)) if info["kind"] != "year" else float(str(kg.val(o))[:4]),
                                                                 float(str(kg.val(o2))[:4]) if info["kind"] == "year" else float(kg.val(o2)), info)):
                                wrong = w; kind = "other_value"; break
                    if wrong:
                        rec(fill(r.choice(phr), sl, wrong), "REFUTES", kind)
                        side[sp].append((fill(r.choice(info["templates"]), sl, wrong), "CONTRADICTED", kind, s, p))
                # not enough info: another predicate of the same subject (not in the evidence)
                missing = [q for q in preds if q not in ctx_preds]
                if missing and r.random() < 0.45:
                    q = r.choice(missing)
                    oq = r.choice(kg.facts[s][q])
                    vq = kg.render(q, oq, r)
                    if vq:
                        rec(fill(r.choice(kg.phrasings(q, t)), sl, vq), "NOT_ENOUGH_INFO", "other_predicate")
                if r.random() < 0.2:  # another subject of the same type, same predicate
                    s2 = r.choice(by_type[t])
                    if s2 != s and p in kg.facts[s2]:
                        v2 = kg.render(p, kg.facts[s2][p][0], r)
                        if v2:
                            rec(fill(r.choice(phr), kg.label[s2], v2), "NOT_ENOUGH_INFO", "other_subject")
            # predicates the graph does not hold
            for _ in range(2 if t in ("country", "element") else 1):
                tpl = r.choice(ABSENT[t])
                claim = tpl.format(s=sl, year=r.randint(1100, 2015), name=r.choice(NAMES), animal=r.choice(ANIMALS),
                                   n=r.randint(3, 950), small=r.randint(1, 5), thing=r.choice(THINGS))
                ev = evidence(s, r.sample(preds, min(len(preds), r.randint(1, 3))), r)
                pairs[sp].append({"id": f"g-{sp}-{len(pairs[sp]):06d}", "premise": ev, "hypothesis": claim,
                                  "label": "NOT_ENOUGH_INFO", "kind": "absent_predicate", "subject": str(s),
                                  "predicate": None})
                side[sp].append((claim, "UNVERIFIABLE", "absent_predicate", s, None))
    # sidecar claims must not accidentally contain a lexicon phrase for UNVERIFIABLE
    phr_re = re.compile(r"\b(" + "|".join(sorted({re.escape(x) for i in lex.values() for x in i["phrases"]}, key=len, reverse=True)) + r")\b", re.I)
    stats = {"files": files, "subjects": {t: {sp: sum(1 for s in subs if split_of[s] == sp) for sp in ("train", "dev", "test")}
                                         for t, subs in by_type.items()}}
    caps = {"train": 40000, "dev": 3000, "test": 3000}
    for sp in ("train", "dev", "test"):
        rows = pairs[sp]
        random.Random(SEED + 7).shuffle(rows)
        rows = rows[:caps[sp]]
        write_jsonl(WORK / f"graph_{sp}.jsonl", rows)
        stats[sp] = {"pairs": len(rows), "labels": dict(collections.Counter(x["label"] for x in rows)),
                     "kinds": dict(collections.Counter(x["kind"] for x in rows))}
        if sp == "train":
            continue
        cand = [c for c in side[sp] if not (c[1] == "UNVERIFIABLE" and phr_re.search(c[0].replace(kg.label[c[3]], "")))]
        r = random.Random(SEED + (11 if sp == "dev" else 12))
        byl = collections.defaultdict(list)
        for c in cand:
            byl[c[1]].append(c)
        out = []
        quota = {"SUPPORTED": 400, "CONTRADICTED": 400, "UNVERIFIABLE": 200}
        for lab, q in quota.items():
            lst = byl[lab]; r.shuffle(lst); out += lst[:q]
        r.shuffle(out)
        side_rows = [{"id": f"graph-{sp}-{i:04d}", "text": c[0], "prompt": None, "context": [], "label": c[1],
                      "source": "graph"} for i, c in enumerate(out)]
        write_jsonl(DATA_OUT / f"graph_{sp}.jsonl", side_rows)
        stats[f"sidecar_{sp}"] = dict(collections.Counter(x["label"] for x in side_rows))
    (WORK / "graph_stats.json").write_text(json.dumps(stats, indent=2))
    print(json.dumps(stats, indent=2))


if __name__ == "__main__":
    main()
