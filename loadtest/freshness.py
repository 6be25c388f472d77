#!/usr/bin/env python3
"""Freshness: time from a seller's committed change to the change showing in search.

    python3 loadtest/freshness.py --base http://127.0.0.1:8080 --key cpk_... --sku S0001-000001 --updates 50
    python3 loadtest/freshness.py ... --background-rate 200 --searchers 2 --queries dev-queries.jsonl

Changes the listing's price through PATCH /api/v1/seller/listings/{sku} (the change is
committed when the response arrives), then polls /api/v1/search for the listing's part
number (among the seller's listings) until the new price shows. Reports percentiles of that delay. Bounded: --updates
changes, each given up after 10 s. Loopback only. Standard library only.

Under load: --background-rate keeps a steady stream of that many price updates per
second on the seller's other listings (each its own transaction, as sellers' systems
send them), and --searchers threads search continuously with the queries of --queries
(JSON Lines with a "q" field, as datagen/queries.py writes them) meanwhile. The achieved rates are
reported beside the delays.
"""
import argparse
import http.client
import itertools
import json
import sys
import threading
import time
import urllib.parse


def background_updates(base, auth, skus, rate, stop, counter):
    """PATCHes the prices of `skus` round-robin at `rate` per second until `stop`."""
    conn = http.client.HTTPConnection(base.hostname, base.port or 80, timeout=10)
    started = time.perf_counter()
    for n, sku in enumerate(itertools.cycle(skus)):
        if stop.is_set():
            return
        due = started + n / rate
        wait = due - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        path = f"/api/v1/seller/listings/{urllib.parse.quote(sku, safe='')}"
        body = json.dumps({"price_sar": f"{50 + n % 500}.{n % 100:02d}"})
        conn.request("PATCH", path, body=body, headers={**auth, "Content-Type": "application/json"})
        response = conn.getresponse()
        response.read()
        if response.status == 200:
            counter[0] += 1


def background_searches(base, queries, stop, counter):
    conn = http.client.HTTPConnection(base.hostname, base.port or 80, timeout=10)
    for q in itertools.cycle(queries):
        if stop.is_set():
            return
        conn.request("GET", f"/api/v1/search?q={urllib.parse.quote(q)}")
        response = conn.getresponse()
        response.read()
        if response.status == 200:
            counter[0] += 1


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", default="http://127.0.0.1:8080")
    ap.add_argument("--key", required=True)
    ap.add_argument("--sku", required=True)
    ap.add_argument("--updates", type=int, default=50)
    ap.add_argument("--background-rate", type=float, default=0, help="other updates per second meanwhile")
    ap.add_argument("--updaters", type=int, default=4, help="connections sharing the background rate")
    ap.add_argument("--searchers", type=int, default=0, help="threads searching meanwhile")
    ap.add_argument("--queries", help="JSON Lines with a 'q' field, for --searchers")
    a = ap.parse_args()
    url = urllib.parse.urlparse(a.base)
    if url.hostname not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("load tests run against this machine only")
    conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=10)
    auth = {"Authorization": f"Bearer {a.key}"}
    path = f"/api/v1/seller/listings/{urllib.parse.quote(a.sku, safe='')}"
    conn.request("GET", path, headers=auth)
    listing = json.loads(conn.getresponse().read())
    number = listing["oem_numbers"][0]
    # Narrowed to the seller: in a large catalog many listings share a part number.
    seller = listing["seller"]["id"]
    stop = threading.Event()
    threads, updated, searched = [], [0], [0]
    if a.background_rate > 0:
        conn.request("GET", "/api/v1/seller/listings?limit=100", headers=auth)
        others = [l["sku"] for l in json.loads(conn.getresponse().read())["data"] if l["sku"] != a.sku]
        if not others:
            sys.exit("the seller has no other listings for the background stream")
        for i in range(a.updaters):
            share = others[i::a.updaters] or others
            threads.append(threading.Thread(target=background_updates, daemon=True,
                                            args=(url, auth, share, a.background_rate / a.updaters, stop, updated)))
    if a.searchers > 0:
        if not a.queries:
            sys.exit("--searchers needs --queries")
        with open(a.queries, encoding="utf-8") as f:
            rows = [json.loads(line) for line in f if line.strip()]
            queries = [r.get("q", r.get("query")) for r in rows]
        for _ in range(a.searchers):
            threads.append(threading.Thread(target=background_searches, daemon=True,
                                            args=(url, queries, stop, searched)))
    for t in threads:
        t.start()
    load_started = time.perf_counter()
    if threads:
        time.sleep(2)  # let the stream reach its steady rate first
    delays = []
    for i in range(a.updates):
        price = f"{100 + i}.{i % 100:02d}"
        conn.request("PATCH", path, body=json.dumps({"price_sar": price}),
                     headers={**auth, "Content-Type": "application/json"})
        response = conn.getresponse()
        response.read()
        committed = time.perf_counter()
        if response.status != 200:
            sys.exit(f"PATCH answered {response.status}")
        while True:
            conn.request("GET", f"/api/v1/search?limit=50&seller={seller}&q={urllib.parse.quote(number)}")
            hits = json.loads(conn.getresponse().read())["data"]
            if any(h["sku"] == a.sku and h["price_sar"] == price for h in hits):
                delays.append((time.perf_counter() - committed) * 1000)
                break
            if time.perf_counter() - committed > 10:
                sys.exit(f"update {i} not visible after 10 s")
            time.sleep(0.002)
    load_seconds = time.perf_counter() - load_started
    stop.set()
    if threads:
        print(f"meanwhile: {updated[0] / load_seconds:.0f} background updates/s, "
              f"{searched[0] / load_seconds:.0f} searches/s over {load_seconds:.0f} s")
    delays.sort()
    pick = lambda q: delays[min(len(delays) - 1, int(q * (len(delays) - 1)))]
    print(f"{len(delays)} changes; visible in search after p50 {pick(0.5):.0f} ms, p95 {pick(0.95):.0f} ms, "
          f"p99 {pick(0.99):.0f} ms, max {delays[-1]:.0f} ms")


if __name__ == "__main__":
    main()
