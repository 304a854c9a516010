#!/usr/bin/env python3
"""Keep vs restic vs borg on the same generated tree; driven by Benchmarks/backup.sh.

Phases per tool: first backup, unchanged re-backup, backup after a ~2% mutation, full restore (verified with
diff -r). Keep runs as a controller and an agent (separate processes, mutual TLS over 127.0.0.1) driven by
keepctl. Then a fleet phase: N agents backing up small trees at once to one controller.
"""
import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MiB = 1 << 20
TICK = os.sysconf("SC_CLK_TCK")


def log(*parts):
    print(*parts, flush=True)


WARM = {"enabled": False, "paths": []}


def drop_caches():
    """Cold mode: drops the page cache. Warm mode (--warm): reads the data set instead, so phases measure CPU
    and protocol costs rather than the disk."""
    if WARM["enabled"]:
        for path in WARM["paths"]:
            subprocess.run(f"tar cf - -C {path} . | cat > /dev/null", shell=True, check=False)
        return False
    try:
        os.sync()
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        return True
    except OSError:
        return False


def du(path):
    total = 0
    for base, _, names in os.walk(path):
        for n in names:
            try:
                total += os.lstat(os.path.join(base, n)).st_size
            except OSError:
                pass
    return total


class Rusage:
    """Children's CPU and peak RSS, measured around one command with RUSAGE_CHILDREN deltas."""

    @staticmethod
    def run(argv, env=None, cwd=None):
        start = time.monotonic()
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out = proc.stdout.read()
        err = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - start
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            raise RuntimeError(f"{' '.join(argv[:3])} failed ({code}): {err.decode(errors='replace')[-2000:]}")
        return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_mib": usage.ru_maxrss / 1024,
                "stdout": out.decode(errors="replace")}


class Daemon:
    """A long-running process whose CPU and peak RSS are read from /proc per phase."""

    def __init__(self, name, argv, log_path, env=None):
        self.name = name
        self.log = open(log_path, "ab")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=self.log, env=env)

    def cpu(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK

    def peak_rss_mib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def reset_peak(self):
        try:
            with open(f"/proc/{self.proc.pid}/clear_refs", "w") as f:
                f.write("5\n")
        except OSError:
            pass

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class KeepFleet:
    """A controller, its PKI and any number of agents, all under one directory."""

    def __init__(self, bin_dir, root):
        self.bin = bin_dir
        self.root = root
        self.agents = {}
        shutil.rmtree(root, ignore_errors=True)
        os.makedirs(root)
        self.env = dict(os.environ, KEEP_CONFIG=os.path.join(root, "keepctl.yaml"))
        self.ctl("pki", "init", "--dir", self.path("pki"), "--name", "Keep bench CA")
        self.ctl("pki", "issue", "controller", "--dir", self.path("pki"), "--name", "localhost", "--ip", "127.0.0.1")
        self.ctl("pki", "issue", "operator", "--dir", self.path("pki"), "--name", "bench")
        with open(self.path("controller.yaml"), "w") as f:
            f.write("name: localhost\nlisten: 127.0.0.1\nport: 0\ndata: data\nready_file: controller.port\n"
                    "tls:\n  certificate: pki/controllers/localhost.pem\n  key: pki/controllers/localhost.key\n"
                    "  ca: pki/ca.pem\n  crl: pki/crl.pem\n")
        self.controller = Daemon("controller", [os.path.join(bin_dir, "keep-controller"), "--config",
                                                self.path("controller.yaml")], self.path("controller.log"))
        for _ in range(300):
            if os.path.exists(self.path("controller.port")) and os.path.getsize(self.path("controller.port")):
                break
            time.sleep(0.1)
        with open(self.path("controller.port")) as f:
            self.port = int(f.read().strip())
        with open(self.path("keepctl.yaml"), "w") as f:
            f.write(f"controller: 127.0.0.1:{self.port}\ncert: pki/operators/bench.pem\n"
                    "key: pki/operators/bench.key\nca: pki/ca.pem\n")

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def ctl(self, *args):
        out = subprocess.run([os.path.join(self.bin, "keepctl"), *args], env=self.env, capture_output=True)
        if out.returncode != 0:
            raise RuntimeError(f"keepctl {' '.join(args[:3])} failed: {out.stderr.decode(errors='replace')}")
        return out.stdout.decode()

    def add_agent(self, host, pool, source):
        self.ctl("pki", "issue", "agent", "--dir", self.path("pki"), "--host", host, "--pool", pool)
        config = self.path(f"{host}.yaml")
        with open(config, "w") as f:
            f.write(f"controller: 127.0.0.1:{self.port}\nhost: {host}\npool: {pool}\nstate: state/{host}\n"
                    f"tls:\n  certificate: pki/agents/{host}.pem\n  key: pki/agents/{host}.key\n  ca: pki/ca.pem\n"
                    f"sources:\n  - path: {source}\nconfig_paths: []\ninventory:\n  root: {self.root}\n")
        self.agents[host] = Daemon(host, [os.path.join(self.bin, "keep-agent"), "--config", config],
                                   self.path(f"{host}.log"))

    def wait_connected(self, count):
        for _ in range(600):
            agents = json.loads(self.ctl("agents", "--json") or "{}")
            text = json.dumps(agents)
            if text.count('"connected": true') >= count:
                return
            time.sleep(0.2)
        raise RuntimeError(f"fewer than {count} agents connected")

    def stop(self):
        for agent in self.agents.values():
            agent.stop()
        self.controller.stop()


def keep_phase(fleet, daemons, argv):
    for d in daemons:
        d.reset_peak()
    before = {d.name: d.cpu() for d in daemons}
    result = Rusage.run([os.path.join(fleet.bin, "keepctl"), *argv], env=fleet.env)
    for d in daemons:
        result[f"cpu_{d.name}_s"] = d.cpu() - before[d.name]
        result[f"peak_rss_{d.name}_mib"] = d.peak_rss_mib()
    result["cpu_s"] = result["cpu_s"] + sum(result[f"cpu_{d.name}_s"] for d in daemons)
    result["keepctl_peak_rss_mib"] = result.pop("peak_rss_mib")
    result["peak_rss_mib"] = max(result[f"peak_rss_{d.name}_mib"] for d in daemons)
    return result


RESTORE_FS = {"image": None, "mount": None, "device": None}


def restore_target(work, name):
    """An empty directory for a restore: the root of a freshly made ext4 file system (a loop device over a sparse
    image in the work directory) when root may make one, else a plain directory.

    ext4 keeps recently deleted inodes from being reused for minutes and scans past them: a restore soon after
    30,000 files were deleted (the previous tool's copy of the data set) spent most of its time in the kernel's
    inode allocator (Keep's restore: 10 s -> 17 s). A new file system gives every tool the same clean target."""
    release_restore_fs()
    image, mount = os.path.join(work, "restore.img"), os.path.join(work, "restore-fs")
    os.makedirs(mount, exist_ok=True)
    try:
        with open(image, "wb") as f:
            f.truncate(4 << 30)
        subprocess.run(["mkfs.ext4", "-q", "-F", image], check=True, capture_output=True)
        device = subprocess.run(["losetup", "-f", "--show", "--direct-io=on", image], check=True,
                                capture_output=True, text=True).stdout.strip()
        RESTORE_FS.update(image=image, device=device)
        subprocess.run(["mount", device, mount], check=True, capture_output=True)
        RESTORE_FS["mount"] = mount
        return mount, True
    except (OSError, subprocess.CalledProcessError):
        release_restore_fs()
        target = os.path.join(work, f"restore-{name}")
        shutil.rmtree(target, ignore_errors=True)
        os.makedirs(target)
        return target, False


def release_restore_fs():
    if RESTORE_FS["mount"]:
        subprocess.run(["umount", RESTORE_FS["mount"]], capture_output=True)
    if RESTORE_FS["device"]:
        subprocess.run(["losetup", "-d", RESTORE_FS["device"]], capture_output=True)
    if RESTORE_FS["image"]:
        os.unlink(RESTORE_FS["image"])
    RESTORE_FS.update(image=None, mount=None, device=None)


def verify(original, restored):
    out = subprocess.run(["diff", "-r", "--no-dereference", original, restored], capture_output=True)
    if out.returncode != 0:
        raise RuntimeError(f"restore differs: {out.stdout.decode(errors='replace')[:2000]}")
    return True


def bench_keep(args, data, work, mutate):
    fleet = KeepFleet(args.bin, os.path.join(work, "keep"))
    results = {}
    try:
        fleet.add_agent("bench", "bench", data)
        fleet.wait_connected(1)
        agent, controller = fleet.agents["bench"], fleet.controller
        agent.name, controller.name = "agent", "controller"
        set_id = None
        for phase in ("first", "unchanged", "mutated"):
            if phase == "mutated":
                mutate()
            cold = drop_caches()
            r = keep_phase(fleet, [agent, controller], ["backup", "--host", "bench", "--json"])
            out = json.loads(r.pop("stdout"))
            host = out["hosts"][0]
            if host.get("status") not in (None, "OK", "HOST_STATUS_OK"):
                raise RuntimeError(f"keep backup failed: {host}")
            set_id = out.get("set_id")
            r.update(cold_cache=cold, bytes_sent=int(host.get("bytes_sent", 0)),
                     bytes_new_stored=int(host.get("bytes_new_stored", 0)), store_bytes=du(fleet.path("data")))
            results[phase] = r
            log(f"  keep {phase}: {r['wall_s']:.1f} s, sent {r['bytes_sent'] / MiB:.1f} MiB")
        target, fresh_fs = restore_target(work, "keep")
        cold = drop_caches()
        r = keep_phase(fleet, [agent, controller], ["restore", "--host", "bench", "--set", set_id, "--to", target])
        r.pop("stdout")
        r.update(cold_cache=cold, fresh_file_system=fresh_fs, verified=verify(data, target + data))
        results["restore"] = r
        log(f"  keep restore: {r['wall_s']:.1f} s (verified)")
        release_restore_fs()
    finally:
        fleet.stop()
    return results


def bench_restic(args, data, work, mutate):
    repo = os.path.join(work, "restic-repo")
    shutil.rmtree(repo, ignore_errors=True)
    env = dict(os.environ, RESTIC_PASSWORD="bench", RESTIC_CACHE_DIR=os.path.join(work, "restic-cache"))
    shutil.rmtree(env["RESTIC_CACHE_DIR"], ignore_errors=True)
    Rusage.run(["restic", "-r", repo, "init", "--repository-version", "2"], env=env)
    results = {}
    for phase in ("first", "unchanged", "mutated"):
        if phase == "mutated":
            mutate()
        cold = drop_caches()
        r = Rusage.run(["restic", "-r", repo, "backup", "--host", "bench", "--json", data], env=env)
        summary = [json.loads(line) for line in r.pop("stdout").splitlines() if '"summary"' in line]
        r.update(cold_cache=cold, store_bytes=du(repo),
                 bytes_added=summary[-1].get("data_added", 0) if summary else None)
        results[phase] = r
        log(f"  restic {phase}: {r['wall_s']:.1f} s")
    target, fresh_fs = restore_target(work, "restic")
    cold = drop_caches()
    r = Rusage.run(["restic", "-r", repo, "restore", "latest", "--target", target], env=env)
    r.pop("stdout")
    r.update(cold_cache=cold, fresh_file_system=fresh_fs, verified=verify(data, target + data))
    results["restore"] = r
    log(f"  restic restore: {r['wall_s']:.1f} s (verified)")
    release_restore_fs()
    return results


def bench_borg(args, data, work, mutate):
    repo = os.path.join(work, "borg-repo")
    shutil.rmtree(repo, ignore_errors=True)
    env = dict(os.environ, BORG_PASSPHRASE="bench", BORG_BASE_DIR=os.path.join(work, "borg-base"),
               BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK="yes", BORG_RELOCATED_REPO_ACCESS_IS_OK="yes")
    shutil.rmtree(env["BORG_BASE_DIR"], ignore_errors=True)
    Rusage.run(["borg", "init", "--encryption=repokey", repo], env=env)
    results = {}
    for index, phase in enumerate(("first", "unchanged", "mutated")):
        if phase == "mutated":
            mutate()
        cold = drop_caches()
        r = Rusage.run(["borg", "create", f"{repo}::s{index}", data], env=env)
        r.pop("stdout")
        r.update(cold_cache=cold, store_bytes=du(repo))
        results[phase] = r
        log(f"  borg {phase}: {r['wall_s']:.1f} s")
    target, fresh_fs = restore_target(work, "borg")
    cold = drop_caches()
    r = Rusage.run(["borg", "extract", f"{repo}::s2"], env=env, cwd=target)
    r.pop("stdout")
    r.update(cold_cache=cold, fresh_file_system=fresh_fs, verified=verify(data, target + data))
    results["restore"] = r
    log(f"  borg restore: {r['wall_s']:.1f} s (verified)")
    release_restore_fs()
    return results


def bench_fleet(args, work):
    root = os.path.join(work, "fleet")
    trees = os.path.join(work, "fleet-trees")
    shutil.rmtree(trees, ignore_errors=True)
    hosts = [f"host-{i:03d}" for i in range(args.agents + 1)]
    for i, host in enumerate(hosts):
        subprocess.run([sys.executable, os.path.join(HERE, "gentree.py"), "small", os.path.join(trees, host),
                        "--size-mb", str(args.fleet_mb), "--files", "200", "--seed", str(100 + i)], check=True)
    fleet = KeepFleet(args.bin, root)
    try:
        fleet.add_agent(hosts[0], "solo", os.path.join(trees, hosts[0]))
        for host in hosts[1:]:
            fleet.add_agent(host, "fleet", os.path.join(trees, host))
        fleet.wait_connected(len(hosts))
        fleet.controller.name = "controller"
        agent_rss_idle = max(a.peak_rss_mib() for a in fleet.agents.values())
        per_host = du(os.path.join(trees, hosts[0]))
        drop_caches()
        solo = keep_phase(fleet, [fleet.controller], ["backup", "--host", hosts[0], "--json"])
        solo.pop("stdout")
        solo["mb_per_s"] = per_host / MiB / solo["wall_s"]
        for a in fleet.agents.values():
            a.reset_peak()
        drop_caches()
        many = keep_phase(fleet, [fleet.controller], ["backup", "--pool", "fleet", "--json"])
        out = json.loads(many.pop("stdout"))
        ok = sum(1 for h in out["hosts"] if h.get("status") in (None, "OK", "HOST_STATUS_OK"))
        total = per_host * args.agents
        many.update(hosts_ok=ok, bytes_total=total, mb_per_s=total / MiB / many["wall_s"],
                    agent_peak_rss_max_mib=max(a.peak_rss_mib() for a in list(fleet.agents.values())[1:]))
        # Per-host durations from the catalog (whole seconds): the slowest host's snapshot.
        set_id = out.get("set_id")
        slowest = None
        try:
            snaps = json.loads(fleet.ctl("snapshots", "--pool", "fleet", "--json") or "{}")
            durations = [int(x.get("finished", 0)) - int(x.get("started", 0))
                         for x in snaps.get("snapshots", []) if x.get("set_id") == set_id]
            slowest = max(durations) if durations else None
        except (RuntimeError, ValueError):
            pass
        many["slowest_host_s"] = slowest if slowest is not None else many["wall_s"]
        result = {"agents": args.agents, "tree_mib_per_host": per_host / MiB, "single": solo, "fleet": many,
                  "agent_idle_rss_mib": agent_rss_idle,
                  "fleet_vs_single_throughput": many["mb_per_s"] / solo["mb_per_s"]}
        return result
    finally:
        fleet.stop()
        shutil.rmtree(trees, ignore_errors=True)


def machine():
    info = {"cores": os.cpu_count(), "kernel": platform.release()}
    try:
        with open("/proc/cpuinfo") as f:
            info["cpu"] = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
        with open("/proc/meminfo") as f:
            info["memory_gib"] = round(int(f.readline().split()[1]) / MiB, 1)
    except (OSError, StopIteration):
        pass
    return info


def table(results, data_bytes, changed):
    tools = ("keep", "restic", "borg")
    rows = []
    header = f"{'phase':<10} {'tool':<7} {'wall s':>7} {'MB/s':>7} {'cpu s':>7} {'rss MiB':>16} {'store MiB':>9} " \
             f"{'sent MiB':>8} {'K/restic':>8} {'K/borg':>7}"
    rows.append(header)
    for phase in ("first", "unchanged", "mutated", "restore"):
        for tool in tools:
            r = results[tool][phase]
            mbps = data_bytes / MiB / r["wall_s"]
            rss = f"{r['peak_rss_agent_mib']:.0f}a/{r['peak_rss_controller_mib']:.0f}c" if tool == "keep" \
                else f"{r['peak_rss_mib']:.0f}"
            store = f"{r['store_bytes'] / MiB:.0f}" if "store_bytes" in r else "-"
            sent = f"{r['bytes_sent'] / MiB:.1f}" if "bytes_sent" in r else "-"
            ratios = ""
            if tool == "keep":
                k = r["wall_s"]
                ratios = f"{k / results['restic'][phase]['wall_s']:>8.2f} {k / results['borg'][phase]['wall_s']:>7.2f}"
            rows.append(f"{phase:<10} {tool:<7} {r['wall_s']:>7.2f} {mbps:>7.1f} {r['cpu_s']:>7.2f} {rss:>16} "
                        f"{store:>9} {sent:>8} {ratios}")
    rows.append(f"(ratios are Keep wall time / other's wall time: below 1 means Keep is faster; "
                f"bytes really changed by the mutation: {changed['bytes_changed'] / MiB:.1f} MiB)")
    return "\n".join(rows)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--files", type=int, default=30000)
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--fleet-mb", type=int, default=8)
    parser.add_argument("--tools", default="keep,restic,borg")
    parser.add_argument("--skip-fleet", action="store_true")
    parser.add_argument("--warm", action="store_true", help="keep the page cache warm instead of dropping it")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    work = os.path.abspath(args.work)
    os.makedirs(work, exist_ok=True)
    pristine = os.path.join(work, "pristine")
    stamp = os.path.join(work, f"pristine-{args.size_mb}-{args.files}.json")
    if not os.path.exists(stamp):
        shutil.rmtree(pristine, ignore_errors=True)
        log(f"== generating {args.size_mb} MiB / {args.files} files (once, kept in {pristine})")
        subprocess.run([sys.executable, os.path.join(HERE, "gentree.py"), "generate", pristine,
                        "--size-mb", str(args.size_mb), "--files", str(args.files)], check=True, stdout=subprocess.PIPE)
        with open(stamp, "w") as f:
            json.dump({"size_mb": args.size_mb}, f)
    data = os.path.join(work, "data")
    WARM.update(enabled=args.warm, paths=[data])
    results = {}
    changed = {}
    cold = drop_caches()
    if args.warm:
        log("== page cache kept warm: the data set is read once before each phase (--warm)")
    else:
        log(f"== page cache dropped before each phase: {'yes' if cold else 'NO (not permitted here)'}")
    for tool in args.tools.split(","):
        shutil.rmtree(data, ignore_errors=True)
        subprocess.run(["cp", "-a", pristine, data], check=True)
        data_bytes = du(data)

        def mutate():
            out = subprocess.run([sys.executable, os.path.join(HERE, "gentree.py"), "mutate", data],
                                 check=True, capture_output=True)
            changed.update(json.loads(out.stdout))

        log(f"== {tool}")
        try:
            results[tool] = {"keep": bench_keep, "restic": bench_restic, "borg": bench_borg}[tool](
                args, data, work, mutate)
        finally:
            release_restore_fs()
    report = {"machine": machine(), "dataset": {"bytes": data_bytes, "files": args.files, "mutation": changed},
              "page_cache_dropped": cold, "warm": args.warm,
              "settings": {"restic": "repository version 2, compression auto, local repo, RESTIC_PASSWORD",
                           "borg": "repokey encryption, default compression (lz4), BORG_PASSPHRASE",
                           "keep": "controller + 1 agent, mutual TLS over 127.0.0.1, zstd level 3, AES-256-GCM packs"},
              "results": results}
    if set(results) == {"keep", "restic", "borg"}:
        text = table(results, data_bytes, changed)
        log(text)
        report["table"] = text.splitlines()
        k = results["keep"]
        report["targets"] = {
            "first_backup_vs_restic_speedup": results["restic"]["first"]["wall_s"] / k["first"]["wall_s"],
            "unchanged_vs_restic_speedup": results["restic"]["unchanged"]["wall_s"] / k["unchanged"]["wall_s"],
            "mutated_vs_restic_speedup": results["restic"]["mutated"]["wall_s"] / k["mutated"]["wall_s"],
            "mutated_bytes_sent_vs_changed": k["mutated"]["bytes_sent"] / max(1, changed["bytes_changed"]),
            "restore_vs_restic_speedup": results["restic"]["restore"]["wall_s"] / k["restore"]["wall_s"],
            "store_vs_restic": k["mutated"]["store_bytes"] / results["restic"]["mutated"]["store_bytes"],
            "agent_peak_rss_mib": max(k[p]["peak_rss_agent_mib"] for p in k),
        }
    if not args.skip_fleet:
        log(f"== fleet: {args.agents} agents, {args.fleet_mb} MiB each")
        report["fleet"] = bench_fleet(args, work)
        f = report["fleet"]
        log(f"  single agent {f['single']['mb_per_s']:.1f} MB/s; {args.agents} agents {f['fleet']['mb_per_s']:.1f} "
            f"MB/s aggregate ({f['fleet_vs_single_throughput'] * 100:.0f}%), {f['fleet']['hosts_ok']} ok, "
            f"controller peak RSS {f['fleet']['peak_rss_controller_mib']:.0f} MiB, slowest host "
            f"{f['fleet']['slowest_host_s']:.1f} s, agent peak RSS {f['fleet']['agent_peak_rss_max_mib']:.0f} MiB")
    log(json.dumps(report.get("targets", {}), indent=1))
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)
    log(f"== results written to {args.out}")


if __name__ == "__main__":
    main()
