import Foundation
import Glibc
import KeepCore
import Testing

@testable import KeepAgent
@testable import KeepStore

@Suite("Rollback")
struct RollbackTests {
    static let sources = ["/srv/data", "/etc"]

    /// A host with two snapshot paths, snapshotted; returns the snapshot's root.
    static func makeHost(_ host: String, store: InMemoryObjectSource) async throws -> ChunkID {
        for directory in [
            "/srv", "/srv/data", "/srv/data/sub", "/srv/data/was-dir", "/srv/data/was-dir/inner",
            "/etc", "/etc/nginx",
        ] {
            makeDirectory(host + directory)
        }
        try writeFile(host + "/srv/data/app.conf", Array("listen = 80\n".utf8))
        try writeFile(host + "/srv/data/data.bin", randomBytes(3 << 20))
        try writeFile(host + "/srv/data/keep.txt", Array("keep me".utf8))
        try writeFile(host + "/srv/data/sub/x", Array("x".utf8))
        try writeFile(host + "/srv/data/was-dir/inner/deep", Array("deep".utf8))
        try writeFile(host + "/srv/data/was-file", Array("a file".utf8))
        try writeFile(host + "/srv/data/linkA", Array("shared".utf8))
        #expect(link(host + "/srv/data/linkA", host + "/srv/data/linkB") == 0)
        #expect(symlink("app.conf", host + "/srv/data/current") == 0)
        try writeFile(host + "/etc/hosts", Array("127.0.0.1 localhost\n".utf8))
        try writeFile(host + "/etc/run.sh", Array("#!/bin/sh\n".utf8), mode: 0o755)
        try writeFile(host + "/etc/nginx/nginx.conf", Array("worker_processes 4;\n".utf8))
        _ = setUserAttribute(path: host + "/etc/hosts", name: "user.origin", value: Array("backup".utf8))
        for directory in [
            "/srv/data/sub", "/srv/data/was-dir/inner", "/srv/data/was-dir", "/srv/data", "/etc/nginx",
            "/etc",
        ] {
            setTime(host + directory, 1_200_000_000)
        }
        return try await takeSnapshot(hostRoot: host, sources: sources, into: store)
    }

    /// Changes made after the snapshot, as an upgrade or a bad deploy would.
    static func migrate(_ host: String) throws {
        // Same size and mtime, different bytes: only hashing can tell.
        var status = stat()
        #expect(lstat(host + "/srv/data/app.conf", &status) == 0)
        try writeFile(host + "/srv/data/app.conf", Array("listen = 81\n".utf8), mtime: Int(status.st_mtim.tv_sec))
        #expect(unlink(host + "/srv/data/keep.txt") == 0)
        try writeFile(host + "/srv/data/new.txt", Array("new".utf8))
        makeDirectory(host + "/srv/data/newdir")
        try writeFile(host + "/srv/data/newdir/n", Array("n".utf8))
        #expect(unlink(host + "/srv/data/was-dir/inner/deep") == 0)
        #expect(rmdir(host + "/srv/data/was-dir/inner") == 0 && rmdir(host + "/srv/data/was-dir") == 0)
        try writeFile(host + "/srv/data/was-dir", Array("now a file".utf8))
        #expect(unlink(host + "/srv/data/was-file") == 0)
        makeDirectory(host + "/srv/data/was-file")
        try writeFile(host + "/srv/data/was-file/child", Array("c".utf8))
        #expect(unlink(host + "/srv/data/linkB") == 0)
        try writeFile(host + "/srv/data/linkB", Array("shared".utf8))
        #expect(unlink(host + "/srv/data/current") == 0 && symlink("new.txt", host + "/srv/data/current") == 0)
        #expect(chmod(host + "/etc/run.sh", 0o700) == 0)
        _ = setUserAttribute(path: host + "/etc/hosts", name: "user.extra", value: Array("x".utf8))
        try writeFile(host + "/etc/nginx/nginx.conf", Array("worker_processes auto;\n".utf8))
    }

    static func manifests(_ host: String) async throws -> [[String: String]] {
        try await [treeManifest(host + "/srv/data"), treeManifest(host + "/etc")]
    }

    static func stagingDirectories(_ host: String) -> [String] {
        ((listNames(host + "/srv") ?? []) + (listNames(host) ?? [])).filter { $0.hasPrefix(".keep-rollback-") }
    }

    @Test func planPrepareCommitRestoresTheSnapshotExactly() async throws {
        let host = try TemporaryDirectory()
        let store = InMemoryObjectSource()
        let root = try await Self.makeHost(host.path, store: store)
        let snapshot = try await Self.manifests(host.path)
        try Self.migrate(host.path)
        let migrated = try await Self.manifests(host.path)
        let stager = RollbackStager(source: store, hostRoot: host.path)

        let plan = try await stager.plan(root: root, paths: Self.sources)

        let byPath = Dictionary(plan.changes.map { ($0.displayPath, $0.action) }, uniquingKeysWith: { a, _ in a })
        #expect(byPath["/srv/data/app.conf"] == .replace)
        #expect(byPath["/srv/data/keep.txt"] == .add)
        #expect(byPath["/srv/data/new.txt"] == .remove)
        #expect(byPath["/srv/data/newdir"] == .remove)
        #expect(byPath["/srv/data/was-dir"] == .typeChange)
        #expect(byPath["/srv/data/was-file"] == .typeChange)
        #expect(byPath["/srv/data/linkA"] == .replace)
        #expect(byPath["/srv/data/linkB"] == .replace)
        #expect(byPath["/srv/data/current"] == .replace)
        #expect(byPath["/srv/data/data.bin"] == nil)
        #expect(byPath["/etc/run.sh"] == .metadata)
        #expect(byPath["/etc/nginx/nginx.conf"] == .replace)
        #expect(plan.bytesToWrite < 1 << 20, "the unchanged 3 MiB file is not rewritten")
        #expect(try await Self.manifests(host.path) == migrated, "plan changes nothing")

        let staged = try await stager.prepare(plan, jobID: "job-1")

        #expect(try await Self.manifests(host.path) == migrated, "prepare changes nothing live")
        // Both covered paths live in the same parent: each gets its own staging directory.
        #expect(Set(Self.stagingDirectories(host.path)) == [".keep-rollback-job-1-0", ".keep-rollback-job-1-1"])
        for directory in staged.stagingDirectories {
            #expect(try StagedRollback.load(stagingDirectory: directory) == staged)
        }

        let result = try stager.commit(staged)

        #expect(result.errors.isEmpty, "\(result.errors)")
        #expect(try await Self.manifests(host.path) == snapshot)
        #expect(Self.stagingDirectories(host.path).isEmpty)
        let again = try stager.commit(staged)
        #expect(again.errors.isEmpty)
        #expect(try await Self.manifests(host.path) == snapshot)
        #expect(try await stager.plan(root: root, paths: Self.sources).isEmpty)
    }

    @Test func abortLeavesTheLiveTreeAlone() async throws {
        let host = try TemporaryDirectory()
        let store = InMemoryObjectSource()
        let root = try await Self.makeHost(host.path, store: store)
        try Self.migrate(host.path)
        let migrated = try await Self.manifests(host.path)
        let stager = RollbackStager(source: store, hostRoot: host.path)

        let staged = try await stager.prepare(try await stager.plan(root: root, paths: Self.sources), jobID: "j2")
        #expect(!Self.stagingDirectories(host.path).isEmpty)
        try stager.abort(staged)

        #expect(Self.stagingDirectories(host.path).isEmpty)
        #expect(try await Self.manifests(host.path) == migrated)
        try stager.abort(staged)
    }

    @Test(arguments: [1, 3, 7, 12])
    func aCommitInterruptedAfterSomeStepsFinishesWhenRunAgain(steps: Int) async throws {
        let host = try TemporaryDirectory()
        let store = InMemoryObjectSource()
        let root = try await Self.makeHost(host.path, store: store)
        let snapshot = try await Self.manifests(host.path)
        try Self.migrate(host.path)
        let stager = RollbackStager(source: store, hostRoot: host.path)
        let staged = try await stager.prepare(try await stager.plan(root: root, paths: Self.sources), jobID: "crash")

        #expect(throws: SimulatedCrash.self) { try stager.commit(staged, stoppingAfter: steps) }
        let remaining = staged.stagingDirectories.first { FileManager.default.fileExists(atPath: $0) }
        let reloaded = try StagedRollback.load(stagingDirectory: try #require(remaining))
        let result = try stager.commit(reloaded)

        #expect(result.errors.isEmpty, "\(result.errors)")
        #expect(try await Self.manifests(host.path) == snapshot)
        #expect(Self.stagingDirectories(host.path).isEmpty)
    }

    @Test func pathsOutsideTheSnapshotAreRefused() async throws {
        let host = try TemporaryDirectory()
        let store = InMemoryObjectSource()
        let root = try await Self.makeHost(host.path, store: store)
        let stager = RollbackStager(source: store, hostRoot: host.path)

        await #expect(throws: KeepError.self) { try await stager.plan(root: root, paths: ["/var/lib"]) }
    }
}
