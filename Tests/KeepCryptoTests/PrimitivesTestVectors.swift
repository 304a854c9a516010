import KeepCore

/// Decodes hex test-vector text, failing the test loudly rather than crashing on a typo.
func vectorBytes(_ hex: String) -> [UInt8] {
    Hex.decode(hex) ?? []
}
