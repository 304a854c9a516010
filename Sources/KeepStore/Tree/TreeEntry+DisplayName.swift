extension TreeEntry {
    /// The name as printable text: valid UTF-8 is kept, `\` becomes `\\`, and bytes that are not
    /// UTF-8 or are control characters become `\xNN`, so distinct names never display the same.
    public var displayName: String { Self.displayName(of: name) }

    /// The printable form of any name bytes (see `displayName`).
    public static func displayName(of bytes: [UInt8]) -> String {
        var out = ""
        var index = 0
        while index < bytes.count {
            let length = validSequenceLength(bytes, at: index)
            if length == 0 {
                out += escaped(bytes[index])
                index += 1
                continue
            }
            let scalarText = String(decoding: bytes[index..<index + length], as: UTF8.self)
            if length == 1, bytes[index] < 0x20 || bytes[index] == 0x7f {
                out += escaped(bytes[index])
            } else if length == 1, bytes[index] == UInt8(ascii: "\\") {
                out += "\\\\"
            } else {
                out += scalarText
            }
            index += length
        }
        return out
    }

    private static func escaped(_ byte: UInt8) -> String {
        let hex = String(byte, radix: 16)
        return "\\x" + (hex.count == 1 ? "0" + hex : hex)
    }

    /// Length of the well-formed UTF-8 sequence at `index`, or 0 if it is not one (RFC 3629:
    /// no overlongs, no surrogates, nothing above U+10FFFF).
    private static func validSequenceLength(_ bytes: [UInt8], at index: Int) -> Int {
        let first = bytes[index]
        func continuation(_ offset: Int, _ range: ClosedRange<UInt8> = 0x80...0xbf) -> Bool {
            index + offset < bytes.count && range.contains(bytes[index + offset])
        }
        switch first {
        case 0x00...0x7f: return 1
        case 0xc2...0xdf: return continuation(1) ? 2 : 0
        case 0xe0: return continuation(1, 0xa0...0xbf) && continuation(2) ? 3 : 0
        case 0xe1...0xec, 0xee...0xef: return continuation(1) && continuation(2) ? 3 : 0
        case 0xed: return continuation(1, 0x80...0x9f) && continuation(2) ? 3 : 0
        case 0xf0: return continuation(1, 0x90...0xbf) && continuation(2) && continuation(3) ? 4 : 0
        case 0xf1...0xf3: return continuation(1) && continuation(2) && continuation(3) ? 4 : 0
        case 0xf4: return continuation(1, 0x80...0x8f) && continuation(2) && continuation(3) ? 4 : 0
        default: return 0
        }
    }
}
