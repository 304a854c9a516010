#pragma once
#include <openssl/ssl.h>
// Shims for the x509 part of KeepCrypto.
