#!/usr/bin/env bash
# bench/fleet_scale.sh: one agent, thousands of discovered targets, beside blackbox_exporter.
#
# TARGETS loopback targets (127.0.0.1:FAST_PORT/t/N on the private nginx) in a file_sd file.
# Each mode runs alone, driven by a real Prometheus scraping every 15 s, WARMUP s of warm-up,
# then DURATION s measured (CPU from /proc utime+stime, peak RSS):
#   kalm          `kalm agent`, one lean probe template over the targets, 1 VU each, 15 s think
#                 time (each target probed about every 15 s), Prometheus scraping /metrics
#                 (gzip): scrape duration p99/max, samples per scrape, sample-limit hits;
#   kalm-noreuse  the same with connection_reuse: false (a connection per probe);
#   blackbox      blackbox_exporter (Debian's prometheus-blackbox-exporter), the multi-target
#                 pattern: Prometheus scrapes /probe?target=... for every target every 15 s.
# CPU per probe = the prober's CPU / probes done in the window (kalm: iterations; blackbox:
# scrapes of /probe). Prometheus's own CPU is not counted for either.
#
# usage: bench/fleet_scale.sh [--targets 5000] [--warmup 60] [--duration 300] [--modes kalm,kalm-noreuse,blackbox]
#                             [--windows 5m]   (agent.windows of the kalm runs, comma-separated)
# env: KALM, FAST_PORT, SLEEP_PORT; ports 19890 (kalm), 19891 (blackbox), 19892 (Prometheus)
# out: bench/out/fleet_scale-<timestamp>.json
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TARGETS=5000 WARMUP=60 DURATION=300 MODES="kalm,kalm-noreuse,blackbox" WINDOWS="5m"
while [[ $# -gt 0 ]]; do
    case "$1" in
        --targets) TARGETS="$2"; shift 2 ;;
        --warmup) WARMUP="${2%s}"; shift 2 ;;
        --duration) DURATION="${2%s}"; shift 2 ;;
        --modes) MODES="$2"; shift 2 ;;
        --windows) WINDOWS="$2"; shift 2 ;;
        -h|--help) sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument: $1" ;;
    esac
done
kalm_available || die "no kalm binary at $KALM (swift build -c release)"
need_cmd prometheus "apt-get install prometheus"
BLACKBOX=$(command -v prometheus-blackbox-exporter || true)
if [[ -z "$BLACKBOX" && "$MODES" == *blackbox* ]]; then
    log "installing prometheus-blackbox-exporter"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus-blackbox-exporter >/dev/null
    systemctl stop prometheus-blackbox-exporter 2>/dev/null || true
    BLACKBOX=$(command -v prometheus-blackbox-exporter)
fi
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
nginx_start_with_trap
work="$OUT_DIR/fleet"; rm -rf "$work"; mkdir -p "$work"
python3 - "$TARGETS" "$FAST_PORT" > "$work/targets.json" <<'PY'
import json, sys
n, port = int(sys.argv[1]), sys.argv[2]
print(json.dumps([{"targets": [f"127.0.0.1:{port}/t/{i}" for i in range(n)], "labels": {"env": "bench"}}]))
PY
cat > "$work/blackbox.yml" <<'YML'
modules:
  http_2xx:
    prober: http
    timeout: 5s
    http: {preferred_ip_protocol: ip4}
YML

PIDS=()
cleanup_children() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; PIDS=(); }
trap 'cleanup_children; nginx_stop' EXIT

prometheus_config() { # job lines -> prometheus.yml
    cat > "$work/prometheus.yml" <<YML
global: {scrape_interval: 15s, scrape_timeout: 10s}
scrape_configs:
$1
YML
}

query() { # PromQL -> first value
    curl -s -G "http://127.0.0.1:19892/api/v1/query" --data-urlencode "query=$1" \
        | python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "nan")'
}

results="$work/results.jsonl"; : > "$results"
for mode in ${MODES//,/ }; do
    reuse=true; [[ "$mode" == kalm-noreuse ]] && reuse=false
    rm -rf "$work/prom-data"
    if [[ "$mode" == blackbox ]]; then
        "$BLACKBOX" --config.file="$work/blackbox.yml" --web.listen-address=127.0.0.1:19891 --log.level=warn 2> "$work/blackbox.log" &
        prober=$!
        prometheus_config "  - job_name: blackbox
    metrics_path: /probe
    params: {module: [http_2xx]}
    file_sd_configs: [{files: [$work/targets.json]}]
    relabel_configs:
      - {source_labels: [__address__], target_label: __param_target}
      - {source_labels: [__param_target], target_label: target}
      - {target_label: __address__, replacement: 127.0.0.1:19891}"
    else
        # One window: what a fleet agent needs (the lean profile exposes one; docs/metrics.md).
        cat > "$work/kalm.yml" <<YML
agent: {windows: [$WINDOWS]}
probes:
  - name: fleet
    targets: {file_sd: [$work/targets.json]}
    series: lean
    request: {url: "http://{{ target }}", timeout: 5s}
scenarios:
  smoke: {vus: 1, think_time: 15s, continuous: true, connection_reuse: $reuse}
YML
        "$KALM" agent -c "$work/kalm.yml" --web.listen-address 127.0.0.1:19890 --log.level warn 2> "$work/kalm-$mode.log" &
        prober=$!
        prometheus_config "  - job_name: kalm
    static_configs: [{targets: [127.0.0.1:19890]}]"
    fi
    PIDS+=("$prober")
    prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/prom-data" \
        --web.listen-address=127.0.0.1:19892 --log.level=warn 2> "$work/prometheus-$mode.log" &
    PIDS+=("$!")
    log "$mode: $TARGETS targets, warm-up ${WARMUP}s"
    sleep "$WARMUP"
    t0=$(proc_cpu_ticks "$prober"); start=$(date +%s)
    kalm_iterations() { curl -s 127.0.0.1:19890/metrics | awk '/^kalm_iterations_total/ { s += $NF } END { printf "%.0f\n", s }'; }
    [[ "$mode" != blackbox ]] && it0=$(kalm_iterations)
    peak=0
    for _ in $(seq 1 "$DURATION"); do
        rss=$(proc_status_kb "$prober" VmRSS); (( rss > peak )) && peak=$rss
        sleep 1
    done
    t1=$(proc_cpu_ticks "$prober"); end=$(date +%s)
    secs=$((end - start))
    if [[ "$mode" == blackbox ]]; then
        probes=$(query "sum(count_over_time(up{job=\"blackbox\"}[${secs}s]))")
        ok=$(query "sum(sum_over_time(probe_success{job=\"blackbox\"}[${secs}s]))")
        scrape_p99=$(query "quantile(0.99, quantile_over_time(0.99, scrape_duration_seconds{job=\"blackbox\"}[${secs}s]))")
        samples=$(query 'sum(scrape_samples_scraped{job="blackbox"})')
    else
        it1=$(kalm_iterations)
        probes=$(python3 -c "print(float('$it1') - float('$it0'))")
        ok=$(query "sum(increase(kalm_iterations_total{result=\"success\"}[${secs}s]))")  # from Prometheus: approximate
        scrape_p99=$(query "quantile_over_time(0.99, scrape_duration_seconds{job=\"kalm\"}[${secs}s])")
        samples=$(query 'scrape_samples_scraped{job="kalm"}')
    fi
    limit_hits=$(curl -s 127.0.0.1:19892/metrics | awk '/^prometheus_target_scrapes_exceeded_sample_limit_total/ { s += $NF } END { print s + 0 }')
    failed_scrapes=$(query "sum(count_over_time(up[${secs}s])) - sum(sum_over_time(up[${secs}s]))")
    cleanup_children
    python3 - "$mode" "$t0" "$t1" "$secs" "$probes" "$ok" "$peak" "$scrape_p99" "$samples" "$limit_hits" "$failed_scrapes" "$TARGETS" >> "$results" <<'PY'
import json, os, sys
mode, t0, t1, secs, probes, ok, peak, p99, samples, limits, failed, n = sys.argv[1:]
tck = os.sysconf("SC_CLK_TCK")
cpu = (int(t1) - int(t0)) / tck
probes = float(probes)
print(json.dumps({"mode": mode, "targets": int(n), "seconds": int(secs), "cpu_seconds": cpu,
                  "cpu_percent_of_core": 100 * cpu / int(secs), "probes": probes, "successful": float(ok),
                  "cpu_us_per_probe": 1e6 * cpu / probes if probes else None, "peak_rss_mib": int(peak) / 1024,
                  "scrape_p99_s": float(p99), "samples_per_scrape": float(samples),
                  "sample_limit_hits": float(limits), "failed_scrapes": float(failed)}))
PY
    tail -1 "$results" >&2
done

out="$OUT_DIR/fleet_scale-$(stamp).json"
python3 - "$results" "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
by = {r["mode"]: r for r in rows}
summary = {}
if "blackbox" in by:
    for m in ("kalm", "kalm-noreuse"):
        if m in by and by[m]["cpu_us_per_probe"] and by["blackbox"]["cpu_us_per_probe"]:
            summary[f"{m}_vs_blackbox_cpu_per_probe"] = by[m]["cpu_us_per_probe"] / by["blackbox"]["cpu_us_per_probe"]
json.dump({"rows": rows, "summary": summary}, open(sys.argv[2], "w"), indent=1)
for r in rows:
    print(f"{r['mode']}: {r['probes']:.0f} probes in {r['seconds']} s ({r['successful']:.0f} ok), CPU {r['cpu_percent_of_core']:.1f}% of a core "
          f"= {r['cpu_us_per_probe']:.0f} µs/probe, peak RSS {r['peak_rss_mib']:.0f} MiB, scrape p99 {r['scrape_p99_s']*1000:.0f} ms, "
          f"{r['samples_per_scrape']:.0f} samples/scrape, failed scrapes {r['failed_scrapes']:.0f}, sample-limit hits {r['sample_limit_hits']:.0f}")
for k, v in summary.items(): print(f"{k}: {v:.3f}")
print(sys.argv[2])
PY
