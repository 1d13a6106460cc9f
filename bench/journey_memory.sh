#!/usr/bin/env bash
# bench/journey_memory.sh: a journey's data source costs one copy, however many VUs read it.
#
# Writes a 100,000-row CSV (brand, category, condition, sku), then runs `kalm run` on a
# 2-step journey (POST /items with a body from the CSV row, GET /items/ID) against the
# private nginx, for 5 s with 1 s think time, four ways: with and without the data source,
# at 1 VU and at 500 VUs. Reports the max RSS (GNU time %M) of each and:
#   data cost at 1 VU    = RSS(data, 1)   - RSS(no data, 1)
#   data cost at 500 VUs = RSS(data, 500) - RSS(no data, 500)
# One shared copy: the two costs are about equal (the file's rows once), not 500 times apart.
#
# usage: bench/journey_memory.sh [--rows 100000] [--vus 500] [--duration 5s] [--rounds 3]
# env: KALM (default .build/release/kalm), FAST_PORT, PAUSE
# out: bench/out/journey-memory-<timestamp>.json
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROWS=100000
VUS=500
DURATION=5s
ROUNDS=3
while [[ $# -gt 0 ]]; do
    case "$1" in
        --rows) ROWS="$2"; shift 2 ;;
        --vus) VUS="$2"; shift 2 ;;
        --duration) DURATION="$2"; shift 2 ;;
        --rounds) ROUNDS="$2"; shift 2 ;;
        *) sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 2 ;;
    esac
done
ensure_gnu_time
kalm_available || die "kalm not built: swift build -c release"
need_cmd jq
run_dir="$OUT_DIR/journey-memory-$(stamp)"
mkdir -p "$run_dir"
csv="$run_dir/products.csv"
awk -v n="$ROWS" 'BEGIN { print "brand,category,condition,sku"; split("Louis Vuitton,Rolex,Hermès,Chanel,Gucci,Omega", b, ",");
    split("bags,watches,jewelry,shoes", c, ","); split("excellent,good,fair", d, ",");
    for (i = 0; i < n; i++) printf "%s,%s,%s,SKU-%08d\n", b[i % 6 + 1], c[i % 4 + 1], d[i % 3 + 1], i }' > "$csv"
log "data file: $ROWS rows, $(du -k "$csv" | cut -f1) KiB"

config() {  # config WITH_DATA → path
    local f="$run_dir/journey-$1.yml"
    {
        echo "probes:"
        echo "  - name: flow"
        if [[ "$1" == data ]]; then
            echo "    data: {products: {file: products.csv, pick: random}}"
            body='{brand: "{{ products.brand }}", sku: "{{ products.sku }}"}'
        else
            body='{brand: Rolex, sku: SKU-1}'
        fi
        cat <<YML
    steps:
      - name: create
        request: {method: POST, url: "http://127.0.0.1:\${FAST_PORT}/items", body: $body}
        expected_status: [201]
        capture: {id: {json_path: \$.id}}
      - name: read
        request: {url: "http://127.0.0.1:\${FAST_PORT}/items/{{ id }}"}
scenarios:
  mem: {executor: constant-vus, vus: 1, duration: 5s, think_time: 1s}
YML
    } > "$f"
    echo "$f"
}
cfg_data="$(config data)"
cfg_plain="$(config plain)"
nginx_start_with_trap

declare -A rss
for round in $(seq 1 "$ROUNDS"); do
    for kind in plain data; do
        for vus in 1 "$VUS"; do
            cfg="$cfg_plain"; [[ $kind == data ]] && cfg="$cfg_data"
            prefix="$run_dir/r$round-$kind-$vus"
            measure "$prefix" "$KALM" run -c "$cfg" --vus "$vus" --duration "$DURATION" --summary-export "$prefix.json" \
                || die "kalm failed: $(tail -3 "$prefix.err")"
            read_time "$prefix"
            fails="$(export_fails "$prefix.json")"
            [[ "$fails" == 0 ]] || die "$kind $vus VUs: $fails failed requests"
            rss["$kind-$vus"]+="$T_MAXRSS "
            log "round $round $kind $vus VUs: max RSS $T_MAXRSS KiB, $(export_count "$prefix.json") requests"
            pause
        done
    done
done
m() { median ${rss[$1]}; }
p1="$(m plain-1)"; d1="$(m data-1)"; pv="$(m plain-$VUS)"; dv="$(m data-$VUS)"
cost1=$(( ${d1%.*} - ${p1%.*} )); costv=$(( ${dv%.*} - ${pv%.*} ))
printf '\nmax RSS, median of %s rounds (KiB):\n' "$ROUNDS"
printf '  %-22s %10s %10s\n' "" "1 VU" "$VUS VUs"
printf '  %-22s %10s %10s\n' "no data" "$p1" "$pv" "with $ROWS-row CSV" "$d1" "$dv"
printf '  %-22s %10s %10s\n' "data cost" "$cost1" "$costv"
jq -n --argjson rows "$ROWS" --argjson vus "$VUS" --argjson p1 "$p1" --argjson d1 "$d1" --argjson pv "$pv" --argjson dv "$dv" \
    '{rows: $rows, vus: $vus, rss_kib: {plain_1: $p1, data_1: $d1, plain_vus: $pv, data_vus: $dv},
      data_cost_kib: {one_vu: ($d1 - $p1), many_vus: ($dv - $pv)}}' > "$run_dir.json"
log "wrote $run_dir.json"
