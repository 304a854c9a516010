import Foundation
import KeepCore
import KeepProtocol
import KeepTestSupport
import Testing

/// Small checks shared by the integration suites.
extension TestFleet {
    /// Runs keepctl and requires the exit status `expected`, showing the whole run otherwise.
    func keepctl(expecting expected: Int32, _ arguments: String...) async throws -> CommandResult {
        let result = try await keepctl(arguments)
        try #require(result.status == expected, "\(result)")
        return result
    }

    /// `keepctl backup … --json`, requiring `expectedStatus`.
    func backup(_ scope: String..., expecting expectedStatus: Int32 = 0) async throws -> Keep_V1_JobResult {
        let result = try await keepctl(["backup"] + scope + ["--json"])
        try #require(result.status == expectedStatus, "\(result)")
        return try result.json(Keep_V1_JobResult.self)
    }

    /// The controller answers an operator: used after every bad-input case.
    func expectControllerServes(_ comment: Comment) async throws {
        try #require(controller?.isRunning == true, "the controller died: \(comment)\n\(logTails())")
        let result = try await keepctl(["agents", "--json"])
        #expect(result.status == 0, "\(comment): \(result)")
    }

    /// `keepctl snapshots --json` with filters.
    func snapshots(_ filters: String...) async throws -> [Keep_V1_SnapshotInfo] {
        let result = try await keepctl(["snapshots"] + filters + ["--json"])
        try #require(result.status == 0, "\(result)")
        return try result.json(Keep_V1_ListSnapshotsResponse.self).snapshots
    }

    /// `keepctl sets --json`.
    func sets() async throws -> [Keep_V1_BackupSetInfo] {
        let result = try await keepctl(["sets", "--json"])
        try #require(result.status == 0, "\(result)")
        return try result.json(Keep_V1_ListSetsResponse.self).sets
    }

    /// Total size of the pack files in the controller's store.
    func packBytes() throws -> UInt64 {
        try packFiles().reduce(0) { total, path in
            let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber
            return total + (size?.uint64Value ?? 0)
        }
    }

    /// Every pack file below `data/packs`.
    func packFiles() throws -> [String] {
        let base = dataDirectory + "/packs"
        guard let walker = FileManager.default.enumerator(atPath: base) else { return [] }
        var files: [String] = []
        while let relative = walker.nextObject() as? String {
            var isDirectory: ObjCBool = false
            let path = base + "/" + relative
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
                files.append(path)
            }
        }
        return files
    }
}

extension Keep_V1_HostResult {
    /// The error as keepctl prints it.
    var errorText: String { hasError ? "\(KeepCore.KeepError(error))" : "" }
}
