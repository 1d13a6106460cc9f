# bench/lib.sh: helpers shared by the benchmark scripts. Source it; don't run it.
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# Environment knobs (all optional):
#   FAST_PORT (18080), SLEEP_PORT (18081)  ports of the private nginx
#   KALM   kalm binary (default .build/release/kalm, relative to the repo root)
#   K6     k6 binary (default: k6 on PATH; a pyenv shim is resolved to the real binary)
#   PAUSE  seconds of idle between two measured runs (default 2)

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$BENCH_DIR/.." && pwd)"
OUT_DIR="$BENCH_DIR/out"
BIN_DIR="$BENCH_DIR/bin"
export FAST_PORT="${FAST_PORT:-18080}"
export SLEEP_PORT="${SLEEP_PORT:-18081}"
FAST_URL="http://127.0.0.1:$FAST_PORT/"
SLEEP_URL="http://127.0.0.1:$SLEEP_PORT/"
PAUSE="${PAUSE:-2}"
TIME_BIN=/usr/bin/time

# KALM relative to the caller's directory if it exists there, else to the repo root.
KALM="${KALM:-.build/release/kalm}"
if [[ "$KALM" != /* ]]; then
    if [[ -e "$PWD/$KALM" ]]; then KALM="$PWD/$KALM"; else KALM="$REPO_ROOT/$KALM"; fi
fi

cd "$REPO_ROOT"
mkdir -p "$OUT_DIR" "$BIN_DIR"

log()  { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die()  { log "error: $*"; exit 1; }
stamp() { date +%Y%m%d-%H%M%S; }

# ---- tools -------------------------------------------------------------------

need_cmd() { command -v "$1" >/dev/null 2>&1 || die "$1 not found${2:+ ($2)}"; }

# GNU time (not the shell keyword) for %U %S %M.
ensure_gnu_time() {
    if ! "$TIME_BIN" --version 2>&1 | grep -q GNU; then
        log "GNU time missing: apt-get install -y time"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q time >&2 || die "could not install GNU time"
    fi
}

# Path of the real k6 binary (a pyenv shim would add a python start-up to the CPU).
k6_bin() {
    local k="${K6:-}"
    [[ -n "$k" ]] || k="$(command -v k6 2>/dev/null)" || return 1
    if [[ "$(head -c2 "$k" 2>/dev/null)" == "#!" ]] && command -v pyenv >/dev/null 2>&1; then
        k="$(pyenv which k6 2>/dev/null)" || return 1
    fi
    [[ -x "$k" ]] && printf '%s\n' "$k"
}

kalm_available() { [[ -x "$KALM" && -f "$KALM" ]]; }

# Build bench/bin/curl_multi_loop when missing or older than its source.
build_c_loop() {
    local src="$BENCH_DIR/c/curl_multi_loop.c" bin="$BIN_DIR/curl_multi_loop"
    if [[ ! -x "$bin" || "$src" -nt "$bin" ]]; then
        need_cmd gcc
        log "building $bin"
        gcc -O2 -Wall -Wextra -o "$bin" "$src" -lcurl >&2 || return 1
    fi
    C_LOOP="$bin"
}

# ---- nginx -------------------------------------------------------------------

NGINX_STARTED=0
nginx_start() {
    "$BENCH_DIR/nginx/start.sh" "$FAST_PORT" "$SLEEP_PORT" >&2 || die "nginx did not start"
    NGINX_STARTED=1
}
nginx_stop() {
    if [[ "$NGINX_STARTED" == 1 ]]; then
        "$BENCH_DIR/nginx/stop.sh" >&2 || true
        NGINX_STARTED=0
    fi
}
# Start nginx and stop it whatever happens to the script.
nginx_start_with_trap() {
    trap 'nginx_stop' EXIT
    trap 'log "interrupted"; exit 130' INT TERM
    nginx_start
}

# ---- measurement -------------------------------------------------------------

# measure PREFIX CMD...: run CMD under GNU time; stdout to PREFIX.out, stderr to
# PREFIX.err, "wall user sys maxrss_kb" to PREFIX.time. Returns CMD's exit code.
# user/sys include the children CMD waited for; the target (nginx) is not one.
measure() {
    local prefix="$1"; shift
    local rc=0
    "$TIME_BIN" -f '%e %U %S %M' -o "$prefix.time" "$@" >"$prefix.out" 2>"$prefix.err" || rc=$?
    return "$rc"
}
# read_time PREFIX: sets T_WALL T_USER T_SYS T_MAXRSS (KiB) from PREFIX.time.
read_time() {
    # GNU time writes "Command exited with non-zero status N" before the values.
    read -r T_WALL T_USER T_SYS T_MAXRSS < <(tail -n1 "$1.time")
}

# cpu_us_per_req USER_S SYS_S REQUESTS
cpu_us_per_req() {
    awk -v u="$1" -v s="$2" -v n="$3" 'BEGIN { if (n > 0) printf "%.2f", (u + s) * 1e6 / n; else print "null" }'
}

# median X...: median of numbers (mean of the two middle ones for an even count).
median() {
    printf '%s\n' "$@" | grep -v '^null$' | sort -g |
        awk '{ a[NR] = $1 } END { if (NR == 0) print "null"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# k6-shaped summary export (k6 --summary-export, kalm --summary-export).
export_count() { jq -r '.metrics.http_reqs.count // empty' "$1"; }
export_rate()  { jq -r '.metrics.http_reqs.rate // empty' "$1"; }
export_fails() { jq -r '.metrics.http_req_failed.passes // 0' "$1"; }
export_p50()   { jq -r '.metrics.http_req_duration.med // empty' "$1"; }
export_p95()   { jq -r '.metrics.http_req_duration["p(95)"] // empty' "$1"; }

K6_TREND_STATS="avg,min,med,max,p(90),p(95),p(99)"
# k6_cmd EXPORT SCRIPT [k6 run args...]: sets the array K6_CMD to a k6 run with
# no usage report, no web dashboard, no REST API server, no progress output.
k6_cmd() {
    local export_file="$1" script="$2"; shift 2
    K6_CMD=(env K6_WEB_DASHBOARD=false "$K6_BIN" run
        --no-usage-report --address "" --quiet --no-color
        --summary-export "$export_file" --summary-trend-stats "$K6_TREND_STATS"
        "$@" "$script")
}

# Wait PAUSE seconds so one run's tail (TIME_WAIT, GC) does not hit the next.
pause() { sleep "$PAUSE"; }
