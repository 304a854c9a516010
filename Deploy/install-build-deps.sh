#!/usr/bin/env bash
# Installs the Debian packages Keep builds against, when they are missing:
# the system OpenSSL 3 (TLS and every cryptographic operation), zstd, SQLite and pkg-config.
# With --tests, also what the test suite uses: systemd-analyze (to verify the units) and the
# openssl command (to cross-check certificates).
set -euo pipefail

packages=(libssl-dev libzstd-dev libsqlite3-dev pkg-config openssl)
if [[ ${1:-} == --tests ]]; then
    packages+=(systemd)
fi
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]} == 0)); then
    exit 0
fi
echo "installing ${missing[*]}"
as_root=()
if [[ $(id -u) -ne 0 ]]; then
    as_root=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
