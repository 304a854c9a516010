import Logging

/// How keep-controller and keep-agent write their logs to standard error: `text` for people (the
/// default), `json` for log shippers (one JSON object per line, see `JSONLogHandler`).
public enum LogFormat: String, Sendable, CaseIterable {
    case text
    case json

    /// Installs the process-wide log handler; call once, first thing in `main`.
    public func bootstrap(level: Logger.Level) {
        switch self {
        case .text:
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        case .json:
            LoggingSystem.bootstrap { label in
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
        }
    }
}
