import Testing

@testable import KeepCommands

@Suite("MarkdownRenderer: the pool report as GFM tables")
struct MarkdownRendererTests {
    let markdown = MarkdownRenderer().render(ReportFixtures.report())

    @Test("the summary's hosts table has one row per host with its OS and kernel")
    func hostsTable() throws {
        let table = try #require(MarkdownTable.after(heading: "### Hosts", in: markdown))
        #expect(table.headers.prefix(3) == ["Host", "OS", "Kernel"])
        #expect(table.column("Host") == ["web-01", "web-02"])
        #expect(table.column("OS") == ["Debian GNU/Linux 12 (bookworm)", "Debian GNU/Linux 11 (bullseye)"])
        #expect(table.column("Packages") == ["3", "2"])
    }

    @Test("the pool's user accounts table lists each name once with its hosts")
    func usersTable() throws {
        let table = try #require(MarkdownTable.after(heading: "### User accounts", in: markdown))
        #expect(table.column("User") == [ReportFixtures.injected, "alice", "bob", "shop-admin"])
        #expect(table.column("Hosts") == ["web-02", "web-01, web-02", "web-02", "web-01"])
    }

    @Test("each host section lists its accounts, interfaces and packages")
    func hostSections() throws {
        let web02 = try #require(markdown.range(of: "## Host web-02"))
        let section = String(markdown[web02.upperBound...])
        let users = try #require(MarkdownTable.after(heading: "### User accounts", in: section))
        #expect(users.column("User") == [ReportFixtures.injected, "alice", "bob"])
        #expect(users.column("Home") == [ReportFixtures.injectedHome, "/home/alice", "/home/bob"])
        let network = try #require(MarkdownTable.after(heading: "### Network interfaces", in: section))
        #expect(network.column("Addresses").first == "10.0.0.2/24, fd00::2/64")
        #expect(section.contains("- postgresql-15 15.8-0+deb12u1 (amd64)"))
        #expect(section.contains("1 system accounts: root."))
    }

    @Test("markup in an account name is escaped: no raw tag reaches a Markdown viewer")
    func injection() {
        #expect(!markdown.contains("<script>"))
        #expect(!markdown.contains("</td>"))
        #expect(markdown.contains(#"\<script\>alert('x')\</script\>"#))
    }
}

/// A GFM table read back from rendered Markdown: split on unescaped `|`, with escapes removed.
struct MarkdownTable {
    var headers: [String]
    var rows: [[String]]

    func column(_ name: String) -> [String] {
        guard let index = headers.firstIndex(of: name) else { return [] }
        return rows.map { index < $0.count ? $0[index] : "" }
    }

    /// The first table after the line `heading`.
    static func after(heading: String, in markdown: String) -> MarkdownTable? {
        let lines = markdown.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let start = lines.firstIndex(of: heading) else { return nil }
        let tableLines = lines[(start + 1)...].drop { !$0.hasPrefix("|") }.prefix { $0.hasPrefix("|") }
        guard tableLines.count >= 2 else { return nil }
        let cells = tableLines.map(Self.cells)
        return MarkdownTable(headers: cells[0], rows: Array(cells.dropFirst(2)))
    }

    private static func cells(_ line: String) -> [String] {
        var cells: [String] = []
        var current = ""
        var escaping = false
        for character in line.dropFirst() {
            if escaping {
                current.append(character)
                escaping = false
            } else if character == "\\" {
                escaping = true
            } else if character == "|" {
                cells.append(current.trimmingCharacters(in: .whitespaces))
                current = ""
            } else {
                current.append(character)
            }
        }
        return cells
    }
}
