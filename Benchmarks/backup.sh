#!/usr/bin/env bash
# Keep vs restic vs borg: first backup, unchanged re-backup, backup after a ~2% mutation, full restore,
# then a fleet of agents backing up at once. One command:
#
#   Benchmarks/backup.sh [--size-mb 1024] [--files 30000] [--agents 50] [--fleet-mb 8] [--skip-fleet]
#
# Installs what it needs from Debian when missing (Keep's build dependencies, restic, borgbackup,
# e2fsprogs), builds Keep in release mode (scratch path .build-release), generates the data set once
# (Benchmarks/work, reused across runs) and writes Benchmarks/results/<date>.json. Run it as root so the
# page cache can be dropped before each phase and each restore gets a fresh file system.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

Deploy/install-build-deps.sh
missing=()
command -v restic >/dev/null || missing+=(restic)
command -v borg >/dev/null || missing+=(borgbackup)
command -v mkfs.ext4 >/dev/null || missing+=(e2fsprogs)
if ((${#missing[@]})); then
    echo "== installing ${missing[*]}"
    apt-get install -y "${missing[@]}" >/dev/null || { apt-get update >/dev/null && apt-get install -y "${missing[@]}" >/dev/null; }
fi
echo "== restic: $(restic version | head -1)"
echo "== borg: $(borg --version)"

echo "== building Keep (release, .build-release)"
swift build -c release --scratch-path .build-release --product keep-controller >/dev/null
swift build -c release --scratch-path .build-release --product keep-agent >/dev/null
swift build -c release --scratch-path .build-release --product keepctl >/dev/null
bin=$(swift build -c release --scratch-path .build-release --show-bin-path)

exec python3 "$root/Benchmarks/bench.py" --bin "$bin" --work "${KEEP_BENCH_WORK:-$root/Benchmarks/work}" \
    --out "$root/Benchmarks/results/$(date -u +%Y%m%dT%H%M%SZ).json" "$@"
