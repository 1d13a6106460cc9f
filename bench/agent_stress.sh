#!/usr/bin/env bash
# bench/agent_stress.sh: engine cost at 1000 VUs in the agent.
# The stress profile's peak inside `kalm agent`: a continuous 1000-VU scenario with the
# guide's 0.5–2.5 s think time against nginx for 60 s (after 10 s of warm-up), scraped
# every 15 s; CPU from /proc utime+stime, max VmRSS. Compare with bench/stress.sh (k6).
# usage: bench/agent_stress.sh   env: KALM, FAST_PORT, SLEEP_PORT
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source bench/lib.sh
FAST_PORT=${FAST_PORT:-18580} SLEEP_PORT=${SLEEP_PORT:-18581}
export FAST_PORT SLEEP_PORT
nginx_start_with_trap
cat > bench/out/agent-stress.yml <<YML
probes:
  - name: fast
    request: {url: "http://127.0.0.1:${FAST_PORT}/"}
    checks: [{name: status is 200, status: [200]}]
scenarios:
  stress: {vus: 1000, think_time: 0.5s..2.5s, continuous: true}
YML
ulimit -n 65536 2>/dev/null || true
"$KALM" agent -c bench/out/agent-stress.yml --web.listen-address 127.0.0.1:19988 --log.level warn &
pid=$!
sleep 10
t0=$(awk '{print $14+$15}' /proc/$pid/stat); r0=$(curl -s 127.0.0.1:19988/metrics | awk '/^kalm_http_requests_total/{s+=$NF} END{print s}')
maxrss=0
for i in $(seq 1 60); do
  rss=$(awk '/VmRSS/{print $2}' /proc/$pid/status); [ "$rss" -gt "$maxrss" ] && maxrss=$rss
  [ $((i % 15)) -eq 0 ] && curl -s -o /dev/null 127.0.0.1:19988/metrics
  sleep 1
done
t1=$(awk '{print $14+$15}' /proc/$pid/stat); r1=$(curl -s 127.0.0.1:19988/metrics | awk '/^kalm_http_requests_total/{s+=$NF} END{print s}')
tck=$(getconf CLK_TCK)
kill -TERM $pid; wait $pid || true
python3 -c "
cpu=($t1-$t0)/$tck; req=$r1-$r0
print(f'agent, 1000 VUs, 60 s: {req:.0f} requests ({req/60:.1f}/s), CPU {cpu:.2f} s = {100*cpu/60:.1f}% of a core, max RSS {$maxrss/1024:.1f} MiB')"
