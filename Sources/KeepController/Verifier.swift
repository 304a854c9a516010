import Foundation
import KeepCatalog
import KeepCore
import KeepProtocol
import KeepStore

/// `keepctl verify`: checks that every object the selected snapshots reference is in the store, and
/// with `read_data` that it decrypts and hashes to its id. Each damaged object is reported with every
/// snapshot it affects.
struct Verifier {
    let store: ObjectStore
    let catalog: any Catalog

    func verify(_ request: Keep_V1_VerifyRequest) async throws -> Keep_V1_VerifyResponse {
        let snapshots = try await catalog.snapshots(
            host: request.host.nonEmpty, pool: nil, set: request.setID.nonEmpty.map(BackupSetID.init(rawValue:))
        ).filter { $0.status == .complete }
        if snapshots.isEmpty, let set = request.setID.nonEmpty, try await catalog.set(BackupSetID(rawValue: set)) == nil {
            throw KeepError(.notFound, "no backup set \(set)", hint: "list sets with keepctl sets")
        }
        var walk = Walk(store: store, catalog: catalog, readData: request.readData)
        for snapshot in snapshots {
            guard let root = snapshot.rootTree else { continue }
            try await walk.check(root: root, snapshot: snapshot.id.rawValue)
        }
        return .with {
            $0.objectsChecked = UInt64(walk.problems.count)
            $0.bytesChecked = walk.bytesChecked
            $0.damage = walk.affected.keys.sorted().map { id in
                .with {
                    $0.objectID = Data(id.bytes)
                    $0.problem = walk.problems[id].flatMap { $0 } ?? "damaged"
                    $0.affectedSnapshots = walk.affected[id, default: []].sorted()
                }
            }
        }
    }

    /// The state of one verification: every object is checked once, trees are decoded once.
    private struct Walk {
        let store: ObjectStore
        let catalog: any Catalog
        let readData: Bool
        /// nil = fine, else what is wrong.
        var problems: [ChunkID: String?] = [:]
        var children: [ChunkID: (trees: [ChunkID], chunks: [ChunkID])] = [:]
        var affected: [ChunkID: Set<String>] = [:]
        var bytesChecked: UInt64 = 0

        init(store: ObjectStore, catalog: any Catalog, readData: Bool) {
            self.store = store
            self.catalog = catalog
            self.readData = readData
        }

        mutating func check(root: ChunkID, snapshot: String) async throws {
            var seen = Set<ChunkID>()
            var trees = [root]
            while let id = trees.popLast() {
                guard seen.insert(id).inserted else { continue }
                if try await checkTree(id) != nil {
                    affected[id, default: []].insert(snapshot)
                    continue
                }
                guard let (subtrees, chunks) = children[id] else { continue }
                trees.append(contentsOf: subtrees)
                for chunk in chunks where seen.insert(chunk).inserted {
                    if try await checkChunk(chunk) != nil { affected[chunk, default: []].insert(snapshot) }
                }
            }
        }

        private mutating func checkTree(_ id: ChunkID) async throws -> String? {
            if let known = problems[id] { return known }
            let problem: String?
            do {
                let bytes = try await store.read(id)
                bytesChecked += UInt64(bytes.count)
                let tree = try Tree.decode(bytes)
                children[id] = (
                    tree.entries.compactMap(\.subtree), tree.entries.flatMap { $0.content.flatMap { $0.chunks.map(\.id) } }
                )
                problem = nil
            } catch let error as KeepError {
                problem = error.reason
            } catch {
                problem = "tree cannot be decoded: \(error)"
            }
            problems[id] = problem
            return problem
        }

        private mutating func checkChunk(_ id: ChunkID) async throws -> String? {
            if let known = problems[id] { return known }
            var problem: String?
            if let location = try await catalog.location(of: id) {
                if readData {
                    do {
                        bytesChecked += UInt64(try await store.read(location).count)
                    } catch let error as KeepError {
                        problem = error.reason
                    } catch {
                        problem = "\(error)"
                    }
                } else if await !store.packExists(location.packID) {
                    problem = "pack \(location.packID.prefix(12)) is missing"
                }
            } else {
                problem = "missing from the chunk index"
            }
            problems[id] = problem
            return problem
        }
    }
}
