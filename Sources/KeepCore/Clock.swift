import Foundation

/// Wall-clock helpers. Components that need testable time take a clock value instead.
public enum Clock {
    public static func unixSeconds() -> Int64 { Int64(Date().timeIntervalSince1970) }
    public static func unixMillis() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}
