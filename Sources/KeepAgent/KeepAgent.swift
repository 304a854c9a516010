// KeepAgent module.
