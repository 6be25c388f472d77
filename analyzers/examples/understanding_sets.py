#!/usr/bin/env python3
"""Evaluation sets for the `understanding` example, made with the shared data generators.

    python3 catalog.py --listings 20000 --sellers 200 --seed 7 --out cat.jsonl --truth truth.jsonl
    python3 queries.py --truth truth.jsonl --n 400 --seed 11 --out q400.jsonl
    python3 understanding_sets.py --datagen /work/shared/datagen --catalog cat.jsonl \
        --truth truth.jsonl --queries q400.jsonl --out-dir /tmp/understanding

Writes three files of `text<TAB>category<TAB>make<TAB>model<TAB>kind` lines (an
empty field is not asked for):

- titles.tsv: every catalog title with the real category, make and model of its sku;
- queries.tsv: the dev queries with the fields of their intent;
- typos.tsv: English part/model/year queries rendered like queries.py's
  en_part_model_year, each with one or two typing slips in the model and part
  words (deletion, insertion, substitution, adjacent transposition, two words
  glued, a space moved); `kind` names the slip, or is `two-slips`.
"""
import argparse
import json
import random
import string
import sys
from pathlib import Path


def tsv_line(text, category, make, model, kind):
    fields = [text, category or "", make or "", model or "", kind]
    return "\t".join(f.replace("\t", " ").replace("\n", " ") for f in fields) + "\n"


def slip(rng, word):
    """One random typing slip inside `word`, at any position (the first letter too)."""
    kind = rng.choice(["deletion", "insertion", "substitution", "transposition"])
    i = rng.randrange(len(word))
    if kind == "deletion":
        return word[:i] + word[i + 1:], kind
    if kind == "insertion":
        # Half the time the neighbouring letter is doubled, as fingers do.
        letter = word[i] if rng.random() < 0.5 else rng.choice(string.ascii_lowercase)
        return word[:i] + letter + word[i:], kind
    if kind == "substitution":
        letter = rng.choice([c for c in string.ascii_lowercase if c != word[i]])
        return word[:i] + letter + word[i + 1:], kind
    i = rng.randrange(len(word) - 1)
    if word[i] == word[i + 1]:
        return word[:i] + word[i + 1:], "deletion"
    return word[:i] + word[i + 1] + word[i] + word[i + 2:], kind


def typo_query(rng, model, part, year):
    """An English query with one or two slips in the model and part words."""
    model_words = model.lower().split(" ")
    part_words = part.split(" ")
    kinds = []
    # Only letter words of four letters or more carry typing slips here:
    # shorter ones (lx, ac, cr-v) are too short to correct.
    slots = [("model", i) for i, w in enumerate(model_words) if w.isalpha() and len(w) >= 4]
    slots += [("part", i) for i, w in enumerate(part_words) if w.isalpha() and len(w) >= 4]
    joinable = len(part_words) > 1
    n_slips = 1 if rng.random() < 0.7 else 2
    for _ in range(n_slips):
        r = rng.random()
        if joinable and r < 0.12:
            i = rng.randrange(len(part_words) - 1)
            part_words[i:i + 2] = [part_words[i] + part_words[i + 1]]
            kinds.append("glued")
            joinable = len(part_words) > 1
            slots = [(k, i) for k, i in slots if k == "model" or i < len(part_words)]
        elif joinable and r < 0.24:
            i = rng.randrange(len(part_words) - 1)
            a, b = part_words[i], part_words[i + 1]
            if rng.random() < 0.5 and len(b) > 2:
                a, b = a + b[0], b[1:]
            elif len(a) > 2:
                a, b = a[:-1], a[-1] + b
            part_words[i], part_words[i + 1] = a, b
            kinds.append("space-moved")
            joinable = False
        elif slots:
            where, i = rng.choice(slots)
            words = model_words if where == "model" else part_words
            if len(words[i]) < 2:
                continue
            words[i], kind = slip(rng, words[i])
            kinds.append(f"{where}-{kind}")
    query = f"{' '.join(model_words)} {' '.join(part_words)} {year}"
    # Two slips can undo each other (a letter swapped back).
    if not kinds or query == f"{model.lower()} {part} {year}":
        return None
    return query, kinds[0] if len(kinds) == 1 else "two-slips"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datagen", default="/work/shared/datagen")
    ap.add_argument("--catalog", required=True)
    ap.add_argument("--truth", required=True)
    ap.add_argument("--queries", required=True)
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--typos", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=23)
    a = ap.parse_args()
    sys.path.insert(0, a.datagen)
    from vocab import CATEGORIES  # noqa: E402

    out = Path(a.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    truth = {}
    with open(a.truth, encoding="utf-8") as f:
        for line in f:
            t = json.loads(line)
            truth[t["sku"]] = t
    with open(a.catalog, encoding="utf-8") as f, open(out / "titles.tsv", "w", encoding="utf-8") as w:
        for line in f:
            rec = json.loads(line)
            t = truth[rec["sku"]]
            fit = t["fitment"][0]
            w.write(tsv_line(rec["title"], t["category"], fit["make"], fit["model"], f"title-{t['lang']}"))
    with open(a.queries, encoding="utf-8") as f, open(out / "queries.tsv", "w", encoding="utf-8") as w:
        for line in f:
            q = json.loads(line)
            i = q["intent"]
            w.write(tsv_line(q["q"], i.get("category"), i.get("make"), i.get("model"), q["kind"]))

    rng = random.Random(a.seed)
    items = list(truth.values())
    made = 0
    with open(out / "typos.tsv", "w", encoding="utf-8") as w:
        while made < a.typos:
            t = rng.choice(items)
            fit = t["fitment"][0]
            part = rng.choice(CATEGORIES[t["category"]][2])
            year = rng.randint(fit["year_from"], fit["year_to"])
            made_query = typo_query(rng, fit["model"], part, year)
            if made_query is None:
                continue
            q, kind = made_query
            w.write(tsv_line(q, t["category"], fit["make"], fit["model"], kind))
            made += 1


if __name__ == "__main__":
    main()
