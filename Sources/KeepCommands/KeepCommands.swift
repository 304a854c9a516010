// KeepCommands module.
