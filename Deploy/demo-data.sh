#!/usr/bin/env bash
# Generates a small, realistic tree for each demo host: service data, configuration and the system
# databases the inventory reads (passwd, group, os-release).
set -euo pipefail
out=$1
for host in web-01 web-02 db-01; do
    h="$out/$host"
    mkdir -p "$h/srv/app/releases/1.4.2" "$h/srv/app/shared/uploads" "$h/srv/logs" "$h/etc/nginx/sites-enabled" "$h/etc/app"
    printf 'user www-data;\nworker_processes auto;\n' >"$h/etc/nginx/nginx.conf"
    printf 'server { listen 80; server_name %s.example.net; root /srv/app/current; }\n' "$host" >"$h/etc/nginx/sites-enabled/app.conf"
    printf 'database_url = postgres://app@db-01/app\nworkers = 8\n' >"$h/etc/app/app.toml"
    ln -sfn releases/1.4.2 "$h/srv/app/current"
    # The same release on every web host: stored once.
    for i in $(seq 1 40); do
        printf 'module %d\n%s\n' "$i" "$(seq 1 200 | tr '\n' ' ')" >"$h/srv/app/releases/1.4.2/module-$i.py"
    done
    head -c 3000000 /dev/urandom >"$h/srv/app/shared/uploads/photo-$host.jpg"
    for day in 01 02 03; do
        for n in $(seq 1 2000); do echo "2026-11-$day 12:00:$((n % 60)) $host GET /api/items/$n 200 $((n * 7 % 900))ms"; done >"$h/srv/logs/access-2026-11-$day.log"
    done
    echo scratch >"$h/srv/app/shared/cache.tmp"
    ln -f "$h/srv/logs/access-2026-11-03.log" "$h/srv/logs/latest.log"
    printf 'Ünïcödé names are kept\n' >"$h/srv/app/shared/uploads/résumé-été.txt"
    cat >"$h/etc/passwd" <<PASSWD
root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin
postgres:x:105:110:PostgreSQL administrator:/var/lib/postgresql:/bin/bash
alice:x:1000:1000:Alice Admin:/home/alice:/bin/bash
bob:x:1001:1001:Bob Builder:/home/bob:/bin/zsh
deploy-$host:x:1002:1002:Deploy:/home/deploy:/bin/bash
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
PASSWD
    cat >"$h/etc/group" <<GROUP
root:x:0:
sudo:x:27:alice
www-data:x:33:deploy-$host
alice:x:1000:
bob:x:1001:
deploy-$host:x:1002:
GROUP
    cat >"$h/etc/os-release" <<OS
PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
ID=debian
VERSION_ID="12"
OS
done
