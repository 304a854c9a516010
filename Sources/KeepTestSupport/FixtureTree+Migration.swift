import Foundation

extension FixtureTree {
    /// Writes a small `passwd` and `group` into `etc` (an inventory root's `etc`): root, a service
    /// account and one human account, `alice`.
    public static func writeAccounts(_ etc: String) throws {
        try write(
            etc + "/passwd",
            """
            root:x:0:0:root:/root:/bin/bash
            www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin
            alice:x:1000:1000:Alice:/home/alice:/bin/sh

            """)
        try write(etc + "/group", "root:x:0:\nwww-data:x:33:\nalice:x:1000:\nadm:x:4:alice\n")
    }

    /// What `migrate` changes below a `populate`d source, as `keepctl diff SET_BEFORE SET_AFTER` should
    /// report it (paths relative to the source; the users change is `deploy` added and `alice`'s shell).
    public enum Migration {
        public static let changed = ["etc/app/app.conf", "setuid-tool", "config-link", "data/deep"]
        public static let removed = ["etc/app/secret.key", "data/deep/deeper", "data/deep/deeper/notes.md"]
        public static let added = ["etc/app/feature.flags", "releases", "releases/2.0.0", "releases/2.0.0/main.py"]
    }

    /// A failed upgrade of a `populate`d source and its accounts: a config file changed, a key
    /// deleted, files and directories added, a mode changed, a symlink and a directory each replaced
    /// by a file, and in `etc` an account added (`deploy`) and one changed (`alice`'s shell).
    public static func migrate(source: String, etc: String) throws {
        let manager = FileManager.default
        let config = try FileHandle(forWritingTo: URL(fileURLWithPath: source + "/etc/app/app.conf"))
        try config.seekToEnd()
        try config.write(contentsOf: Data("workers = 64  # tuned for 2.0\n".utf8))
        try config.close()
        try manager.removeItem(atPath: source + "/etc/app/secret.key")
        try write(source + "/etc/app/feature.flags", "new_checkout = true\n")
        try manager.createDirectory(atPath: source + "/releases/2.0.0", withIntermediateDirectories: true)
        try write(source + "/releases/2.0.0/main.py", "print('v2')\n", mode: 0o755)
        try check(chmod(source + "/setuid-tool", 0o755), "chmod")
        try manager.removeItem(atPath: source + "/config-link")
        try write(source + "/config-link", "no longer a link\n")
        try manager.removeItem(atPath: source + "/data/deep")
        try write(source + "/data/deep", "moved to object storage\n")

        let passwd = try String(contentsOfFile: etc + "/passwd", encoding: .utf8)
        try write(
            etc + "/passwd",
            passwd.replacingOccurrences(of: "/home/alice:/bin/sh", with: "/home/alice:/bin/bash")
                + "deploy:x:1500:1500:Deploy:/home/deploy:/bin/sh\n")
    }
}
