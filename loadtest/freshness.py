#!/usr/bin/env python3
"""Freshness: time from a seller's committed change to the change showing in search.

    python3 loadtest/freshness.py --base http://127.0.0.1:8080 --key cpk_... --sku S0001-000001 --updates 50

Changes the listing's price through PATCH /api/v1/seller/listings/{sku} (the change is
committed when the response arrives), then polls /api/v1/search for the listing's part
number until the new price shows. Reports percentiles of that delay. Bounded: --updates
changes, each given up after 10 s. Loopback only. Standard library only.
"""
import argparse
import http.client
import json
import sys
import time
import urllib.parse


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", default="http://127.0.0.1:8080")
    ap.add_argument("--key", required=True)
    ap.add_argument("--sku", required=True)
    ap.add_argument("--updates", type=int, default=50)
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
            conn.request("GET", f"/api/v1/search?limit=50&q={urllib.parse.quote(number)}")
            hits = json.loads(conn.getresponse().read())["data"]
            if any(h["sku"] == a.sku and h["price_sar"] == price for h in hits):
                delays.append((time.perf_counter() - committed) * 1000)
                break
            if time.perf_counter() - committed > 10:
                sys.exit(f"update {i} not visible after 10 s")
            time.sleep(0.002)
    delays.sort()
    pick = lambda q: delays[min(len(delays) - 1, int(q * (len(delays) - 1)))]
    print(f"{len(delays)} changes; visible in search after p50 {pick(0.5):.0f} ms, p95 {pick(0.95):.0f} ms, "
          f"p99 {pick(0.99):.0f} ms, max {delays[-1]:.0f} ms")


if __name__ == "__main__":
    main()
