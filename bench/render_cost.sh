#!/usr/bin/env bash
# bench/render_cost.sh: CPU per exposed series of a fresh /metrics rendering (text 0.0.4,
# before gzip), at about SERIES series.
#
# An agent probes TARGETS lean fleet targets on the private nginx (18 series each, so
# 8,400 targets ≈ 151,000 series) with a 1 h think time: each is probed once, at the start.
# After WARMUP s: PERIOD s of agent CPU without scrapes, then PERIOD s with a plain (no gzip)
# scrape every 1.1 s (the scrape cache lives 1 s, so each one renders afresh). The
# difference over the scrapes and the series per scrape is the rendering cost.
#
# usage: bench/render_cost.sh [--targets 8400] [--warmup 40] [--period 30] [--rounds 3]
# env: KALM, FAST_PORT, SLEEP_PORT
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
TARGETS=8400 WARMUP=40 PERIOD=30 ROUNDS=3
while [[ $# -gt 0 ]]; do
    case "$1" in
        --targets) TARGETS="$2"; shift 2 ;;
        --warmup) WARMUP="${2%s}"; shift 2 ;;
        --period) PERIOD="${2%s}"; shift 2 ;;
        --rounds) ROUNDS="$2"; shift 2 ;;
        *) die "unknown argument: $1" ;;
    esac
done
kalm_available || die "no kalm binary at $KALM"
ulimit -n 65536 2>/dev/null || true
nginx_start_with_trap
work="$OUT_DIR/render"; rm -rf "$work"; mkdir -p "$work"
python3 -c "import json; print(json.dumps([{'targets': ['127.0.0.1:$FAST_PORT/r/%d' % i for i in range($TARGETS)]}]))" > "$work/targets.json"
cat > "$work/kalm.yml" <<YML
agent: {windows: [5m]}
probes:
  - {name: fleet, targets: {file_sd: [$work/targets.json]}, series: lean, request: {url: "http://{{ target }}"}}
scenarios:
  smoke: {vus: 1, think_time: 1h, continuous: true}
YML
"$KALM" agent -c "$work/kalm.yml" --web.listen-address 127.0.0.1:19893 --log.level warn 2> "$work/agent.log" &
pid=$!; AGENT_PID=$pid
sleep "$WARMUP"
series=$(curl -s 127.0.0.1:19893/metrics | grep -vc '^#')
tck=$(getconf CLK_TCK)
for round in $(seq 1 "$ROUNDS"); do
    a=$(proc_cpu_ticks "$pid"); sleep "$PERIOD"; b=$(proc_cpu_ticks "$pid")
    n=0; end=$(( $(date +%s) + PERIOD ))
    while (( $(date +%s) < end )); do curl -s -o /dev/null 127.0.0.1:19893/metrics; n=$((n + 1)); sleep 1.1; done
    c=$(proc_cpu_ticks "$pid")
    python3 -c "
idle=($b-$a)/$tck; busy=($c-$b)/$tck
per=(busy-idle)/$n
print(f'round $round: {$series} series, {$n} fresh renderings, {1000*per:.1f} ms CPU each = {1e6*per/$series:.2f} µs per series (idle {idle:.2f} s, with scrapes {busy:.2f} s of CPU per ${PERIOD} s)')"
done
kill "$pid"; wait "$pid" 2>/dev/null || true; AGENT_PID=""
