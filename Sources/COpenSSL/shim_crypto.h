#pragma once
#include <openssl/ssl.h>
// Shims for the crypto part of KeepCrypto.
