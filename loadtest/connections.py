#!/usr/bin/env python3
"""Many shoppers connected at once: holds N keep-alive connections open to the server,
each searching now and then, and reports how many stayed open and what it cost.

    python3 loadtest/connections.py --connections 10000 --seconds 60 --pid $(pgrep -f 'cargoparts serve') \
        --queries /tmp/queries.txt

Every connection sends one search on opening and then one every --interval seconds
(about 30 s: a shopper reading results), over the same socket. Meanwhile another tool
(wrk with loadtest/search.lua, say) measures searches at full speed. At the end it
prints: connections opened and still open, failed requests, the latency of the held
connections' searches, and the server's peak RSS and open file descriptors (from /proc,
with --pid). Loopback only; asyncio and the standard library only.
"""
import argparse
import asyncio
import os
import random
import resource
import sys
import time
import urllib.parse

MAX_HEADER_BYTES = 64 * 1024


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] if values else float("nan")


class Stats:
    def __init__(self):
        self.opened = 0
        self.open_now = 0
        self.failed = 0
        self.latencies = []
        self.peak_rss_kb = 0
        self.peak_fds = 0


async def search(reader, writer, host, query):
    path = "/api/v1/search?limit=20&q=" + urllib.parse.quote(query)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: keep-alive\r\n\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    if len(head) > MAX_HEADER_BYTES:
        raise ValueError("oversized headers")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    await reader.readexactly(length)
    if status != 200:
        raise ValueError(f"status {status}")


async def shopper(host, port, queries, interval, deadline, stats, opening):
    async with opening:
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError:
            stats.failed += 1
            return
    stats.opened += 1
    stats.open_now += 1
    try:
        # Spread the held connections' searches evenly over the interval.
        await asyncio.sleep(random.random() * interval)
        while time.monotonic() < deadline:
            started = time.perf_counter()
            await search(reader, writer, host, random.choice(queries))
            stats.latencies.append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(interval)
    except (OSError, ValueError, asyncio.IncompleteReadError):
        stats.failed += 1
        stats.open_now -= 1
        return
    writer.close()


def sample_server(pid, stats):
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    stats.peak_rss_kb = max(stats.peak_rss_kb, int(line.split()[1]))
        stats.peak_fds = max(stats.peak_fds, len(os.listdir(f"/proc/{pid}/fd")))
    except OSError:
        pass


async def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", default="http://127.0.0.1:8080")
    ap.add_argument("--connections", type=int, default=10000)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--interval", type=float, default=30)
    ap.add_argument("--queries", required=True, help="raw queries, one per line")
    ap.add_argument("--pid", type=int, help="the server's process id, for its RSS and file descriptors")
    a = ap.parse_args()
    url = urllib.parse.urlparse(a.base)
    if url.hostname not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("load tests run against this machine only")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < a.connections + 100:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, a.connections + 1000), hard))
    queries = [line.strip() for line in open(a.queries, encoding="utf-8") if line.strip()]
    stats = Stats()
    deadline = time.monotonic() + a.seconds
    # Opened a few hundred at a time, as a crowd arrives, not as a SYN flood.
    opening = asyncio.Semaphore(200)
    tasks = [
        asyncio.create_task(shopper(url.hostname, url.port or 80, queries, a.interval, deadline, stats, opening))
        for _ in range(a.connections)
    ]
    while time.monotonic() < deadline:
        if a.pid:
            sample_server(a.pid, stats)
        print(f"\r{stats.open_now} open, {stats.failed} failed, {len(stats.latencies)} searches", end="", file=sys.stderr)
        await asyncio.sleep(1)
    open_at_end = stats.open_now
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    print(file=sys.stderr)
    print(f"connections opened {stats.opened} of {a.connections}; open at the end {open_at_end}; failed {stats.failed}")
    lat = stats.latencies
    print(f"held connections' searches {len(lat)}: p50 {pct(lat, 50):.2f} ms, p95 {pct(lat, 95):.2f} ms, p99 {pct(lat, 99):.2f} ms")
    if a.pid:
        print(f"server peak RSS {stats.peak_rss_kb / 1024:.0f} MB, peak open file descriptors {stats.peak_fds}")


if __name__ == "__main__":
    asyncio.run(main())
