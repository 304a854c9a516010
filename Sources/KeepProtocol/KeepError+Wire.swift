import KeepCore

extension KeepError {
    /// The error a peer sent in an Error message. An empty reason is replaced by the code's name so
    /// that the operator always reads something.
    public init(_ message: Keep_V1_Error) {
        self.init(
            Code(rawValue: message.code),
            message.reason.isEmpty ? "peer reported \(Code(rawValue: message.code))" : message.reason,
            context: message.context.isEmpty ? nil : message.context,
            hint: message.hint.isEmpty ? nil : message.hint
        )
    }
}

extension Keep_V1_Error {
    /// The wire form of `error`.
    public init(_ error: KeepError) {
        self.init()
        code = error.code.rawValue
        reason = error.reason
        context = error.context ?? ""
        hint = error.hint ?? ""
    }
}

extension Frame {
    /// An Error control frame for `error`, answering `requestID` (0 = session-level).
    public static func error(_ error: KeepError, requestID: UInt64 = 0) -> Frame {
        .control(requestID: requestID, .error(Keep_V1_Error(error)))
    }
}

extension PeerRole {
    /// The role as Hello names it; `nil` for roles that never send Hello (controller).
    public var wireRole: Keep_V1_Role? {
        switch self {
        case .agent: .agent
        case .operator: .operator
        case .controller: nil
        }
    }
}
