#!/usr/bin/env bash
# The quick-start demo: a real local fleet on 127.0.0.1.
#
# Installs what is missing, builds Keep, creates a PKI, starts a controller and three agents in two
# pools (fe-01: web-01, web-02; be-01: db-01) with real mutual TLS, an embedded catalog and store,
# backs both pools up, shows the sets, a snapshot's tree and the pool's users, verifies the data,
# then stops everything. All state lives in ./demo (removed at the start of each run).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
demo="$root/demo"

Deploy/install-build-deps.sh
echo "== building (debug)"
swift build --product keep-controller >/dev/null
swift build --product keep-agent >/dev/null
swift build --product keepctl >/dev/null
bin=$(swift build --show-bin-path)

pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT

rm -rf "$demo"
mkdir -p "$demo"
keepctl() { "$bin/keepctl" "$@"; }
step() { printf '\n== %s\n$ keepctl %s\n' "$1" "${*:2}"; keepctl "${@:2}"; }

echo "== PKI: a CA, a controller, three agents, an operator"
keepctl pki init --dir "$demo/pki" --name "Keep demo CA"
keepctl pki issue controller --dir "$demo/pki" --name localhost --ip 127.0.0.1
for spec in web-01:fe-01 web-02:fe-01 db-01:be-01; do
    keepctl pki issue agent --dir "$demo/pki" --host "${spec%%:*}" --pool "${spec##*:}"
done
keepctl pki issue operator --dir "$demo/pki" --name admin

echo "== sample data for each host"
Deploy/demo-data.sh "$demo/hosts"

cat >"$demo/controller.yaml" <<YAML
name: localhost
listen: 127.0.0.1
port: 0
data: data
ready_file: controller.port
tls:
  certificate: pki/controllers/localhost.pem
  key: pki/controllers/localhost.key
  ca: pki/ca.pem
  crl: pki/crl.pem
YAML
"$bin/keep-controller" --config "$demo/controller.yaml" 2>"$demo/controller.log" &
pids+=($!)
for _ in $(seq 100); do [[ -s "$demo/controller.port" ]] && break; sleep 0.1; done
port=$(cat "$demo/controller.port")
echo "== controller listening on 127.0.0.1:$port (log: demo/controller.log)"

for spec in web-01:fe-01 web-02:fe-01 db-01:be-01; do
    host=${spec%%:*} pool=${spec##*:}
    cat >"$demo/$host.yaml" <<YAML
controller: 127.0.0.1:$port
host: $host
pool: $pool
state: state/$host
tls:
  certificate: pki/agents/$host.pem
  key: pki/agents/$host.key
  ca: pki/ca.pem
sources:
  - path: hosts/$host/srv
    exclude: ["**/*.tmp"]
config_paths: [hosts/$host/etc]
inventory:
  root: hosts/$host
YAML
    "$bin/keep-agent" --config "$demo/$host.yaml" 2>"$demo/$host.log" &
    pids+=($!)
done

cat >"$demo/keepctl.yaml" <<YAML
controller: 127.0.0.1:$port
cert: pki/operators/admin.pem
key: pki/operators/admin.key
ca: pki/ca.pem
YAML
export KEEP_CONFIG="$demo/keepctl.yaml"

for _ in $(seq 100); do
    [[ $(keepctl agents --json | grep -o '"connected": *true' | wc -l) -ge 3 ]] && break
    sleep 0.1
done
step "the fleet" agents
step "back up pool fe-01 before its upgrade" backup --pool fe-01 --label before-upgrade
step "back up pool be-01" backup --pool be-01 --label nightly
step "backup sets" sets
snapshot=$(keepctl snapshots --host web-01 --json | grep -o '"snapshot_id": *"[^"]*"' | head -1 | cut -d'"' -f4)
step "a snapshot's tree" ls "$snapshot" "$demo/hosts/web-01/srv"
step "the user accounts homed on pool fe-01" inventory users --pool fe-01
step "verify every object of every snapshot (decrypt and re-hash)" verify --read-data

before=$(keepctl sets --pool fe-01 --json | grep -o '"set_id": *"[^"]*"' | head -1 | cut -d'"' -f4)
step "restore web-01's configuration of set $before to another directory" \
    restore --host web-01 --set "$before" --path "$demo/hosts/web-01/etc" --to "$demo/restored"
diff -r "$demo/hosts/web-01/etc" "$demo/restored$demo/hosts/web-01/etc" && echo "restored files are identical to the originals"

echo
echo "== a failed migration of pool fe-01: configs changed and deleted, files added, a directory replaced by a file"
for host in web-01 web-02; do
    h="$demo/hosts/$host"
    echo "workers = 64  # tuned for 2.0" >>"$h/etc/app/app.toml"
    rm "$h/etc/nginx/sites-enabled/app.conf"
    echo "new-user:x:1500:1500::/home/new:/bin/sh" >>"$h/etc/passwd"
    mkdir -p "$h/srv/app/releases/2.0.0" && echo "v2" >"$h/srv/app/releases/2.0.0/main.py"
    rm -rf "$h/srv/app/shared/uploads" && echo "moved to object storage" >"$h/srv/app/shared/uploads"
done
step "what a rollback to $before would change (dry run)" rollback --pool fe-01 --to "$before" --dry-run
step "roll pool fe-01 back to $before" rollback --pool fe-01 --to "$before" --yes
step "the rolled-back hosts match the set again" rollback --pool fe-01 --to "$before" --dry-run
echo
echo "Done. The demo fleet stops now; its files stay in ./demo (logs: demo/*.log)."
