import Glibc

/// `fsetxattr`, `lsetxattr` and `lremovexattr` from the C library, looked up once with `dlsym`
/// because Glibc's Swift module does not import `<sys/xattr.h>` (see `LinuxXattr`).
enum XattrWriter {
    typealias FileSet = @convention(c) (Int32, UnsafePointer<CChar>?, UnsafeRawPointer?, Int, Int32) -> Int32
    typealias PathSet =
        @convention(c) (UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafeRawPointer?, Int, Int32) -> Int32
    typealias PathRemove = @convention(c) (UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Int32

    struct Functions: @unchecked Sendable {
        let fileSet: FileSet
        let pathSet: PathSet
        let pathRemove: PathRemove
    }

    static let functions: Functions? = {
        guard let handle = dlopen(nil, RTLD_NOW),
            let fileSet = dlsym(handle, "fsetxattr"),
            let pathSet = dlsym(handle, "lsetxattr"),
            let pathRemove = dlsym(handle, "lremovexattr")
        else { return nil }
        return Functions(
            fileSet: unsafeBitCast(fileSet, to: FileSet.self), pathSet: unsafeBitCast(pathSet, to: PathSet.self),
            pathRemove: unsafeBitCast(pathRemove, to: PathRemove.self))
    }()
}
