#!/usr/bin/env bash
# The quick-start demo: a real local fleet on 127.0.0.1.
#
# Installs what is missing, builds Keep, creates a PKI, starts a controller and three agents in two
# pools (fe-01: web-01, web-02; be-01: db-01) with real mutual TLS, an embedded catalog and store,
# backs both pools up, shows the sets, a snapshot's tree and the pool's users, verifies the data,
# restores a host's configuration to another directory, then "migrates" a pool and rolls it back.
# Everything stops at the end; all state stays in ./demo (removed at the start of each run).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
demo="$root/demo"

Deploy/install-build-deps.sh
echo "== building (debug)"
swift build >/dev/null
bin=$(swift build --show-bin-path)

source Deploy/fleet-lib.sh
fleet_init "$demo" "$bin"
keepctl() { "$bin/keepctl" "$@"; }
step() { printf '\n== %s\n$ keepctl %s\n' "$1" "${*:2}"; keepctl "${@:2}"; }

echo "== PKI: a CA, a controller, three agents (web-01, web-02 in pool fe-01; db-01 in be-01), an operator"
fleet_pki web-01:fe-01 web-02:fe-01 db-01:be-01
keepctl pki list --dir "$demo/pki"

echo "== sample data for each host"
Deploy/demo-data.sh "$demo/hosts"

fleet_start_controller
echo "== controller listening on 127.0.0.1:$fleet_port (log: demo/controller.log)"
for spec in web-01:fe-01 web-02:fe-01 db-01:be-01; do
    host=${spec%%:*}
    fleet_start_agent "$host" "${spec##*:}" "$demo/hosts/$host/srv" "$demo/hosts/$host/etc"
done
fleet_wait_agents 3
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
