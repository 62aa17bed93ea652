/*
 * Password hashes: Argon2id for new passwords, the original system's
 * bcrypt hashes still verify, anything else never does, and which hashes
 * a login must upgrade.
 */
#include "core/log.h"
#include "account/password.h"
#include "tap.h"

#include <argon2.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The refusals below are logged as errors, on purpose: keep them out of
 * the test's output. */
static int quiet_fd = -1;

static void quiet(bool on)
{
	fflush(stderr);
	if (on) {
		int null = open("/dev/null", O_WRONLY);
		quiet_fd = dup(STDERR_FILENO);
		dup2(null, STDERR_FILENO);
		close(null);
	} else if (quiet_fd >= 0) {
		dup2(quiet_fd, STDERR_FILENO);
		close(quiet_fd);
		quiet_fd = -1;
	}
}

/* crypt.crypt('secret', crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1024))
 * with Debian's python3 (libxcrypt): cost 10, as the original stored. */
static const char bcrypt_secret[] =
	"$2b$10$Zk435EM2VxeVCLpsmD4lOesBHTncmgIEAtrwsC5uQO7O6wA1wOG..";
/* the same for a non-ASCII password */
static const char bcrypt_cafe[] =
	"$2b$10$iGXcxPmVWWXb/UuRBZvF/e2KOzDc/WsFUzBmGk6cvsLbtLPbCIN6.";
/* OpenBSD's bcrypt test vector: "U*U", $2a$, cost 5 */
static const char bcrypt_openbsd[] =
	"$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW";

static bool verify(const char *pw, const char *stored, bool *rehash)
{
	return password_verify(pw, strlen(pw), stored, rehash);
}

int main(void)
{
	char h1[PASSWORD_HASH_MAX], h2[PASSWORD_HASH_MAX], variant[64];
	bool rehash = true;

	log_init("test", "error");

	/* Argon2id */
	ok(password_hash("correct horse", 13, h1, sizeof h1), "a password hashes");
	ok(strncmp(h1, "$argon2id$v=19$m=19456,t=2,p=1$", 31) == 0,
	   "as Argon2id with m=19 MiB, t=2, p=1 (%s)", h1);
	ok(password_hash("correct horse", 13, h2, sizeof h2), "again");
	ok(strcmp(h1, h2) != 0, "with a fresh salt each time");
	ok(verify("correct horse", h1, &rehash), "the right password verifies");
	ok(!rehash, "and a current Argon2id hash needs no rehash");
	ok(!verify("correct horsE", h1, &rehash), "a wrong password does not");
	ok(!verify("", h1, NULL), "nor an empty one");
	ok(!password_verify("correct horse\0x", 15, h1, NULL),
	   "a password with a NUL never verifies");
	is_int(password_scheme(h1), PASSWORD_ARGON2ID, "scheme of an Argon2id hash");

	{
		/* an Argon2id hash with weaker parameters: verifies, to be upgraded */
		char weak[PASSWORD_HASH_MAX];
		unsigned char salt[16] = "0123456789abcdef";
		ok(argon2id_hash_encoded(1, 1024, 1, "pw-weak-1", 9, salt, 16, 32,
					 weak, sizeof weak) == ARGON2_OK, "a weak Argon2id hash");
		ok(verify("pw-weak-1", weak, &rehash), "verifies");
		ok(rehash, "and needs a rehash (other parameters)");
	}

	/* bcrypt from the original system */
	ok(verify("secret", bcrypt_secret, &rehash), "a bcrypt $2b$ cost-10 hash verifies");
	ok(rehash, "and must be upgraded to Argon2id");
	ok(!verify("Secret", bcrypt_secret, &rehash), "a wrong password does not verify");
	ok(!verify("secret ", bcrypt_secret, NULL), "nor one with a trailing space");
	ok(verify("café-crème 2026", bcrypt_cafe, NULL), "a non-ASCII bcrypt password verifies");
	ok(verify("U*U", bcrypt_openbsd, NULL), "OpenBSD's $2a$ test vector verifies");
	snprintf(variant, sizeof variant, "$2a$%s", bcrypt_secret + 4);
	ok(verify("secret", variant, NULL), "the $2a$ form (bcryptjs) verifies");
	snprintf(variant, sizeof variant, "$2y$%s", bcrypt_secret + 4);
	ok(verify("secret", variant, NULL), "the $2y$ form verifies");
	is_int(password_scheme(bcrypt_secret), PASSWORD_BCRYPT, "scheme of a bcrypt hash");

	/* malformed and missing hashes never verify, never crash */
	snprintf(variant, sizeof variant, "%.40s", bcrypt_secret);
	ok(!verify("secret", variant, NULL), "a truncated bcrypt hash does not verify");
	snprintf(variant, sizeof variant, "%s", bcrypt_secret);
	variant[strlen(variant) - 1] = variant[strlen(variant) - 1] == 'a' ? 'b' : 'a';
	ok(!verify("secret", variant, NULL), "a bcrypt hash with one changed digit does not");
	ok(!verify("secret", "$argon2id$v=19$m=19456,t=2,p=1$bad", NULL),
	   "a malformed Argon2id hash does not");
	ok(!verify("secret", "secret", NULL), "a clear-text \"hash\" does not");
	ok(!verify("secret", "$1$abc$def", NULL), "an MD5-crypt hash does not");
	ok(!verify("secret", "", NULL), "an empty hash does not");
	ok(!verify("secret", NULL, NULL), "no hash does not");
	is_int(password_scheme(NULL), PASSWORD_NONE, "scheme of no hash");
	is_int(password_scheme("$1$abc$def"), PASSWORD_UNKNOWN, "scheme of an MD5-crypt hash");
	is_str(password_scheme_name(PASSWORD_BCRYPT), "bcrypt", "scheme names");

	/* limits */
	quiet(true);
	{
		char *big = malloc(PASSWORD_MAX_BYTES + 2);
		memset(big, 'x', PASSWORD_MAX_BYTES + 1);
		big[PASSWORD_MAX_BYTES + 1] = '\0';
		ok(!password_hash(big, PASSWORD_MAX_BYTES + 1, h2, sizeof h2),
		   "a password over %d bytes is not hashed", PASSWORD_MAX_BYTES);
		ok(password_hash(big, PASSWORD_MAX_BYTES, h2, sizeof h2),
		   "one of exactly %d bytes is", PASSWORD_MAX_BYTES);
		ok(verify(big + 1, h2, NULL), "and verifies");
		ok(!password_verify(big, PASSWORD_MAX_BYTES + 1, h2, NULL),
		   "an over-long candidate does not");
		free(big);
	}
	ok(!password_hash("a\0b", 3, h2, sizeof h2), "a password with a NUL is not hashed");
	ok(!password_hash("short buffer", 12, h2, 20), "a too small output buffer is an error");
	quiet(false);
	password_burn("whatever", 8);   /* under ASan: no overflow, no leak */

	return tap_done();
}
