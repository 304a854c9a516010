// KeepProtocol module.
