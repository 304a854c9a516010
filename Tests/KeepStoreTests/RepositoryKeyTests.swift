import Foundation
import KeepCore
import KeepCrypto
import Testing

@testable import KeepStore

/// Whether two keys are the same key: one opens what the other sealed.
func sameKey(_ first: SymmetricKey, _ second: SymmetricKey) -> Bool {
    guard let sealed = try? AESGCM.seal([1, 2, 3], using: first) else { return false }
    return (try? AESGCM.open(sealed, using: second)) == [1, 2, 3]
}

@Suite("Repository key file")
struct RepositoryKeyTests {
    static let cheap = ScryptCost(n: 1024, r: 8, p: 1)

    @Test("the first start creates a 0600 key file, later starts read the same key")
    func plainKey() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/repository.key"
        let created = try RepositoryKey.loadOrCreate(at: path, passphrase: nil)
        var status = stat()
        try #require(stat(path, &status) == 0)
        #expect(status.st_mode & 0o777 == 0o600)
        #expect(status.st_size == 77)
        #expect(sameKey(created, try RepositoryKey.loadOrCreate(at: path, passphrase: nil)))
        #expect(directory.allNames() == ["repository.key"])
    }

    @Test("a passphrase wraps the key; the wrong passphrase is named as such")
    func passphrase() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/repository.key"
        let secret = Array("correct horse".utf8)
        let created = try RepositoryKey.loadOrCreate(at: path, passphrase: secret, cost: Self.cheap)
        #expect(sameKey(created, try RepositoryKey.loadOrCreate(at: path, passphrase: secret)))
        let contents = try #require(FileManager.default.contents(atPath: path))
        #expect(contents.count == 122 && contents.prefix(8) == Data("KEEP-KEY".utf8))

        let wrong = try #require(throws: KeepError.self) {
            try RepositoryKey.loadOrCreate(at: path, passphrase: Array("battery staple".utf8))
        }
        #expect(wrong.reason == "wrong passphrase for key file \(path)")
        let missing = try #require(throws: KeepError.self) { try RepositoryKey.loadOrCreate(at: path, passphrase: nil) }
        #expect(missing.code == .configuration)
    }

    @Test("a key file readable by others, a damaged one or a foreign one is refused")
    func refusals() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/repository.key"
        _ = try RepositoryKey.loadOrCreate(at: path, passphrase: nil)
        chmod(path, 0o644)
        let exposed = try #require(throws: KeepError.self) { try RepositoryKey.loadOrCreate(at: path, passphrase: nil) }
        #expect(exposed.code == .permissionDenied)
        chmod(path, 0o600)

        var bytes = try #require(FileManager.default.contents(atPath: path))
        bytes[20] ^= 1
        try bytes.write(to: URL(fileURLWithPath: path))
        let damaged = try #require(throws: KeepError.self) { try RepositoryKey.loadOrCreate(at: path, passphrase: nil) }
        #expect(damaged.code == .integrity)

        try Data("not a key".utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o600)
        #expect(throws: KeepError.self) { try RepositoryKey.loadOrCreate(at: path, passphrase: nil) }
    }
}
