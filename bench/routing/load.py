#!/usr/bin/env python3
"""Sends N chat requests over CONCURRENCY keep-alive connections and prints latency percentiles.

Usage: load.py PORT MODEL N CONCURRENCY [KEY] [unique]
  unique: every request gets its own content (so a response cache never hits).
Prints one JSON line: {"n", "errors", "p50_ms", "p90_ms", "p99_ms", "max_ms", "mean_ms", "cache_hits", "routes"}.
"""
import http.client
import json
import socket
import sys
import threading
import time

port, model, total, concurrency = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
key = sys.argv[5] if len(sys.argv) > 5 else ""
unique = len(sys.argv) > 6 and sys.argv[6] == "unique"
latencies, errors, hits, routes = [], [0], [0], {}
lock = threading.Lock()
counter = [0]


def worker():
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.connect()
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    headers = {"content-type": "application/json"}
    if key:
        headers["authorization"] = "Bearer " + key
    while True:
        with lock:
            if counter[0] >= total:
                break
            counter[0] += 1
            n = counter[0]
        content = f"Say hello ({n})" if unique else "Say hello"
        body = json.dumps({"model": model, "messages": [{"role": "user", "content": content}]})
        start = time.perf_counter()
        conn.request("POST", "/v1/chat/completions", body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        elapsed = (time.perf_counter() - start) * 1000
        with lock:
            latencies.append(elapsed)
            if response.status != 200:
                errors[0] += 1
            if response.getheader("x-keel-cache") == "hit":
                hits[0] += 1
            route = response.getheader("x-keel-route") or "-"
            routes[route] = routes.get(route, 0) + 1


threads = [threading.Thread(target=worker) for _ in range(concurrency)]
for t in threads:
    t.start()
for t in threads:
    t.join()
latencies.sort()


def pct(p):
    return round(latencies[min(len(latencies) - 1, int(len(latencies) * p / 100))], 2)


print(json.dumps({"n": len(latencies), "errors": errors[0], "p50_ms": pct(50), "p90_ms": pct(90), "p99_ms": pct(99),
                  "max_ms": round(latencies[-1], 2), "mean_ms": round(sum(latencies) / len(latencies), 2),
                  "cache_hits": hits[0], "routes": routes}))
