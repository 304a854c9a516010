import Foundation
import KeepCore

/// File operations of the PKI directory with the guarantees it needs: files are created with their
/// final mode (a key is never readable by others, not even for a moment) and replaced atomically
/// (temporary file, fsync, rename, fsync of the directory), so a controller re-reading `crl.pem`
/// sees either the old or the new list, never half of one.
public enum PKIFileWriter {
    /// Mode of private keys.
    public static let privateMode: mode_t = 0o600
    /// Mode of certificates, revocation lists and the index.
    public static let publicMode: mode_t = 0o644
    /// Mode of the directories Keep creates.
    public static let directoryMode: mode_t = 0o700

    /// Atomically replaces (or creates) `path` with `text`, the new file created with `mode`.
    public static func write(_ text: String, to path: String, mode: mode_t) throws {
        let temporary = "\(path).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw ioError("cannot create", temporary) }
        var closed = false
        defer {
            if !closed { close(descriptor) }
        }
        do {
            try writeAll(Array(text.utf8), to: descriptor, path: temporary)
            guard fsync(descriptor) == 0 else { throw ioError("cannot flush", temporary) }
            closed = true
            guard close(descriptor) == 0 else { throw ioError("cannot close", temporary) }
            guard rename(temporary, path) == 0 else { throw ioError("cannot rename into place", path) }
        } catch {
            unlink(temporary)
            throw error
        }
        syncDirectory(of: path)
    }

    /// Creates `path` and missing parents with mode 0700; an existing directory is left as it is.
    public static func makeDirectory(_ path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw KeepError(.io, "exists and is not a directory", context: path)
            }
            return
        }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty, parent != path { try makeDirectory(parent) }
        guard mkdir(path, directoryMode) == 0 || errno == EEXIST else { throw ioError("cannot create directory", path) }
    }

    /// Whether something exists at `path`.
    public static func exists(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: path)
    }

    /// The UTF-8 contents of `path`.
    public static func readText(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            let missing = !exists(path)
            throw KeepError(
                missing ? .notFound : .io, missing ? "file not found" : "cannot read file", context: path,
                hint: missing ? "check the path (and --dir)" : "check the file's permissions")
        }
        return String(decoding: data, as: UTF8.self)
    }

    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32, path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw ioError("cannot write", path)
            }
            offset += written
        }
    }

    /// Makes the rename durable; failure only weakens durability, so it is not an error.
    private static func syncDirectory(of path: String) {
        let directory = (path as NSString).deletingLastPathComponent
        let descriptor = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }

    static func ioError(_ action: String, _ path: String) -> KeepError {
        let code = errno
        let reason = String(cString: strerror(code))
        return KeepError(
            code == ENOSPC ? .diskFull : code == EACCES || code == EPERM ? .permissionDenied : .io,
            "\(action) \(path): \(reason)", context: path)
    }
}
