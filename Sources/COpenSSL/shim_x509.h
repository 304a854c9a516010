#pragma once
#include <openssl/ssl.h>
#include <openssl/ec.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
// Shims for the x509 part of KeepCrypto (Sources/KeepCrypto/PKI): one static inline function per
// OpenSSL macro or type-safe stack accessor that Swift cannot import. No logic lives here.

/// EVP_EC_gen is a macro over the variadic EVP_PKEY_Q_keygen.
static inline EVP_PKEY *keep_x509_ec_generate(const char *curve) {
    return EVP_EC_gen(curve);
}

/// BIO_get_mem_data is a macro over BIO_ctrl; returns the length and points *data at the bytes.
static inline long keep_x509_bio_mem_data(BIO *bio, char **data) {
    return BIO_get_mem_data(bio, data);
}

/// MBSTRING_UTF8 is a composed macro.
static inline int keep_x509_mbstring_utf8(void) {
    return MBSTRING_UTF8;
}

/// sk_GENERAL_NAME_num / sk_GENERAL_NAME_value are macros.
static inline int keep_x509_general_names_count(const GENERAL_NAMES *names) {
    return sk_GENERAL_NAME_num(names);
}

static inline const GENERAL_NAME *keep_x509_general_names_value(const GENERAL_NAMES *names, int index) {
    return sk_GENERAL_NAME_value(names, index);
}

/// The subject alternative names of a certificate (caller frees with GENERAL_NAMES_free), or NULL.
static inline GENERAL_NAMES *keep_x509_subject_alt_names(const X509 *cert) {
    return (GENERAL_NAMES *)X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
}

/// sk_X509_REVOKED_num / sk_X509_REVOKED_value are macros; a NULL stack counts as empty.
static inline int keep_x509_revoked_count(const STACK_OF(X509_REVOKED) *revoked) {
    return revoked == NULL ? 0 : sk_X509_REVOKED_num(revoked);
}

static inline const X509_REVOKED *keep_x509_revoked_value(const STACK_OF(X509_REVOKED) *revoked, int index) {
    return sk_X509_REVOKED_value(revoked, index);
}
