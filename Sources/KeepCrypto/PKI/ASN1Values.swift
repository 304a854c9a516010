import COpenSSL
import Foundation
import KeepCore

/// Conversions between OpenSSL's ASN.1 times and integers and Keep's plain values
/// (Unix seconds, lowercase hex serials).
@usableFromInline
enum ASN1Values {
    /// Unix seconds of an ASN.1 time; `nil` when OpenSSL cannot parse it.
    static func seconds(of time: UnsafePointer<ASN1_TIME>?) -> Int64? {
        guard let time else { return nil }
        var parts = tm()
        guard ASN1_TIME_to_tm(time, &parts) == 1 else { return nil }
        return Int64(timegm(&parts))
    }

    /// A new ASN.1 time for Unix seconds; the caller frees it with `ASN1_TIME_free`.
    static func makeTime(_ seconds: Int64) throws -> UnsafeMutablePointer<ASN1_TIME> {
        guard let time = ASN1_TIME_set(nil, time_t(seconds)) else {
            throw PKIError.openSSL("cannot represent time \(seconds) in a certificate")
        }
        return time
    }

    /// Lowercase hex of an ASN.1 integer's magnitude, as `openssl x509 -serial` shows it.
    static func hex(of integer: UnsafePointer<ASN1_INTEGER>?) -> String {
        guard let integer, let data = ASN1_STRING_get0_data(integer) else { return "" }
        let length = Int(ASN1_STRING_length(integer))
        return normalizedSerial(Hex.encode(UnsafeBufferPointer(start: data, count: length))) ?? ""
    }

    /// 16 random bytes from OpenSSL's CSPRNG with the top bit cleared (serials must be positive)
    /// and a non-zero first byte (so every serial has 32 hex digits).
    static func randomSerial() throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 16)
        guard RAND_bytes(&bytes, Int32(bytes.count)) == 1 else {
            throw PKIError.openSSL("the random generator failed while making a serial number")
        }
        bytes[0] &= 0x7f
        if bytes[0] == 0 { bytes[0] = 0x01 }
        return bytes
    }

    /// A new positive ASN.1 integer from big-endian magnitude bytes; the caller frees it with
    /// `ASN1_INTEGER_free`.
    static func makeInteger(_ magnitude: [UInt8]) throws -> UnsafeMutablePointer<ASN1_INTEGER> {
        let trimmed = Array(magnitude.drop { $0 == 0 })
        let bytes = trimmed.isEmpty ? [0] : trimmed
        guard let integer = ASN1_INTEGER_new() else { throw PKIError.openSSL("could not allocate an integer") }
        guard ASN1_STRING_set(integer, bytes, Int32(bytes.count)) == 1 else {
            ASN1_INTEGER_free(integer)
            throw PKIError.openSSL("could not set an integer")
        }
        return integer
    }

    /// A serial as Keep writes it: lowercase hex, whole bytes, no leading zero bytes, no colons.
    /// Accepts what people paste (`0A:1B`, `0x0a1b`, upper case); `nil` when it is not hex.
    static func normalizedSerial(_ text: String) -> String? {
        var digits = text.lowercased().filter { $0 != ":" }
        if digits.hasPrefix("0x") { digits.removeFirst(2) }
        guard !digits.isEmpty, digits.allSatisfy(\.isHexDigit) else { return nil }
        if digits.count % 2 == 1 { digits = "0" + digits }
        while digits.count > 2, digits.hasPrefix("00") { digits.removeFirst(2) }
        return digits
    }

    /// The current time in Unix seconds; the one place the PKI code reads the clock, used only
    /// as a default argument.
    @usableFromInline
    static func now() -> Int64 { Int64(time(nil)) }
}
