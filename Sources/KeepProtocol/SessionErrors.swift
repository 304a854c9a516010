import KeepCore
import NIOCore

/// The session errors both state machines raise, worded once.
enum SessionErrors {
    static func idle(silence: TimeAmount, peer: String) -> KeepError {
        KeepError(
            .unavailable, "nothing received for \(silence.seconds) s; the session is considered dead",
            context: peer, hint: "check the network between the host and the controller; the agent reconnects by itself"
        )
    }

    static func versionMismatch(
        peer: PeerIdentity, offered: ClosedRange<UInt32>, supported: ClosedRange<UInt32>
    ) -> KeepError {
        let newer = offered.lowerBound > supported.upperBound
        let peerProgram = peer.role == .agent ? "keep-agent" : "keepctl"
        return KeepError(
            .versionMismatch,
            "\(peerProgram) speaks protocol versions \(offered.lowerBound)…\(offered.upperBound), "
                + "this controller \(supported.lowerBound)…\(supported.upperBound)",
            context: peer.description,
            hint: newer ? "upgrade keep-controller" : "upgrade \(peerProgram) on this host"
        )
    }
}
