#!/usr/bin/env python3
"""Deterministic, realistic server tree for the backup benchmark, and its ~2% mutation.

    gentree.py generate DIR [--size-mb 1024] [--files 30000] [--seed 1]
    gentree.py mutate DIR [--seed 2]          # prints the bytes really changed (JSON)
    gentree.py small DIR --size-mb 4 --files 200 --seed N   # a fleet host's small tree

The same arguments always give the same bytes. The tree mixes what servers hold:
- many small configuration files (text, 100 B .. 8 KiB) under etc/, with unicode names here and there;
- large compressible logs (timestamped lines from a few hundred templates);
- incompressible binaries (random bytes: media, already-compressed archives);
- a database-like file made of 8 KiB pages, many of them repeated;
- exact duplicates and near-duplicates (the same bytes shifted by a few bytes).
"""
import argparse
import json
import os
import random
import sys

MiB = 1 << 20

WORDS = ("server listen port worker timeout cache upstream proxy backend frontend user group allow deny "
         "enable disable log level info warn error debug path root index max min pool size connection "
         "keepalive buffer ssl certificate key protocol cipher session ticket resolver zone limit rate").split()
UNICODE = ["café", "naïve", "日本語", "Ελληνικά", "Привет", "emoji-😀", "straße", "mañana", "Zürich", "中文"]
LOG_TEMPLATES = [
    '{ip} - - [{ts}] "GET /api/v1/{w}/{n} HTTP/1.1" 200 {size} "-" "Mozilla/5.0 (X11; Linux x86_64)"',
    '{ip} - - [{ts}] "POST /login HTTP/1.1" 302 {size} "https://example.com/{w}" "curl/7.88.1"',
    '{ts} app[{pid}]: INFO request id={hex} path=/{w}/{n} duration_ms={n2} status=200',
    '{ts} app[{pid}]: WARN slow query on {w} took {n2} ms (rows={n})',
    '{ts} kernel: [{n}.{n2}] eth0: link up, 1000 Mbps, full duplex, flow control rx/tx',
    '{ts} sshd[{pid}]: Accepted publickey for {w} from {ip} port {n} ssh2: ED25519 SHA256:{hex}',
    '{ts} postgres[{pid}]: LOG:  checkpoint complete: wrote {n} buffers ({n2}%); sync files={n}',
    '{ts} cron[{pid}]: ({w}) CMD (/usr/local/bin/{w}-job --quiet)',
]


def text_config(rng, size):
    lines = [f"# {rng.choice(WORDS)} configuration, generated"]
    total = len(lines[0])
    while total < size:
        line = f"{rng.choice(WORDS)}_{rng.choice(WORDS)} = {rng.choice(WORDS)}:{rng.randrange(1, 65536)}"
        lines.append(line)
        total += len(line) + 1
    return ("\n".join(lines) + "\n").encode()[:size]


def log_bytes(rng, size, start_ts=1_700_000_000):
    out = []
    total = 0
    ts = start_ts
    ips = [f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}" for _ in range(200)]
    hexes = [f"{rng.getrandbits(64):016x}" for _ in range(500)]
    while total < size:
        ts += rng.randrange(0, 3)
        line = rng.choice(LOG_TEMPLATES).format(
            ip=rng.choice(ips), ts=ts, w=rng.choice(WORDS), n=rng.randrange(100000), n2=rng.randrange(1000),
            size=rng.randrange(100, 90000), pid=rng.randrange(1000, 40000), hex=rng.choice(hexes))
        out.append(line)
        total += len(line) + 1
    return ("\n".join(out) + "\n").encode()[:size]


def database_bytes(rng, size):
    page = 8192
    distinct = [rng.randbytes(page // 2) + bytes(page // 2) for _ in range(256)]
    pages = []
    for _ in range(size // page):
        pages.append(rng.choice(distinct) if rng.random() < 0.7 else rng.randbytes(page // 4) + bytes(3 * page // 4))
    return b"".join(pages)


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def name(rng, i, ext):
    base = f"{rng.choice(WORDS)}-{i}"
    if i % 37 == 0:
        base = f"{rng.choice(UNICODE)}-{base}"
    return base + ext


def generate(root, size_mb, files, seed):
    rng = random.Random(seed)
    budget = size_mb * MiB
    # Shares of the byte budget.
    logs_total, bins_total, db_total = int(budget * 0.30), int(budget * 0.25), int(budget * 0.15)
    dup_total = int(budget * 0.12)
    small_count = max(10, files - 80)
    # Small files: ~8% of the budget at most, capped by the count (avg ~3 KiB).
    for i in range(small_count):
        sub = f"etc/{rng.choice(WORDS)}/{rng.choice(WORDS)}" if i % 3 else f"srv/app/conf.d/{i % 50}"
        write(os.path.join(root, sub, name(rng, i, ".conf")), text_config(rng, rng.randrange(100, 6000)))
    logs = []
    n_logs = 16
    for i in range(n_logs):
        path = os.path.join(root, "var/log", name(rng, i, ".log"))
        write(path, log_bytes(rng, logs_total // n_logs))
        logs.append(path)
    bins = []
    n_bins = 12
    for i in range(n_bins):
        path = os.path.join(root, "srv/media", name(rng, i, ".bin"))
        write(path, rng.randbytes(bins_total // n_bins))
        bins.append(path)
    write(os.path.join(root, "var/lib/db/main.db"), database_bytes(rng, db_total))
    # Exact duplicates (a release copied twice) and near-duplicates (shifted by a few bytes).
    used = 0
    k = 0
    while used < dup_total:
        src = bins[k % len(bins)] if k % 2 == 0 else logs[k % len(logs)]
        with open(src, "rb") as f:
            data = f.read()
        if k % 3 == 0:
            data = bytes(rng.randrange(256) for _ in range(1 + k % 7)) + data
        write(os.path.join(root, "srv/releases", f"r{k}", os.path.basename(src)), data)
        used += len(data)
        k += 1
    # Fill the rest with mid-sized mixed files.
    rest = budget - tree_size(root)
    i = 0
    while rest > 0:
        size = min(rest, rng.randrange(256 << 10, 8 << 20))
        data = log_bytes(rng, size) if i % 2 else rng.randbytes(size)
        write(os.path.join(root, "home", f"user{i % 20}", name(rng, i, ".dat")), data)
        rest -= size
        i += 1


def tree_size(root):
    total = 0
    for base, _, names in os.walk(root):
        for n in names:
            total += os.path.getsize(os.path.join(base, n))
    return total


def all_files(root):
    out = []
    for base, dirs, names in os.walk(root):
        dirs.sort()
        for n in sorted(names):
            out.append(os.path.join(base, n))
    return out


def mutate(root, seed):
    """About 2% of the bytes change; returns what really changed."""
    rng = random.Random(seed)
    files = all_files(root)
    total = tree_size(root)
    changed = {"appended": 0, "edited": 0, "new": 0, "deleted_files": 0, "new_files": 0, "edited_files": 0}
    logs = [f for f in files if f.endswith(".log")]
    for path in logs[: len(logs) // 2]:
        data = log_bytes(rng, int(total * 0.008) // max(1, len(logs) // 2), start_ts=1_800_000_000)
        with open(path, "ab") as f:
            f.write(data)
        changed["appended"] += len(data)
    big = sorted((f for f in files if os.path.getsize(f) > 4 * MiB and not f.endswith(".log")),
                 key=lambda f: (-os.path.getsize(f), f))
    for path in big[:4]:
        size = os.path.getsize(path)
        length = int(total * 0.006) // 4
        with open(path, "r+b") as f:
            f.seek(size // 2)
            f.write(rng.randbytes(length))
        changed["edited"] += length
        changed["edited_files"] += 1
    small = [f for f in files if f.endswith(".conf")]
    for path in rng.sample(small, min(len(small), max(1, len(small) // 100))):
        os.remove(path)
        changed["deleted_files"] += 1
    for i in range(max(1, len(small) // 100)):
        data = text_config(rng, rng.randrange(100, 6000))
        write(os.path.join(root, "etc/new", name(rng, i, ".conf")), data)
        changed["new"] += len(data)
        changed["new_files"] += 1
    blob = rng.randbytes(int(total * 0.004))
    write(os.path.join(root, "srv/media/new-upload.bin"), blob)
    changed["new"] += len(blob)
    changed["new_files"] += 1
    changed["bytes_changed"] = changed["appended"] + changed["edited"] + changed["new"]
    changed["tree_bytes_before"] = total
    return changed


def small(root, size_mb, files, seed):
    rng = random.Random(seed)
    for i in range(files):
        write(os.path.join(root, "etc", rng.choice(WORDS), name(rng, i, ".conf")), text_config(rng, rng.randrange(100, 4000)))
    per = size_mb * MiB // 2
    write(os.path.join(root, "var/log/app.log"), log_bytes(rng, per))
    write(os.path.join(root, "srv/data.bin"), rng.randbytes(per))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("action", choices=["generate", "mutate", "small"])
    parser.add_argument("dir")
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--files", type=int, default=30000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.action == "generate":
        generate(args.dir, args.size_mb, args.files, args.seed)
        print(json.dumps({"bytes": tree_size(args.dir), "files": len(all_files(args.dir))}))
    elif args.action == "mutate":
        print(json.dumps(mutate(args.dir, args.seed)))
    else:
        small(args.dir, args.size_mb, args.files, args.seed)


if __name__ == "__main__":
    sys.exit(main())
