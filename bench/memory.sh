#!/usr/bin/env bash
# bench/memory.sh: kalm's memory must not grow with the number of requests.
#
# Runs `kalm run` (bench/configs/memory.yml: 50 VUs, no think time, the fast
# endpoint, --threads 1) long enough for ~100,000 requests and then for
# ~1,000,000 requests, and reports the max RSS of each (GNU time %M) and the
# difference. Acceptance: RSS after 1,000,000 requests within 5 MB (5 MiB
# here) of RSS after 100,000. The durations come from the measured rate: the
# small run starts with a guess (--small-duration, default 5 s) and is redone
# once if its count is far off; the large run's duration is 1,000,000 / rate.
# Request counts are read from the summary export (.metrics.http_reqs.count).
#
# usage: bench/memory.sh [--small 100000] [--large 1000000] [--small-duration 5]
#                        [--threads 1] [--limit-mib 5]
# env: KALM (default .build/release/kalm), FAST_PORT, PAUSE
# out: bench/out/memory-<timestamp>.json (+ a directory of raw files)
# exit: 0 within the limit, 1 over it or a run failed
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SMALL=100000
LARGE=1000000
SMALL_DURATION=5
THREADS=1
LIMIT_MIB=5
usage() { sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
    case "$1" in
        --small) SMALL="$2"; shift 2 ;;
        --large) LARGE="$2"; shift 2 ;;
        --small-duration) SMALL_DURATION="${2%s}"; shift 2 ;;
        --threads) THREADS="$2"; shift 2 ;;
        --limit-mib) LIMIT_MIB="$2"; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done
for v in SMALL LARGE SMALL_DURATION THREADS LIMIT_MIB; do
    [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer"
done
need_cmd jq; need_cmd curl
ensure_gnu_time
kalm_available || die "kalm not found at $KALM: build it (swift build -c release) or set KALM=/path/to/kalm; memory.sh measures kalm only"

ts="$(stamp)"
RUN_DIR="$OUT_DIR/memory-$ts"
RESULT="$OUT_DIR/memory-$ts.json"
mkdir -p "$RUN_DIR"
nginx_start_with_trap

# mem_run LABEL MILLISECONDS: sets M_COUNT M_RATE M_RSS M_RC M_SECONDS
mem_run() {
    local label="$1" ms="$2" prefix="$RUN_DIR/$1"
    M_RC=0 M_COUNT=0 M_RATE=0
    M_SECONDS="$(awk -v ms="$ms" 'BEGIN { printf "%.3f", ms / 1000 }')"
    pause
    log "$label: kalm run for ${M_SECONDS}s"
    MEM_DURATION="${ms}ms" measure "$prefix" "$KALM" run -c bench/configs/memory.yml \
        --threads "$THREADS" --duration "${ms}ms" --summary-export "$prefix.json" || M_RC=$?
    read_time "$prefix"
    M_RSS="$T_MAXRSS"
    if [[ -s "$prefix.json" ]]; then
        M_COUNT="$(export_count "$prefix.json")"; M_COUNT="${M_COUNT:-0}"
        M_RATE="$(export_rate "$prefix.json")"; M_RATE="${M_RATE:-0}"
    fi
    log "  $label: exit $M_RC, ${M_COUNT} requests ($(printf '%.0f' "$M_RATE") req/s), max RSS ${M_RSS} KiB"
    [[ "$M_RC" == 0 || "$M_RC" == 99 ]] && [[ "$M_COUNT" -gt 0 ]] ||
        die "kalm run failed (exit $M_RC); see $prefix.out / $prefix.err"
}
# ms_for TARGET RATE: milliseconds for TARGET requests at RATE, 3% margin.
ms_for() { awk -v n="$1" -v r="$2" 'BEGIN { printf "%d", n * 1.03 / r * 1000 + 1 }'; }

mem_run small "$(( SMALL_DURATION * 1000 ))"
if (( M_COUNT < SMALL * 8 / 10 || M_COUNT > SMALL * 15 / 10 )); then
    d="$(ms_for "$SMALL" "$M_RATE")"
    log "small run made $M_COUNT requests, not ~$SMALL: again for ${d}ms"
    mem_run small "$d"
fi
S_COUNT=$M_COUNT S_RSS=$M_RSS S_SECONDS=$M_SECONDS S_RATE=$M_RATE

mem_run large "$(ms_for "$LARGE" "$S_RATE")"
L_COUNT=$M_COUNT L_RSS=$M_RSS L_SECONDS=$M_SECONDS L_RATE=$M_RATE
(( L_COUNT >= LARGE * 9 / 10 )) || log "WARNING: large run made $L_COUNT requests, fewer than 90% of $LARGE (the rate dropped?)"

DIFF=$(( L_RSS - S_RSS ))
LIMIT_KIB=$(( LIMIT_MIB * 1024 ))
verdict=PASS; (( DIFF <= LIMIT_KIB )) || verdict=FAIL
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

echo
echo "### Memory: kalm run, 50 VUs, fast endpoint, --threads $THREADS"
echo
echo "| run | requests | duration | max RSS |"
echo "|---|---:|---:|---:|"
echo "| ~$SMALL requests | $S_COUNT | ${S_SECONDS}s | $(mib "$S_RSS") MiB |"
echo "| ~$LARGE requests | $L_COUNT | ${L_SECONDS}s | $(mib "$L_RSS") MiB |"
echo
echo "RSS difference: $(mib "$DIFF") MiB ($DIFF KiB); limit $LIMIT_MIB MiB: $verdict"
echo

jq -n --arg at "$(date -u +%FT%TZ)" --arg url "$FAST_URL" --argjson threads "$THREADS" \
    --argjson sc "$S_COUNT" --argjson ss "$S_SECONDS" --argjson srss "$S_RSS" --argjson srate "$S_RATE" \
    --argjson lc "$L_COUNT" --argjson ls "$L_SECONDS" --argjson lrss "$L_RSS" --argjson lrate "$L_RATE" \
    --argjson diff "$DIFF" --argjson limit "$LIMIT_KIB" --arg verdict "$verdict" \
    --arg dir "${RUN_DIR#"$REPO_ROOT"/}" \
    '{benchmark: "memory", finished_at: $at, params: {url: $url, vus: 50, threads: $threads},
      small: {requests: $sc, duration_s: $ss, rate: $srate, max_rss_kib: $srss},
      large: {requests: $lc, duration_s: $ls, rate: $lrate, max_rss_kib: $lrss},
      rss_diff_kib: $diff, limit_kib: $limit, verdict: $verdict, raw_files: $dir}' > "$RESULT"
log "wrote ${RESULT#"$REPO_ROOT"/}"
[[ "$verdict" == PASS ]]
