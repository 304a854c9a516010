#!/usr/bin/env bash
# Removes what install-controller.sh or install-agent.sh installed; safe to run again.
#
#   uninstall.sh controller|agent [--purge] [--prefix /usr] [--root /]
#
# Stops and disables the service, removes its program(s) and unit. The configuration (/etc/keep)
# and the data are KEPT — /var/lib/keep holds the controller's catalog, packs and repository key,
# that is every backup — unless --purge is given. The keep user is never removed (files it owned
# may remain, e.g. in a copy of the data directory). A packaged install is removed with
# `apt remove keep-controller` (or keep-agent) instead.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=install-common.sh
source "$here/install-common.sh"

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0; }

role='' purge=no
while [[ $# -gt 0 ]]; do
    case $1 in
        controller | agent) role=$1; shift ;;
        --purge) purge=yes; shift ;;
        --prefix) PREFIX=${2:?--prefix needs a directory}; shift 2 ;;
        --root) ROOT=${2:?--root needs a directory}; shift 2 ;;
        -h | --help) usage ;;
        *) die "unknown argument '$1'" "see $0 --help" ;;
    esac
done
[[ -n $role ]] || die "say what to remove: controller or agent" "$0 controller|agent [--purge]"
PREFIX=${PREFIX%/}
[[ -z $PREFIX || $PREFIX == /* ]] || die "--prefix must be an absolute path, got '$PREFIX'"
[[ -d $ROOT ]] || die "--root $ROOT is not a directory"
ROOT=$(cd "$ROOT" && pwd)

unit=keep-$role.service
programs=("$PREFIX/bin/keep-$role")
[[ $role == agent ]] || programs+=("$PREFIX/bin/keepctl")
package=$(owning_package "$PREFIX/bin/keep-$role")
[[ -z $package ]] || die "$PREFIX/bin/keep-$role belongs to the package $package" "use: apt remove $package"

# remove PATH — deletes a file or an empty directory if it is there.
remove() {
    local path
    path=$(target "$1")
    if [[ -d $path && ! -L $path ]]; then
        if rmdir "$path" 2>/dev/null; then note "removed $1"; else note "kept $1 (not empty)"; fi
    elif [[ -e $path || -L $path ]]; then
        rm -f "$path"
        note "removed $1"
    fi
}

echo "== removing keep-$role from $ROOT"
if systemd_here && systemctl cat "$unit" >/dev/null 2>&1; then
    systemctl disable --now "$unit" || true
    note "stopped and disabled $unit"
fi
remove "/etc/systemd/system/$unit"
systemd_here && systemctl daemon-reload
for program in "${programs[@]}"; do remove "$program"; done

if [[ $purge == yes ]]; then
    if [[ $role == controller ]]; then
        remove /etc/keep/controller.yaml
        remove /etc/keep/pki/controller.pem
        remove /etc/keep/pki/controller.key
        remove /etc/keep/pki/crl.pem
        data=/var/lib/keep
    else
        remove /etc/keep/agent.yaml
        remove /etc/keep/pki/agent.pem
        remove /etc/keep/pki/agent.key
        data=/var/lib/keep-agent
    fi
    # ca.pem is shared by a controller and an agent on the same server.
    if [[ ! -e $(target /etc/keep/pki/controller.pem) && ! -e $(target /etc/keep/pki/agent.pem) ]]; then
        remove /etc/keep/pki/ca.pem
    fi
    remove /etc/keep/pki
    remove /etc/keep
    if [[ -d $(target "$data") ]]; then
        rm -rf "$(target "$data")"
        note "removed $data and everything in it"
    fi
else
    [[ ! -d $(target /etc/keep) ]] || note "kept /etc/keep (configuration and certificates; --purge removes them)"
    data=$([[ $role == controller ]] && echo /var/lib/keep || echo /var/lib/keep-agent)
    why=$([[ $role == controller ]] && echo 'every backup is in there' || echo "the agent's cache")
    [[ ! -d $(target "$data") ]] || note "kept $data ($why; --purge removes it)"
fi
