#!/usr/bin/env python3
"""Turns bench/routing.sh's results.jsonl into Markdown tables of medians over the runs.

Usage: report.py RESULTS.jsonl CACHE_NOTE HEDGE_NOTE
"""
import json
import statistics
import sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
cache_note, hedge_note = sys.argv[2], sys.argv[3]
runs = len({r["run"] for r in rows})


def median(case, field):
    values = [r["result"][field] for r in rows if r["case"] == case]
    return statistics.median(values) if values else float("nan")


def total(case, field):
    return sum(r["result"][field] for r in rows if r["case"] == case)


labels = {
    "direct": "client → upstream (no Keel)",
    "uncached": "client → Keel → upstream (no cache)",
    "cache-hit": "client → Keel, answered from the cache",
    "nohedge": "two routes, no hedging",
    "hedge": "two routes, hedging",
}
print(f"Cache ({cache_note}; one connection; median of {runs} runs):\n")
print("| path | requests/run | p50 ms | p90 ms | p99 ms | errors | cache hits |")
print("|---|---:|---:|---:|---:|---:|---:|")
for case in ["direct", "uncached", "cache-hit"]:
    n = int(median(case, "n"))
    print(f"| {labels[case]} | {n} | {median(case, 'p50_ms'):.2f} | {median(case, 'p90_ms'):.2f} | {median(case, 'p99_ms'):.2f} | {total(case, 'errors')} | {total(case, 'cache_hits')} |")
print(f"\nHedging ({hedge_note}; median of {runs} runs):\n")
print("| model | requests/run | p50 ms | p90 ms | p99 ms | max ms | errors |")
print("|---|---:|---:|---:|---:|---:|---:|")
for case in ["nohedge", "hedge"]:
    n = int(median(case, "n"))
    print(f"| {labels[case]} | {n} | {median(case, 'p50_ms'):.2f} | {median(case, 'p90_ms'):.2f} | {median(case, 'p99_ms'):.2f} | {median(case, 'max_ms'):.2f} | {total(case, 'errors')} |")
