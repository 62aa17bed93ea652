/*
 * password.c — Argon2id hashing, Argon2id and bcrypt verification. See
 * password.h.
 */
#include "account/password.h"
#include "core/crypto.h"
#include "core/log.h"

#include <argon2.h>
#include <crypt.h>
#include <stdlib.h>
#include <string.h>

#define ARGON2_T 2
#define ARGON2_M_KIB 19456
#define ARGON2_P 1
#define ARGON2_SALT_LEN 16
#define ARGON2_HASH_LEN 32
#define ARGON2_PREFIX "$argon2id$v=19$m=19456,t=2,p=1$"

/* A hash of a random, forgotten password with the current parameters:
 * what password_burn() verifies against. */
static const char burn_hash[] =
	"$argon2id$v=19$m=19456,t=2,p=1$8PAe1GNRR+h0LlB/NdqunA$"
	"pG1Y9Lx9AHQVLhkhxi32feCqiEOhh1ESVMhP9mrX+Sk";

enum password_scheme password_scheme(const char *stored)
{
	if (!stored || !*stored)
		return PASSWORD_NONE;
	if (strncmp(stored, "$argon2id$", 10) == 0)
		return PASSWORD_ARGON2ID;
	if (strlen(stored) == 60 && stored[0] == '$' && stored[1] == '2' &&
	    (stored[2] == 'a' || stored[2] == 'b' || stored[2] == 'y') &&
	    stored[3] == '$')
		return PASSWORD_BCRYPT;
	return PASSWORD_UNKNOWN;
}

const char *password_scheme_name(enum password_scheme s)
{
	switch (s) {
	case PASSWORD_NONE:
		return "none";
	case PASSWORD_ARGON2ID:
		return "argon2id";
	case PASSWORD_BCRYPT:
		return "bcrypt";
	case PASSWORD_UNKNOWN:
		break;
	}
	return "unknown";
}

static bool acceptable(const char *password, size_t len)
{
	return password && len <= PASSWORD_MAX_BYTES && !memchr(password, '\0', len);
}

bool password_hash(const char *password, size_t len, char *out, size_t outlen)
{
	unsigned char salt[ARGON2_SALT_LEN];
	int rc;

	if (!acceptable(password, len)) {
		log_error("password_hash: password too long or contains NUL");
		return false;
	}
	if (!crypto_random(salt, sizeof salt)) {
		log_error("password_hash: no randomness");
		return false;
	}
	rc = argon2id_hash_encoded(ARGON2_T, ARGON2_M_KIB, ARGON2_P, password, len,
				   salt, sizeof salt, ARGON2_HASH_LEN, out, outlen);
	if (rc != ARGON2_OK) {
		log_error("argon2id_hash_encoded: %s", argon2_error_message(rc));
		return false;
	}
	return true;
}

static bool verify_bcrypt(const char *password, const char *stored)
{
	struct crypt_data *data = calloc(1, sizeof *data);
	const char *got;
	bool ok;

	if (!data)
		abort();
	got = crypt_r(password, stored, data);
	/* crypt_r fails with NULL or a string starting with '*' — neither
	 * matches a stored hash that starts with '$'. */
	ok = got && crypto_equal(got, strlen(got), stored, strlen(stored));
	explicit_bzero(data, sizeof *data);
	free(data);
	return ok;
}

bool password_verify(const char *password, size_t len, const char *stored,
		     bool *needs_rehash)
{
	enum password_scheme s = password_scheme(stored);
	bool ok = false;

	if (needs_rehash)
		*needs_rehash = false;
	if (!acceptable(password, len)) {
		password_burn("", 0);
		return false;
	}
	switch (s) {
	case PASSWORD_ARGON2ID:
		ok = argon2id_verify(stored, password, len) == ARGON2_OK;
		break;
	case PASSWORD_BCRYPT:
		ok = verify_bcrypt(password, stored);
		break;
	case PASSWORD_NONE:
	case PASSWORD_UNKNOWN:
		password_burn(password, len);
		return false;
	}
	if (ok && needs_rehash)
		*needs_rehash = s != PASSWORD_ARGON2ID ||
			strncmp(stored, ARGON2_PREFIX, sizeof ARGON2_PREFIX - 1) != 0;
	return ok;
}

void password_burn(const char *password, size_t len)
{
	/* The result is meaningless; only the time it takes matters. */
	(void)argon2id_verify(burn_hash, password ? password : "",
			      password ? len : 0);
}
