#!/usr/bin/env bash
# Times a coordinated rollback of a 3-host pool with ~300 MB per host (release build, loopback TLS).
#
#   Benchmarks/rollback.sh [MB_PER_HOST]        (KEEP_BIN=DIR uses programs already built there)
#
# Each host gets a tree of config files, logs and binaries; the pool is backed up, then "migrated"
# (about 10% of the data rewritten, files added and deleted, a directory replaced by a file) and
# rolled back. Prints the time of each phase and checks the hosts match the set afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-300}
work=${KEEP_BENCH_DIR:-/tmp/keep-rollback-bench}

if [[ -n ${KEEP_BIN:-} ]]; then     # programs built elsewhere
    bin=$KEEP_BIN
else
    Deploy/install-build-deps.sh
    swift build -c release --scratch-path .build-release >/dev/null
    bin=$(swift build -c release --scratch-path .build-release --show-bin-path)
fi
source Deploy/fleet-lib.sh
fleet_init "$work" "$bin"
keepctl() { "$bin/keepctl" "$@"; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f s", b - a }'; }

hosts=(app-01 app-02 app-03)
fleet_pki "${hosts[@]/%/:apps}"
for host in "${hosts[@]}"; do
    python3 - "$work/hosts/$host/srv" "$size" "$host" <<'PY'
import os, random, sys
root, megabytes, host = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rng = random.Random(host)
os.makedirs(root, exist_ok=True)
budget = megabytes << 20
for d in range(20):                                   # small config-like files
    os.makedirs(f"{root}/conf/d{d}", exist_ok=True)
    for f in range(100):
        text = "".join(f"key_{i} = {rng.randint(0, 10**6)}\n" for i in range(40))
        open(f"{root}/conf/d{d}/f{f}.conf", "w").write(text); budget -= len(text)
os.makedirs(f"{root}/logs", exist_ok=True)            # compressible logs, ~40%
i = 0
while budget > (megabytes << 20) * 0.6:
    lines = "".join(f"2026-11-21 12:{i % 60:02d}:{n % 60:02d} {host} GET /api/{rng.randint(1, 9999)} 200\n" for n in range(20000))
    open(f"{root}/logs/app-{i}.log", "w").write(lines); budget -= len(lines); i += 1
os.makedirs(f"{root}/data", exist_ok=True)            # incompressible binaries, the rest
i = 0
while budget > 0:
    n = min(budget, 16 << 20)
    open(f"{root}/data/blob-{i}.bin", "wb").write(rng.randbytes(n)); budget -= n; i += 1
PY
done
fleet_start_controller
for host in "${hosts[@]}"; do fleet_start_agent "$host" apps "$work/hosts/$host/srv"; done
fleet_wait_agents 3

t0=$(now)
keepctl backup --pool apps --label before-migration >/dev/null
t1=$(now)
set_id=$(keepctl sets --pool apps --json | grep -o '"set_id": *"[^"]*"' | head -1 | cut -d'"' -f4)
echo "backup of 3 x ${size} MB: $(elapsed "$t0" "$t1")"

for host in "${hosts[@]}"; do                          # the "migration"
    h="$work/hosts/$host/srv"
    for f in "$h"/data/blob-0.bin "$h"/data/blob-1.bin; do head -c $((16 << 20)) /dev/urandom >"$f"; done
    rm -rf "$h/conf/d0" && echo "moved" >"$h/conf/d0"
    for f in "$h"/conf/d1/*.conf; do echo "migrated = true" >>"$f"; done
    mkdir -p "$h/new" && head -c $((8 << 20)) /dev/urandom >"$h/new/v2.bin"
    rm -f "$h"/logs/app-1.log
done

t2=$(now)
keepctl rollback --pool apps --to "$set_id" --dry-run >/dev/null
t3=$(now)
keepctl rollback --pool apps --to "$set_id" --yes | tail -6
t4=$(now)
left=$(keepctl rollback --pool apps --to "$set_id" --dry-run --json | { grep -o '"files_[a-z]*": *"*[1-9]' || true; } | wc -l)
echo "rollback plan (dry run): $(elapsed "$t2" "$t3")"
echo "rollback of 3 x ${size} MB (safety backup + prepare + commit): $(elapsed "$t3" "$t4")"
echo "hosts matching the set afterwards: $([[ $left -eq 0 ]] && echo yes || echo "NO ($left differences)")"
