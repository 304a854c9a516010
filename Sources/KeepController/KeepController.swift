// KeepController module.
