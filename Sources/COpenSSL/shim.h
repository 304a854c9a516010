#ifndef KEEP_COPENSSL_SHIM_H
#define KEEP_COPENSSL_SHIM_H
// The system OpenSSL 3 (Debian libssl-dev). Only the KeepCrypto module imports this.
// Each shim_*.h wraps, as tiny static inline functions, the macros Swift cannot import.
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/pem.h>
#include <openssl/bio.h>
#include <openssl/kdf.h>
#include <openssl/core_names.h>
#include <openssl/params.h>

#include "shim_crypto.h"
#include "shim_x509.h"
#include "shim_tls.h"

#endif
