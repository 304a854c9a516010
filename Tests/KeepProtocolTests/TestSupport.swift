import KeepCore
import KeepProtocol

extension Frame {
    var envelope: Keep_V1_Envelope? {
        if case .control(let envelope) = self { return envelope }
        return nil
    }
    var welcome: Keep_V1_Welcome? {
        if case .welcome(let message) = envelope?.body { return message }
        return nil
    }
    var hello: Keep_V1_Hello? {
        if case .hello(let message) = envelope?.body { return message }
        return nil
    }
    var error: Keep_V1_Error? {
        if case .error(let message) = envelope?.body { return message }
        return nil
    }
    var heartbeat: Keep_V1_Heartbeat? {
        if case .heartbeat(let message) = envelope?.body { return message }
        return nil
    }
    var goodbye: Keep_V1_Goodbye? {
        if case .goodbye(let message) = envelope?.body { return message }
        return nil
    }

    func withVersions(min: UInt32, max: UInt32) -> Frame {
        guard var hello else { return self }
        hello.minVersion = min
        hello.maxVersion = max
        return .control(.hello(hello))
    }
}

extension Array where Element == ControllerSessionStateMachine.Action {
    var sent: [Frame] {
        compactMap { if case .send(let frame) = $0 { frame } else { nil } }
    }
    var delivered: [Frame] {
        compactMap { if case .deliver(let frame) = $0 { frame } else { nil } }
    }
    /// The error of a `.close` that follows a sent Error frame: this side refused something.
    var refusal: KeepError? {
        guard sent.last?.error != nil else { return nil }
        return closeError
    }
    var closeError: KeepError? {
        for action in self { if case .close(let error) = action { return error } }
        return nil
    }
}

extension Array where Element == ClientSessionStateMachine.Action {
    var sent: [Frame] {
        compactMap { if case .send(let frame) = $0 { frame } else { nil } }
    }
    var delivered: [Frame] {
        compactMap { if case .deliver(let frame) = $0 { frame } else { nil } }
    }
    var refusal: KeepError? {
        guard sent.last?.error != nil else { return nil }
        return closeError
    }
    var closeError: KeepError? {
        for action in self { if case .close(let error) = action { return error } }
        return nil
    }
    var isClosing: Bool {
        contains { if case .close = $0 { true } else { false } }
    }
}
