/*
 * password.h — password hashes (SPEC §3): Argon2id for every new or
 * changed password, and verification of the original system's bcrypt
 * hashes ($2a$, $2b$, $2y$, through libxcrypt's crypt_r) so that existing
 * accounts keep working until their next login upgrades them.
 *
 * Argon2id parameters: m = 19 MiB, t = 2, p = 1 (OWASP's baseline; about
 * 50 ms per hash or verification on the 2-core test machines). A hash made
 * with other parameters (or any non-Argon2id hash) "needs a rehash": the
 * login that verifies it stores a fresh one.
 */
#ifndef CWC_PASSWORD_H
#define CWC_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

/* Longest password accepted, in bytes (Argon2 takes any length; this
 * bounds the work a request can ask for). */
#define PASSWORD_MAX_BYTES 256
/* Room for an encoded Argon2id hash with our parameters (about 100). */
#define PASSWORD_HASH_MAX 160

enum password_scheme {
	PASSWORD_NONE = 0,     /* no hash (account without a password) */
	PASSWORD_ARGON2ID,
	PASSWORD_BCRYPT,
	PASSWORD_UNKNOWN,      /* anything else: never verifies */
};

/* Hashes `password` (`len` bytes, may not contain NUL) with Argon2id and a
 * fresh 16-byte salt into `out` (size ≥ PASSWORD_HASH_MAX), encoded as
 * "$argon2id$v=19$m=…,t=…,p=…$salt$hash". False on error (too long, NUL,
 * no randomness, libargon2 failure); the reason is logged. */
bool password_hash(const char *password, size_t len, char *out, size_t outlen);

/* True when `password` matches `stored` (Argon2id or bcrypt). Comparison
 * is constant-time. `*needs_rehash` (may be NULL) is set when the match
 * was against a hash that is not Argon2id with the current parameters.
 * A NULL or empty `stored` never matches, but still costs one verification
 * (see password_burn). */
bool password_verify(const char *password, size_t len, const char *stored,
		     bool *needs_rehash);

/* Spends the time of one verification without a hash to check (login of
 * an unknown account), so that both answers take about as long. */
void password_burn(const char *password, size_t len);

enum password_scheme password_scheme(const char *stored);

/* "argon2id", "bcrypt", "none", "unknown". */
const char *password_scheme_name(enum password_scheme s);

#endif
