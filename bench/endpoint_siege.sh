#!/usr/bin/env bash
# bench/endpoint_siege.sh: does the endpoint stay fast, and do the probes keep their pace,
# while clients attack it?  (issue: "a server no client can starve")
#
# Per round and mode a fresh `kalm agent` probes the private nginx (PROBES probes x 1 VU,
# 0.1 s think time) and bench/siege.py measures, after WARMUP s:
#   baseline  BASELINE s of scrapes alone, one every 0.25 s on a new connection;
#   siege     SIEGE s of the same scrapes while 2,000 idle connections are held (half after
#             a TLS handshake), 50 slowloris connections dribble a header byte per second,
#             and 2 keep-alive clients hammer wrong passwords.
# Modes: plain (no --web.config.file) and secure (TLS with an EC P-256 certificate, bcrypt
# cost-10 basic auth, headers). Scrape p50/p99/max and the probes' request rate per phase;
# medians over the rounds.
#
# usage: bench/endpoint_siege.sh [--rounds 3] [--baseline 20] [--siege 60] [--probes 10]
#                                [--modes plain,secure]
# env: KALM, FAST_PORT, SLEEP_PORT, AGENT_PORT (19877)
# out: bench/out/endpoint_siege-<timestamp>.json
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROUNDS=3 BASELINE=20 SIEGE=60 PROBES=10 WARMUP=5 MODES="plain,secure"
while [[ $# -gt 0 ]]; do
    case "$1" in
        --rounds) ROUNDS="$2"; shift 2 ;;
        --baseline) BASELINE="${2%s}"; shift 2 ;;
        --siege) SIEGE="${2%s}"; shift 2 ;;
        --probes) PROBES="$2"; shift 2 ;;
        --modes) MODES="$2"; shift 2 ;;
        -h|--help) sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument: $1" ;;
    esac
done
kalm_available || die "no kalm binary at $KALM (swift build -c release)"
need_cmd openssl
AGENT_PORT="${AGENT_PORT:-19877}"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
nginx_start_with_trap

work="$OUT_DIR/siege"; rm -rf "$work"; mkdir -p "$work"
export OPENSSL_CONF="$work/openssl.cnf"
cat > "$OPENSSL_CONF" <<'CNF'
[req]
distinguished_name = dn
[dn]
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign
[server_cert]
basicConstraints = critical,CA:FALSE
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
CNF
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/ca.key" 2>/dev/null
openssl req -new -x509 -extensions v3_ca -key "$work/ca.key" -subj /CN=siege-ca -days 2 -out "$work/ca.crt"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/kalm.key" 2>/dev/null
openssl req -new -key "$work/kalm.key" -subj /CN=localhost -out "$work/kalm.csr"
openssl x509 -req -in "$work/kalm.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" -set_serial 1 -days 2 \
    -extfile "$OPENSSL_CONF" -extensions server_cert -out "$work/kalm.crt" 2>/dev/null
# bcrypt cost 10 of "kalm-scrape-pw" (the tests' hash).
cat > "$work/web.yml" <<YML
tls_server_config: {cert_file: kalm.crt, key_file: kalm.key}
basic_auth_users:
  prometheus: "\$2b\$10\$Q7n1vH3sK9pL2mX5cR8tWevuBAxC93D.gtgHPlNaeaY2NXh264Zm."
http_server_config:
  headers: {X-Content-Type-Options: nosniff}
YML
{
    echo "probes:"
    for i in $(seq 1 "$PROBES"); do
        echo "  - {name: p$i, request: {url: \"$FAST_URL\"}}"
    done
    echo "scenarios:"
    echo "  smoke: {vus: 1, think_time: 100ms, continuous: true}"
} > "$work/kalm.yml"

results="$work/rounds.jsonl"; : > "$results"
for round in $(seq 1 "$ROUNDS"); do
    for mode in ${MODES//,/ }; do
        args=(agent -c "$work/kalm.yml" --web.listen-address "127.0.0.1:$AGENT_PORT" --log.level warn)
        siege=(--port "$AGENT_PORT" --baseline "$BASELINE" --siege "$SIEGE")
        if [[ "$mode" == secure ]]; then
            args+=(--web.config.file "$work/web.yml")
            siege+=(--ca "$work/ca.crt" --user prometheus --password kalm-scrape-pw)
        fi
        "$KALM" "${args[@]}" 2> "$work/agent-$mode-$round.log" &
        pid=$!
        sleep "$WARMUP"
        log "round $round, $mode"
        rss0=$(awk '/VmRSS/{print $2}' "/proc/$pid/status")
        python3 "$BENCH_DIR/siege.py" "${siege[@]}" > "$work/siege-$mode-$round.json"
        rss=$(awk '/VmHWM/{print $2}' "/proc/$pid/status")
        kill -TERM "$pid"; wait "$pid" || true
        python3 - "$work/siege-$mode-$round.json" "$mode" "$round" "$rss0" "$rss" >> "$results" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r.update(mode=sys.argv[2], round=int(sys.argv[3]), rss_start_kib=int(sys.argv[4]), rss_peak_kib=int(sys.argv[5]))
print(json.dumps(r))
PY
    done
done

out="$OUT_DIR/endpoint_siege-$(stamp).json"
python3 - "$results" "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
summary = {}
for mode in sorted({r["mode"] for r in rows}):
    rs = [r for r in rows if r["mode"] == mode]
    med = lambda f: statistics.median([f(r) for r in rs if f(r) is not None])
    summary[mode] = {
        "rounds": len(rs),
        "baseline_p99_ms": med(lambda r: r["baseline"]["p99_ms"]),
        "siege_p50_ms": med(lambda r: r["siege"]["p50_ms"]),
        "siege_p99_ms": med(lambda r: r["siege"]["p99_ms"]),
        "siege_max_ms": med(lambda r: r["siege"]["max_ms"]),
        "siege_failures": sum(r["siege"]["failures"] for r in rs),
        "probe_rate_baseline": med(lambda r: r["baseline"]["probe_req_per_s"]),
        "probe_rate_siege": med(lambda r: r["siege"]["probe_req_per_s"]),
        "idle_open_median": med(lambda r: r["attack"]["idle_open_median"]),
        "flood_answers": [r["attack"]["flood_answers"] for r in rs],
        "slowloris_reconnects": [r["attack"]["slowloris_reconnects"] for r in rs],
        "rss_peak_mib": med(lambda r: r["rss_peak_kib"] / 1024),
    }
json.dump({"rounds": rows, "summary": summary}, open(sys.argv[2], "w"), indent=1)
for mode, s in summary.items():
    print(f"{mode}: scrape p99 {s['baseline_p99_ms']:.1f} ms alone, {s['siege_p99_ms']:.1f} ms under siege "
          f"(p50 {s['siege_p50_ms']:.1f}, max {s['siege_max_ms']:.1f}, {s['siege_failures']} failed); "
          f"probes {s['probe_rate_baseline']:.1f} -> {s['probe_rate_siege']:.1f} req/s; "
          f"idle held {s['idle_open_median']:.0f}; peak RSS {s['rss_peak_mib']:.1f} MiB")
print(sys.argv[2])
PY
