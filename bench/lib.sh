# bench/lib.sh: helpers shared by the benchmark scripts. Source it; don't run it.
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# Environment knobs (all optional):
#   FAST_PORT (18080), SLEEP_PORT (18081)  ports of the private nginx
#   KALM   kalm binary (default .build/release/kalm, relative to the repo root)
#   K6     k6 binary (default: k6 on PATH; a pyenv shim is resolved to the real binary)
#   PAUSE  seconds of idle between two measured runs (default 2)
#   AGENT_PORT  port of `kalm agent --web.listen-address 127.0.0.1:PORT` (default 19877)

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
# Start nginx and stop it whatever happens to the script (and a kalm agent
# started with agent_start, if one still runs).
nginx_start_with_trap() {
    trap 'agent_kill; nginx_stop' EXIT
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

# ---- kalm agent --------------------------------------------------------------
# One agent at a time, a child of the script: agent_start, then agent_stop (or
# agent_kill from the exit trap nginx_start_with_trap installs).

export AGENT_PORT="${AGENT_PORT:-19877}"
AGENT_URL="http://127.0.0.1:$AGENT_PORT"
AGENT_PID=""
CLK_TCK="$(getconf CLK_TCK 2>/dev/null || echo 100)"

now_ns() { date +%s%N; }

# nap SECONDS: sleep that a signal interrupts at once (a foreground `sleep`
# would delay the exit trap, and the agent's stop, until it ends).
nap() { sleep "$1" & wait $!; }

# pid_running PID: the process exists and is not a zombie (an exited child
# that was not waited for yet still answers kill -0).
pid_running() {
    local st
    st="$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" || return 1
    [[ -n "$st" && "$st" != Z && "$st" != X ]]
}

port_free() { ! ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }

# agent_start CONFIG LOGFILE [kalm agent args...]: starts `kalm agent` on
# 127.0.0.1:$AGENT_PORT, stdout+stderr to LOGFILE, and waits (up to 20 s) for
# /-/ready. Sets AGENT_PID.
agent_start() {
    local cfg="$1" logf="$2"; shift 2
    [[ -z "$AGENT_PID" ]] || die "agent_start: an agent is already running (pid $AGENT_PID)"
    port_free "$AGENT_PORT" || die "port $AGENT_PORT is in use (set AGENT_PORT)"
    "$KALM" agent -c "$cfg" --web.listen-address "127.0.0.1:$AGENT_PORT" "$@" >"$logf" 2>&1 &
    AGENT_PID=$!
    local i
    for i in $(seq 1 200); do
        if ! pid_running "$AGENT_PID"; then
            local rc=0; wait "$AGENT_PID" || rc=$?
            AGENT_PID=""
            tail -n 20 "$logf" >&2
            die "kalm agent exited with $rc before it was ready (log: $logf)"
        fi
        curl -fsS -o /dev/null --max-time 1 "$AGENT_URL/-/ready" 2>/dev/null && return 0
        sleep 0.1
    done
    die "kalm agent not ready after 20 s (log: $logf)"
}

# agent_stop [TIMEOUT_S] [SIGNAL]: sends SIGNAL (default TERM), waits up to
# TIMEOUT_S (default 20) for the exit, then SIGKILL. Sets AGENT_RC (exit code;
# 128+n when killed by signal n) and AGENT_STOP_S (seconds from the signal to
# the exit, polled every 10 ms), AGENT_KILLED (1 when SIGKILL was needed).
agent_stop() {
    local timeout="${1:-20}" sig="${2:-TERM}"
    AGENT_RC="" AGENT_STOP_S="" AGENT_KILLED=0
    [[ -n "$AGENT_PID" ]] || return 0
    local t0 t1 deadline
    t0="$(now_ns)"
    deadline=$(( t0 + timeout * 1000000000 ))
    kill -"$sig" "$AGENT_PID" 2>/dev/null || true
    while pid_running "$AGENT_PID" && (( $(now_ns) < deadline )); do sleep 0.01; done
    t1="$(now_ns)"
    if pid_running "$AGENT_PID"; then
        log "agent pid $AGENT_PID still running ${timeout}s after SIG$sig: SIGKILL"
        kill -KILL "$AGENT_PID" 2>/dev/null || true
        AGENT_KILLED=1
    fi
    local rc=0; wait "$AGENT_PID" 2>/dev/null || rc=$?
    AGENT_RC=$rc
    AGENT_STOP_S="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')"
    AGENT_PID=""
}

# agent_kill: for exit traps; stops a still-running agent (TERM, then KILL after 10 s).
agent_kill() {
    if [[ -n "${AGENT_PID:-}" ]]; then
        agent_stop 10 TERM >/dev/null 2>&1 || true
    fi
}

# proc_cpu_ticks PID: utime + stime of the whole process (all threads), in clock ticks.
proc_cpu_ticks() {
    sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}
# proc_status_kb PID FIELD: a kB field of /proc/PID/status (VmRSS, RssAnon, VmHWM, ...).
proc_status_kb() {
    awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}
# cpu_pct TICKS_DELTA SECONDS: CPU time as a percentage of one core.
cpu_pct() {
    awk -v t="$1" -v s="$2" -v hz="$CLK_TCK" 'BEGIN { if (s > 0) printf "%.2f", 100 * t / hz / s; else print "null" }'
}

# ---- wrk ---------------------------------------------------------------------

# wrk_ms VALUE: wrk's "466.00us" / "1.23ms" / "1.02s" / "1.50m" in milliseconds.
wrk_ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
        if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000; else if (u != "ms") n = "null"
        if (n == "null") print "null"; else printf "%.3f", n }'
}
# wrk_parse FILE: from `wrk --latency` output, sets WRK_P50 WRK_P75 WRK_P90
# WRK_P99 (ms), WRK_RPS, WRK_REQUESTS, WRK_ERRORS (socket errors summed) and
# WRK_NON2XX; with `-s bench/wrk/percentiles.lua` also WRK_P95 WRK_P999 WRK_MAX (ms).
wrk_parse() {
    local f="$1"
    WRK_P50="$(wrk_ms "$(awk '$1 == "50%" { print $2; exit }' "$f")")"
    WRK_P75="$(wrk_ms "$(awk '$1 == "75%" { print $2; exit }' "$f")")"
    WRK_P90="$(wrk_ms "$(awk '$1 == "90%" { print $2; exit }' "$f")")"
    WRK_P99="$(wrk_ms "$(awk '$1 == "99%" { print $2; exit }' "$f")")"
    WRK_RPS="$(awk '/^Requests\/sec:/ { print $2; exit }' "$f")"
    WRK_REQUESTS="$(awk '/ requests in / { print $1; exit }' "$f")"
    WRK_ERRORS="$(awk '/Socket errors:/ { gsub(/,/, ""); print $4 + $6 + $8 + $10; exit }' "$f")"
    WRK_NON2XX="$(awk '/Non-2xx or 3xx responses:/ { print $NF; exit }' "$f")"
    # The PCT line of bench/wrk/percentiles.lua, when the run used it.
    WRK_P95="$(awk '/^PCT / { for (i = 2; i <= NF; i++) if ($i ~ /^p95=/) { sub(/^p95=/, "", $i); print $i } }' "$f")"
    WRK_P999="$(awk '/^PCT / { for (i = 2; i <= NF; i++) if ($i ~ /^p99\.9=/) { sub(/^p99\.9=/, "", $i); print $i } }' "$f")"
    WRK_MAX="$(awk '/^PCT / { for (i = 2; i <= NF; i++) if ($i ~ /^max=/) { sub(/^max=/, "", $i); print $i } }' "$f")"
    WRK_P95="${WRK_P95:-null}" WRK_P999="${WRK_P999:-null}" WRK_MAX="${WRK_MAX:-null}"
    WRK_RPS="${WRK_RPS:-null}" WRK_REQUESTS="${WRK_REQUESTS:-null}"
    WRK_ERRORS="${WRK_ERRORS:-0}" WRK_NON2XX="${WRK_NON2XX:-0}"
}

# cpu_busy_jiffies: "BUSY TOTAL" jiffies of the whole machine (/proc/stat; busy
# excludes idle and iowait). Two snapshots give the machine's busy share.
cpu_busy_jiffies() {
    awk '$1 == "cpu" { t = 0; for (i = 2; i <= 9 && i <= NF; i++) t += $i; print t - $5 - $6, t; exit }' /proc/stat
}
# machine_busy_pct "BUSY0 TOTAL0" "BUSY1 TOTAL1": busy % of all cores (100 = every core busy).
machine_busy_pct() {
    awk -v a="$1" -v b="$2" 'BEGIN { split(a, x, " "); split(b, y, " "); d = y[2] - x[2]
        if (d > 0) printf "%.1f", 100 * (y[1] - x[1]) / d; else print "null" }'
}

# loadavg: "1m 5m 15m" load averages.
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
