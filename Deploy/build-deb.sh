#!/usr/bin/env bash
# Builds the Debian packages keep-controller, keep-agent and keepctl.
#
#   build-deb.sh [--release | --debug | --binary-dir DIR] [--out DIR] [--version V]
#
#   --release         build the programs with `swift build -c release --static-swift-stdlib` (default)
#   --debug           the same in debug mode (quicker; for trying the packages, not for servers)
#   --binary-dir DIR  package the programs already in DIR (keep-controller, keep-agent, keepctl)
#   --out DIR         where the .deb files go (default ./dist)
#   --version V       the package version (default: KeepVersion.current in Sources/KeepCore)
#
# The Swift runtime is linked statically (--static-swift-stdlib), so the packages depend only on
# Debian libraries: the system OpenSSL 3, zstd and SQLite (plus libc and the C++ runtime), each
# package on those its program links (readelf). A program that still needs a Swift shared library
# (libswiftCore.so…) is refused: installed on a server, it would not start.
#
# Each package holds its program, its systemd unit (/lib/systemd/system), its example configuration
# (/usr/share/doc/PACKAGE/examples) and, for the two daemons, the install script that writes
# /etc/keep from it (/usr/share/PACKAGE/install-*.sh). keep-controller's postinst creates the `keep`
# system user; no package starts its daemon before it is configured.
set -euo pipefail
deploy=$(cd "$(dirname "$0")" && pwd)
repository=$(dirname "$deploy")

die() {
    printf 'error: %s\n' "$1" >&2
    [[ $# -lt 2 ]] || printf 'hint: %s\n' "$2" >&2
    exit 1
}

mode=release binary_dir='' out=dist version=''
while [[ $# -gt 0 ]]; do
    case $1 in
        --release) mode=release; shift ;;
        --debug) mode=debug; shift ;;
        --binary-dir) binary_dir=${2:?--binary-dir needs a directory}; mode=prebuilt; shift 2 ;;
        --out) out=${2:?--out needs a directory}; shift 2 ;;
        --version) version=${2:?--version needs a value}; shift 2 ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$1'" "see $0 --help" ;;
    esac
done

command -v dpkg-deb >/dev/null || die "dpkg-deb is missing" "apt-get install dpkg"
if [[ -z $version ]]; then
    version=$(sed -n 's/.*static let current = "\([^"]*\)".*/\1/p' "$repository/Sources/KeepCore/KeepVersion.swift")
fi
[[ $version =~ ^[0-9][A-Za-z0-9.+~-]*$ ]] || die "cannot use '$version' as a package version"
architecture=$(dpkg --print-architecture)
programs=(keep-controller keep-agent keepctl)

if [[ $mode != prebuilt ]]; then
    echo "== swift build -c $mode --static-swift-stdlib"
    (cd "$repository" && swift build -c "$mode" --static-swift-stdlib)
    binary_dir=$(cd "$repository" && swift build -c "$mode" --static-swift-stdlib --show-bin-path)
fi
for program in "${programs[@]}"; do
    [[ -x $binary_dir/$program ]] || die "$binary_dir/$program is missing or not executable"
done

# Debian packages of the libraries Keep's programs may link (soname prefix → package).
all_dependencies="libc6, libssl3, libzstd1, libsqlite3-0, libstdc++6, libgcc-s1"
declare -A library_packages=(
    [libc.so]=libc6 [libm.so]=libc6 [libdl.so]=libc6 [libpthread.so]=libc6 [librt.so]=libc6
    [libutil.so]=libc6 [ld-linux]=libc6 [libssl.so.3]=libssl3 [libcrypto.so.3]=libssl3
    [libzstd.so.1]=libzstd1 [libsqlite3.so.0]=libsqlite3-0 [libstdc++.so.6]=libstdc++6
    [libgcc_s.so.1]=libgcc-s1
)

# dependencies_of PROGRAM — the Debian packages providing the shared libraries PROGRAM needs, or the
# whole list for a program that is not ELF (a script standing in for one). Refuses a program that needs
# a library no known package provides (a Swift runtime library, say).
dependencies_of() {
    local program=$1 library prefix package found=()
    if ! head -c 4 "$program" | grep -q 'ELF'; then
        echo "$all_dependencies"
        return
    fi
    while read -r library; do
        package=''
        for prefix in "${!library_packages[@]}"; do
            [[ $library != "$prefix"* ]] || package=${library_packages[$prefix]}
        done
        [[ -n $package ]] || die "$(basename "$program") needs $library, which no package dependency provides" \
            "build with --static-swift-stdlib (libswift*, libFoundation*, libdispatch) or add its package"
        found+=("$package")
    done < <(readelf -d "$program" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
    printf '%s\n' "${found[@]}" | sort -u | paste -sd, - | sed 's/,/, /g'
}

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$out"
out=$(cd "$out" && pwd)

# control PACKAGE DESCRIPTION [EXTRA FIELD LINES] — writes DEBIAN/control.
control() {
    local package=$1 root=$stage/$1
    mkdir -p "$root/DEBIAN"
    {
        echo "Package: $package"
        echo "Version: $version"
        echo "Architecture: $architecture"
        echo "Maintainer: Keep developers <keep@localhost>"
        echo "Section: admin"
        echo "Priority: optional"
        echo "Depends: ${depends[$package]}"
        [[ -z ${3:-} ]] || echo "$3"
        echo "Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)"
        echo "Description: $2"
    } >"$root/DEBIAN/control"
}

# script PACKAGE NAME — DEBIAN/NAME (a maintainer script) from stdin, mode 0755.
script() {
    cat >"$stage/$1/DEBIAN/$2"
    chmod 0755 "$stage/$1/DEBIAN/$2"
}

# put SOURCE PACKAGE PATH MODE — a file in a package's tree.
put() {
    install -D -m "$4" "$1" "$stage/$2$3"
}

# put_program PROGRAM PACKAGE — /usr/bin/PROGRAM, without its symbol table (a static Swift runtime makes
# the programs large: ~120 MB become ~70 MB; crash backtraces then show addresses instead of names).
put_program() {
    put "$binary_dir/$1" "$2" "/usr/bin/$1" 0755
    if head -c 4 "$binary_dir/$1" | grep -q ELF && command -v strip >/dev/null; then
        strip --strip-unneeded "$stage/$2/usr/bin/$1"
    fi
}

# Lays out a daemon's package: program, unit, example, install script and documentation.
daemon_tree() {
    local package=$1 role=${1#keep-}
    put_program "$package" "$package"
    put "$deploy/systemd/$package.service" "$package" "/lib/systemd/system/$package.service" 0644
    put "$deploy/examples/$role.yaml" "$package" "/usr/share/doc/$package/examples/$role.yaml" 0644
    put "$deploy/examples/$role.yaml" "$package" "/usr/share/$package/examples/$role.yaml" 0644
    put "$deploy/install-$role.sh" "$package" "/usr/share/$package/install-$role.sh" 0755
    put "$deploy/install-common.sh" "$package" "/usr/share/$package/install-common.sh" 0644
    put "$deploy/README.md" "$package" "/usr/share/doc/$package/README.md" 0644
    put "$deploy/PKI.md" "$package" "/usr/share/doc/$package/PKI.md" 0644
}

# Maintainer-script lines shared by both daemons: reload systemd, restart the unit on upgrade.
postinst_systemd() {
    cat <<EOF
    if [ -d /run/systemd/system ]; then
        systemctl daemon-reload || true
        # An upgrade restarts a running daemon; a first install starts nothing (it is not configured yet).
        if [ -n "\${2:-}" ]; then systemctl try-restart $1.service || true; fi
    fi
EOF
}

prerm_systemd() {
    cat <<EOF
#!/bin/sh
set -e
if [ -d /run/systemd/system ] && [ "\$1" = remove ]; then
    systemctl disable --now $1.service || true
fi
EOF
}

postrm_systemd() {
    cat <<EOF
#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi
if [ "\$1" = purge ]; then
    echo "$1: /etc/keep and $2 are kept; remove them yourself once you are sure ($3)."
fi
EOF
}

declare -A depends
for program in "${programs[@]}"; do depends[$program]=$(dependencies_of "$binary_dir/$program"); done

# keep-controller
daemon_tree keep-controller
control keep-controller "Keep backup controller: catalogs and stores the backups of a server fleet
 Accepts Keep agents and operators over mutual TLS (system OpenSSL), runs fleet backup jobs and keeps
 the catalog (SQLite) and the encrypted, deduplicated chunk store. Runs as the system user keep." \
    "Recommends: keepctl"
{
    cat <<'EOF'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
    if ! getent passwd keep >/dev/null; then
        useradd --system --user-group --home-dir /var/lib/keep --no-create-home \
            --shell /usr/sbin/nologin --comment "Keep backup controller" keep
    fi
    install -d -m 0750 -o root -g keep /etc/keep /etc/keep/pki
    install -d -m 0700 -o keep -g keep /var/lib/keep
EOF
    postinst_systemd keep-controller
    cat <<'EOF'
    if [ ! -e /etc/keep/controller.yaml ]; then
        echo "keep-controller: configure it with /usr/share/keep-controller/install-controller.sh"
        echo "    --name NAME --pki DIR   (see /usr/share/doc/keep-controller/README.md)"
    fi
fi
EOF
} | script keep-controller postinst
prerm_systemd keep-controller | script keep-controller prerm
postrm_systemd keep-controller /var/lib/keep "it holds every backup; the user keep stays too" \
    | script keep-controller postrm

# keep-agent
daemon_tree keep-agent
control keep-agent "Keep backup agent: backs this server up on the Keep controller's command
 Dials out to the Keep controller over mutual TLS and keeps the connection; on command collects
 sources, configuration and an inventory, chunks, compresses and streams them, and restores.
 Runs as root with bounded capabilities."
{
    cat <<'EOF'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
    install -d -m 0750 /etc/keep /etc/keep/pki
    install -d -m 0700 /var/lib/keep-agent
EOF
    postinst_systemd keep-agent
    cat <<'EOF'
    if [ ! -e /etc/keep/agent.yaml ]; then
        echo "keep-agent: configure it with /usr/share/keep-agent/install-agent.sh"
        echo "    --host HOST --pool POOL --controller HOST:PORT --pki DIR"
    fi
fi
EOF
} | script keep-agent postinst
prerm_systemd keep-agent | script keep-agent prerm
postrm_systemd keep-agent /var/lib/keep-agent "the agent's cache" | script keep-agent postrm

# keepctl
put_program keepctl keepctl
put "$deploy/examples/keepctl.yaml" keepctl /usr/share/doc/keepctl/examples/keepctl.yaml 0644
put "$deploy/PKI.md" keepctl /usr/share/doc/keepctl/PKI.md 0644
control keepctl "Keep operator CLI: fleet backups, browsing, verification and the Keep CA
 Talks to the Keep controller with an operator certificate; also runs Keep's small certificate
 authority (keepctl pki) that issues the controller, agent and operator certificates."

for package in keep-controller keep-agent keepctl; do
    file=$out/${package}_${version}_$architecture.deb
    dpkg-deb --root-owner-group --build "$stage/$package" "$file" >/dev/null
    echo "built $file"
done
