// KeepProtocol: Keep's wire protocol without sockets.
//
// - `Frame`, `FrameDecoder`, `FrameEncoder`: the length-prefixed framing of `Protocol/SPEC.md`.
// - `Keep_V1_*` (Generated/keep.pb.swift): the control messages of `Protocol/keep.proto`.
// - `ControllerSessionStateMachine`, `ClientSessionStateMachine`: the handshake, heartbeats and
//   closing rules as pure values whose methods return actions for a thin channel handler.
