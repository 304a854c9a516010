import Foundation

/// `llistxattr`, `lgetxattr` and `lsetxattr` from the C library, looked up with `dlsym` because
/// Glibc's Swift module does not import `<sys/xattr.h>`. Never follows a final symlink.
enum ExtendedAttributes {
    private typealias List = @convention(c) (UnsafePointer<CChar>?, UnsafeMutablePointer<CChar>?, Int) -> Int
    private typealias Get =
        @convention(c) (UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafeMutableRawPointer?, Int) -> Int
    private typealias Set =
        @convention(c) (UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafeRawPointer?, Int, Int32) -> Int32

    private struct Functions: @unchecked Sendable {
        let list: List
        let get: Get
        let set: Set
    }

    private static let functions: Functions? = {
        guard let handle = dlopen(nil, RTLD_NOW), let list = dlsym(handle, "llistxattr"),
            let get = dlsym(handle, "lgetxattr"), let set = dlsym(handle, "lsetxattr")
        else { return nil }
        return Functions(
            list: unsafeBitCast(list, to: List.self), get: unsafeBitCast(get, to: Get.self),
            set: unsafeBitCast(set, to: Set.self))
    }()

    private static func require() throws -> Functions {
        guard let functions else { throw TestSupportError("the C library has no llistxattr/lgetxattr/lsetxattr") }
        return functions
    }

    /// Attribute name → value of `path` (raw bytes, NUL-terminated C string).
    static func read(_ path: [CChar]) throws -> [[UInt8]: [UInt8]] {
        let functions = try require()
        let size = functions.list(path, nil, 0)
        guard size > 0 else {
            if size < 0 && errno != ENOTSUP {
                throw TestSupportError("llistxattr: \(String(cString: strerror(errno)))")
            }
            return [:]
        }
        var list = [CChar](repeating: 0, count: size)
        let listed = functions.list(path, &list, size)
        guard listed >= 0 else { throw TestSupportError("llistxattr: \(String(cString: strerror(errno)))") }
        var attributes: [[UInt8]: [UInt8]] = [:]
        for rawName in list.prefix(listed).split(separator: 0) {
            let name = Array(rawName) + [0]
            let length = functions.get(path, name, nil, 0)
            var value = [UInt8](repeating: 0, count: max(length, 0))
            let got = value.withUnsafeMutableBytes { functions.get(path, name, $0.baseAddress, length) }
            guard length >= 0, got >= 0 else {
                throw TestSupportError("lgetxattr: \(String(cString: strerror(errno)))")
            }
            attributes[rawName.map { UInt8(bitPattern: $0) }] = Array(value.prefix(got))
        }
        return attributes
    }

    /// Sets `name` on `path`.
    static func set(_ path: String, _ name: String, _ value: [UInt8]) throws {
        let functions = try require()
        let result = value.withUnsafeBytes { functions.set(path, name, $0.baseAddress, value.count, 0) }
        guard result == 0 else {
            throw TestSupportError("lsetxattr \(name) on \(path): \(String(cString: strerror(errno)))")
        }
    }
}
