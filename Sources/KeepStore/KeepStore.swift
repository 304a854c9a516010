// KeepStore module.
