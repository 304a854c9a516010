import Foundation
import GRDB
import KeepCore

/// Decoding of catalog rows into records.
extension SQLiteCatalog {
    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String) -> T? {
        try? JSONDecoder().decode(type, from: Data(text.utf8))
    }

    static func status(_ text: String) -> RecordStatus {
        RecordStatus(rawValue: text) ?? .failed
    }

    static func job(from row: Row) -> JobRecord {
        JobRecord(
            id: JobID(rawValue: row["id"]), kind: row["kind"], scope: row["scope"], requestedBy: row["requestedBy"],
            created: row["created"], finished: row["finished"], status: status(row["status"]))
    }

    static func set(from row: Row) -> BackupSetRecord {
        BackupSetRecord(
            id: BackupSetID(rawValue: row["id"]), label: row["label"], scope: row["scope"],
            jobID: JobID(rawValue: row["jobID"]), created: row["created"], finished: row["finished"],
            status: status(row["status"]), requestedBy: row["requestedBy"])
    }

    static func snapshot(from row: Row) -> SnapshotRecord {
        let rootTree: Data? = row["rootTree"]
        return SnapshotRecord(
            id: SnapshotID(rawValue: row["id"]), setID: BackupSetID(rawValue: row["setID"]), hostID: row["hostID"],
            pool: row["pool"], status: status(row["status"]), rootTree: rootTree.flatMap { ChunkID(bytes: $0) },
            started: row["started"], finished: row["finished"],
            stats: decode(SnapshotStats.self, row["stats"]) ?? SnapshotStats(), error: row["error"],
            pathErrors: decode([PathErrorRecord].self, row["pathErrors"]) ?? [])
    }

    static func location(from row: Row) -> ChunkLocation? {
        let id: Data = row["id"]
        guard let chunkID = ChunkID(bytes: id) else { return nil }
        return ChunkLocation(
            id: chunkID, packID: row["packID"], offset: UInt64(clamping: row["offset"] as Int64),
            length: UInt32(clamping: row["length"] as Int64),
            plaintextLength: UInt32(clamping: row["plaintextLength"] as Int64),
            type: UInt8(clamping: row["type"] as Int64), compressed: row["compressed"])
    }
}
