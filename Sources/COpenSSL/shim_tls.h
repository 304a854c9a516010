#pragma once
#include <openssl/ssl.h>
// Shims for the tls part of KeepCrypto.
