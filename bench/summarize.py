#!/usr/bin/env python3
"""Aggregate bench results: medians, markdown tables, the result JSON.

    summarize.py throughput RUNS.jsonl OUT.json [--param k=v ...]
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import sys

LABELS = {
    "kalm": "kalm (--threads 1)",
    "c": "C loop (libcurl multi)",
    "k6": "k6",
    "wrk": "wrk -t1 -c50",
}
ORDER = ["kalm", "c", "k6", "wrk"]


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(x, nd=1):
    return "n/a" if x is None else f"{x:,.{nd}f}"


def ratio(a, b):
    return a / b if a is not None and b not in (None, 0) else None


def host():
    try:
        load = open("/proc/loadavg").read().split()[:3]
    except OSError:
        load = None
    return {
        "hostname": platform.node(),
        "kernel": platform.release(),
        "cpus": os.cpu_count(),
        "loadavg_at_end": load,
    }


def throughput(args):
    runs = [json.loads(line) for line in open(args.runs) if line.strip()]
    tools = [t for t in ORDER if any(r["tool"] == t for r in runs)]
    tools += sorted({r["tool"] for r in runs} - set(tools))
    summary = {}
    for t in tools:
        mine = sorted((r for r in runs if r["tool"] == t), key=lambda r: r["round"])
        ok = [r for r in mine if r["ok"]]
        summary[t] = {
            "runs": len(mine),
            "ok_runs": len(ok),
            "rps_median": median([r["rps"] for r in ok]),
            "cpu_us_per_req_median": median([r["cpu_us_per_req"] for r in ok]),
            "rps": [r["rps"] for r in mine],
            "cpu_us_per_req": [r["cpu_us_per_req"] for r in mine],
            "errors": sum(r.get("errors") or 0 for r in mine),
        }

    def get(t, k):
        return summary.get(t, {}).get(k)

    ratios = {}
    for base in ("c", "k6"):
        ratios[f"kalm/{base}"] = {
            "rps": ratio(get("kalm", "rps_median"), get(base, "rps_median")),
            "cpu_us_per_req": ratio(get("kalm", "cpu_us_per_req_median"), get(base, "cpu_us_per_req_median")),
        }

    p = dict(args.param)
    labels = dict(LABELS, wrk=f"wrk -t1 -c{p.get('vus', 50)}")
    nrounds = p.get("rounds", "?")
    out = []
    out.append(f"### Throughput: {p.get('vus', '?')} VUs, no think time, {p.get('duration_s', '?')} s, "
               f"{p.get('url', '')}, median of {nrounds}")
    out.append("")
    out.append("| tool | req/s (median) | CPU µs/request (median) | req/s per round | CPU µs/req per round | errors |")
    out.append("|---|---:|---:|---|---|---:|")
    for t in tools:
        s = summary[t]
        per_rps = " / ".join(fmt(x, 0) for x in s["rps"])
        per_cpu = " / ".join(fmt(x, 1) for x in s["cpu_us_per_req"])
        out.append(f"| {labels.get(t, t)} | {fmt(s['rps_median'], 0)} | {fmt(s['cpu_us_per_req_median'], 1)} "
                   f"| {per_rps} | {per_cpu} | {s['errors']} |")
    out.append("")
    out.append("| ratio | req/s | CPU µs/request |")
    out.append("|---|---:|---:|")
    for name, label in (("kalm/c", "kalm / C loop"), ("kalm/k6", "kalm / k6")):
        r = ratios[name]
        out.append(f"| {label} | {fmt(r['rps'], 2)} | {fmt(r['cpu_us_per_req'], 2)} |")
    out.append("")
    if "kalm" not in summary:
        out.append("kalm was not measured: ratios are n/a.")
    else:
        over = ratios["kalm/c"]["cpu_us_per_req"]
        if over is not None:
            verdict = "within" if over <= 1.25 else "OVER"
            out.append(f"kalm's CPU per request over bare libcurl: {100 * (over - 1):+.0f}% "
                       f"({verdict} the ≤ 25% target).")
    bad = [t for t in tools if summary[t]["ok_runs"] < summary[t]["runs"] or summary[t]["errors"]]
    if bad:
        out.append(f"WARNING: failed runs or request errors for: {', '.join(bad)} (see the raw files).")
    text = "\n".join(out)
    print(text)

    result = {
        "benchmark": "throughput",
        "finished_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "params": p,
        "host": host(),
        "summary": summary,
        "ratios": ratios,
        "runs": runs,
        "table_markdown": text,
    }
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("kind", choices=["throughput"])
    ap.add_argument("runs")
    ap.add_argument("out")
    ap.add_argument("--param", action="append", default=[],
                    type=lambda s: tuple(s.split("=", 1)) if "=" in s else (s, ""))
    args = ap.parse_args()
    {"throughput": throughput}[args.kind](args)


if __name__ == "__main__":
    sys.exit(main())
