/*
 * relay_revoke.c — closing the sockets of ended sessions. See
 * relay_revoke.h.
 *
 * Users waiting for a check are kept in `pending` (relay_user.check_node;
 * relay_users.c takes a user out when its last socket closes).
 */
#include "relay_revoke.h"

#include <bson/bson.h>
#include <stdlib.h>
#include <string.h>

#include "account/account.h"
#include "core/buf.h"
#include "core/doc.h"
#include "core/log.h"
#include "relay.h"
#include "relay_session.h"
#include "relay_store.h"
#include "relay_users.h"

#define REVOKE_BATCH    100    /* users checked per turn of the loop */
#define REVOKE_RETRY_MS 1000   /* store unavailable: try the batch again then */

static uv_timer_t batch_timer;
static bool ready;
static lws_dll2_owner_t pending;   /* struct relay_user.check_node */

/* Appends the sessionToken of each socket of `u` to the array `arr`. */
static void revoke_tokens(struct relay_user *u, bson_t *arr)
{
	uint32_t i = 0;
	const char *key;
	char buf[16];

	lws_start_foreach_dll(struct lws_dll2 *, d, lws_dll2_get_head(&u->sessions)) {
		struct session *s = lws_container_of(d, struct session, user_node);

		bson_uint32_to_string(i++, &key, buf, sizeof buf);
		BSON_APPEND_UTF8(arr, key, s->session_token);
	} lws_end_foreach_dll(d);
}

/* {userId, sessionToken: {$in: the sockets' tokens}, expires: {$gt: now}}:
 * which of the sessions behind u's sockets are live. New, caller frees. */
static bson_t *revoke_filter(struct relay_user *u)
{
	bson_t *filter = bson_new(), in, arr, expires;
	bson_oid_t uid;

	bson_oid_init_from_string(&uid, u->id);
	BSON_APPEND_OID(filter, "userId", &uid);
	BSON_APPEND_DOCUMENT_BEGIN(filter, "sessionToken", &in);
	BSON_APPEND_ARRAY_BEGIN(&in, "$in", &arr);
	revoke_tokens(u, &arr);
	bson_append_array_end(&in, &arr);
	bson_append_document_end(filter, &in);
	BSON_APPEND_DOCUMENT_BEGIN(filter, "expires", &expires);
	BSON_APPEND_DATE_TIME(&expires, "$gt", account_now_ms());
	bson_append_document_end(filter, &expires);
	return filter;
}

static bool revoke_is_live(char (*live)[65], size_t n, const char *token)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(live[i], token) == 0)
			return true;
	return false;
}

/* Closes the sockets of `u` whose session is no longer live. False, with
 * `err` filled, when the store could not tell. */
static bool revoke_check(store_t *st, struct relay_user *u, store_error_t *err)
{
	bson_t *filter = revoke_filter(u);
	bson_t *fields = BCON_NEW("sessionToken", BCON_INT32(1));
	store_find_opts_t opts = { .projection = fields };
	size_t room = u->sessions.count, n = 0;
	char (*live)[65] = calloc(room ? room : 1, sizeof *live);
	store_cursor_t *cur = live ? store_find(st, "sessions", filter, &opts, err) : NULL;
	unsigned closed = 0;
	const bson_t *doc;
	const char *token;
	bool ok = cur != NULL;

	if (!live) {
		err->code = STORE_ERR_INTERNAL;
		(void)buf_fmt(err->message, sizeof err->message, "out of memory");
	}
	while (ok && store_cursor_next(cur, &doc)) {
		token = doc_str(doc, "sessionToken");
		if (token && strlen(token) == 64 && n < room)
			memcpy(live[n++], token, 65);
	}
	if (ok && store_cursor_error(cur, err))
		ok = false;
	if (ok) {
		lws_start_foreach_dll_safe(struct lws_dll2 *, d, d1,
					   lws_dll2_get_head(&u->sessions)) {
			struct session *s = lws_container_of(d, struct session, user_node);

			if (!s->close_code && !revoke_is_live(live, n, s->session_token)) {
				session_close(s, RELAY_CLOSE_SESSION_ENDED, "session ended");
				closed++;
			}
		} lws_end_foreach_dll_safe(d, d1);
	}
	if (closed)
		log_info("user %s: %u socket(s) closed, their session has ended",
			 u->id, closed);
	store_cursor_destroy(cur);
	free(live);
	bson_destroy(filter);
	bson_destroy(fields);
	return ok;
}

static void revoke_close_user(struct relay_user *u, uint16_t code, const char *reason)
{
	lws_start_foreach_dll_safe(struct lws_dll2 *, d, d1,
				   lws_dll2_get_head(&u->sessions)) {
		session_close(lws_container_of(d, struct session, user_node), code,
			      reason);
	} lws_end_foreach_dll_safe(d, d1);
}

void relay_revoke_user(const char *user_id)
{
	struct relay_user *u = relay_users_find(user_id);
	store_error_t err = { 0 };
	uint64_t started;
	store_t *st;
	bool ok;

	if (!u)
		return;
	lws_dll2_remove(&u->check_node);   /* checked now */
	st = relay_store_begin(&started);
	ok = st && revoke_check(st, u, &err);
	if (st)
		relay_store_done(started, "revoke: sessions", ok ? NULL : &err);
	if (!ok) {
		log_warn("user %s: sessions ended, and the store cannot say which: "
			 "closing their %u socket(s) here", u->id, u->sessions.count);
		revoke_close_user(u, RELAY_CLOSE_TRY_AGAIN,
				  "cannot check the session: reconnect");
	}
}

static void revoke_on_timer(uv_timer_t *t);

/* Checks up to REVOKE_BATCH pending users, and schedules the rest. */
static void revoke_batch(void)
{
	store_error_t err = { 0 };
	unsigned done = 0;
	uint64_t started;
	store_t *st;
	bool ok = true;

	if (!ready || !pending.count)
		return;
	if (!(st = relay_store_begin(&started))) {
		uv_timer_start(&batch_timer, revoke_on_timer, REVOKE_RETRY_MS, 0);
		return;
	}
	while (ok && pending.count && done < REVOKE_BATCH) {
		struct relay_user *u = lws_container_of(lws_dll2_get_head(&pending),
							struct relay_user, check_node);

		ok = revoke_check(st, u, &err);
		if (ok) {
			lws_dll2_remove(&u->check_node);
			done++;
		}
	}
	relay_store_done(started, "resync: sessions", ok ? NULL : &err);
	if (pending.count)
		uv_timer_start(&batch_timer, revoke_on_timer,
			       ok ? 0 : REVOKE_RETRY_MS, 0);
}

static void revoke_on_timer(uv_timer_t *t)
{
	revoke_batch();
}

void relay_revoke_check_all(void)
{
	if (!ready)
		return;
	lws_start_foreach_dll(struct lws_dll2 *, d, lws_dll2_get_head(&relay.sessions)) {
		struct session *s = lws_container_of(d, struct session, list);

		if (s->user && lws_dll2_is_detached(&s->user->check_node))
			lws_dll2_add_tail(&s->user->check_node, &pending);
	} lws_end_foreach_dll(d);
	if (pending.count)
		log_info("checking the sessions of %u user(s) with sockets here",
			 pending.count);
	revoke_batch();
}

void relay_revoke_init(uv_loop_t *loop)
{
	uv_timer_init(loop, &batch_timer);
	ready = true;
}

void relay_revoke_close(void)
{
	if (!ready)
		return;
	ready = false;
	uv_timer_stop(&batch_timer);
	uv_close((uv_handle_t *)&batch_timer, NULL);
}
