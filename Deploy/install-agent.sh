#!/usr/bin/env bash
# Installs (or updates) a Keep agent on this server; safe to run again.
#
#   install-agent.sh --host HOST --pool POOL --controller HOST:PORT [--pki DIR] [--binary-dir DIR]
#                    [--prefix /usr] [--root /] [--no-enable]
#
#   --host, --pool    this server's host id and pool, as in its certificate (keepctl pki issue agent)
#   --controller      the controller the agent dials, HOST:PORT (HOST must be in its certificate)
#   --pki DIR         a directory with ca.pem and agents/HOST.pem + .key (the layout of the CA's
#                     directory; copy only those three files to the server). Needed the first time.
#   --binary-dir DIR  where keep-agent was built; it goes to PREFIX/bin and the unit to
#                     /etc/systemd/system. Without it, the keep-agent package must be installed.
#   --prefix DIR      installation prefix of the program (default /usr)
#   --root DIR        install below DIR instead of / (like DESTDIR; systemctl is then not called)
#   --no-user         accepted for symmetry with install-controller.sh (the agent runs as root)
#   --no-enable       do not enable and start keep-agent.service
#
# Result: /etc/keep (0750) with agent.yaml (0640) and pki/ (agent.key 0600), /var/lib/keep-agent
# (0700) for the agent's cache. The agent runs as root with bounded capabilities (see the unit).
# agent.yaml lists /srv as an example source: edit `sources:` for this server, then
# `systemctl restart keep-agent`.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=install-common.sh
source "$here/install-common.sh"

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0; }

host='' pool='' controller='' pki='' binary_dir='' enable=yes
while [[ $# -gt 0 ]]; do
    case $1 in
        --host) host=${2:?--host needs a value}; shift 2 ;;
        --pool) pool=${2:?--pool needs a value}; shift 2 ;;
        --controller) controller=${2:?--controller needs HOST:PORT}; shift 2 ;;
        --pki) pki=${2:?--pki needs a directory}; shift 2 ;;
        --binary-dir) binary_dir=${2:?--binary-dir needs a directory}; shift 2 ;;
        --prefix) PREFIX=${2:?--prefix needs a directory}; shift 2 ;;
        --root) ROOT=${2:?--root needs a directory}; shift 2 ;;
        --no-user) USE_KEEP_USER=no; shift ;;
        --no-enable) enable=no; shift ;;
        -h | --help) usage ;;
        *) die "unknown argument '$1'" "see $0 --help" ;;
    esac
done

valid_name "$host" || die "--host must be this server's host id (letters, digits, '.', '-', '_'), got '$host'"
valid_name "$pool" || die "--pool must be a pool name (letters, digits, '.', '-', '_'), got '$pool'"
[[ $controller =~ ^[A-Za-z0-9._-]+:[0-9]+$ || $controller =~ ^\[[0-9A-Fa-f:.]+\]:[0-9]+$ ]] \
    || die "--controller must be HOST:PORT, got '$controller'"
PREFIX=${PREFIX%/}
[[ -z $PREFIX || $PREFIX == /* ]] || die "--prefix must be an absolute path, got '$PREFIX'"
[[ -d $ROOT ]] || die "--root $ROOT is not a directory"
ROOT=$(cd "$ROOT" && pwd)
if [[ -n $pki ]]; then
    for file in ca.pem "agents/$host.pem" "agents/$host.key"; do
        [[ -f $pki/$file ]] || die "$pki/$file is missing" \
            "on the CA's machine: keepctl pki issue agent --host $host --pool $pool, then copy the files"
    done
elif [[ ! -f $(target /etc/keep/pki/agent.pem) ]]; then
    die "no certificates installed yet" "pass --pki with ca.pem and agents/$host.pem + .key"
fi

echo "== keep-agent $host (pool $pool), below $ROOT"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# /etc/keep may be shared with a controller on the same server: keep its group then.
group=$(config_group)
ensure_dir /etc/keep 0750 "root:$group"
ensure_dir /etc/keep/pki 0750 "root:$group"
ensure_dir /var/lib/keep-agent 0700 root:root

if [[ -n $binary_dir ]]; then
    [[ -x $binary_dir/keep-agent ]] || die "$binary_dir/keep-agent is missing or not executable" \
        "build it with: swift build -c release --static-swift-stdlib"
    ensure_dir "$PREFIX/bin" 0755 root:root
    put_file "$binary_dir/keep-agent" "$PREFIX/bin/keep-agent" 0755 root:root
    install_unit keep-agent
else
    require_installed keep-agent
fi

if [[ -n $pki ]]; then
    put_file "$pki/ca.pem" /etc/keep/pki/ca.pem 0644 root:root
    put_file "$pki/agents/$host.pem" /etc/keep/pki/agent.pem 0644 root:root
    put_file "$pki/agents/$host.key" /etc/keep/pki/agent.key 0600 root:root
fi

render_template "$here/examples/agent.yaml" "controller=$controller" "host=$host" "pool=$pool" >"$work/config"
put_config "$work/config" /etc/keep/agent.yaml 0640 root:root

enable_unit keep-agent.service "$enable"
echo "Next: list this server's data under 'sources:' in /etc/keep/agent.yaml (then systemctl restart"
echo "keep-agent), and check from an operator's machine: keepctl agents"
