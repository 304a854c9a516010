// KeepCrypto module.
