/*
 * session.c — sessions in the store: created at login, ended at logout,
 * password change or reset, account deletion. See session.h.
 */
#include "account/session.h"
#include "conn/conn.h"
#include "core/buf.h"
#include "core/crypto.h"
#include "core/log.h"

#include <stdio.h>

/* Printable ASCII only, at most `max` bytes: what we keep of a header. */
static void sanitise(const char *in, char *out, size_t max)
{
	size_t n = 0;

	for (; in && *in && n + 1 < max; in++)
		out[n++] = (*in >= 0x20 && *in < 0x7f) ? *in : '?';
	out[n] = '\0';
}

bool session_create(store_t *st, const bson_oid_t *user_id,
		    const char *ip, const char *user_agent, int64_t now,
		    char raw_out[65], store_error_t *err)
{
	char hash[65], ipbuf[64], uabuf[256];
	bson_t *doc;
	bool ok;

	if (!crypto_random_hex(raw_out, 32)) {
		if (err) {
			err->code = STORE_ERR_INTERNAL;
			snprintf(err->message, sizeof err->message, "no randomness");
		}
		return false;
	}
	crypto_sha256_hex(raw_out, 64, hash);
	sanitise(ip, ipbuf, sizeof ipbuf);
	sanitise(user_agent, uabuf, sizeof uabuf);
	doc = BCON_NEW("sessionToken", BCON_UTF8(hash),
		       "userId", BCON_OID(user_id),
		       "expires", BCON_DATE_TIME(now + (int64_t)SESSION_TTL_S * 1000),
		       "createdAt", BCON_DATE_TIME(now),
		       "ip", BCON_UTF8(ipbuf),
		       "userAgent", BCON_UTF8(uabuf));
	ok = store_insert_one(st, "sessions", doc, NULL, err);
	bson_destroy(doc);
	return ok;
}

/*
 * Every way a session ends comes here — logout, a new login in the same
 * browser, session_end_all() (password change or reset, account
 * deletion, cwc-ctl): the sessions `filter` selects, all of user
 * `user_id`, are deleted, then the relays are told with a "revoke" event
 * on their channel (docs/relay.md): each checks the sessions of that
 * user's sockets and closes those whose session is gone. An event lost
 * because Redis is down is only logged: a relay checks every socket's
 * session again when its subscription comes back.
 */
bool session_delete(store_t *st, const bson_oid_t *user_id,
		    const bson_t *filter, store_error_t *err)
{
	char hex[25], event[64];
	int64_t deleted = 0;

	if (!store_delete_many(st, "sessions", filter, &deleted, err))
		return false;
	if (deleted == 0)
		return true;
	bson_oid_to_string(user_id, hex);
	(void)buf_fmt(event, sizeof event, "{\"type\":\"revoke\",\"userId\":\"%s\"}", hex);
	if (!conn_publish(CONN_EVENTS_CHANNEL, event))
		log_warn("sessions of user %s ended, but the relays could not be told "
			 "(redis unavailable)", hex);
	return true;
}

bool session_end_all(store_t *st, const bson_oid_t *user_id,
		     const char *except_hash, store_error_t *err)
{
	bson_t *filter = except_hash
		? BCON_NEW("userId", BCON_OID(user_id),
			   "sessionToken", "{", "$ne", BCON_UTF8(except_hash), "}")
		: BCON_NEW("userId", BCON_OID(user_id));
	bool ok = session_delete(st, user_id, filter, err);

	bson_destroy(filter);
	return ok;
}
