import Foundation
import Glibc
import KeepCore
import KeepStore

extension RollbackStager {
    /// Stages a plan: every entry to add or replace is restored under a numbered name into
    /// `<parent>/.keep-rollback-<jobID>/` (same filesystem as the live path, so a commit is a
    /// rename), fsynced, metadata applied, and the manifest written last. Nothing live changes.
    /// If anything cannot be staged, the staging directories are removed and a `KeepError` lists
    /// the first failures: this host must then not be committed.
    public func prepare(_ plan: RollbackPlan, jobID: String) async throws -> StagedRollback {
        guard !jobID.isEmpty, jobID.utf8.count <= 64,
            jobID.utf8.allSatisfy({
                $0 == 0x2d || $0 == 0x2e || $0 == 0x5f || (0x30...0x39).contains($0)
                    || (0x41...0x5a).contains($0) || (0x61...0x7a).contains($0)
            })
        else {
            throw KeepError(.configuration, "job id must be 1-64 letters, digits, '.', '-' or '_'", context: jobID)
        }
        let host = try openHostRoot()
        defer { close(host) }
        var staged = StagedRollback(jobID: jobID, hostRoot: hostRoot, snapshot: plan.snapshot, scopes: [])
        var failures: [PathError] = []
        for (index, scope) in plan.scopes.enumerated() {
            // One staging directory per scope: two scopes may share a parent (/etc and /var both live in /).
            let stagingName = "\(String(decoding: Self.stagingPrefix, as: UTF8.self))\(jobID)-\(index)"
            staged.scopes.append(StagedRollback.Scope(path: Data(scope.path), stagingName: stagingName, actions: []))
            do {
                let result = try await stage(scope, host: host, stagingName: stagingName)
                staged.scopes[staged.scopes.count - 1].actions = result.actions
                failures += result.failures
            } catch let error as KeepError {
                failures.append(PathError(path: error.context ?? scope.displayPath, message: error.reason))
            }
            if !failures.isEmpty { break }
        }
        if failures.isEmpty {
            do {
                try writeManifests(staged, host: host)
            } catch let error as KeepError {
                failures.append(PathError(path: error.context ?? "manifest", message: error.reason))
            }
        }
        guard failures.isEmpty else {
            try? abort(staged)
            let listed = failures.prefix(3).map(\.description).joined(separator: "; ")
            throw KeepError(
                .jobFailed, "cannot stage \(failures.count) path(s): \(listed)", context: "rollback \(jobID)",
                hint: "fix the paths (space, permissions) and prepare again; nothing live was changed")
        }
        return staged
    }

    private func stage(_ scope: RollbackPlan.Scope, host: Int32, stagingName: String) async throws
        -> (actions: [StagedRollback.Action], failures: [PathError])
    {
        let components = pathComponents(scope.path)
        let parent = try openParent(host, components)
        defer { close(parent) }
        let name = Array(stagingName.utf8)
        if let failure = DirectoryOps.removeTree(parent, name) {
            throw KeepError(.io, "cannot clear an old staging directory: \(failure)", context: scope.displayPath)
        }
        guard mkdirat(parent, DirectoryOps.cString(name), 0o700) == 0 else {
            throw KeepError(.io, "cannot create the staging directory: \(errorText(errno))", context: scope.displayPath)
        }
        let staging = DirectoryOps.openDirectory(parent, name)
        guard staging >= 0 else {
            throw KeepError(.io, "cannot open the staging directory: \(errorText(errno))", context: scope.displayPath)
        }
        defer { close(staging) }
        var stagingStatus = stat()
        if fstat(staging, &stagingStatus) == 0, let live = DirectoryOps.status(parent, components.last ?? []),
            live.st_dev != stagingStatus.st_dev
        {
            throw KeepError(
                .conflict, "the path is a mount point; its parent is on another filesystem",
                context: scope.displayPath, hint: "roll back the paths below the mount point instead")
        }
        let session = RestoreSession(source: source, concurrency: max(1, concurrency), durable: true)
        let place = RestoreSession.Place(root: staging, components: [], descriptor: staging)
        var actions: [StagedRollback.Action] = []
        for (index, change) in scope.changes.enumerated() {
            let path = Data(change.path)
            switch change.action {
            case .add, .replace, .typeChange:
                guard let entry = change.entry else { continue }
                let stagedName = String(index)
                await session.restore(entry, in: place, as: Array(stagedName.utf8), path: change.path)
                let kind: StagedRollback.Action.Kind =
                    change.action == .add ? .add : change.action == .replace ? .replace : .typeChange
                actions.append(StagedRollback.Action(kind: kind, path: path, staged: stagedName))
            case .remove:
                actions.append(StagedRollback.Action(kind: .remove, path: path))
            case .metadata:
                guard let entry = change.entry else { continue }
                let metadata = EntryMetadata(entry, accounts: &session.accounts)
                actions.append(StagedRollback.Action(kind: .metadata, path: path, metadata: metadata))
            }
        }
        for directory in scope.directories {
            let metadata = EntryMetadata(directory.entry, accounts: &session.accounts)
            actions.append(
                StagedRollback.Action(kind: .directoryMetadata, path: Data(directory.path), metadata: metadata))
        }
        if fsync(staging) != 0 {
            throw KeepError(.io, "cannot sync the staging directory: \(errorText(errno))", context: scope.displayPath)
        }
        return (actions, session.summary.errors)
    }

    /// The manifest goes into every staging directory: temporary file, fsync, rename, fsync.
    private func writeManifests(_ staged: StagedRollback, host: Int32) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let bytes = Array(try encoder.encode(staged))
        for scope in staged.scopes {
            let parent = try openParent(host, pathComponents(Array(scope.path)))
            defer { close(parent) }
            let staging = DirectoryOps.openDirectory(parent, Array(scope.stagingName.utf8))
            guard staging >= 0 else {
                throw KeepError(
                    .io, "cannot open the staging directory: \(errorText(errno))", context: scope.stagingName)
            }
            defer { close(staging) }
            let temporary = DirectoryOps.cString(Array((StagedRollback.manifestName + ".tmp").utf8))
            let file = openat(staging, temporary, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o600)
            guard file >= 0 else {
                throw KeepError(.io, "cannot write the manifest: \(errorText(errno))", context: scope.stagingName)
            }
            var written = 0
            while written < bytes.count {
                let result = bytes.withUnsafeBytes {
                    write(file, $0.baseAddress.map { $0 + written }, bytes.count - written)
                }
                if result < 0, errno == EINTR { continue }
                guard result > 0 else { break }
                written += result
            }
            let synced = fsync(file) == 0
            close(file)
            let final = DirectoryOps.cString(Array(StagedRollback.manifestName.utf8))
            guard written == bytes.count, synced, renameat(staging, temporary, staging, final) == 0, fsync(staging) == 0
            else {
                throw KeepError(.io, "cannot write the manifest: \(errorText(errno))", context: scope.stagingName)
            }
        }
    }
}

extension RollbackPlan.Scope {
    var displayPath: String { TreeEntry.displayName(of: path) }
}
