import COpenSSL
import Foundation
import KeepCore

/// Reading and writing the names inside certificates: subject entries and subject alternative
/// names.
enum X509Names {
    /// The text of the only entry `nid` in `name`; `nil` when it is absent, repeated (ambiguous, so
    /// never an identity) or not valid UTF-8.
    static func uniqueText(of name: OpaquePointer?, nid: Int32) -> String? {
        guard let name else { return nil }
        let index = X509_NAME_get_index_by_NID(name, nid, -1)
        guard index >= 0, X509_NAME_get_index_by_NID(name, nid, index) < 0 else { return nil }
        guard let entry = X509_NAME_get_entry(name, index), let data = X509_NAME_ENTRY_get_data(entry) else {
            return nil
        }
        var utf8: UnsafeMutablePointer<UInt8>?
        let length = ASN1_STRING_to_UTF8(&utf8, data)
        guard length >= 0, let utf8 else { return nil }
        defer { CRYPTO_free(utf8, #fileID, #line) }
        return String(validating: UnsafeBufferPointer(start: utf8, count: Int(length)), as: UTF8.self)
    }

    /// A new X.509 name with a common name and, when given, an organizational unit; the caller
    /// frees it with `X509_NAME_free`.
    static func makeName(commonName: String, organizationalUnit: String?) throws -> OpaquePointer {
        guard let name = X509_NAME_new() else { throw PKIError.openSSL("could not allocate a name") }
        var entries = [(NID_commonName, commonName)]
        if let organizationalUnit { entries.append((NID_organizationalUnitName, organizationalUnit)) }
        for (nid, text) in entries {
            let bytes = Array(text.utf8)
            guard
                X509_NAME_add_entry_by_NID(name, nid, keep_x509_mbstring_utf8(), bytes, Int32(bytes.count), -1, 0) == 1
            else {
                X509_NAME_free(name)
                throw PKIError.openSSL(
                    "cannot put \"\(text)\" into a certificate subject",
                    hint: "names in a certificate subject are limited to 64 characters including the role prefix")
            }
        }
        return name
    }

    /// The `DNS:`/`IP:` subject alternative names of `x509`.
    static func subjectAlternativeNames(of x509: OpaquePointer) -> [String] {
        guard let names = keep_x509_subject_alt_names(x509) else {
            _ = PKIError.drainErrorQueue()
            return []
        }
        defer { GENERAL_NAMES_free(names) }
        var result = [String]()
        for index in 0..<keep_x509_general_names_count(names) {
            guard let name = keep_x509_general_names_value(names, index) else { continue }
            switch name.pointee.type {
            case GEN_DNS:
                if let text = asciiText(name.pointee.d.dNSName) { result.append("DNS:" + text) }
            case GEN_IPADD:
                if let text = ipText(name.pointee.d.iPAddress) { result.append("IP:" + text) }
            default:
                continue
            }
        }
        return result
    }

    /// Whether `text` is an IPv4 or IPv6 address in textual form.
    static func isIPAddress(_ text: String) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 16)
        return inet_pton(AF_INET, text, &buffer) == 1 || inet_pton(AF_INET6, text, &buffer) == 1
    }

    /// Whether `text` is acceptable as a DNS subject alternative name: a Keep name (which also
    /// keeps commas and other configuration syntax out of OpenSSL's extension strings).
    static func isDNSName(_ text: String) -> Bool {
        Name.isValid(text)
    }

    private static func asciiText(_ string: UnsafeMutablePointer<ASN1_IA5STRING>?) -> String? {
        guard let string, let data = ASN1_STRING_get0_data(string) else { return nil }
        return String(
            validating: UnsafeBufferPointer(start: data, count: Int(ASN1_STRING_length(string))), as: UTF8.self)
    }

    private static func ipText(_ string: UnsafeMutablePointer<ASN1_OCTET_STRING>?) -> String? {
        guard let string, let data = ASN1_STRING_get0_data(string) else { return nil }
        let length = Int(ASN1_STRING_length(string))
        let family: Int32
        switch length {
        case 4: family = AF_INET
        case 16: family = AF_INET6
        default: return nil
        }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(family, data, &text, socklen_t(text.count)) != nil else { return nil }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
