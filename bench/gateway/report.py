#!/usr/bin/env python3
"""Turns the raw output of bench/gateway.sh into Markdown.

    report.py compare DIR RUNS CONNECTIONS "direct keel litellm"
    report.py soak DIR
"""
import re
import statistics
import sys
from pathlib import Path

LABELS = {
    "direct": "direct (nginx)",
    "keel": "Keel → nginx",
    "litellm": "LiteLLM → nginx",
}
ROUTE = "/v1/chat/completions"


def microseconds(value, unit):
    return float(value) * {"us": 1.0, "ms": 1000.0, "s": 1_000_000.0}[unit]


def parse_wrk(path):
    """requests/s, p50 µs, p99 µs, requests, non-2xx, socket errors of one wrk --latency run."""
    text = Path(path).read_text()
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    if not rps:
        sys.exit(f"{path}: no Requests/sec line:\n{text}")
    lat = {p: microseconds(*re.search(rf"\s{p}(?:\.000)?%\s+([\d.]+)(us|ms|s)\b", text).groups()) for p in ("50", "99")}
    requests = int(re.search(r"(\d+) requests in", text).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    return {
        "rps": float(rps.group(1)),
        "p50": lat["50"],
        "p99": lat["99"],
        "requests": requests,
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket": sum(map(int, socket.groups())) if socket else 0,
    }


def route_counts(path):
    """status -> count of http_server_requests_total for the chat route in a /metrics dump."""
    counts = {}
    for line in Path(path).read_text().splitlines():
        if line.startswith("http_server_requests_total{") and f'http_route="{ROUTE}"' in line:
            status = re.search(r'http_response_status_code="(\d+)"', line).group(1)
            counts[status] = counts.get(status, 0) + float(line.rsplit(" ", 1)[1])
    return counts


def metrics_delta(before, after):
    a, b = route_counts(after), route_counts(before)
    return {s: int(a.get(s, 0) - b.get(s, 0)) for s in sorted(set(a) | set(b)) if a.get(s, 0) != b.get(s, 0)}


def fmt_us(us):
    return f"{us / 1000:.3f}"


def compare(out, runs, connections, targets):
    runs = int(runs)
    targets = targets.split()
    levels = [int(connections), 1]
    rows = {}
    for c in levels:
        for t in targets:
            samples = [parse_wrk(out / f"wrk-{t}-c{c}-{i}.txt") for i in range(1, runs + 1)]
            rows[(t, c)] = {
                "rps": statistics.median(s["rps"] for s in samples),
                "p50": statistics.median(s["p50"] for s in samples),
                "p99": statistics.median(s["p99"] for s in samples),
                "requests": sum(s["requests"] for s in samples),
                "non2xx": sum(s["non2xx"] for s in samples),
                "socket": sum(s["socket"] for s in samples),
            }

    print("\n".join("- " + line for line in (out / "meta.txt").read_text().splitlines()))
    print()
    print("| target | connections | requests/s | p50 ms | p99 ms | non-2xx | socket errors | RSS after, MB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for c in levels:
        for t in targets:
            r = rows[(t, c)]
            rss = (out / f"rss-{t}.txt").read_text().strip()
            rss = f"{int(rss) / 1024:.1f}" if rss else "?"
            print(f"| {LABELS[t]} | {c} | {r['rps']:,.0f} | {fmt_us(r['p50'])} | {fmt_us(r['p99'])} | "
                  f"{r['non2xx']} | {r['socket']} | {rss} |")
    print()
    print(f"Medians of {runs} interleaved run(s); non-2xx and socket errors are totals over all runs.")

    findings = []
    if "keel" in targets and "direct" in targets:
        added = rows[("keel", 1)]["p50"] - rows[("direct", 1)]["p50"]
        verdict = "meets" if added <= 100 else "misses"
        findings.append(f"Keel adds **{added:.0f} µs** at p50 with 1 connection "
                        f"(p99: {rows[('keel', 1)]['p99'] - rows[('direct', 1)]['p99']:.0f} µs) — {verdict} the ≤ 100 µs target.")
    if "litellm" in targets and "direct" in targets:
        added = rows[("litellm", 1)]["p50"] - rows[("direct", 1)]["p50"]
        findings.append(f"LiteLLM adds **{added:,.0f} µs** at p50 with 1 connection.")
    if "keel" in targets and "litellm" in targets:
        ratio = rows[("keel", levels[0])]["rps"] / rows[("litellm", levels[0])]["rps"]
        verdict = "meets" if ratio >= 50 else "misses"
        findings.append(f"Throughput at {levels[0]} connections: Keel **{ratio:.1f}×** LiteLLM — {verdict} the ≥ 50× target.")
    if "keel" in targets:
        total, cut_off = {}, True
        for c in levels:
            for i in range(1, runs + 1):
                delta = metrics_delta(out / f"metrics-keel-c{c}-{i}.before", out / f"metrics-keel-c{c}-{i}.after")
                others = sum(n for s, n in delta.items() if s != "200")
                # wrk closes its connections when a run ends; requests still in flight then (at most
                # one per connection) end without a client, and wrk never sees their status.
                wrk_errors = parse_wrk(out / f"wrk-keel-c{c}-{i}.txt")
                if others > c or wrk_errors["non2xx"] or wrk_errors["socket"]:
                    cut_off = False
                for status, n in delta.items():
                    total[status] = total.get(status, 0) + n
        ok = total.pop("200", 0)
        other = ", ".join(f"{n} × {s}" for s, n in total.items()) or "none other"
        note = ""
        if total and cut_off:
            note = (" — the non-200 ones are at most one per connection per run and wrk received no error: "
                    "requests in flight when wrk closed its connections at the end of a run")
        findings.append(f"Keel's /metrics over the measured runs: {ok:,} × 200 on {ROUTE}, {other} "
                        f"(wrk counted {sum(rows[('keel', c)]['requests'] for c in levels):,} completed requests){note}.")
    bad = [t for t in targets if any(rows[(t, c)]["non2xx"] or rows[(t, c)]["socket"] for c in levels)]
    if bad:
        findings.append(f"**Errors during the load** for {', '.join(bad)}: see the raw wrk output.")
    if findings:
        print()
        print("\n".join("- " + f for f in findings))
    print()
    print(f"Raw output: {out}")


def soak(out):
    samples = []
    for line in (out / "rss.tsv").read_text().splitlines():
        parts = line.split("\t")
        samples.append((int(parts[0]), int(parts[1]), parts[2] if len(parts) > 2 else ""))
    wrk = parse_wrk(out / "wrk.txt")
    delta = metrics_delta(out / "metrics-before.txt", out / "metrics-after.txt")
    print("\n".join("- " + line for line in (out / "meta.txt").read_text().splitlines()))
    print()
    print("| t, s | keel VmRSS, MB | |")
    print("|---:|---:|---|")
    for t, kb, note in samples:
        print(f"| {t} | {kb / 1024:.1f} | {note} |")
    under_load = [kb for _, kb, note in samples if not note]
    print()
    if under_load:
        first, last, peak = under_load[0], under_load[-1], max(under_load)
        print(f"- under load: first {first / 1024:.1f} MB, last {last / 1024:.1f} MB, max {peak / 1024:.1f} MB; "
              f"last − first {(last - first) / 1024:+.1f} MB (idle before the load: {samples[0][1] / 1024:.1f} MB)")
    else:
        print("- no sample under load: SOAK_DURATION is shorter than SOAK_INTERVAL")
    if len(under_load) >= 4:
        # Growth over the second half, after warm-up: the number that shows a leak.
        half = under_load[len(under_load) // 2:]
        print(f"- second half: {half[0] / 1024:.1f} → {half[-1] / 1024:.1f} MB ({(half[-1] - half[0]) / 1024:+.1f} MB)")
    print(f"- load: {wrk['requests']:,} requests, {wrk['rps']:,.0f} requests/s, p50 {fmt_us(wrk['p50'])} ms, "
          f"p99 {fmt_us(wrk['p99'])} ms, non-2xx {wrk['non2xx']}, socket errors {wrk['socket']}")
    ok = delta.pop("200", 0)
    other = ", ".join(f"{n} × {s}" for s, n in delta.items()) or "none other"
    print(f"- Keel's /metrics: {ok:,} × 200 on {ROUTE}, {other}")
    print()
    print(f"Raw output: {out}")


if __name__ == "__main__":
    mode, out, *rest = sys.argv[1:]
    if mode == "compare":
        compare(Path(out), *rest)
    elif mode == "soak":
        soak(Path(out))
    else:
        sys.exit(__doc__)
