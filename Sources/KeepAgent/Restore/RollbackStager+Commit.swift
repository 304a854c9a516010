import Foundation
import Glibc
import KeepCore
import KeepStore

extension RollbackStager {
    /// Applies a prepared rollback: removals (deepest first), then each staged entry renamed over
    /// its live path (a type change removes the live one first), then metadata-only changes, then
    /// directory metadata deepest first; finally the staging directories are removed.
    ///
    /// Idempotent: a staged entry that is no longer in the staging directory was already moved,
    /// a removal of something already gone succeeds, metadata is simply set again, and a scope whose
    /// staging directory is gone is finished. So after a crash, run it again with the same manifest.
    /// Per-path failures are returned; the staging directories are then kept for a retry or `abort`.
    public func commit(_ staged: StagedRollback) throws -> RollbackResult {
        try commit(staged, stoppingAfter: nil)
    }

    /// A commit that stops (throws `SimulatedCrash`) after `limit` live changes, to test resuming.
    func commit(_ staged: StagedRollback, stoppingAfter limit: Int?) throws -> RollbackResult {
        var budget = limit ?? Int.max
        let host = try openHostRoot(staged.hostRoot)
        defer { close(host) }
        var result = RollbackResult()
        for scope in staged.scopes {
            let scopePath = pathComponents(Array(scope.path))
            let parent = try openParent(host, scopePath)
            defer { close(parent) }
            let staging = DirectoryOps.openDirectory(parent, Array(scope.stagingName.utf8))
            guard staging >= 0 else {
                if errno == ENOENT { continue }
                throw KeepError(
                    .io, "cannot open the staging directory: \(errorText(errno))", context: scope.stagingName)
            }
            defer { close(staging) }
            let before = result.errors.count
            try commit(scope, host: host, staging: staging, into: &result, budget: &budget)
            if result.errors.count == before,
                let failure = DirectoryOps.removeTree(parent, Array(scope.stagingName.utf8))
            {
                result.errors.append(
                    PathError(path: scope.stagingName, message: "cannot remove the staging directory: \(failure)"))
            }
            fsync(parent)
        }
        return result
    }

    private func commit(
        _ scope: StagedRollback.Scope, host: Int32, staging: Int32, into result: inout RollbackResult,
        budget: inout Int
    ) throws {
        func step() throws {
            if budget == 0 { throw SimulatedCrash() }
            budget -= 1
        }
        func record(_ error: PathError?) {
            if let error { result.errors.append(error) }
        }
        func depth(_ action: StagedRollback.Action) -> Int { pathComponents(Array(action.path)).count }
        let removals = scope.actions.filter { $0.kind == .remove }.sorted { depth($0) > depth($1) }
        for action in removals {
            try step()
            record(
                withParent(of: action, host: host, missingIsDone: true) { parent, name in
                    if let failure = DirectoryOps.removeTree(parent, name) { return "cannot remove: \(failure)" }
                    result.removed += 1
                    return nil
                })
        }
        for action in scope.actions where action.kind == .add || action.kind == .replace || action.kind == .typeChange {
            guard let stagedName = action.staged.map({ Array($0.utf8) }) else { continue }
            guard DirectoryOps.status(staging, stagedName) != nil else { continue }  // moved by an earlier run
            try step()
            record(
                withParent(of: action, host: host, missingIsDone: false) { parent, name in
                    if action.kind == .typeChange, let failure = DirectoryOps.removeTree(parent, name) {
                        return "cannot remove the old entry: \(failure)"
                    }
                    guard renameat(staging, DirectoryOps.cString(stagedName), parent, DirectoryOps.cString(name)) == 0
                    else {
                        return "cannot move the staged entry into place: \(errorText(errno))"
                    }
                    fsync(parent)
                    result.moved += 1
                    return nil
                })
        }
        let metadataChanges = scope.actions.filter { $0.kind == .metadata }
        let directories = scope.actions.filter { $0.kind == .directoryMetadata }.sorted { depth($0) > depth($1) }
        for action in metadataChanges + directories {
            guard let metadata = action.metadata else { continue }
            try step()
            record(
                withParent(of: action, host: host, missingIsDone: false) { parent, name in
                    let failures = MetadataApplier.apply(metadata, parent: parent, name: name, removeOthers: true)
                    result.metadataApplied += 1
                    return failures.isEmpty ? nil : failures.joined(separator: "; ")
                })
        }
    }

    /// Opens the live parent of an action's path and runs `body` with it and the final name;
    /// a returned message is recorded as that path's error.
    private func withParent(
        of action: StagedRollback.Action, host: Int32, missingIsDone: Bool, _ body: (Int32, [UInt8]) -> String?
    ) -> PathError? {
        let components = pathComponents(Array(action.path))
        let display = TreeEntry.displayName(of: Array(action.path))
        guard let name = components.last,
            case .success(let parent) = DirectoryOps.openDirectory(root: host, components: Array(components.dropLast()))
        else {
            return missingIsDone ? nil : PathError(path: display, message: "cannot open the parent directory")
        }
        defer { close(parent) }
        return body(parent, name).map { PathError(path: display, message: $0) }
    }
}

/// Thrown by the test-only `commit(_:stoppingAfter:)` to stand for a crash in the middle of a commit.
struct SimulatedCrash: Error {}
