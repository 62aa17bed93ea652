/*
 * crypto.c — see crypto.h.
 */
#include "core/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <sys/random.h>
#include <errno.h>

bool crypto_random(void *buf, size_t n)
{
	unsigned char *p = buf;

	while (n > 0) {
		ssize_t got = getrandom(p, n, 0);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		p += got;
		n -= (size_t)got;
	}
	return true;
}

void crypto_hex(const void *bytes, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *b = bytes;

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

bool crypto_random_hex(char *out, size_t nbytes)
{
	unsigned char buf[128];

	if (nbytes > sizeof buf || !crypto_random(buf, nbytes))
		return false;
	crypto_hex(buf, nbytes, out);
	return true;
}

void crypto_sha256_hex(const void *data, size_t n, char out[65])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256(data, n, md);
	crypto_hex(md, sizeof md, out);
}

void crypto_sha1_hex(const void *data, size_t n, char out[41])
{
	unsigned char md[SHA_DIGEST_LENGTH];

	SHA1(data, n, md);
	crypto_hex(md, sizeof md, out);
}

void crypto_hmac_sha256(const void *key, size_t keylen, const void *data,
			size_t n, uint8_t mac[32])
{
	unsigned int maclen = 32;

	HMAC(EVP_sha256(), key, (int)keylen, data, n, mac, &maclen);
}

bool crypto_equal(const void *a, size_t alen, const void *b, size_t blen)
{
	if (alen != blen) {
		CRYPTO_memcmp(a, a, alen);  /* same work either way */
		return false;
	}
	return CRYPTO_memcmp(a, b, alen) == 0;
}

void crypto_base64url(const void *data, size_t n, char *out)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const unsigned char *p = data;
	size_t o = 0;

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		out[o++] = tab[(v >> 18) & 63];
		out[o++] = tab[(v >> 12) & 63];
		if (i + 1 < n)
			out[o++] = tab[(v >> 6) & 63];
		if (i + 2 < n)
			out[o++] = tab[v & 63];
	}
	out[o] = '\0';
}

int crypto_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
