import Foundation

/// Where the built keep-controller, keep-agent and keepctl are: next to the running test bundle,
/// or in `.build/debug` of the package. `swift build --build-tests` builds them.
public enum Binaries {
    public static let names = ["keep-controller", "keep-agent", "keepctl"]

    /// The directory holding all three programs.
    public static func directory(filePath: String = #filePath) throws -> String {
        var candidates: [String] = []
        if let first = CommandLine.arguments.first {
            let bundle = URL(fileURLWithPath: first).resolvingSymlinksInPath()
            candidates.append(bundle.deletingLastPathComponent().path)
            // The bundle may be a directory (`KeepPackageTests.xctest/...`).
            candidates.append(bundle.deletingLastPathComponent().deletingLastPathComponent().path)
        }
        var root = URL(fileURLWithPath: filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        candidates.append(root.appendingPathComponent(".build/debug").resolvingSymlinksInPath().path)
        for candidate in candidates
        where names.allSatisfy({ FileManager.default.isExecutableFile(atPath: candidate + "/" + $0) }) {
            return candidate
        }
        throw TestSupportError(
            "keep-controller, keep-agent and keepctl were not found in \(candidates.joined(separator: ", ")); "
                + "build them with `swift build --build-tests` before `swift test --skip-build`")
    }

    /// The path of one program.
    public static func path(of name: String) throws -> String {
        try directory() + "/" + name
    }
}
