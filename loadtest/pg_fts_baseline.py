#!/usr/bin/env python3
"""The baseline: the same judged queries against plain PostgreSQL full-text search.

    pip install "psycopg[binary]"
    python3 loadtest/pg_fts_baseline.py --dsn postgresql://postgres@127.0.0.1:5432/cargoparts \
        --queries QUERIES.jsonl --rounds 3

What a team without a search engine would ship: a GIN index over
to_tsvector('simple', title || title_ar || oem_numbers), queried with
websearch_to_tsquery and ranked by ts_rank, with the total count the API needs.
Creates that index if missing (once, outside the timings). Prints nDCG@10, empty
share and latency percentiles computed like ../shared/eval/search_eval.py.
"""
import argparse
import json
import math
import sys
import time

import psycopg

# array_to_string is only STABLE, so the document goes through an IMMUTABLE wrapper
# that an expression index may use.
DOCUMENT_FUNCTION = """
CREATE OR REPLACE FUNCTION fts_baseline_document(title text, title_ar text, oem text[]) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN to_tsvector('simple', title || ' ' || coalesce(title_ar, '') || ' ' || array_to_string(oem, ' '))
"""
DOCUMENT = "fts_baseline_document(l.title, l.title_ar, l.oem_numbers)"


def dcg(grades):
    return sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(grades))


def ndcg(skus, judgments, k=10):
    ideal = dcg(sorted(judgments.values(), reverse=True)[:k])
    return dcg([judgments.get(s, 0) for s in skus[:k]]) / ideal if ideal > 0 else 0.0


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dsn", required=True)
    ap.add_argument("--queries", required=True)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    queries = [json.loads(line) for line in open(a.queries, encoding="utf-8")]
    with psycopg.connect(a.dsn, autocommit=True) as conn:
        conn.execute(DOCUMENT_FUNCTION)
        conn.execute("CREATE INDEX IF NOT EXISTS listings_fts_baseline ON listings USING gin "
                     "(fts_baseline_document(title, title_ar, oem_numbers))")
        conn.execute("ANALYZE listings")
        search = (f"SELECT l.sku, count(*) OVER () FROM listings l WHERE l.status = 'active' "
                  f"AND {DOCUMENT} @@ websearch_to_tsquery('simple', %s) "
                  f"ORDER BY ts_rank({DOCUMENT}, websearch_to_tsquery('simple', %s)) DESC LIMIT 20")
        latencies, scores, empty = [], [], 0
        for round_ in range(a.rounds):
            for q in queries:
                started = time.perf_counter()
                rows = conn.execute(search, (q["q"], q["q"])).fetchall()
                latencies.append((time.perf_counter() - started) * 1000)
                if round_ == 0:
                    skus = [r[0] for r in rows]
                    scores.append(ndcg(skus, q["judgments"]))
                    empty += not skus
    n = len(queries)
    print(f"PostgreSQL FTS: {n} queries; nDCG@10 {sum(scores) / n:.3f}; empty {empty / n:.2f}; "
          f"latency ms p50 {pct(latencies, 50):.1f} p95 {pct(latencies, 95):.1f} p99 {pct(latencies, 99):.1f}")


if __name__ == "__main__":
    sys.exit(main())
