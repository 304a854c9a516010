/// A Markdown document under construction, with escaping for untrusted text.
struct MarkdownText {
    private(set) var text = ""

    mutating func line(_ line: String = "") { text += line + "\n" }

    mutating func heading(_ level: Int, _ title: String) {
        if !text.isEmpty && !text.hasSuffix("\n\n") { line() }
        line(String(repeating: "#", count: level) + " " + Self.escape(title))
        line()
    }

    /// A table; every cell is escaped. An empty header row renders as a key/value table.
    /// A report table; see `table(_:_:)`.
    mutating func table(_ table: ReportTable) {
        self.table(table.headers, table.rows)
    }

    mutating func table(_ headers: [String], _ rows: [[String]]) {
        func row(_ cells: [String]) -> String { "| " + cells.map(Self.escape).joined(separator: " | ") + " |" }
        line(row(headers))
        line("|" + headers.map { _ in "---|" }.joined())
        for cells in rows { line(row(cells)) }
        line()
    }

    /// Makes text literal: backslash-escapes the characters Markdown (and GFM tables) give a meaning to,
    /// including `<` and `&` so no HTML or entity survives, and folds line breaks into spaces.
    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.count)
        var previous: Character?
        var characters = text.makeIterator()
        var current = characters.next()
        while let character = current {
            let next = characters.next()
            defer {
                previous = character
                current = next
            }
            switch character {
            case "_" where previous.map(Self.isWordCharacter) == true && next.map(Self.isWordCharacter) == true:
                // Inside a word (x86_64, PREEMPT_DYNAMIC) an underscore never starts emphasis; keep it readable.
                escaped.append(character)
            case "\\", "`", "*", "_", "[", "]", "<", ">", "|", "&", "#", "!", "~":
                escaped.append("\\")
                escaped.append(character)
            case "\n", "\r", "\r\n", "\t":
                escaped.append(" ")
            default:
                escaped.append(character)
            }
        }
        return escaped
    }

    private static func isWordCharacter(_ character: Character) -> Bool { character.isLetter || character.isNumber }
}
