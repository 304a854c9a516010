import Foundation
import KeepCore

/// Collects the four inventory documents of a snapshot and encodes them as JSON with sorted keys,
/// so identical systems give byte-identical documents (and equal documents dedup and diff cleanly).
///
/// Collecting blocks for up to `commandTimeout` per tool; call it from a thread that may block.
public enum InventoryCollector {
    /// `users`, `system`, `packages`, `services`, in that order. Collectors never fail: what they
    /// cannot learn is recorded in the documents' `unavailable` fields.
    public static func collectAll(_ configuration: InventoryConfiguration) throws -> [(kind: String, json: [UInt8])] {
        [
            (InventoryKind.users.rawValue, try encode(UsersCollector(configuration: configuration).collect())),
            (InventoryKind.system.rawValue, try encode(SystemCollector(configuration: configuration).collect())),
            (InventoryKind.packages.rawValue, try encode(PackagesCollector(configuration: configuration).collect())),
            (InventoryKind.services.rawValue, try encode(ServicesCollector(configuration: configuration).collect())),
        ]
    }

    /// The canonical JSON of one document.
    public static func encode(_ document: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return Array(try encoder.encode(document))
        } catch {
            throw KeepError(.internalError, "cannot encode an inventory document: \(error)")
        }
    }
}
