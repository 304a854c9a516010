/// An HTML document under construction. Everything it writes is also well-formed XML (every element
/// closed, attributes quoted, only XML's own entities), so tests and tools can parse it with an XML
/// parser.
struct HTMLText {
    private(set) var text = ""
    private var open: [String] = []

    /// Writes markup the renderer wrote itself; never pass inventory text here.
    mutating func raw(_ markup: String) { text += markup }

    /// Opens an element; `attributes` values are escaped.
    mutating func open(_ tag: String, _ attributes: KeyValuePairs<String, String> = [:]) {
        text += "<\(tag)\(Self.attributes(attributes))>"
        open.append(tag)
    }

    /// Closes the innermost open element.
    mutating func close() {
        guard let tag = open.popLast() else { return }
        text += "</\(tag)>"
        if ["tr", "table", "section", "p", "li", "ul", "dl", "div", "details", "thead", "tbody", "header"]
            .contains(tag)
        {
            text += "\n"
        }
    }

    /// `<tag>escaped text</tag>`.
    mutating func element(_ tag: String, _ content: String, _ attributes: KeyValuePairs<String, String> = [:]) {
        open(tag, attributes)
        text += Self.escape(content)
        close()
    }

    /// Writes escaped text into the current element.
    mutating func text(_ content: String) { text += Self.escape(content) }

    /// A report table; see `table(_:_:numeric:attributes:)`.
    mutating func table(_ table: ReportTable, attributes: KeyValuePairs<String, String> = [:]) {
        self.table(table.headers, table.rows, numeric: table.numeric, attributes: attributes)
    }

    /// A table with a header row; cells are escaped. Columns named in `numeric` are right-aligned.
    mutating func table(
        _ headers: [String], _ rows: [[String]], numeric: Set<Int> = [], attributes: KeyValuePairs<String, String> = [:]
    ) {
        open("table", attributes)
        open("thead")
        open("tr")
        for (index, header) in headers.enumerated() {
            element("th", header, numeric.contains(index) ? ["class": "num"] : [:])
        }
        close()
        close()
        open("tbody")
        for cells in rows {
            open("tr")
            for (index, cell) in cells.enumerated() {
                element("td", cell, numeric.contains(index) ? ["class": "num"] : [:])
            }
            close()
        }
        close()
        close()
    }

    private static func attributes(_ attributes: KeyValuePairs<String, String>) -> String {
        attributes.map { " \($0.key)=\"\(escape($0.value))\"" }.joined()
    }

    /// Makes text inert in HTML and valid in XML: escapes `& < > " '` and replaces the control
    /// characters XML 1.0 forbids (everything below U+0020 but tab, line feed and carriage return,
    /// and U+FFFE/U+FFFF) with U+FFFD.
    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            case "\t", "\n", "\r": escaped.unicodeScalars.append(scalar)
            case _ where scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF:
                escaped += "\u{FFFD}"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }
}
