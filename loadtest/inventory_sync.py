#!/usr/bin/env python3
"""Load scenario: sellers syncing inventory through POST /api/v1/seller/inventory.

    python3 loadtest/inventory_sync.py --base http://127.0.0.1:8080 --key cpk_... \
        --feed /tmp/catalog.jsonl --batch 1000 --batches 100 --concurrency 2

Takes records from a feed (catalog.py output), drops their `seller` (the key names
the seller), sends them in NDJSON batches over keep-alive connections from several
threads, and reports listings/s and per-request latency. Bounded: it sends exactly
--batches requests and stops. Only for servers on this machine (loopback).
Standard library only.
"""
import argparse
import http.client
import json
import statistics
import sys
import threading
import time
import urllib.parse


def batches_from(feed, batch, count, rewrite_price):
    out, current = [], []
    with open(feed, encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            record.pop("seller", None)
            if rewrite_price:
                # A second pass with new prices measures updates instead of inserts.
                record["price_sar"] = f"{float(record['price_sar']) * 1.05:.2f}"
            current.append(json.dumps(record, ensure_ascii=False))
            if len(current) == batch:
                out.append(("\n".join(current) + "\n").encode())
                current = []
                if len(out) == count:
                    break
    if len(out) < count:
        sys.exit(f"the feed has only {len(out)} full batches of {batch}")
    return out


def worker(base, key, jobs, lock, results):
    url = urllib.parse.urlparse(base)
    if url.hostname not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("load tests run against this machine only")
    conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=120)
    while True:
        with lock:
            if not jobs:
                break
            body = jobs.pop()
        started = time.perf_counter()
        conn.request("POST", "/api/v1/seller/inventory", body=body,
                     headers={"Authorization": f"Bearer {key}", "Content-Type": "application/x-ndjson"})
        response = conn.getresponse()
        payload = response.read()
        elapsed = time.perf_counter() - started
        with lock:
            results.append((response.status, elapsed, payload))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", default="http://127.0.0.1:8080")
    ap.add_argument("--key", required=True)
    ap.add_argument("--feed", required=True)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--batches", type=int, default=100)
    ap.add_argument("--concurrency", type=int, default=2)
    ap.add_argument("--update", action="store_true", help="change every price, to measure updates")
    a = ap.parse_args()

    jobs = batches_from(a.feed, a.batch, a.batches, a.update)
    jobs.reverse()
    lock, results = threading.Lock(), []
    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(a.base, a.key, jobs, lock, results)) for _ in range(a.concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started

    failed = [r for r in results if r[0] not in (200, 207)]
    applied = sum(json.loads(p)["applied"]["inserted"] + json.loads(p)["applied"]["updated"]
                  + json.loads(p)["applied"]["unchanged"] for s, _, p in results if s in (200, 207))
    latencies = sorted(r[1] * 1000 for r in results)
    p = lambda q: latencies[min(len(latencies) - 1, int(q * (len(latencies) - 1)))]
    print(f"requests {len(results)} (failed {len(failed)}), listings applied {applied} in {wall:.2f} s "
          f"= {applied / wall:.0f} listings/s; latency ms p50 {p(0.5):.0f} p95 {p(0.95):.0f} "
          f"max {latencies[-1]:.0f} (mean {statistics.mean(latencies):.0f})")
    if failed:
        print("first failure:", failed[0][0], failed[0][2][:300])
        sys.exit(1)


if __name__ == "__main__":
    main()
