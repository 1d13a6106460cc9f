#!/usr/bin/env bash
# bench/before_after.sh: two kalm builds in one sitting, for a change that must not
# regress: throughput (bench/throughput.sh, kalm only), /metrics latency at smoke load
# (bench/agent_scrape.sh --modes smoke) and idle cost (bench/agent_idle.sh). Rounds
# alternate OLD and NEW so both see the same machine; medians over the rounds.
#
# usage: bench/before_after.sh OLD_KALM NEW_KALM [--rounds 3] [--idle-duration 30]
# out: bench/out/before_after-<timestamp>.json and a table on stdout
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -ge 2 ]] || die "usage: bench/before_after.sh OLD_KALM NEW_KALM [--rounds 3] [--idle-duration 30]"
OLD="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
NEW="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"
shift 2
ROUNDS=3
IDLE_DURATION=30
while [[ $# -gt 0 ]]; do
    case "$1" in
        --rounds) ROUNDS="$2"; shift 2 ;;
        --idle-duration) IDLE_DURATION="$2"; shift 2 ;;
        *) die "unknown option $1" ;;
    esac
done
[[ -x "$OLD" && -x "$NEW" ]] || die "both binaries must exist and be executable"

ts="$(stamp)"
LIST="$OUT_DIR/before_after-$ts.list"
: > "$LIST"
# Each script writes its JSON result last in bench/out; record which file came from which run.
latest() { ls -t "$OUT_DIR"/"$1"-*.json | head -1; }
for round in $(seq "$ROUNDS"); do
    for which in old new; do
        bin="$OLD"; [[ "$which" == new ]] && bin="$NEW"
        log "round $round: $which ($bin)"
        KALM="$bin" bench/throughput.sh --tools kalm --rounds 1 >/dev/null
        echo "$which throughput $(latest throughput)" >> "$LIST"
        KALM="$bin" bench/agent_scrape.sh --modes smoke --rounds 1 >/dev/null
        echo "$which scrape $(latest agent_scrape)" >> "$LIST"
        KALM="$bin" bench/agent_idle.sh --rounds 1 --duration "$IDLE_DURATION" >/dev/null
        echo "$which idle $(latest agent_idle)" >> "$LIST"
    done
done

python3 - "$LIST" "$OUT_DIR/before_after-$ts.json" <<'PY'
import json, statistics, sys
rows = [line.split() for line in open(sys.argv[1]) if line.strip()]
vals = {}
def add(which, key, v):
    if v is not None: vals.setdefault((which, key), []).append(v)
for which, kind, path in rows:
    d = json.load(open(path))
    if kind == "throughput":
        k = d["summary"]["kalm"] if "summary" in d else d["tools"]["kalm"]
        add(which, "throughput req/s", k["rps_median"])
        add(which, "throughput CPU µs/req", k["cpu_us_per_req_median"])
    elif kind == "scrape":
        for s in d["scrape"]:
            if s["server"] == "kalm":
                add(which, f"scrape p99 ms ({s['encoding']})", s["median"]["p99_ms"])
        add(which, "fresh render ms", d["agent"][0]["median"]["render_ms"])
    else:
        add(which, "idle CPU % of a core", d["median"]["cpu_pct"])
        add(which, "idle RSS MB", d["median"]["rss_max_kb"] * 1024 / 1e6)
keys = sorted({k for _, k in vals}, key=lambda k: ["throughput", "scrape", "fresh", "idle"].index(k.split()[0]))
out = {}
print("| measure | before (median) | after (median) | after/before | before runs | after runs |")
print("|---|---:|---:|---:|---|---|")
for k in keys:
    o, n = vals.get(("old", k), []), vals.get(("new", k), [])
    mo, mn = statistics.median(o), statistics.median(n)
    out[k] = {"before": o, "after": n, "before_median": mo, "after_median": mn}
    f = lambda xs: " / ".join(f"{x:.4g}" for x in xs)
    print(f"| {k} | {mo:.4g} | {mn:.4g} | {mn / mo:.3f} | {f(o)} | {f(n)} |")
json.dump(out, open(sys.argv[2], "w"), indent=2)
PY
log "wrote ${OUT_DIR#"$REPO_ROOT"/}/before_after-$ts.json"
