#!/usr/bin/env python3
"""Aggregate bench results: medians, markdown tables, the result JSON.

    summarize.py throughput RUNS.jsonl OUT.json [--param k=v ...]
    summarize.py journey RUNS.jsonl OUT.json [--param k=v ...]
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


JOURNEY_STEPS = ["create", "read", "delete"]
JOURNEY_LABELS = {"k6": "k6 journey", "kalm": "kalm journey", "kalm_single": "kalm single-request"}
JOURNEY_ORDER = ["k6", "kalm", "kalm_single"]
# kalm/k6 per-step requests per iteration and share of requests: 1 within this.
JOURNEY_TOLERANCE = 0.02


def div(a, b, scale=1.0):
    return a * scale / b if a is not None and b not in (None, 0) else None


def journey_derive(r):
    """Per-run numbers: CPU per iteration/request, per-step requests per iteration and share."""
    cpu = (r.get("user_s") or 0) + (r.get("sys_s") or 0)
    ok = r.get("ok")
    it, req = r.get("iterations"), r.get("requests")
    steps = r.get("steps") or {}
    r["cpu_s"] = round(cpu, 3)
    r["cpu_ms_per_iter"] = div(cpu, it, 1e3) if ok else None
    r["cpu_us_per_req"] = div(cpu, req, 1e6) if ok else None
    r["req_per_iter"] = div(req, it) if ok else None
    r["step_per_iter"] = {s: (div(steps.get(s), it) if ok else None) for s in JOURNEY_STEPS}
    r["step_share"] = {s: (div(steps.get(s), req) if ok else None) for s in JOURNEY_STEPS}
    return r


def journey(args):
    runs = [journey_derive(json.loads(line)) for line in open(args.runs) if line.strip()]
    tools = [t for t in JOURNEY_ORDER if any(r["tool"] == t for r in runs)]
    tools += sorted({r["tool"] for r in runs} - set(tools))
    p = dict(args.param)
    nrounds = p.get("rounds", "?")

    summary = {}
    for t in tools:
        mine = sorted((r for r in runs if r["tool"] == t), key=lambda r: r["round"])
        ok = [r for r in mine if r["ok"]]
        m = lambda k: median([r.get(k) for r in ok])
        summary[t] = {
            "runs": len(mine),
            "ok_runs": len(ok),
            "iterations_median": m("iterations"),
            "requests_median": m("requests"),
            "iterations_per_s_median": m("iterations_rate"),
            "requests_per_s_median": m("requests_rate"),
            "steps_median": {s: median([(r.get("steps") or {}).get(s) for r in ok]) for s in JOURNEY_STEPS},
            "step_per_iter_median": {s: median([r["step_per_iter"][s] for r in ok]) for s in JOURNEY_STEPS},
            "step_share_median": {s: median([r["step_share"][s] for r in ok]) for s in JOURNEY_STEPS},
            "req_per_iter_median": m("req_per_iter"),
            "cpu_s_median": m("cpu_s"),
            "cpu_ms_per_iter_median": m("cpu_ms_per_iter"),
            "cpu_us_per_req_median": m("cpu_us_per_req"),
            "failed_requests": sum(r.get("failed_requests") or 0 for r in mine),
            "checks_failed": sum(r.get("checks_failed") or 0 for r in mine),
        }

    def get(t, k, sub=None):
        v = summary.get(t, {}).get(k)
        return v.get(sub) if sub is not None and isinstance(v, dict) else v

    steps_cmp = {}
    for s in JOURNEY_STEPS:
        per_iter = ratio(get("kalm", "step_per_iter_median", s), get("k6", "step_per_iter_median", s))
        share = ratio(get("kalm", "step_share_median", s), get("k6", "step_share_median", s))
        agree = None
        if per_iter is not None and share is not None:
            agree = abs(per_iter - 1) <= JOURNEY_TOLERANCE and abs(share - 1) <= JOURNEY_TOLERANCE
        steps_cmp[s] = {"per_iteration_kalm/k6": per_iter, "share_kalm/k6": share, "agree": agree}
    ratios = {
        "cpu_ms_per_iter kalm/k6": ratio(get("kalm", "cpu_ms_per_iter_median"), get("k6", "cpu_ms_per_iter_median")),
        "cpu_us_per_req kalm/k6": ratio(get("kalm", "cpu_us_per_req_median"), get("k6", "cpu_us_per_req_median")),
        "cpu_us_per_req kalm journey/single": ratio(get("kalm", "cpu_us_per_req_median"),
                                                    get("kalm_single", "cpu_us_per_req_median")),
        "iterations_per_s kalm/k6": ratio(get("kalm", "iterations_per_s_median"), get("k6", "iterations_per_s_median")),
    }

    # Per round: kalm/k6 of each step's requests per iteration.
    by = {(r["tool"], r["round"]): r for r in runs}
    rounds = sorted({r["round"] for r in runs})

    out = []
    out.append(f"### Journey (create, read, delete): {p.get('vus', '?')} VUs, no think time, "
               f"{p.get('duration_s', '?')} s, {p.get('url', '')}, median of {nrounds}")
    out.append("")
    out.append("Per run (create/read/delete: requests of the step, for kalm single-request of the probe; "
               "`/it` = requests of the step per iteration):")
    out.append("")
    out.append("| round | slot | tool | iterations | requests | create | read | delete | create/it | read/it | delete/it "
               "| CPU s | CPU ms/iter | CPU µs/req | failed req | exit |")
    out.append("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in sorted(runs, key=lambda r: (r["round"], r["slot"])):
        st = r.get("steps") or {}
        if all(st.get(s) is None for s in JOURNEY_STEPS):   # kalm_single: its probes' counts
            st = r.get("probes") or {}
        cells = [str(r["round"]), str(r["slot"]), JOURNEY_LABELS.get(r["tool"], r["tool"]),
                 fmt(r.get("iterations"), 0), fmt(r.get("requests"), 0)]
        cells += [fmt(st.get(s), 0) for s in JOURNEY_STEPS]
        cells += [fmt(r["step_per_iter"][s], 4) for s in JOURNEY_STEPS]
        cells += [fmt(r["cpu_s"], 2), fmt(r["cpu_ms_per_iter"], 3), fmt(r["cpu_us_per_req"], 1),
                  fmt(r.get("failed_requests"), 0), str(r.get("exit_code"))]
        out.append("| " + " | ".join(cells) + " |")
    out.append("")

    if "k6" in summary and "kalm" in summary:
        out.append(f"Requests per step, medians; kalm/k6 of requests per iteration and of the share of "
                   f"requests should be 1 within {100 * JOURNEY_TOLERANCE:.0f}%:")
        out.append("")
        out.append("| step | k6 requests | kalm requests | k6 /it | kalm /it | kalm/k6 /it | k6 share | kalm share "
                   "| kalm/k6 share | kalm/k6 /it per round | agree |")
        out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
        for s in JOURNEY_STEPS:
            c = steps_cmp[s]
            per_round = " / ".join(
                fmt(ratio((by.get(("kalm", n)) or {}).get("step_per_iter", {}).get(s),
                          (by.get(("k6", n)) or {}).get("step_per_iter", {}).get(s)), 4) for n in rounds)
            verdict = "n/a" if c["agree"] is None else ("yes" if c["agree"] else "NO")
            out.append(f"| {s} | {fmt(get('k6', 'steps_median', s), 0)} | {fmt(get('kalm', 'steps_median', s), 0)} "
                       f"| {fmt(get('k6', 'step_per_iter_median', s), 4)} | {fmt(get('kalm', 'step_per_iter_median', s), 4)} "
                       f"| {fmt(c['per_iteration_kalm/k6'], 4)} "
                       f"| {fmt(get('k6', 'step_share_median', s), 4)} | {fmt(get('kalm', 'step_share_median', s), 4)} "
                       f"| {fmt(c['share_kalm/k6'], 4)} | {per_round} | {verdict} |")
        out.append("")

    out.append("CPU (user+sys of the tool, GNU time), medians:")
    out.append("")
    out.append("| tool | VUs | iterations/s | requests/s | CPU s | CPU ms/iteration | CPU µs/request "
               "| CPU ms/iter per round | CPU µs/req per round |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---|---|")
    for t in tools:
        mine = sorted((r for r in runs if r["tool"] == t), key=lambda r: r["round"])
        vus = mine[0].get("vus") if mine else None
        out.append(f"| {JOURNEY_LABELS.get(t, t)} | {vus if vus is not None else 'n/a'} "
                   f"| {fmt(get(t, 'iterations_per_s_median'), 0)} | {fmt(get(t, 'requests_per_s_median'), 0)} "
                   f"| {fmt(get(t, 'cpu_s_median'), 2)} | {fmt(get(t, 'cpu_ms_per_iter_median'), 3)} "
                   f"| {fmt(get(t, 'cpu_us_per_req_median'), 1)} "
                   f"| {' / '.join(fmt(r['cpu_ms_per_iter'], 3) for r in mine)} "
                   f"| {' / '.join(fmt(r['cpu_us_per_req'], 1) for r in mine)} |")
    out.append("")
    out.append("| ratio | value |")
    out.append("|---|---:|")
    out.append(f"| CPU ms/iteration, kalm journey / k6 journey | {fmt(ratios['cpu_ms_per_iter kalm/k6'], 2)} |")
    out.append(f"| CPU µs/request, kalm journey / k6 journey | {fmt(ratios['cpu_us_per_req kalm/k6'], 2)} |")
    out.append(f"| CPU µs/request, kalm journey / kalm single-request | "
               f"{fmt(ratios['cpu_us_per_req kalm journey/single'], 2)} |")
    out.append(f"| iterations/s, kalm / k6 | {fmt(ratios['iterations_per_s kalm/k6'], 2)} |")
    out.append("")
    disagree = [s for s in JOURNEY_STEPS if steps_cmp[s]["agree"] is False]
    if disagree:
        out.append(f"WARNING: kalm's and k6's requests per step differ by more than "
                   f"{100 * JOURNEY_TOLERANCE:.0f}% for: {', '.join(disagree)}.")
    missing = [t for t in ("k6", "kalm") if t in summary
               and any(get(t, "steps_median", s) is None for s in JOURNEY_STEPS) and summary[t]["ok_runs"]]
    if missing:
        out.append(f"WARNING: no http_reqs{{step:...}} counts in the summary export of: {', '.join(missing)}.")
    bad = [t for t in tools if summary[t]["ok_runs"] < summary[t]["runs"]
           or summary[t]["failed_requests"] or summary[t]["checks_failed"]]
    if bad:
        out.append(f"WARNING: failed runs, failed requests or failed checks for: {', '.join(bad)} (see the raw files).")
    text = "\n".join(out)
    print(text)

    result = {
        "benchmark": "journey",
        "finished_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "params": p,
        "host": host(),
        "tolerance": JOURNEY_TOLERANCE,
        "summary": summary,
        "steps": steps_cmp,
        "ratios": ratios,
        "runs": runs,
        "table_markdown": text,
    }
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("kind", choices=["throughput", "journey"])
    ap.add_argument("runs")
    ap.add_argument("out")
    ap.add_argument("--param", action="append", default=[],
                    type=lambda s: tuple(s.split("=", 1)) if "=" in s else (s, ""))
    args = ap.parse_args()
    {"throughput": throughput, "journey": journey}[args.kind](args)


if __name__ == "__main__":
    sys.exit(main())
