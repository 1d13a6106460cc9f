#!/usr/bin/env bash
# Stop the private benchmark nginx started by start.sh (by its pid file only).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
prefix="${NGINX_PREFIX:-$here/../out/nginx}"
pidfile="$prefix/logs/nginx.pid"

[[ -f "$pidfile" ]] || { echo "stop.sh: not running (no $pidfile)"; exit 0; }
pid="$(cat "$pidfile")"
if [[ -z "$pid" ]] || ! kill -0 "$pid" 2>/dev/null; then
    rm -f "$pidfile"; echo "stop.sh: not running (stale pid file)"; exit 0
fi
# Make sure the pid is our nginx master, not a recycled pid.
if ! tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q "nginx: master process"; then
    rm -f "$pidfile"; echo "stop.sh: pid $pid is not an nginx master; removed stale pid file"; exit 0
fi

kill -QUIT "$pid" 2>/dev/null || true          # graceful
for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || { echo "nginx: stopped (pid $pid)"; exit 0; }
    sleep 0.1
done
kill -TERM "$pid" 2>/dev/null || true          # fast shutdown
for _ in $(seq 1 30); do
    kill -0 "$pid" 2>/dev/null || { echo "nginx: stopped (pid $pid)"; exit 0; }
    sleep 0.1
done
echo "stop.sh: nginx pid $pid did not stop" >&2
exit 1
