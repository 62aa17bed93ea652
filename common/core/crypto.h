/*
 * crypto.h — the few primitives the apps need, over OpenSSL: random
 * tokens, SHA-256, HMAC-SHA256, constant-time comparison, base64url.
 */
#ifndef CWC_CRYPTO_H
#define CWC_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Fills `buf` with `n` bytes from the OS's CSPRNG. False only if it fails. */
bool crypto_random(void *buf, size_t n);

/* Writes 2*nbytes hex digits and a NUL to `out` (size ≥ 2*nbytes+1). */
bool crypto_random_hex(char *out, size_t nbytes);

/* Hex of bytes: `out` has room for 2*n+1. */
void crypto_hex(const void *bytes, size_t n, char *out);

/* The value of one hex digit (either case), or -1 when `c` is not one. */
int crypto_hex_digit(int c);

/* SHA-256 of `data`, as 64 hex digits + NUL in `out` (size ≥ 65). */
void crypto_sha256_hex(const void *data, size_t n, char out[65]);

/* SHA-1 of `data`, 40 hex digits + NUL in `out`: only where an outside
 * service demands it (Cloudinary's upload signatures), never for secrets
 * of ours. */
void crypto_sha1_hex(const void *data, size_t n, char out[41]);

/* HMAC-SHA256(key, data) into `mac` (32 bytes). */
void crypto_hmac_sha256(const void *key, size_t keylen, const void *data,
			size_t n, uint8_t mac[32]);

/* Constant-time equality of two byte strings (different lengths: false,
 * without an early exit on content). */
bool crypto_equal(const void *a, size_t alen, const void *b, size_t blen);

/* base64url without padding. `out` has room for 4*((n+2)/3)+1. */
void crypto_base64url(const void *data, size_t n, char *out);

#endif
