/*
 * ticket.c — see ticket.h.
 */
#include "chat/ticket.h"
#include "core/buf.h"
#include "core/crypto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '-') return 62;
	if (c == '_') return 63;
	return -1;
}

/* base64url (no padding) → bytes; returns the length or -1. */
static int b64url_decode(const char *in, size_t n, unsigned char *out, size_t outlen)
{
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0;

	for (size_t i = 0; i < n; i++) {
		int v = b64val((unsigned char)in[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= outlen)
				return -1;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	return (int)o;
}

static void sign(const char *secret, const char *payload64, char mac64[48])
{
	uint8_t mac[32];

	crypto_hmac_sha256(secret, strlen(secret), payload64, strlen(payload64), mac);
	crypto_base64url(mac, sizeof mac, mac64);
}

static bool is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[n] == '\0';
}

void ticket_session_ref(const char *session_token, char ref[TICKET_REF_LEN + 1])
{
	char full[65];

	crypto_sha256_hex(session_token, strlen(session_token), full);
	memcpy(ref, full, TICKET_REF_LEN);
	ref[TICKET_REF_LEN] = '\0';
}

bool ticket_issue(const char *secret, const char *user_id_hex, int role,
		  const char *session_token, int64_t expires, char *out,
		  size_t outlen)
{
	char payload[128], p64[192], mac64[48], ref[TICKET_REF_LEN + 1];

	if (!is_hex(user_id_hex, 24) || !is_hex(session_token, 64))
		return false;
	ticket_session_ref(session_token, ref);
	if (!buf_fmt(payload, sizeof payload, "%s.%d.%lld.%s", user_id_hex, role,
		     (long long)expires, ref))
		return false;
	crypto_base64url(payload, strlen(payload), p64);
	sign(secret, p64, mac64);
	return buf_fmt(out, outlen, "%s.%s", p64, mac64);
}

bool ticket_verify(const char *secret, const char *ticket, int64_t now,
		   char user_id_hex[25], int *role,
		   char session_ref[TICKET_REF_LEN + 1])
{
	const char *dot = strchr(ticket, '.');
	char p64[192], mac64[48], payload[136];
	unsigned char raw[136];
	long long exp;
	int r, n, end = 0;

	if (!dot || (size_t)(dot - ticket) >= sizeof p64 || strlen(dot + 1) >= sizeof mac64)
		return false;
	memcpy(p64, ticket, (size_t)(dot - ticket));
	p64[dot - ticket] = '\0';
	sign(secret, p64, mac64);
	if (!crypto_equal(mac64, strlen(mac64), dot + 1, strlen(dot + 1)))
		return false;
	n = b64url_decode(p64, strlen(p64), raw, sizeof raw - 1);
	if (n < 0)
		return false;
	memcpy(payload, raw, (size_t)n);
	payload[n] = '\0';
	if (sscanf(payload, "%24[0-9a-f].%d.%lld.%32[0-9a-f]%n", user_id_hex, &r,
		   &exp, session_ref, &end) != 4 ||
	    end != n || strlen(user_id_hex) != 24 ||
	    strlen(session_ref) != TICKET_REF_LEN)
		return false;
	if (exp < now)
		return false;
	*role = r;
	return true;
}
