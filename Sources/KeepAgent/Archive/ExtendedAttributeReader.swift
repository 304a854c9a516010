import Glibc
import KeepStore

/// Reads all extended attributes of a path without following a final symlink
/// (`llistxattr`/`lgetxattr`). Filesystems without xattrs (`ENOTSUP`) and attributes that vanish
/// between listing and reading (`ENODATA`) are not errors.
enum ExtendedAttributeReader {
    /// The sorted attributes, and an error message if reading failed for another reason.
    static func read(path: [UInt8]) -> (attributes: [ExtendedAttribute], failure: (message: String, errno: Int32)?) {
        guard let functions = LinuxXattr.functions else { return ([], nil) }
        let cPath = DirectoryOps.cString(path)
        guard let listBytes = fetch({ functions.list(cPath, $0, $1) }) else {
            return ([], benign(errno) ? nil : ("cannot list extended attributes: \(errorText(errno))", errno))
        }
        var attributes: [ExtendedAttribute] = []
        for name in listBytes.split(separator: 0, omittingEmptySubsequences: true) {
            let cName = DirectoryOps.cString(name)
            guard let value = fetch({ functions.get(cPath, cName, $0, $1) }) else {
                if benign(errno) { continue }
                return (attributes, ("cannot read extended attribute: \(errorText(errno))", errno))
            }
            attributes.append(ExtendedAttribute(name: Array(name), value: value))
        }
        attributes.sort { $0.name.lexicographicallyPrecedes($1.name) }
        return (attributes, nil)
    }

    private static func benign(_ code: Int32) -> Bool {
        code == ENOTSUP || code == ENODATA || code == EOPNOTSUPP
    }

    /// Size query then read, retried when the value grows in between (ERANGE).
    private static func fetch(_ call: (UnsafeMutableRawPointer?, Int) -> Int) -> [UInt8]? {
        for _ in 0..<4 {
            let size = call(nil, 0)
            if size < 0 { return nil }
            if size == 0 { return [] }
            var buffer = [UInt8](repeating: 0, count: size)
            let read = buffer.withUnsafeMutableBytes { call($0.baseAddress, size) }
            if read >= 0 { return Array(buffer[0..<read]) }
            if errno != ERANGE { return nil }
        }
        return nil
    }
}

/// `strerror` as a Swift string.
func errorText(_ code: Int32) -> String {
    guard let text = strerror(code) else { return "error \(code)" }
    return String(cString: text)
}

/// `llistxattr` and `lgetxattr` from the C library. Glibc's Swift module does not import
/// `<sys/xattr.h>`, so they are looked up once with `dlsym`; without them no xattrs are read.
enum LinuxXattr {
    typealias List = @convention(c) (UnsafePointer<CChar>?, UnsafeMutableRawPointer?, Int) -> Int
    typealias Get = @convention(c) (UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafeMutableRawPointer?, Int) -> Int

    struct Functions: @unchecked Sendable {
        let list: List
        let get: Get
    }

    static let functions: Functions? = {
        guard let handle = dlopen(nil, RTLD_NOW),
            let list = dlsym(handle, "llistxattr"),
            let get = dlsym(handle, "lgetxattr")
        else { return nil }
        return Functions(list: unsafeBitCast(list, to: List.self), get: unsafeBitCast(get, to: Get.self))
    }()
}
