#!/usr/bin/env python3
"""Search latency and relevance over judged queries, server-side and through HTTP.

    python3 loadtest/search_latency.py --base http://127.0.0.1:8080 --queries QUERIES.jsonl --rounds 5

Sends every query of the file (queries.py format) --rounds times, one at a time over
one keep-alive connection, and reports the percentiles of the service's own
`meta.took_ms` and of the client-side round trip. With --seconds it cycles through the
queries for that long instead (to cover a reindex, say). Any answer but 200 stops it
with an error. Bounded; loopback only. Standard library only.
"""
import argparse
import http.client
import itertools
import json
import sys
import time
import urllib.parse


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", default="http://127.0.0.1:8080")
    ap.add_argument("--queries", required=True)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--limit", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=0, help="cycle through the queries this long instead")
    a = ap.parse_args()
    url = urllib.parse.urlparse(a.base)
    if url.hostname not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("load tests run against this machine only")
    queries = [json.loads(line)["q"] for line in open(a.queries, encoding="utf-8")]
    conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=30)
    took, wall = [], []
    deadline = time.perf_counter() + a.seconds
    rounds = itertools.count() if a.seconds > 0 else range(a.rounds)
    for _ in rounds:
        if a.seconds > 0 and time.perf_counter() >= deadline:
            break
        for q in queries:
            path = f"/api/v1/search?limit={a.limit}&q={urllib.parse.quote(q)}"
            started = time.perf_counter()
            conn.request("GET", path)
            response = conn.getresponse()
            body = response.read()
            wall.append((time.perf_counter() - started) * 1000)
            if response.status != 200:
                sys.exit(f"{response.status} for {q!r}: {body[:200]!r}")
            took.append(json.loads(body)["meta"]["took_ms"])
    print(f"{len(took)} searches; server took_ms p50 {pct(took, 50):.2f} p95 {pct(took, 95):.2f} "
          f"p99 {pct(took, 99):.2f} max {max(took):.2f}; HTTP ms p50 {pct(wall, 50):.2f} "
          f"p95 {pct(wall, 95):.2f} p99 {pct(wall, 99):.2f}")


if __name__ == "__main__":
    main()
