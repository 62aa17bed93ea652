/*
 * outbox.c — claims due mails one at a time and delivers them. See outbox.h.
 *
 * Every claim carries a random claimToken; the update that records the
 * outcome matches on it, so a sender whose claim expired and was taken
 * over (it stalled for longer than the lock) cannot overwrite the new
 * owner's result. attempts is counted when a mail is claimed, so a mail
 * that kills its sender every time still ends up `failed`.
 */
#include "mail/outbox.h"
#include "core/config.h"
#include "core/crypto.h"
#include "core/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <openssl/evp.h>
#include <string.h>
#include <time.h>

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool opt_int(const char *key, int def, int min, int max, int *out,
		    char *errbuf, size_t errlen)
{
	const char *v = cfg_get(key, NULL);
	char *end;
	long n;

	*out = def;
	if (!v || !*v)
		return true;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || n < min || n > max) {
		snprintf(errbuf, errlen, "%s=%.32s: expected a number from %d to %d",
			 key, v, min, max);
		return false;
	}
	*out = (int)n;
	return true;
}

bool outbox_opts_load(struct outbox_opts *o, char *errbuf, size_t errlen)
{
	o->resolve = NULL;
	return opt_int("CWC_MAIL_BACKOFF_SECONDS", 30, 1, OUTBOX_BACKOFF_CAP_SECONDS,
		       &o->backoff_seconds, errbuf, errlen) &&
	       opt_int("CWC_MAIL_MAX_ATTEMPTS", 8, 1, 100, &o->max_attempts,
		       errbuf, errlen) &&
	       opt_int("CWC_MAIL_LOCK_SECONDS", 120, 1, 86400, &o->lock_seconds,
		       errbuf, errlen);
}

int64_t outbox_backoff_seconds(int attempts, int base)
{
	int64_t d = base < 1 ? 1 : base;

	for (int i = 1; i < attempts && d < OUTBOX_BACKOFF_CAP_SECONDS; i++)
		d *= 2;
	return d < OUTBOX_BACKOFF_CAP_SECONDS ? d : OUTBOX_BACKOFF_CAP_SECONDS;
}

bool outbox_ensure_indexes(store_t *st, store_error_t *err)
{
	bson_t keys = BSON_INITIALIZER;
	store_index_t ix = { .keys = &keys, .expire_after_seconds = -1 };
	bool ok;

	BSON_APPEND_INT32(&keys, "status", 1);
	BSON_APPEND_INT32(&keys, "nextAttemptAt", 1);
	ok = store_create_index(st, OUTBOX_COLLECTION, &ix, err);
	bson_destroy(&keys);
	return ok;
}

/* ---- reading a claimed document ----------------------------------------- */

static const char *doc_str(const bson_t *doc, const char *key)
{
	bson_iter_t it;

	if (bson_iter_init_find(&it, doc, key) && BSON_ITER_HOLDS_UTF8(&it))
		return bson_iter_utf8(&it, NULL);
	return NULL;
}

static int64_t doc_int(const bson_t *doc, const char *key, int64_t def)
{
	bson_iter_t it;

	if (bson_iter_init_find(&it, doc, key) &&
	    (BSON_ITER_HOLDS_INT32(&it) || BSON_ITER_HOLDS_INT64(&it) ||
	     BSON_ITER_HOLDS_DOUBLE(&it)))
		return bson_iter_as_int64(&it);
	return def;
}

static int64_t doc_date(const bson_t *doc, const char *key, int64_t def)
{
	bson_iter_t it;

	if (bson_iter_init_find(&it, doc, key) && BSON_ITER_HOLDS_DATE_TIME(&it))
		return bson_iter_date_time(&it);
	return def;
}

/* The _id as text fit for a file name and a Message-ID. */
static bool doc_id(const bson_t *doc, char *out, size_t len)
{
	bson_iter_t it;

	if (!bson_iter_init_find(&it, doc, "_id"))
		return false;
	if (BSON_ITER_HOLDS_OID(&it) && len >= 25) {
		bson_oid_to_string(bson_iter_oid(&it), out);
		return true;
	}
	if (BSON_ITER_HOLDS_UTF8(&it)) {
		size_t n = 0;
		for (const char *p = bson_iter_utf8(&it, NULL); *p && n + 1 < len; p++)
			out[n++] = (strchr("-_", *p) || (*p >= '0' && *p <= '9') ||
				    (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
				   ? *p : '_';
		out[n] = '\0';
		return n > 0;
	}
	return false;
}

/* "m***@example.com": enough to follow a mail in the log, no more. */
static void mask_address(const char *to, char *out, size_t len)
{
	const char *at = to ? strchr(to, '@') : NULL;

	if (!at || at == to)
		snprintf(out, len, "(invalid)");
	else
		snprintf(out, len, "%c***%s", to[0], at);
}

/* ---- one mail ------------------------------------------------------------- */

static bool claim(store_t *st, const struct outbox_opts *o, const char *token,
		  bson_t *out, bool *found, store_error_t *err)
{
	int64_t now = now_ms();
	bson_t filter = BSON_INITIALIZER, update = BSON_INITIALIZER, sort = BSON_INITIALIZER;
	bson_t or, a, b, lte, set, inc;
	store_fam_opts_t fo = { .sort = &sort, .return_new = true };
	bool ok;

	BSON_APPEND_ARRAY_BEGIN(&filter, "$or", &or);
	BSON_APPEND_DOCUMENT_BEGIN(&or, "0", &a);
	BSON_APPEND_UTF8(&a, "status", "pending");
	BSON_APPEND_DOCUMENT_BEGIN(&a, "nextAttemptAt", &lte);
	BSON_APPEND_DATE_TIME(&lte, "$lte", now);
	bson_append_document_end(&a, &lte);
	bson_append_document_end(&or, &a);
	BSON_APPEND_DOCUMENT_BEGIN(&or, "1", &b);
	BSON_APPEND_UTF8(&b, "status", "sending");
	BSON_APPEND_DOCUMENT_BEGIN(&b, "lockedUntil", &lte);
	BSON_APPEND_DATE_TIME(&lte, "$lte", now);
	bson_append_document_end(&b, &lte);
	bson_append_document_end(&or, &b);
	bson_append_array_end(&filter, &or);

	BSON_APPEND_DOCUMENT_BEGIN(&update, "$set", &set);
	BSON_APPEND_UTF8(&set, "status", "sending");
	BSON_APPEND_DATE_TIME(&set, "lockedUntil", now + (int64_t)o->lock_seconds * 1000);
	BSON_APPEND_UTF8(&set, "claimToken", token);
	BSON_APPEND_DATE_TIME(&set, "updatedAt", now);
	bson_append_document_end(&update, &set);
	BSON_APPEND_DOCUMENT_BEGIN(&update, "$inc", &inc);
	BSON_APPEND_INT32(&inc, "attempts", 1);
	bson_append_document_end(&update, &inc);

	BSON_APPEND_INT32(&sort, "nextAttemptAt", 1);

	ok = store_find_one_and_update(st, OUTBOX_COLLECTION, &filter, &update,
				       &fo, out, found, err);
	bson_destroy(&filter);
	bson_destroy(&update);
	bson_destroy(&sort);
	return ok;
}

/* Records the outcome, if the claim is still ours. `status` is "sent",
 * "pending" or "failed". */
static bool finish(store_t *st, const bson_value_t *id, const char *token,
		   const char *status, const struct mail_result *res,
		   int64_t next_attempt, bool *lost, store_error_t *err)
{
	int64_t now = now_ms();
	bson_t filter = BSON_INITIALIZER, update = BSON_INITIALIZER, set, unset;
	store_update_result_t ur = { 0 };
	bool ok;

	BSON_APPEND_VALUE(&filter, "_id", id);
	BSON_APPEND_UTF8(&filter, "status", "sending");
	BSON_APPEND_UTF8(&filter, "claimToken", token);

	BSON_APPEND_DOCUMENT_BEGIN(&update, "$set", &set);
	BSON_APPEND_UTF8(&set, "status", status);
	BSON_APPEND_DATE_TIME(&set, "updatedAt", now);
	if (strcmp(status, "sent") == 0) {
		BSON_APPEND_DATE_TIME(&set, "sentAt", now);
		if (res->provider_id[0])
			BSON_APPEND_UTF8(&set, "providerId", res->provider_id);
	} else {
		BSON_APPEND_UTF8(&set, "lastError", res->error);
		if (strcmp(status, "pending") == 0)
			BSON_APPEND_DATE_TIME(&set, "nextAttemptAt", next_attempt);
		else
			BSON_APPEND_DATE_TIME(&set, "failedAt", now);
	}
	bson_append_document_end(&update, &set);
	BSON_APPEND_DOCUMENT_BEGIN(&update, "$unset", &unset);
	BSON_APPEND_UTF8(&unset, "lockedUntil", "");
	BSON_APPEND_UTF8(&unset, "claimToken", "");
	bson_append_document_end(&update, &unset);

	ok = store_update_one(st, OUTBOX_COLLECTION, &filter, &update, false, &ur, err);
	*lost = ok && ur.matched == 0;
	bson_destroy(&filter);
	bson_destroy(&update);
	return ok;
}

/* The optional `headers` subdocument as an array; NULL when there is none.
 * Values that are not strings are left out. Caller frees. */
static struct mail_header *doc_headers(const bson_t *doc, size_t *n)
{
	bson_iter_t it, sub;
	struct mail_header *h = NULL;
	size_t cap = 0;

	*n = 0;
	if (!bson_iter_init_find(&it, doc, "headers") ||
	    !BSON_ITER_HOLDS_DOCUMENT(&it) || !bson_iter_recurse(&it, &sub))
		return NULL;
	while (bson_iter_next(&sub)) {
		if (!BSON_ITER_HOLDS_UTF8(&sub))
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 4;
			h = realloc(h, cap * sizeof *h);
			if (!h)
				abort();
		}
		h[*n].name = bson_iter_key(&sub);
		h[*n].value = bson_iter_utf8(&sub, NULL);
		(*n)++;
	}
	return h;
}

/* The optional `attachments` array: {filename, contentType, content}
 * with content raw binary (as mail_enqueue_with() writes it) or a base64
 * string. Binary content points into `doc`; decoded base64 goes to
 * `*decoded` (one buffer per attachment, freed with attachments_free()).
 * An element that is not usable is kept with len 0, so the transport
 * rejects the mail instead of sending it without its file. */
static struct mail_attachment *doc_attachments(const bson_t *doc, size_t *n,
					       unsigned char ***decoded)
{
	bson_iter_t it, arr, one;
	struct mail_attachment *a = NULL;
	size_t cap = 0;

	*n = 0;
	*decoded = NULL;
	if (!bson_iter_init_find(&it, doc, "attachments") ||
	    !BSON_ITER_HOLDS_ARRAY(&it) || !bson_iter_recurse(&it, &arr))
		return NULL;
	while (bson_iter_next(&arr)) {
		struct mail_attachment x = { 0 };
		unsigned char *dec = NULL;
		if (BSON_ITER_HOLDS_DOCUMENT(&arr) && bson_iter_recurse(&arr, &one)) {
			while (bson_iter_next(&one)) {
				const char *k = bson_iter_key(&one);
				if (!strcmp(k, "filename") && BSON_ITER_HOLDS_UTF8(&one)) {
					x.filename = bson_iter_utf8(&one, NULL);
				} else if (!strcmp(k, "contentType") && BSON_ITER_HOLDS_UTF8(&one)) {
					x.content_type = bson_iter_utf8(&one, NULL);
				} else if (!strcmp(k, "content") && BSON_ITER_HOLDS_BINARY(&one)) {
					bson_subtype_t sub;
					uint32_t len;
					bson_iter_binary(&one, &sub, &len, &x.data);
					x.len = len;
				} else if (!strcmp(k, "content") && BSON_ITER_HOLDS_UTF8(&one)) {
					uint32_t len;
					const char *b64 = bson_iter_utf8(&one, &len);
					int got;
					free(dec);
					dec = malloc(3 * (len / 4) + 3);
					if (!dec)
						abort();
					got = len % 4 ? -1 : EVP_DecodeBlock(dec, (const unsigned char *)b64,
									    (int)len);
					if (got > 0) {   /* EVP_DecodeBlock counts the padding */
						got -= (len >= 1 && b64[len - 1] == '=') +
						       (len >= 2 && b64[len - 2] == '=');
						x.data = dec;
						x.len = (size_t)got;
					}
				}
			}
		}
		if (*n == cap) {
			cap = cap ? 2 * cap : 2;
			a = realloc(a, cap * sizeof *a);
			*decoded = realloc(*decoded, cap * sizeof **decoded);
			if (!a || !*decoded)
				abort();
		}
		(*decoded)[*n] = dec;
		a[(*n)++] = x;
	}
	return a;
}

static void attachments_free(struct mail_attachment *a, unsigned char **decoded, size_t n)
{
	for (size_t i = 0; decoded && i < n; i++)
		free(decoded[i]);
	free(decoded);
	free(a);
}

/* A request resolved: its mail is written into the document (if the claim
 * is still ours), so a retry sends the same mail and the same link. */
static bool store_resolved(store_t *st, const bson_value_t *id, const char *token,
			   const struct mail_rendered *r, bool *lost,
			   store_error_t *err)
{
	bson_t filter = BSON_INITIALIZER, update = BSON_INITIALIZER, set, unset;
	store_update_result_t ur = { 0 };
	bool ok;

	BSON_APPEND_VALUE(&filter, "_id", id);
	BSON_APPEND_UTF8(&filter, "claimToken", token);
	BSON_APPEND_DOCUMENT_BEGIN(&update, "$set", &set);
	BSON_APPEND_UTF8(&set, "subject", r->subject);
	BSON_APPEND_UTF8(&set, "html", r->html);
	BSON_APPEND_UTF8(&set, "text", r->text);
	BSON_APPEND_DATE_TIME(&set, "updatedAt", now_ms());
	bson_append_document_end(&update, &set);
	BSON_APPEND_DOCUMENT_BEGIN(&update, "$unset", &unset);
	BSON_APPEND_UTF8(&unset, "request", "");
	bson_append_document_end(&update, &unset);
	ok = store_update_one(st, OUTBOX_COLLECTION, &filter, &update, false, &ur, err);
	*lost = ok && ur.matched == 0;
	bson_destroy(&filter);
	bson_destroy(&update);
	return ok;
}

/* A request with nothing to send: gone (if the claim is still ours). */
static bool drop_request(store_t *st, const bson_value_t *id, const char *token,
			 store_error_t *err)
{
	bson_t filter = BSON_INITIALIZER;
	bool ok;

	BSON_APPEND_VALUE(&filter, "_id", id);
	BSON_APPEND_UTF8(&filter, "claimToken", token);
	ok = store_delete_one(st, OUTBOX_COLLECTION, &filter, NULL, err);
	bson_destroy(&filter);
	return ok;
}

static bool doc_is_request(const bson_t *doc)
{
	bson_iter_t it;

	return bson_iter_init_find(&it, doc, "request") && BSON_ITER_HOLDS_BOOL(&it) &&
	       bson_iter_bool(&it);
}

int outbox_deliver_one(store_t *st, mail_transport_t *t,
		       const struct outbox_opts *o, struct outbox_stats *stats,
		       store_error_t *err)
{
	char token[17], id[64], masked[128];
	bson_t doc;
	bson_iter_t it;
	bson_value_t idv;
	bool found = false, lost = false, unresolved = false;
	struct mail_result res = { 0 };
	struct mail_message m = { 0 };
	struct mail_header *headers = NULL;
	struct mail_attachment *atts = NULL;
	unsigned char **decoded = NULL;
	struct mail_rendered rendered = { 0 };
	const char *status, *template_name;
	int64_t attempts, next = 0;
	int rc = -1;

	if (!crypto_random_hex(token, 8)) {
		if (err)
			snprintf(err->message, sizeof err->message, "no randomness for a claim");
		return -1;
	}
	if (!claim(st, o, token, &doc, &found, err))
		return -1;
	if (!found) {
		bson_destroy(&doc);
		return 0;
	}
	if (!bson_iter_init_find(&it, &doc, "_id")) {
		log_error("an outbox document without _id was claimed");
		bson_destroy(&doc);
		return -1;
	}
	bson_value_copy(bson_iter_value(&it), &idv);
	if (!doc_id(&doc, id, sizeof id))
		snprintf(id, sizeof id, "unknown");

	attempts = doc_int(&doc, "attempts", 1);
	template_name = doc_str(&doc, "template");
	m.id = id;
	m.from = doc_str(&doc, "from");
	m.to = doc_str(&doc, "to");
	m.subject = doc_str(&doc, "subject");
	m.html = doc_str(&doc, "html");
	m.text = doc_str(&doc, "text");
	m.date_ms = doc_date(&doc, "createdAt", now_ms());
	headers = doc_headers(&doc, &m.nheaders);
	m.headers = headers;
	atts = doc_attachments(&doc, &m.nattachments, &decoded);
	m.attachments = atts;
	mask_address(m.to, masked, sizeof masked);
	if (!template_name)
		template_name = "-";

	if (attempts <= o->max_attempts && doc_is_request(&doc) && m.to) {
		int r = o->resolve ? o->resolve(st, template_name, m.to, &rendered,
						 res.error, sizeof res.error)
				   : -1;
		if (!o->resolve)
			snprintf(res.error, sizeof res.error, "this sender cannot "
				 "resolve mail requests");
		if (r == 0) {
			if (!drop_request(st, &idv, token, err))
				goto done;
			stats->dropped++;
			log_info("mail %s (%s) to %s: nothing to send, request dropped",
				 id, template_name, masked);
			rc = 1;
			goto done;
		}
		if (r > 0) {
			if (!store_resolved(st, &idv, token, &rendered, &lost, err))
				goto done;
			if (lost) {
				rc = 1;
				log_warn("mail %s (%s): the claim expired while resolving; "
					 "left to the sender that took it over", id,
					 template_name);
				goto done;
			}
			m.subject = rendered.subject;
			m.html = rendered.html;
			m.text = rendered.text;
		} else {
			unresolved = true;   /* retried like a failed delivery */
			res.outcome = MAIL_RETRY;
		}
	}
	if (unresolved) {
		/* res says why */
	} else if (attempts > o->max_attempts) {
		/* only a mail whose deliveries were cut short (the sender died
		 * holding it) gets here: pending mails never exceed the limit */
		snprintf(res.error, sizeof res.error, "gave up: %lld deliveries "
			 "were interrupted", (long long)(attempts - 1));
		res.outcome = MAIL_REJECTED;
	} else if (!m.from || !m.to || !m.subject || (!m.html && !m.text)) {
		snprintf(res.error, sizeof res.error, "malformed outbox document "
			 "(from, to, subject and html or text are required)");
		res.outcome = MAIL_REJECTED;
	} else {
		mail_transport_send(t, &m, &res);
	}

	if (res.outcome == MAIL_SENT) {
		status = "sent";
	} else if (res.outcome == MAIL_RETRY && attempts < o->max_attempts) {
		int64_t wait = outbox_backoff_seconds((int)attempts, o->backoff_seconds);
		if (res.retry_after > wait)
			wait = res.retry_after < OUTBOX_BACKOFF_CAP_SECONDS
			       ? res.retry_after : OUTBOX_BACKOFF_CAP_SECONDS;
		next = now_ms() + wait * 1000;
		status = "pending";
	} else {
		status = "failed";    /* rejected, or out of attempts */
	}
	if (!finish(st, &idv, token, status, &res, next, &lost, err))
		goto done;
	rc = 1;
	if (lost) {
		log_warn("mail %s (%s): the claim expired during delivery and another "
			 "sender took it over; outcome %s not recorded", id,
			 template_name, status);
		goto done;
	}
	if (strcmp(status, "sent") == 0) {
		stats->sent++;
		log_info("mail %s (%s) to %s sent via %s, attempt %lld, id %s", id,
			 template_name, masked, mail_transport_name(t),
			 (long long)attempts, res.provider_id[0] ? res.provider_id : "-");
	} else if (strcmp(status, "pending") == 0) {
		stats->retried++;
		log_warn("mail %s (%s) to %s: attempt %lld failed, next in %llds: %s",
			 id, template_name, masked, (long long)attempts,
			 (long long)((next - now_ms() + 500) / 1000), res.error);
	} else {
		stats->failed++;
		log_error("mail %s (%s) to %s failed for good after %lld attempt%s: %s",
			  id, template_name, masked, (long long)attempts,
			  attempts > 1 ? "s" : "", res.error);
	}
done:
	mail_rendered_free(&rendered);
	free(headers);
	attachments_free(atts, decoded, m.nattachments);
	bson_value_destroy(&idv);
	bson_destroy(&doc);
	return rc;
}

bool outbox_run(store_t *st, mail_transport_t *t, const struct outbox_opts *o,
		volatile sig_atomic_t *stop, struct outbox_stats *stats,
		store_error_t *err)
{
	while (!stop || !*stop) {
		int r = outbox_deliver_one(st, t, o, stats, err);
		if (r < 0)
			return false;
		if (r == 0)
			break;
	}
	return true;
}

bool outbox_requeue_failed(store_t *st, const char *id_hex, int64_t *n,
			   store_error_t *err)
{
	bson_t filter = BSON_INITIALIZER, update = BSON_INITIALIZER, set, unset;
	store_update_result_t ur = { 0 };
	int64_t now = now_ms();
	bool ok;

	*n = 0;
	if (id_hex) {
		bson_oid_t oid;
		if (!bson_oid_is_valid(id_hex, strlen(id_hex))) {
			if (err) {
				err->code = STORE_ERR_BAD_VALUE;
				snprintf(err->message, sizeof err->message,
					 "\"%.40s\" is not an outbox id", id_hex);
			}
			bson_destroy(&filter);
			bson_destroy(&update);
			return false;
		}
		bson_oid_init_from_string(&oid, id_hex);
		BSON_APPEND_OID(&filter, "_id", &oid);
	}
	BSON_APPEND_UTF8(&filter, "status", "failed");
	BSON_APPEND_DOCUMENT_BEGIN(&update, "$set", &set);
	BSON_APPEND_UTF8(&set, "status", "pending");
	BSON_APPEND_INT32(&set, "attempts", 0);
	BSON_APPEND_DATE_TIME(&set, "nextAttemptAt", now);
	BSON_APPEND_DATE_TIME(&set, "updatedAt", now);
	bson_append_document_end(&update, &set);
	BSON_APPEND_DOCUMENT_BEGIN(&update, "$unset", &unset);
	BSON_APPEND_UTF8(&unset, "failedAt", "");
	bson_append_document_end(&update, &unset);
	ok = store_update_many(st, OUTBOX_COLLECTION, &filter, &update, false, &ur, err);
	if (ok)
		*n = ur.modified;
	bson_destroy(&filter);
	bson_destroy(&update);
	return ok;
}
