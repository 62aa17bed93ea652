/*
 * mongo.c — the MongoDB backend of store.h, over libmongoc 1.23.
 *
 * One mongoc_client_pool_t per store_t. A store belongs to one process
 * (opened after fork(), see worker.c), so the pool is never inherited; each
 * operation pops a client, runs, and pushes it back (a cursor keeps its
 * client until it is destroyed). The pool's background thread monitors the
 * server, so an app recovers by itself when MongoDB comes back.
 *
 * Time limits, unless the URI sets them: server selection 2 s and connect
 * 2 s (a down server is STORE_ERR_UNAVAILABLE within about 2 s, not after
 * libmongoc's 30 s), socket 30 s (a server that stops answering).
 *
 * store.c has validated every argument (store/backend.h); this file only
 * translates to libmongoc and maps its errors to store.h's codes. libmongoc
 * logs through mongo_log(), into log.h; its debug and trace lines are dropped.
 * No message, ours or libmongoc's, carries the URI's password.
 */
#include "store/backend.h"
#include "store/query.h"
#include "core/buf.h"
#include "core/log.h"

#include <mongoc/mongoc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MONGO_DEFAULT_DB               "coworking-cafe"
#define MONGO_APPNAME                  "cwc"
#define MONGO_SERVER_SELECTION_MS      2000
#define MONGO_CONNECT_TIMEOUT_MS       2000
#define MONGO_SOCKET_TIMEOUT_MS        30000

struct mongo_store {
	struct store base;
	mongoc_uri_t *uri;
	mongoc_client_pool_t *pool;
	char *db;               /* database name */
	char hosts[256];        /* "host:port,…" for messages */
	char secret[256];       /* the password as written in the URI, or "" */
	char secret_dec[256];   /* and percent-decoded */
};

/* What one operation holds: a client popped from the pool and, when it
 * works on a collection, that collection. See op_begin() and op_end(). */
struct op {
	struct mongo_store *ms;
	mongoc_client_t *client;
	mongoc_collection_t *coll;
};

struct mongo_cursor {
	struct store_cursor base;
	struct op op;           /* held until the cursor is destroyed */
	mongoc_cursor_t *cursor;
	const bson_t *first;    /* read by find() to report errors early */
	bool first_pending;     /* `first` not yet handed out */
	bool done;
};

/* ---- messages without secrets --------------------------------------------- */

/* The password libmongoc was last given (as written, decoded), for
 * mongo_log(): a per-process singleton like the log handler itself. */
static char log_secret[2][256];

/* Replaces every occurrence of `secret` (when non-empty) in `s` by "***". */
static void mask_secret(char *s, size_t size, const char *secret)
{
	size_t n = strlen(secret);
	char out[1024];
	size_t o = 0;
	const char *p = s, *hit;

	if (n == 0 || !strstr(s, secret))
		return;
	while ((hit = strstr(p, secret)) && o < sizeof out - 1) {
		o += (size_t)snprintf(out + o, sizeof out - o, "%.*s***",
				      (int)(hit - p), p);
		if (o >= sizeof out)
			o = sizeof out - 1;
		p = hit + n;
	}
	if (o < sizeof out - 1)
		snprintf(out + o, sizeof out - o, "%s", p);
	snprintf(s, size, "%s", out);
}

/* Masks the password of every "scheme://user:password@" in `s` (of
 * `size` bytes) with "***". */
static void mask_userinfo(char *s, size_t size)
{
	char *p = s;

	while ((p = strstr(p, "://"))) {
		char *auth = p + 3, *at = NULL, *colon;
		size_t span = strcspn(auth, "/?# \t\"'");
		char tail[1024];

		for (char *q = auth; q < auth + span; q++)
			if (*q == '@')
				at = q;
		p = auth;
		if (!at)
			continue;
		colon = memchr(auth, ':', (size_t)(at - auth));
		if (!colon || (at - colon == 4 && memcmp(colon, ":***", 4) == 0))
			continue;
		snprintf(tail, sizeof tail, "%s", at);
		snprintf(colon, size - (size_t)(colon - s), ":***%s", tail);
		p = colon + 4;
	}
}

/* The password as written in the URI: from the first ':' after "://" to
 * the last '@' before the options. */
static void uri_secret(const char *uri, char *out, size_t size)
{
	const char *auth = strstr(uri, "://"), *at = NULL, *colon;
	size_t span;

	out[0] = '\0';
	if (!auth)
		return;
	auth += 3;
	span = strcspn(auth, "?");
	for (const char *q = auth; q < auth + span; q++)
		if (*q == '@')
			at = q;
	if (!at)
		return;
	colon = memchr(auth, ':', (size_t)(at - auth));
	if (colon && at > colon + 1)
		snprintf(out, size, "%.*s", (int)(at - colon - 1), colon + 1);
}

/* True when '@' appears more than once before the options: an unencoded
 * '@' in the user name or password, which libmongoc would read as part of
 * the host (and print). */
static bool uri_has_two_at(const char *uri)
{
	const char *at = strchr(uri, '@'), *q = strchr(uri, '?');

	return at && strchr(at + 1, '@') && (!q || strchr(at + 1, '@') < q);
}

/* Masks the store's password, in both forms, and any URI's, in `msg`. */
static void mask_secrets(const struct mongo_store *ms, char *msg, size_t size)
{
	mask_secret(msg, size, ms->secret);
	mask_secret(msg, size, ms->secret_dec);
	mask_userinfo(msg, size);
}

static void mongo_log(mongoc_log_level_t level, const char *domain,
		      const char *message, void *data)
{
	enum log_level ll;
	char msg[1024];

	switch (level) {
	case MONGOC_LOG_LEVEL_ERROR:
	case MONGOC_LOG_LEVEL_CRITICAL:
		ll = LL_ERROR;
		break;
	case MONGOC_LOG_LEVEL_WARNING:
		ll = LL_WARN;
		break;
	case MONGOC_LOG_LEVEL_MESSAGE:
	case MONGOC_LOG_LEVEL_INFO:
		ll = LL_INFO;
		break;
	default:
		return;  /* debug, trace */
	}
	if (!log_enabled(ll))
		return;
	snprintf(msg, sizeof msg, "%s", message);
	mask_secret(msg, sizeof msg, log_secret[0]);
	mask_secret(msg, sizeof msg, log_secret[1]);
	mask_userinfo(msg, sizeof msg);
	log_write(ll, "mongoc %s: %s", domain ? domain : "", msg);
}

/* ---- errors --------------------------------------------------------------- */

static int map_server_code(uint32_t code, const char *message)
{
	switch (code) {
	case 11000: case 11001: case 12582:
		return STORE_ERR_DUPLICATE_KEY;
	case 9:  /* FailedToParse: "Unknown modifier" is an operator we lack */
		return strstr(message, "nknown") ? STORE_ERR_UNSUPPORTED
						 : STORE_ERR_BAD_VALUE;
	case 2: case 14: case 28: case 40: case 52: case 54: case 66: case 67:
	case 85: case 86: case 171: case 10334: case 17419:
		return STORE_ERR_BAD_VALUE;
	case 26:
		return STORE_ERR_NOT_FOUND;
	case 59: case 115: case 238:  /* CommandNotFound, CommandNotSupported,
				       * NotImplemented: the server lacks it */
		return STORE_ERR_UNSUPPORTED;
	case 112:
		return STORE_ERR_CONFLICT;
	/* The server cannot serve now: network, shutdown, not primary. */
	case 6: case 7: case 89: case 91: case 189: case 10107: case 11600:
	case 11602: case 13435: case 13436:
		return STORE_ERR_UNAVAILABLE;
	default:
		return STORE_ERR_INTERNAL;
	}
}

/* store.h's code for a libmongoc error (error API version 2: every error
 * the server returned has domain MONGOC_ERROR_SERVER or WRITE_CONCERN). */
static int map_error(const bson_error_t *e)
{
	switch (e->domain) {
	case MONGOC_ERROR_SERVER:
	case MONGOC_ERROR_WRITE_CONCERN:
		return map_server_code(e->code, e->message);
	case MONGOC_ERROR_STREAM:
	case MONGOC_ERROR_SERVER_SELECTION:
	case MONGOC_ERROR_SASL:
	case MONGOC_ERROR_SCRAM:
		return STORE_ERR_UNAVAILABLE;
	case MONGOC_ERROR_CLIENT:
		if (e->code == MONGOC_ERROR_CLIENT_TOO_BIG)
			return STORE_ERR_BAD_VALUE;
		if (e->code == MONGOC_ERROR_CLIENT_AUTHENTICATE ||
		    e->code == MONGOC_ERROR_CLIENT_NOT_READY ||
		    e->code == MONGOC_ERROR_CLIENT_NO_ACCEPTABLE_PEER)
			return STORE_ERR_UNAVAILABLE;
		return STORE_ERR_INTERNAL;
	case MONGOC_ERROR_BSON:
		return STORE_ERR_BAD_VALUE;
	case MONGOC_ERROR_COMMAND:
		return e->code == MONGOC_ERROR_COMMAND_INVALID_ARG
			? STORE_ERR_BAD_VALUE : STORE_ERR_INTERNAL;
	default:
		return STORE_ERR_INTERNAL;
	}
}

/* Fills `err` from a libmongoc error of operation `what` on `coll` (may be
 * NULL). The message keeps the server's text, never the password. */
static void fail(const struct mongo_store *ms, store_error_t *err,
		 const bson_error_t *e, const char *what, const char *coll)
{
	int code = map_error(e);
	char msg[sizeof err->message];

	if (code == STORE_ERR_UNAVAILABLE)
		(void)buf_fmt(msg, sizeof msg, "MongoDB at %s unavailable (%s): %s",
			 ms->hosts, what, e->message);
	else
		(void)buf_fmt(msg, sizeof msg, "MongoDB %s %s%s%s: %s (code %u)", what,
			 ms->db, coll ? "." : "", coll ? coll : "", e->message,
			 e->code);
	mask_secrets(ms, msg, sizeof msg);
	store_error_set(err, code, "%s", msg);
}

/* ---- open, close, ping ---------------------------------------------------- */

static void hosts_string(const mongoc_uri_t *uri, char *out, size_t size)
{
	const mongoc_host_list_t *h = mongoc_uri_get_hosts(uri);
	size_t o = 0;

	out[0] = '\0';
	if (!h && mongoc_uri_get_srv_hostname(uri)) {
		snprintf(out, size, "%s (SRV)", mongoc_uri_get_srv_hostname(uri));
		return;
	}
	for (; h && o < size; h = h->next)
		o += (size_t)snprintf(out + o, size - o, "%s%s", o ? "," : "",
				      h->host_and_port);
}

static void set_default_ms(mongoc_uri_t *uri, const char *option, int32_t ms)
{
	if (!mongoc_uri_has_option(uri, option))
		mongoc_uri_set_option_as_int32(uri, option, ms);
}

static void mongo_close(store_t *st)
{
	struct mongo_store *ms = (struct mongo_store *)st;

	if (!ms)
		return;
	if (ms->pool)
		mongoc_client_pool_destroy(ms->pool);
	if (ms->uri)
		mongoc_uri_destroy(ms->uri);
	free(ms->db);
	free(ms);
}

static store_t *mongo_open(const char *uri_string, store_error_t *err)
{
	struct mongo_store *ms;
	bson_error_t e;
	char redacted[512], msg[sizeof err->message];
	const char *db;

	mongoc_init();
	mongoc_log_trace_disable();
	mongoc_log_set_handler(mongo_log, NULL);

	store_uri_redact(uri_string, redacted, sizeof redacted);
	ms = calloc(1, sizeof *ms);
	if (!ms) {
		store_error_set(err, STORE_ERR_INTERNAL, "out of memory");
		return NULL;
	}
	ms->base.ops = &store_mongo_ops;
	uri_secret(uri_string, ms->secret, sizeof ms->secret);
	snprintf(log_secret[0], sizeof log_secret[0], "%s", ms->secret);

	if (uri_has_two_at(uri_string)) {
		const char *scheme_end = strstr(uri_string, "://");
		const char *q = strchr(uri_string, '?');
		const char *last = uri_string;

		for (const char *p = uri_string; *p && (!q || p < q); p++)
			if (*p == '@')
				last = p;
		(void)buf_fmt(msg, sizeof msg, "invalid MongoDB URI %.*s://***%s: an '@' "
			 "in the user name or password must be written %%40",
			 scheme_end ? (int)(scheme_end - uri_string) : 0,
			 uri_string, last);
		goto bad;
	}
	ms->uri = mongoc_uri_new_with_error(uri_string, &e);
	if (!ms->uri) {
		(void)buf_fmt(msg, sizeof msg, "invalid MongoDB URI %s: %s", redacted,
			 e.message);
		goto bad;
	}
	set_default_ms(ms->uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS,
		       MONGO_SERVER_SELECTION_MS);
	set_default_ms(ms->uri, MONGOC_URI_CONNECTTIMEOUTMS,
		       MONGO_CONNECT_TIMEOUT_MS);
	set_default_ms(ms->uri, MONGOC_URI_SOCKETTIMEOUTMS,
		       MONGO_SOCKET_TIMEOUT_MS);
	if (!mongoc_uri_get_appname(ms->uri))
		mongoc_uri_set_appname(ms->uri, MONGO_APPNAME);
	if (mongoc_uri_get_password(ms->uri))
		snprintf(ms->secret_dec, sizeof ms->secret_dec, "%s",
			 mongoc_uri_get_password(ms->uri));
	snprintf(log_secret[1], sizeof log_secret[1], "%s", ms->secret_dec);
	hosts_string(ms->uri, ms->hosts, sizeof ms->hosts);
	db = mongoc_uri_get_database(ms->uri);
	ms->db = strdup(db && *db ? db : MONGO_DEFAULT_DB);
	if (!ms->db) {
		snprintf(msg, sizeof msg, "out of memory");
		goto bad;
	}

	ms->pool = mongoc_client_pool_new_with_error(ms->uri, &e);
	if (!ms->pool) {
		int code = map_error(&e);
		(void)buf_fmt(msg, sizeof msg, "MongoDB at %s (%s): %s", ms->hosts,
			 redacted, e.message);
		mask_secrets(ms, msg, sizeof msg);
		store_error_set(err, code == STORE_ERR_INTERNAL
				? STORE_ERR_BAD_VALUE : code, "%s", msg);
		mongo_close(&ms->base);
		return NULL;
	}
	mongoc_client_pool_set_error_api(ms->pool, MONGOC_ERROR_API_VERSION_2);
	return &ms->base;

bad:
	mask_secrets(ms, msg, sizeof msg);
	store_error_set(err, STORE_ERR_BAD_VALUE, "%s", msg);
	mongo_close(&ms->base);
	return NULL;
}

/* Pops a client (and gets `coll` when non-NULL) for one operation; give
 * them back with op_end(). */
static bool op_begin(struct mongo_store *ms, const char *coll, struct op *op,
		     store_error_t *err)
{
	op->ms = ms;
	op->coll = NULL;
	/* try_pop: a process that holds maxPoolSize cursors at once gets an
	 * error; pop would wait for another thread to push a client back, and
	 * a worker has no other thread. */
	op->client = mongoc_client_pool_try_pop(ms->pool);
	if (!op->client) {
		store_error_set(err, STORE_ERR_INTERNAL,
				"MongoDB at %s: every client of the pool is in use "
				"(too many open cursors?)", ms->hosts);
		return false;
	}
	if (coll)
		op->coll = mongoc_client_get_collection(op->client, ms->db, coll);
	return true;
}

static void op_end(struct op *op)
{
	if (op->coll)
		mongoc_collection_destroy(op->coll);
	if (op->client)
		mongoc_client_pool_push(op->ms->pool, op->client);
	op->coll = NULL;
	op->client = NULL;
}

static bool mongo_ping(store_t *st, store_error_t *err)
{
	struct mongo_store *ms = (struct mongo_store *)st;
	bson_t cmd = BSON_INITIALIZER;
	bson_error_t e;
	struct op op;
	bool ok;

	if (!op_begin(ms, NULL, &op, err))
		return false;
	BSON_APPEND_INT32(&cmd, "ping", 1);
	ok = mongoc_client_command_simple(op.client, ms->db, &cmd, NULL, NULL, &e);
	if (!ok)
		fail(ms, err, &e, "ping", NULL);
	bson_destroy(&cmd);
	op_end(&op);
	return ok;
}

/* ---- documents ------------------------------------------------------------ */

static int64_t reply_int64(const bson_t *reply, const char *key)
{
	bson_iter_t it;

	if (bson_iter_init_find(&it, reply, key) && BSON_ITER_HOLDS_NUMBER(&it))
		return bson_iter_as_int64(&it);
	return 0;
}

static bool mongo_insert_many(store_t *st, const char *coll,
			      const bson_t *const *docs, size_t n,
			      size_t *n_inserted, store_error_t *err)
{
	struct mongo_store *ms = (struct mongo_store *)st;
	bson_t opts = BSON_INITIALIZER, reply;
	bson_error_t e;
	struct op op;
	bool ok;

	*n_inserted = 0;
	if (n == 0)
		return true;
	if (!op_begin(ms, coll, &op, err))
		return false;
	BSON_APPEND_BOOL(&opts, "ordered", true);
	ok = mongoc_collection_insert_many(op.coll, (const bson_t **)docs, n,
					   &opts, &reply, &e);
	*n_inserted = (size_t)reply_int64(&reply, "insertedCount");
	if (!ok)
		fail(ms, err, &e, "insert", coll);
	bson_destroy(&reply);
	bson_destroy(&opts);
	op_end(&op);
	return ok;
}

static bool cursor_next(store_cursor_t *base, const bson_t **doc,
			store_error_t *err)
{
	struct mongo_cursor *cur = (struct mongo_cursor *)base;
	bson_error_t e;

	if (cur->first_pending) {
		cur->first_pending = false;
		*doc = cur->first;
		return true;
	}
	if (cur->done)
		return false;
	if (mongoc_cursor_next(cur->cursor, doc))
		return true;
	cur->done = true;
	if (mongoc_cursor_error(cur->cursor, &e))
		fail(cur->op.ms, err, &e, "find", NULL);
	return false;
}

static void cursor_destroy(store_cursor_t *base)
{
	struct mongo_cursor *cur = (struct mongo_cursor *)base;

	if (!cur)
		return;
	if (cur->cursor)
		mongoc_cursor_destroy(cur->cursor);
	op_end(&cur->op);
	free(cur);
}

static const struct store_cursor_ops mongo_cursor_ops = {
	.next = cursor_next,
	.destroy = cursor_destroy,
};

static store_cursor_t *mongo_find(store_t *st, const char *coll,
				  const bson_t *filter,
				  const store_find_opts_t *o, store_error_t *err)
{
	struct mongo_store *ms = (struct mongo_store *)st;
	struct mongo_cursor *cur;
	bson_t empty = BSON_INITIALIZER, opts = BSON_INITIALIZER;
	bson_error_t e;

	cur = calloc(1, sizeof *cur);
	if (!cur) {
		store_error_set(err, STORE_ERR_INTERNAL, "out of memory");
		return NULL;
	}
	cur->base.ops = &mongo_cursor_ops;
	if (!op_begin(ms, coll, &cur->op, err)) {
		free(cur);
		return NULL;
	}
	if (o->sort && !bson_empty(o->sort))
		BSON_APPEND_DOCUMENT(&opts, "sort", o->sort);
	if (o->projection && !bson_empty(o->projection))
		BSON_APPEND_DOCUMENT(&opts, "projection", o->projection);
	if (o->skip > 0)
		BSON_APPEND_INT64(&opts, "skip", o->skip);
	if (o->limit > 0)
		BSON_APPEND_INT64(&opts, "limit", o->limit);
	cur->cursor = mongoc_collection_find_with_opts(
		cur->op.coll, filter ? filter : &empty, &opts, NULL);
	bson_destroy(&opts);
	bson_destroy(&empty);

	/* The first batch now, so that a bad query or a down server is
	 * reported by store_find() itself. */
	if (mongoc_cursor_next(cur->cursor, &cur->first)) {
		cur->first_pending = true;
	} else {
		cur->done = true;
		if (mongoc_cursor_error(cur->cursor, &e)) {
			fail(ms, err, &e, "find", coll);
			cursor_destroy(&cur->base);
			return NULL;
		}
	}
	return &cur->base;
}

static bool mongo_update(store_t *st, const char *coll, const bson_t *filter,
			 const bson_t *update, bool many, bool upsert,
			 store_update_result_t *res, store_error_t *err)
{
	struct mongo_store *ms = (struct mongo_store *)st;
	bson_t empty = BSON_INITIALIZER, opts = BSON_INITIALIZER, reply;
	bson_error_t e;
	bson_iter_t it;
	struct op op;
	bool ok;

	if (!op_begin(ms, coll, &op, err))
		return false;
	if (upsert)
		BSON_APPEND_BOOL(&opts, "upsert", true);
	ok = (many ? mongoc_collection_update_many : mongoc_collection_update_one)(
		op.coll, filter ? filter : &empty, update, &opts, &reply, &e);
	if (ok) {
		res->matched = reply_int64(&reply, "matchedCount");
		res->modified = reply_int64(&reply, "modifiedCount");
		if (bson_iter_init_find(&it, &reply, "upsertedId")) {
			res->upserted = true;
			bson_value_copy(bson_iter_value(&it), &res->upserted_id);
		}
	} else {
		fail(ms, err, &e, "update", coll);
	}
	bson_destroy(&reply);
	bson_destroy(&opts);
	bson_destroy(&empty);
	op_end(&op);
	return ok;
}

/* The projection is applied here, with store/query.c's rules (the ones
 * store.c validated it with), rather than sent as findAndModify's
 * `fields`: the same result on every server, including MongoDB-compatible
 * ones that do not implement `fields` (FerretDB, docs/mongodb.md). */
static bool mongo_find_one_and_update(store_t *st, const char *coll,
				      const bson_t *filter, const bson_t *update,
				      const store_fam_opts_t *o, bson_t *out,
				      bool *found, store_error_t *err)
{
	struct mongo_store *ms = (struct mongo_store *)st;
	mongoc_find_and_modify_opts_t *fam;
	squery_projection_t *proj = NULL;
	bson_t empty = BSON_INITIALIZER, reply;
	bson_error_t e;
	bson_iter_t it;
	int flags = MONGOC_FIND_AND_MODIFY_NONE;
	struct op op;
	bool ok;

	if (o->projection && !bson_empty(o->projection)) {
		proj = squery_projection_new(o->projection, err);
		if (!proj)
			return false;
	}
	if (!op_begin(ms, coll, &op, err)) {
		squery_projection_destroy(proj);
		return false;
	}
	fam = mongoc_find_and_modify_opts_new();
	if (o->sort && !bson_empty(o->sort))
		mongoc_find_and_modify_opts_set_sort(fam, o->sort);
	mongoc_find_and_modify_opts_set_update(fam, update);
	if (o->upsert)
		flags |= MONGOC_FIND_AND_MODIFY_UPSERT;
	if (o->return_new)
		flags |= MONGOC_FIND_AND_MODIFY_RETURN_NEW;
	mongoc_find_and_modify_opts_set_flags(fam, (mongoc_find_and_modify_flags_t)flags);

	ok = mongoc_collection_find_and_modify_with_opts(
		op.coll, filter ? filter : &empty, fam, &reply, &e);
	if (ok) {
		/* "value": the document, or null when none matched (or, with
		 * upsert and !return_new, when one was inserted). */
		*found = false;
		if (bson_iter_init_find(&it, &reply, "value") &&
		    BSON_ITER_HOLDS_DOCUMENT(&it)) {
			const uint8_t *data;
			uint32_t len;
			bson_t value;

			bson_iter_document(&it, &len, &data);
			if (bson_init_static(&value, data, len)) {
				squery_project(proj, &value, out);
				*found = true;
			}
		}
		if (!*found)
			bson_init(out);
	} else {
		fail(ms, err, &e, "findAndModify", coll);
	}
	bson_destroy(&reply);
	bson_destroy(&empty);
	mongoc_find_and_modify_opts_destroy(fam);
	squery_projection_destroy(proj);
	op_end(&op);
	return ok;
}

static bool mongo_delete(store_t *st, const char *coll, const bson_t *filter,
			 bool many, int64_t *deleted, store_error_t *err)
{
	struct mongo_store *ms = (struct mongo_store *)st;
	bson_t empty = BSON_INITIALIZER, reply;
	bson_error_t e;
	struct op op;
	bool ok;

	if (!op_begin(ms, coll, &op, err))
		return false;
	ok = (many ? mongoc_collection_delete_many : mongoc_collection_delete_one)(
		op.coll, filter ? filter : &empty, NULL, &reply, &e);
	if (ok)
		*deleted = reply_int64(&reply, "deletedCount");
	else
		fail(ms, err, &e, "delete", coll);
	bson_destroy(&reply);
	bson_destroy(&empty);
	op_end(&op);
	return ok;
}

static bool mongo_count(store_t *st, const char *coll, const bson_t *filter,
			int64_t *count, store_error_t *err)
{
	struct mongo_store *ms = (struct mongo_store *)st;
	bson_t empty = BSON_INITIALIZER;
	bson_error_t e;
	struct op op;

	if (!op_begin(ms, coll, &op, err))
		return false;
	*count = mongoc_collection_count_documents(op.coll, filter ? filter : &empty,
						   NULL, NULL, NULL, &e);
	if (*count < 0)
		fail(ms, err, &e, "count", coll);
	bson_destroy(&empty);
	op_end(&op);
	return *count >= 0;
}

/* ---- collections and indexes ---------------------------------------------- */

static bool mongo_create_index(store_t *st, const char *coll,
			       const store_index_t *index, store_error_t *err)
{
	struct mongo_store *ms = (struct mongo_store *)st;
	bson_t cmd = BSON_INITIALIZER, indexes, spec;
	bson_error_t e;
	struct op op;
	bool ok;

	if (!op_begin(ms, NULL, &op, err))
		return false;
	BSON_APPEND_UTF8(&cmd, "createIndexes", coll);
	BSON_APPEND_ARRAY_BEGIN(&cmd, "indexes", &indexes);
	BSON_APPEND_DOCUMENT_BEGIN(&indexes, "0", &spec);
	BSON_APPEND_DOCUMENT(&spec, "key", index->keys);
	BSON_APPEND_UTF8(&spec, "name", index->name);
	if (index->unique)
		BSON_APPEND_BOOL(&spec, "unique", true);
	if (index->expire_after_seconds >= 0)
		BSON_APPEND_INT32(&spec, "expireAfterSeconds",
				  (int32_t)index->expire_after_seconds);
	bson_append_document_end(&indexes, &spec);
	bson_append_array_end(&cmd, &indexes);

	ok = mongoc_client_write_command_with_opts(op.client, ms->db, &cmd, NULL,
						   NULL, &e);
	if (!ok)
		fail(ms, err, &e, "createIndexes", coll);
	bson_destroy(&cmd);
	op_end(&op);
	return ok;
}

static bool index_is_id(const bson_t *spec)
{
	bson_iter_t it;

	return bson_iter_init_find(&it, spec, "name") && BSON_ITER_HOLDS_UTF8(&it) &&
	       strcmp(bson_iter_utf8(&it, NULL), "_id_") == 0;
}

static void append_indexed(bson_t *array, uint32_t *i, const bson_t *doc)
{
	char key[16];
	const char *k;

	bson_uint32_to_string((*i)++, &k, key, sizeof key);
	bson_append_document(array, k, -1, doc);
}

static bool mongo_list_indexes(store_t *st, const char *coll, bson_t *out,
			       store_error_t *err)
{
	struct mongo_store *ms = (struct mongo_store *)st;
	mongoc_cursor_t *cursor;
	bson_t *id_spec = NULL, rest = BSON_INITIALIZER;
	uint32_t n_rest = 0;
	const bson_t *doc;
	bson_error_t e;
	struct op op;
	bool ok = true;

	if (!op_begin(ms, coll, &op, err)) {
		bson_destroy(&rest);
		return false;
	}
	/* `_id_` first, the others in the server's order. */
	cursor = mongoc_collection_find_indexes_with_opts(op.coll, NULL);
	while (mongoc_cursor_next(cursor, &doc)) {
		if (!id_spec && index_is_id(doc))
			id_spec = bson_copy(doc);
		else
			append_indexed(&rest, &n_rest, doc);
	}
	if (mongoc_cursor_error(cursor, &e)) {
		fail(ms, err, &e, "listIndexes", coll);
		ok = false;
	} else if (!id_spec && n_rest == 0) {
		/* libmongoc answers "no such collection" with an empty cursor;
		 * every collection that exists has its _id_ index. */
		store_error_set(err, STORE_ERR_NOT_FOUND,
				"MongoDB listIndexes %s.%s: ns does not exist",
				ms->db, coll);
		ok = false;
	}
	if (ok) {
		uint32_t i = 0;
		bson_iter_t it;

		bson_init(out);
		if (id_spec)
			append_indexed(out, &i, id_spec);
		if (bson_iter_init(&it, &rest)) {
			while (bson_iter_next(&it)) {
				const uint8_t *data;
				uint32_t len;
				bson_t spec;

				bson_iter_document(&it, &len, &data);
				if (bson_init_static(&spec, data, len))
					append_indexed(out, &i, &spec);
			}
		}
	}
	if (id_spec)
		bson_destroy(id_spec);
	bson_destroy(&rest);
	mongoc_cursor_destroy(cursor);
	op_end(&op);
	return ok;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool mongo_list_collections(store_t *st, char ***names, size_t *n,
				   store_error_t *err)
{
	struct mongo_store *ms = (struct mongo_store *)st;
	mongoc_database_t *db;
	bson_error_t e;
	char **all, **list = NULL;
	size_t count = 0, k = 0;
	struct op op;
	bool ok;

	*names = NULL;
	*n = 0;
	if (!op_begin(ms, NULL, &op, err))
		return false;
	db = mongoc_client_get_database(op.client, ms->db);
	all = mongoc_database_get_collection_names_with_opts(db, NULL, &e);
	ok = all != NULL;
	if (!ok) {
		fail(ms, err, &e, "listCollections", NULL);
		goto done;
	}
	while (all[count])
		count++;
	list = calloc(count + 1, sizeof *list);
	if (!list) {
		store_error_set(err, STORE_ERR_INTERNAL, "out of memory");
		ok = false;
		goto done;
	}
	for (size_t i = 0; i < count; i++) {
		if (strncmp(all[i], "system.", 7) == 0)
			continue;
		list[k] = strdup(all[i]);
		if (!list[k]) {
			store_error_set(err, STORE_ERR_INTERNAL, "out of memory");
			ok = false;
			goto done;
		}
		k++;
	}
	qsort(list, k, sizeof *list, name_cmp);
	*names = list;
	*n = k;
	list = NULL;
done:
	if (list) {
		for (size_t i = 0; i < k; i++)
			free(list[i]);
		free(list);
	}
	bson_strfreev(all);
	mongoc_database_destroy(db);
	op_end(&op);
	return ok;
}

static bool mongo_drop(store_t *st, const char *coll, store_error_t *err)
{
	struct mongo_store *ms = (struct mongo_store *)st;
	bson_error_t e;
	struct op op;
	bool ok;

	if (!op_begin(ms, coll, &op, err))
		return false;
	ok = mongoc_collection_drop_with_opts(op.coll, NULL, &e);
	/* Dropping a collection that does not exist succeeds. */
	if (!ok && map_error(&e) == STORE_ERR_NOT_FOUND)
		ok = true;
	else if (!ok)
		fail(ms, err, &e, "drop", coll);
	op_end(&op);
	return ok;
}

/* MongoDB's TTL monitor removes expired documents by itself. */
static bool mongo_expire_ttl(store_t *st, store_error_t *err)
{
	return true;
}

const struct store_ops store_mongo_ops = {
	.name = "mongodb",
	.open = mongo_open,
	.close = mongo_close,
	.ping = mongo_ping,
	.insert_many = mongo_insert_many,
	.find = mongo_find,
	.update = mongo_update,
	.find_one_and_update = mongo_find_one_and_update,
	.delete = mongo_delete,
	.count = mongo_count,
	.create_index = mongo_create_index,
	.list_indexes = mongo_list_indexes,
	.list_collections = mongo_list_collections,
	.drop = mongo_drop,
	.expire_ttl = mongo_expire_ttl,
};
