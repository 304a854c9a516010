#!/usr/bin/env bash
# Installs (or updates) a Keep controller on this server; safe to run again.
#
#   install-controller.sh --name NAME [--pki DIR] [--binary-dir DIR] [--port 7443] [--listen 0.0.0.0]
#                         [--prefix /usr] [--root /] [--no-user] [--no-enable]
#
#   --name NAME       the controller's name, as in its certificate (keepctl pki issue controller --name)
#   --pki DIR         a directory laid out like `keepctl pki init`'s: ca.pem, crl.pem and
#                     controllers/NAME.pem + .key (ca.key is never copied). Needed the first time.
#   --binary-dir DIR  where keep-controller (and keepctl) were built, e.g. .build/release; they go to
#                     PREFIX/bin and the unit to /etc/systemd/system. Without it, the programs and
#                     the unit must already be installed (the keep-controller package).
#   --port, --listen  written into a new controller.yaml (an existing one is never overwritten)
#   --prefix DIR      installation prefix of the programs (default /usr)
#   --root DIR        install below DIR instead of / (like DESTDIR; systemctl is then not called)
#   --no-user         do not create the keep user nor chown to it (tests; the unit still needs it)
#   --no-enable       do not enable and start keep-controller.service
#
# Result: user keep; /etc/keep (0750 root:keep) with controller.yaml (0640) and pki/ (controller.key
# 0600 keep); /var/lib/keep (0700 keep) for the catalog, packs and repository key.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=install-common.sh
source "$here/install-common.sh"

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0; }

name='' pki='' binary_dir='' port=7443 listen=0.0.0.0 enable=yes
while [[ $# -gt 0 ]]; do
    case $1 in
        --name) name=${2:?--name needs a value}; shift 2 ;;
        --pki) pki=${2:?--pki needs a directory}; shift 2 ;;
        --binary-dir) binary_dir=${2:?--binary-dir needs a directory}; shift 2 ;;
        --port) port=${2:?--port needs a number}; shift 2 ;;
        --listen) listen=${2:?--listen needs an address}; shift 2 ;;
        --prefix) PREFIX=${2:?--prefix needs a directory}; shift 2 ;;
        --root) ROOT=${2:?--root needs a directory}; shift 2 ;;
        --no-user) USE_KEEP_USER=no; shift ;;
        --no-enable) enable=no; shift ;;
        -h | --help) usage ;;
        *) die "unknown argument '$1'" "see $0 --help" ;;
    esac
done

valid_name "$name" || die "--name must be the controller's name (letters, digits, '.', '-', '_'), got '$name'"
[[ $port =~ ^[0-9]+$ && $port -le 65535 ]] || die "--port must be a TCP port, got '$port'"
[[ $listen =~ ^[0-9A-Za-z.:_-]+$ ]] || die "--listen must be an address, got '$listen'"
PREFIX=${PREFIX%/}
[[ -z $PREFIX || $PREFIX == /* ]] || die "--prefix must be an absolute path, got '$PREFIX'"
[[ -d $ROOT ]] || die "--root $ROOT is not a directory"
ROOT=$(cd "$ROOT" && pwd)
if [[ $USE_KEEP_USER == yes && $ROOT != / ]]; then
    die "the keep user can only be created on the running system" "with --root, pass --no-user"
fi
if [[ -n $pki ]]; then
    for file in ca.pem crl.pem "controllers/$name.pem" "controllers/$name.key"; do
        [[ -f $pki/$file ]] || die "$pki/$file is missing" \
            "create it with: keepctl pki issue controller --dir $pki --name $name"
    done
elif [[ ! -f $(target /etc/keep/pki/controller.pem) ]]; then
    die "no certificates installed yet" "pass --pki with the directory of keepctl pki init"
fi

echo "== keep-controller $name, below $ROOT"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [[ $USE_KEEP_USER == yes ]] && ! getent passwd keep >/dev/null; then
    useradd --system --user-group --home-dir /var/lib/keep --no-create-home \
        --shell /usr/sbin/nologin --comment "Keep backup controller" keep
    note "created system user keep"
fi

group=$(config_group)
ensure_dir /etc/keep 0750 "root:$group"
ensure_dir /etc/keep/pki 0750 "root:$group"
ensure_dir /var/lib/keep 0700 keep:keep

if [[ -n $binary_dir ]]; then
    [[ -x $binary_dir/keep-controller ]] || die "$binary_dir/keep-controller is missing or not executable" \
        "build it with: swift build -c release --static-swift-stdlib"
    ensure_dir "$PREFIX/bin" 0755 root:root
    put_file "$binary_dir/keep-controller" "$PREFIX/bin/keep-controller" 0755 root:root
    if [[ -x $binary_dir/keepctl ]]; then
        put_file "$binary_dir/keepctl" "$PREFIX/bin/keepctl" 0755 root:root
    fi
    install_unit keep-controller
else
    require_installed keep-controller
fi

if [[ -n $pki ]]; then
    put_file "$pki/ca.pem" /etc/keep/pki/ca.pem 0644 root:root
    put_file "$pki/crl.pem" /etc/keep/pki/crl.pem 0644 root:root
    put_file "$pki/controllers/$name.pem" /etc/keep/pki/controller.pem 0644 root:root
    put_file "$pki/controllers/$name.key" /etc/keep/pki/controller.key 0600 keep:keep
fi

render_template "$here/examples/controller.yaml" "name=$name" "listen=$listen" "port=$port" >"$work/config"
put_config "$work/config" /etc/keep/controller.yaml 0640 "root:$group"

enable_unit keep-controller.service "$enable"
echo "Next: issue an operator certificate (keepctl pki issue operator) and run: keepctl agents"
