#!/usr/bin/env python3
"""A catalog with Japanese listings, and judged Japanese queries for it.

    python3 loadtest/japanese_catalog.py --catalog CAT.jsonl --truth TRUTH.jsonl --share 0.2 --seed 3 \
        --out CAT-JA.jsonl --queries JA-QUERIES.jsonl --n 99

Rewrites --share of the listings of a catalog made by ../shared/datagen/catalog.py as
imported JDM parts are listed: a Japanese title written without spaces (car, 用, part,
a condition word, sometimes 純正品 and the part number) and a Japanese description. The
Japanese names are the vocabulary's own (analyzers/data/*.toml), so what the titles say
is what the service may understand.

The queries (queries.py's format, for ../shared/eval/search_eval.py) are of three kinds:
`ja_part_model` (「カムリ オイルフィルター」), `ja_part` (「オイルフィルター」) and `ja_word` (a
word of the descriptions that no vocabulary knows, which only segmentation can find).
A listing is judged by what it is, not by the language of its title: grade 3 for the
right part fitting the model, 2 for the right part (ja_part), 1 for a listing whose
description holds the word (ja_word). What a listing is and fits comes from the catalog's
truth file, as many sellers leave the fitment out of the feed and name the car only in
the title. Standard library only.
"""
import argparse
import json
import pathlib
import random
import tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA = ROOT / "analyzers" / "data"

# Words of Japanese parts descriptions, none of them in the vocabulary.
DESCRIPTION_WORDS = ["輸入", "動作確認済み", "送料", "保証", "在庫", "即納", "状態良好", "走行距離"]
CONDITION_WORDS = {"new": "新品", "used": "中古", "refurbished": "リビルト"}


def katakana_or_kanji(terms):
    """The vocabulary's Japanese terms written without spaces."""
    out = [t for t in terms if any("\u3040" <= c <= "\u30ff" or "\u4e00" <= c <= "\u9fff" for c in t) and " " not in t]
    return out


def vocabulary():
    categories = tomllib.loads((DATA / "categories.toml").read_text(encoding="utf-8"))["category"]
    vehicles = tomllib.loads((DATA / "vehicles.toml").read_text(encoding="utf-8"))["make"]
    parts = {c["slug"]: katakana_or_kanji(c["terms"]) for c in categories}
    makes, models = {}, {}
    for make in vehicles:
        makes[make["name"]] = katakana_or_kanji(make["spellings"])
        for model in make["models"]:
            models[(make["name"], model["name"])] = katakana_or_kanji(model["spellings"])
    return parts, makes, models


def japanese_listing(listing, truth, parts, makes, models, rng):
    """The listing rewritten in Japanese, or None when the vocabulary cannot name it."""
    part = parts.get(listing["category"])
    fit = truth["fitment"][0] if truth["fitment"] else None
    if not part or not fit:
        return None
    make = makes.get(fit["make"])
    model = models.get((fit["make"], fit["model"]))
    if not make or not model:
        return None
    title = f"{rng.choice(make)}{rng.choice(model)}用{rng.choice(part)}{CONDITION_WORDS.get(listing['condition'], '')}"
    if rng.random() < 0.5:
        title += "純正品"
    if listing["oem_numbers"]:
        title += " " + listing["oem_numbers"][0]
    # Written without punctuation between the words, as one run only segmentation splits.
    words = rng.sample(DESCRIPTION_WORDS, 2)
    description = f"日本から{words[0]}の部品で{words[1]}です {fit['year_from']}年式から{fit['year_to']}年式まで"
    rewritten = {**listing, "title": title, "description": description}
    rewritten.pop("title_ar", None)
    return rewritten


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--catalog", required=True)
    ap.add_argument("--truth", required=True, help="the truth file catalog.py wrote beside it")
    ap.add_argument("--share", type=float, default=0.2)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--out", required=True)
    ap.add_argument("--queries", required=True)
    ap.add_argument("--n", type=int, default=100)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    parts, makes, models = vocabulary()

    truths = {}
    with open(a.truth, encoding="utf-8") as src:
        for line in src:
            truth = json.loads(line)
            truths[truth["sku"]] = truth
    listings = []
    with open(a.catalog, encoding="utf-8") as src, open(a.out, "w", encoding="utf-8") as out:
        for line in src:
            listing = json.loads(line)
            if rng.random() < a.share:
                listing = japanese_listing(listing, truths[listing["sku"]], parts, makes, models, rng) or listing
            listings.append(listing)
            out.write(json.dumps(listing, ensure_ascii=False) + "\n")

    def fits(listing, make, model):
        return any(f["make"] == make and f["model"] == model for f in truths[listing["sku"]]["fitment"])

    japanese = [l for l in listings if l["description"].startswith("日本から")]
    queries = []
    kinds = ["ja_part_model", "ja_part", "ja_word"]
    for i in range(a.n):
        kind = kinds[i % len(kinds)]
        seed = rng.choice(japanese)
        fit = truths[seed["sku"]]["fitment"][0]
        if kind == "ja_part_model":
            q = f"{rng.choice(models[(fit['make'], fit['model'])])} {rng.choice(parts[seed['category']])}"
            judged = {
                l["sku"]: 3 for l in listings if l["category"] == seed["category"] and fits(l, fit["make"], fit["model"])
            }
            intent = {"category": seed["category"], "make": fit["make"], "model": fit["model"]}
        elif kind == "ja_part":
            q = rng.choice(parts[seed["category"]])
            judged = {l["sku"]: 2 for l in listings if l["category"] == seed["category"]}
            intent = {"category": seed["category"]}
        else:
            q = rng.choice(DESCRIPTION_WORDS)
            judged = {l["sku"]: 1 for l in japanese if q in l["description"]}
            intent = {"word": q}
        queries.append({"qid": f"{kind}-{i:03d}", "q": q, "kind": kind, "intent": intent, "judgments": judged})
    with open(a.queries, "w", encoding="utf-8") as out:
        for query in queries:
            out.write(json.dumps(query, ensure_ascii=False) + "\n")
    print(f"{len(japanese)} of {len(listings)} listings in Japanese; {len(queries)} queries")


if __name__ == "__main__":
    main()
