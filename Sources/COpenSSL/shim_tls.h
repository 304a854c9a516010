#pragma once
#include <openssl/ssl.h>
#include <openssl/bio.h>
#include <openssl/err.h>
// Shims for the tls part of KeepCrypto: the OpenSSL macros (SSL_ctrl/BIO_ctrl wrappers) Swift cannot import.

static inline int keep_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_min_proto_version(ctx, version);
}
static inline int keep_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_max_proto_version(ctx, version);
}
static inline long keep_SSL_CTX_set_mode(SSL_CTX *ctx, long mode) { return SSL_CTX_set_mode(ctx, mode); }
static inline long keep_SSL_CTX_set_session_cache_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_session_cache_mode(ctx, mode);
}
static inline int keep_SSL_set_tlsext_host_name(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, name);
}
static inline int keep_BIO_pending(BIO *bio) { return BIO_pending(bio); }
static inline int keep_BIO_set_mem_eof_return(BIO *bio, int value) { return (int)BIO_set_mem_eof_return(bio, value); }
static inline long keep_BIO_get_mem_data(BIO *bio, char **data) { return BIO_get_mem_data(bio, data); }
static inline int keep_ERR_GET_REASON(unsigned long code) { return ERR_GET_REASON(code); }
static inline int keep_ERR_GET_LIB(unsigned long code) { return ERR_GET_LIB(code); }
