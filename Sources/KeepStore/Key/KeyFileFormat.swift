import KeepCore
import KeepCrypto

/// The frozen byte layout of the repository key file, version 1 (Protocol/STORE-FORMAT.md §Key file).
///
/// ```
/// "KEEP-KEY" u32be(version=1) u8(protection)
/// protection 0 (plain):  key[32] sha256(previous 45 bytes)[32]                       77 bytes
/// protection 1 (scrypt): u64be(N) u32be(r) u32be(p) u8(saltLength=32) salt[32]
///                        AES-256-GCM(scrypt(passphrase, salt), key, AAD = previous 62 bytes)[60]  122 bytes
/// ```
enum KeyFileFormat {
    static let magic: [UInt8] = Array("KEEP-KEY".utf8)
    static let version: UInt32 = 1
    static let plainProtection: UInt8 = 0
    static let scryptProtection: UInt8 = 1
    static let saltLength = 32

    static func encodePlain(_ key: SymmetricKey) -> [UInt8] {
        var out = magic + PackFormat.bigEndian(version) + [plainProtection]
        key.withUnsafeBytes { out += $0 }
        out += SHA256.hash(out).bytes
        return out
    }

    static func encodeWrapped(_ key: SymmetricKey, passphrase: [UInt8], cost: ScryptCost) throws -> [UInt8] {
        let salt = SecureRandom.bytes(saltLength)
        var out = magic + PackFormat.bigEndian(version) + [scryptProtection]
        out += PackFormat.bigEndian(cost.n) + PackFormat.bigEndian(cost.r) + PackFormat.bigEndian(cost.p)
        out.append(UInt8(saltLength))
        out += salt
        let wrapping = try SymmetricKey(bytes: Scrypt.deriveKey(
            passphrase: passphrase, salt: salt, n: cost.n, r: cost.r, p: cost.p, length: 32))
        out += try key.withUnsafeBytes { try AESGCM.seal($0, using: wrapping, authenticating: out) }
        return out
    }

    /// Decodes a key file; `path` names it in errors.
    static func decode(_ bytes: [UInt8], passphrase: [UInt8]?, path: String) throws -> SymmetricKey {
        guard bytes.count >= 13, Array(bytes[0..<8]) == magic else {
            throw KeepError(.integrity, "\(path) is not a Keep key file", context: path,
                            hint: "restore the key file from your key backup")
        }
        let version = PackFormat.readBigEndian(bytes, at: 8, as: UInt32.self)
        guard version == self.version else {
            throw KeepError(.versionMismatch, "key file version \(version) is not supported (this build reads 1)",
                            context: path, hint: "upgrade keep-controller")
        }
        switch bytes[12] {
        case plainProtection:
            guard bytes.count == 77, SHA256.hash(Array(bytes[0..<45])).bytes == Array(bytes[45..<77]) else {
                throw damaged(path)
            }
            if passphrase != nil {
                throw KeepError(.configuration, "key file \(path) is not protected by a passphrase, but one was given",
                                context: path, hint: "start without a passphrase")
            }
            return try SymmetricKey(bytes: Array(bytes[13..<45]))
        case scryptProtection:
            guard bytes.count == 62 + 32 + AESGCM.overhead, Int(bytes[29]) == saltLength else { throw damaged(path) }
            guard let passphrase else {
                throw KeepError(.configuration, "key file \(path) is protected by a passphrase", context: path,
                                hint: "supply the repository passphrase")
            }
            let cost = ScryptCost(n: PackFormat.readBigEndian(bytes, at: 13, as: UInt64.self),
                                  r: PackFormat.readBigEndian(bytes, at: 21, as: UInt32.self),
                                  p: PackFormat.readBigEndian(bytes, at: 25, as: UInt32.self))
            let derived: [UInt8]
            do {
                derived = try Scrypt.deriveKey(passphrase: passphrase, salt: Array(bytes[30..<62]),
                                               n: cost.n, r: cost.r, p: cost.p, length: 32)
            } catch {
                throw KeepError(.integrity, "key file \(path) has unusable scrypt parameters", context: path,
                                hint: "restore the key file from your key backup")
            }
            let unwrapped: [UInt8]
            do {
                unwrapped = try AESGCM.open(Array(bytes[62...]), using: SymmetricKey(bytes: derived),
                                            authenticating: Array(bytes[0..<62]))
            } catch {
                throw KeepError(.crypto, "wrong passphrase for key file \(path)", context: path,
                                hint: "check the passphrase; if it is right, the key file is damaged")
            }
            return try SymmetricKey(bytes: unwrapped)
        default:
            throw damaged(path)
        }
    }

    private static func damaged(_ path: String) -> KeepError {
        KeepError(.integrity, "key file \(path) is damaged", context: path,
                  hint: "restore the key file from your key backup")
    }
}
