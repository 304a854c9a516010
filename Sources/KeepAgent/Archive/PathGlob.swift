/// A shell-style glob over `/`-separated relative paths, matched on raw bytes.
///
/// Like `fnmatch` with `FNM_PATHNAME`: `*` matches any bytes but `/`, `?` one byte but `/`,
/// `[abc]`, `[a-z]`, `[!x]` (or `[^x]`) one byte from a set, `\` escapes the next byte. A whole
/// segment `**` matches zero or more segments, so `**/*.log` matches `a.log` and `x/y/a.log`, and
/// `var/cache/**` matches `var/cache` and everything below it. Patterns match the whole path;
/// leading and trailing `/` are ignored.
public struct PathGlob: Sendable, Hashable {
    public let pattern: String
    private let segments: [[UInt8]]

    /// Compiles a pattern; there is no invalid pattern (an unclosed `[` is a literal byte).
    public init(_ pattern: String) {
        self.pattern = pattern
        segments = Array(pattern.utf8).split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true).map {
            Array($0)
        }
    }

    /// True when the whole relative path matches.
    public func matches(_ path: [UInt8]) -> Bool {
        match(Self.split(path), prefixOnly: false)
    }

    /// True when some path below `directory` could match, so a walk with includes must descend.
    public func couldMatchBelow(_ directory: [UInt8]) -> Bool {
        match(Self.split(directory), prefixOnly: true)
    }

    private static func split(_ path: [UInt8]) -> [ArraySlice<UInt8>] {
        path.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true)
    }

    /// Dynamic programming over (pattern segment, path segment); `prefixOnly` accepts running out of
    /// path while pattern segments remain.
    private func match(_ path: [ArraySlice<UInt8>], prefixOnly: Bool) -> Bool {
        let doubleStar: [UInt8] = [0x2a, 0x2a]
        // reachable[j]: pattern segments consumed so far can match path[..<j].
        var reachable = [Bool](repeating: false, count: path.count + 1)
        reachable[0] = true
        for segment in segments {
            var next = [Bool](repeating: false, count: path.count + 1)
            if segment == doubleStar {
                var seen = false
                for index in 0...path.count {
                    seen = seen || reachable[index]
                    next[index] = seen
                }
            } else {
                for index in 0..<path.count where reachable[index] {
                    if Self.matchSegment(segment[...], path[index]) { next[index + 1] = true }
                }
            }
            if prefixOnly, reachable[path.count] { return true }
            reachable = next
        }
        return reachable[path.count]
    }

    /// `fnmatch` within one segment (no `/` in either argument).
    static func matchSegment(_ pattern: ArraySlice<UInt8>, _ text: ArraySlice<UInt8>) -> Bool {
        var p = pattern.startIndex
        var t = text.startIndex
        var starPattern: Int?
        var starText = t
        while t < text.endIndex {
            if p < pattern.endIndex {
                let byte = pattern[p]
                if byte == UInt8(ascii: "*") {
                    starPattern = p
                    starText = t
                    p += 1
                    continue
                }
                let (matched, next) = matchOne(pattern, at: p, text[t])
                if matched {
                    p = next
                    t += 1
                    continue
                }
            }
            guard let star = starPattern else { return false }
            p = star + 1
            starText += 1
            t = starText
        }
        while p < pattern.endIndex, pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.endIndex
    }

    /// Matches one non-`*` pattern element at `p` against `byte`; returns whether it matched and where
    /// the next element starts.
    private static func matchOne(_ pattern: ArraySlice<UInt8>, at p: Int, _ byte: UInt8) -> (Bool, Int) {
        switch pattern[p] {
        case UInt8(ascii: "?"):
            return (true, p + 1)
        case UInt8(ascii: "\\") where p + 1 < pattern.endIndex:
            return (pattern[p + 1] == byte, p + 2)
        case UInt8(ascii: "["):
            if let result = matchBracket(pattern, at: p, byte) { return result }
            return (byte == UInt8(ascii: "["), p + 1)
        default:
            return (pattern[p] == byte, p + 1)
        }
    }

    /// A bracket expression at `p`, or `nil` when it is not closed (then `[` is literal).
    private static func matchBracket(_ pattern: ArraySlice<UInt8>, at p: Int, _ byte: UInt8) -> (Bool, Int)? {
        var index = p + 1
        var negated = false
        if index < pattern.endIndex, pattern[index] == UInt8(ascii: "!") || pattern[index] == UInt8(ascii: "^") {
            negated = true
            index += 1
        }
        var matched = false
        var first = true
        while index < pattern.endIndex {
            let low = pattern[index]
            if low == UInt8(ascii: "]"), !first { return (matched != negated, index + 1) }
            first = false
            if index + 2 < pattern.endIndex, pattern[index + 1] == UInt8(ascii: "-"),
                pattern[index + 2] != UInt8(ascii: "]")
            {
                if low <= byte, byte <= pattern[index + 2] { matched = true }
                index += 3
            } else {
                if low == byte { matched = true }
                index += 1
            }
        }
        return nil
    }
}
