# shellcheck shell=bash disable=SC2034
# Functions shared by install-controller.sh, install-agent.sh and uninstall.sh (sourced, not run).
#
# Every function is idempotent: a file whose content is already right is left alone (same mtime),
# modes and owners are set to what they must be, and a configuration file that exists is never
# rewritten. Paths are given as they are on the target system; ROOT (a DESTDIR-like prefix, "/" by
# default) is prepended here, so tests can install into a temporary directory.

ROOT=/
PREFIX=/usr
# Set to "no" by --no-user: nothing is chowned to the keep user (for tests and unprivileged runs).
USE_KEEP_USER=yes
# Set by the functions below when they change a file, so the caller can restart a running service.
CHANGED=no

die() {
    printf 'error: %s\n' "$1" >&2
    [[ $# -lt 2 ]] || printf 'hint: %s\n' "$2" >&2
    exit 1
}

note() { printf '  %s\n' "$*"; }

# The path of a target path below ROOT.
target() { printf '%s%s' "${ROOT%/}" "$1"; }

# True when this process may chown (it is root).
can_chown() { [[ $(id -u) -eq 0 ]]; }

# The group that may read /etc/keep: keep when that group exists (and is wanted), root otherwise.
config_group() {
    if [[ $USE_KEEP_USER == yes ]] && getent group keep >/dev/null; then echo keep; else echo root; fi
}

# set_owner OWNER:GROUP PATH — chown when running as root; "keep" falls back to root under --no-user.
set_owner() {
    can_chown || return 0
    local owner=${1%%:*} group=${1##*:}
    if [[ $USE_KEEP_USER != yes ]]; then
        [[ $owner != keep ]] || owner=root
        [[ $group != keep ]] || group=root
    fi
    chown "$owner:$group" "$2"
}

# ensure_dir PATH MODE OWNER:GROUP
ensure_dir() {
    local path
    path=$(target "$1")
    if [[ ! -d $path ]]; then
        mkdir -p "$path"
        note "created $1"
        CHANGED=yes
    fi
    chmod "$2" "$path"
    set_owner "$3" "$path"
}

# put_file SOURCE PATH MODE OWNER:GROUP — copies SOURCE unless PATH already has the same content.
put_file() {
    local source=$1 path
    path=$(target "$2")
    if cmp -s "$source" "$path"; then
        note "unchanged $2"
    else
        # Copy next to the destination, then rename: a running program never sees half a file.
        cp "$source" "$path.keep-new"
        chmod "$3" "$path.keep-new"
        mv -f "$path.keep-new" "$path"
        note "installed $2"
        CHANGED=yes
    fi
    chmod "$3" "$path"
    set_owner "$4" "$path"
}

# put_config RENDERED PATH MODE OWNER:GROUP — writes a configuration file only if there is none.
put_config() {
    local rendered=$1 path
    path=$(target "$2")
    if [[ -e $path ]]; then
        if cmp -s "$rendered" "$path"; then
            note "unchanged $2"
        else
            note "kept $2 (edited since it was written; the new template is not applied)"
        fi
    else
        cp "$rendered" "$path"
        note "wrote $2"
        CHANGED=yes
    fi
    chmod "$3" "$path"
    set_owner "$4" "$path"
}

# render_template TEMPLATE KEY=VALUE… — the template with each top-level `KEY: …` line set to VALUE.
render_template() {
    local template=$1
    shift
    local script=() pair
    for pair in "$@"; do
        script+=(-e "s|^${pair%%=*}: .*|${pair%%=*}: ${pair#*=}|")
    done
    sed "${script[@]}" "$template"
}

# A host id, pool or controller name: what Keep accepts (letters, digits, '.', '-', '_').
valid_name() { [[ $1 =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$ ]]; }

# True when ROOT is the running system and systemd manages it.
systemd_here() { [[ $ROOT == / && -d /run/systemd/system ]]; }

# enable_unit NAME ENABLE(yes|no) — enables and starts the unit, or restarts it when files changed.
enable_unit() {
    local unit=$1
    if [[ $2 != yes ]]; then
        note "not enabled (--no-enable); start it with: systemctl enable --now $unit"
    elif systemd_here; then
        systemctl daemon-reload
        if systemctl is-active --quiet "$unit" && [[ $CHANGED == yes ]]; then
            systemctl restart "$unit"
            note "restarted $unit (its files changed)"
        fi
        systemctl enable --now "$unit"
        note "enabled and started $unit; check it with: systemctl status $unit"
    else
        note "systemd does not manage $ROOT here; on the target run: systemctl enable --now $unit"
    fi
}

# The package that installed PATH on this system, if any (a packaged file is removed with apt).
owning_package() {
    [[ $ROOT == / ]] && command -v dpkg-query >/dev/null || return 0
    dpkg-query -S "$1" 2>/dev/null | cut -d: -f1 || true
}

# Installs the systemd unit of program $1 (pointing at $PREFIX/bin), from the scripts' own copy.
install_unit() {
    ensure_dir /etc/systemd/system 0755 root:root
    sed "s|/usr/bin/|$PREFIX/bin/|" "$here/systemd/$1.service" >"$work/unit"
    put_file "$work/unit" "/etc/systemd/system/$1.service" 0644 root:root
}

# Fails unless program $1 is already installed (a packaged install).
require_installed() {
    [[ -x $(target "$PREFIX/bin/$1") ]] || die "$PREFIX/bin/$1 is not installed" \
        "install the $1 package, or pass --binary-dir"
}
