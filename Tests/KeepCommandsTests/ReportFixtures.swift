import Foundation
import KeepCore
import KeepProtocol

@testable import KeepCommands

/// Two hosts of pool fe-01 backed up in one set, with inventories written by hand in the agents' JSON
/// shape (sorted keys). web-02 has an account whose name and home try to inject markup.
enum ReportFixtures {
    static let pool = "fe-01"
    static let setID = "set-20261121T202412-3fa9c1"
    static let injected = "<script>alert('x')</script>"
    static let injectedHome = "/home/</td><b>x & y"

    static func system(host: String, os: String, version: String, kernel: String) -> String {
        """
        {"collectedAt":"2026-11-21 20:24:12Z","cpu":{"cores":4,"model":"AMD EPYC 7302"},\
        "filesystems":[{"device":"/dev/sda1","freeBytes":10737418240,"mountPoint":"/","sizeBytes":42949672960,\
        "type":"ext4"},{"device":"/dev/sdb1","freeBytes":1073741824,"mountPoint":"/srv","sizeBytes":107374182400,\
        "type":"xfs"}],"hostname":"\(host).example.net","interfaces":[{"addresses":["10.0.0.\(host.suffix(1))/24",\
        "fd00::\(host.suffix(1))/64"],"mac":"02:00:00:00:00:0\(host.suffix(1))","name":"eth0"},\
        {"addresses":["127.0.0.1/8","::1/128"],"name":"lo"}],"kernel":{"machine":"x86_64","release":"\(kernel)",\
        "version":"#1 SMP PREEMPT_DYNAMIC Debian"},"memoryBytes":8589934592,\
        "osRelease":{"id":"debian","prettyName":"\(os)","versionId":"\(version)"}}
        """
    }

    static let web01Users = """
        {"accounts":[{"gid":0,"groups":["root"],"home":"/root","kind":"system","name":"root","shell":"/bin/bash",\
        "source":"passwd","uid":0},{"gid":1,"groups":[],"home":"/usr/sbin","kind":"system","name":"daemon",\
        "shell":"/usr/sbin/nologin","source":"passwd","uid":1},{"gid":1000,"groups":["alice","sudo"],\
        "home":"/home/alice","kind":"human","name":"alice","shell":"/bin/bash","source":"passwd","uid":1000},\
        {"groups":["shop"],"kind":"application","name":"shop-admin","source":"/usr/local/bin/shop-users"}],\
        "groups":[{"gid":27,"members":["alice"],"name":"sudo"}]}
        """

    static var web02Users: String {
        """
        {"accounts":[{"gid":0,"groups":["root"],"home":"/root","kind":"system","name":"root","shell":"/bin/bash",\
        "source":"passwd","uid":0},{"gid":1000,"groups":["alice"],"home":"/home/alice","kind":"human",\
        "name":"alice","shell":"/bin/zsh","source":"passwd","uid":1000},{"gid":1001,"groups":["bob"],\
        "home":"/home/bob","kind":"human","name":"bob","shell":"/bin/bash","source":"passwd","uid":1001},\
        {"gid":1002,"groups":[],"home":"\(injectedHome)","kind":"human","name":"\(injected)","shell":"/bin/sh",\
        "source":"passwd","uid":1002}],"groups":[]}
        """
    }

    static let web01Packages = """
        {"manager":"dpkg","packages":[{"architecture":"amd64","name":"nginx","version":"1.22.1-9"},\
        {"architecture":"all","name":"adduser","version":"3.134"},\
        {"architecture":"amd64","name":"openssl","version":"3.0.15-1~deb12u1"}]}
        """

    static let web02Packages = """
        {"manager":"dpkg","packages":[{"architecture":"amd64","name":"postgresql-15","version":"15.8-0+deb12u1"},\
        {"architecture":"all","name":"adduser","version":"3.134"}]}
        """

    static let services = """
        {"manager":"systemd","units":[{"active":"active","enabled":"enabled","load":"loaded","name":"nginx.service",\
        "sub":"running"},{"active":"inactive","enabled":"disabled","load":"loaded","name":"apt-daily.service",\
        "sub":"dead"},{"active":"inactive","enabled":"enabled","load":"loaded","name":"backup.service","sub":"dead"}]}
        """

    static func snapshot(
        _ id: String, host: String, set: String = setID, status: String = "complete", finished: Int64 = 1_795_292_652,
        bytes: UInt64 = 3_478_115, error: String = ""
    ) -> Keep_V1_SnapshotInfo {
        .with {
            $0.snapshotID = id
            $0.setID = set
            $0.hostID = host
            $0.pool = pool
            $0.status = status
            $0.started = finished - 5
            $0.finished = finished
            $0.files = 52
            $0.bytesTotal = bytes
            $0.bytesNew = bytes / 2
            $0.error = error
        }
    }

    static func document(_ host: String, snapshot: String, _ json: String) -> Keep_V1_HostInventory {
        .with {
            $0.hostID = host
            $0.pool = pool
            $0.snapshotID = snapshot
            $0.takenUnix = 1_795_292_652
            $0.json = Data(json.utf8)
        }
    }

    static let set = Keep_V1_BackupSetInfo.with {
        $0.setID = setID
        $0.label = "before-upgrade"
        $0.pool = pool
        $0.created = 1_795_292_652
        $0.status = "complete"
        $0.hosts = 2
        $0.snapshotsOk = 2
    }

    /// The report of the two hosts, as `keepctl report --pool fe-01 --set …` would build it.
    static func report() -> PoolReport {
        PoolReport(
            pool: pool, requestedSetID: setID, sets: [set],
            snapshots: [snapshot("snap-web-02", host: "web-02"), snapshot("snap-web-01", host: "web-01", bytes: 1000)],
            inventories: [
                .system: [
                    document(
                        "web-01", snapshot: "snap-web-01",
                        system(
                            host: "web-01", os: "Debian GNU/Linux 12 (bookworm)", version: "12",
                            kernel: "6.1.0-26-amd64")),
                    document(
                        "web-02", snapshot: "snap-web-02",
                        system(
                            host: "web-02", os: "Debian GNU/Linux 11 (bullseye)", version: "11",
                            kernel: "5.10.0-32-amd64")),
                ],
                .users: [
                    document("web-01", snapshot: "snap-web-01", web01Users),
                    document("web-02", snapshot: "snap-web-02", web02Users),
                ],
                .packages: [
                    document("web-01", snapshot: "snap-web-01", web01Packages),
                    document("web-02", snapshot: "snap-web-02", web02Packages),
                ],
                .services: [
                    document("web-01", snapshot: "snap-web-01", services),
                    document("web-02", snapshot: "snap-web-02", services),
                ],
            ],
            generated: 1_795_300_000)
    }
}
