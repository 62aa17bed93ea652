/*
 * mail.c — mail_enqueue(): render a template and queue it. See mail.h.
 *
 * Nothing is sent here: the request that causes a mail only writes one
 * `outbox` document (fast, and it survives a provider outage); the sender
 * (outbox.c, run by `bin/cwc-cron outbox`) delivers it. docs/mail.md
 * describes the document.
 */
#include "mail/mail.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/log.h"
#include "mail/templates.h"
#include "mail/transport.h"
#include "mail/outbox.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Inserts the outbox document; `r` NULL for a request (see mail.h). */
static bool insert(store_t *st, const char *template_name, const char *to,
		   const struct mail_rendered *r, const struct mail_attachment *atts,
		   size_t natts, const struct mail_header *hdrs, size_t nhdrs,
		   store_error_t *err)
{
	struct timespec ts;
	bson_t doc = BSON_INITIALIZER;
	bson_value_t id;
	int64_t now;
	bool ok;

	clock_gettime(CLOCK_REALTIME, &ts);
	now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;

	BSON_APPEND_UTF8(&doc, "to", to);
	BSON_APPEND_UTF8(&doc, "from", cfg->email_from);
	if (r) {
		BSON_APPEND_UTF8(&doc, "subject", r->subject);
		BSON_APPEND_UTF8(&doc, "html", r->html);
		BSON_APPEND_UTF8(&doc, "text", r->text);
	} else {
		BSON_APPEND_BOOL(&doc, "request", true);
	}
	if (natts) {
		bson_t arr, one;
		char key[16];
		BSON_APPEND_ARRAY_BEGIN(&doc, "attachments", &arr);
		for (size_t i = 0; i < natts; i++) {
			(void)buf_fmt(key, sizeof key, "%zu", i);
			BSON_APPEND_DOCUMENT_BEGIN(&arr, key, &one);
			BSON_APPEND_UTF8(&one, "filename", atts[i].filename);
			BSON_APPEND_UTF8(&one, "contentType", atts[i].content_type);
			BSON_APPEND_BINARY(&one, "content", BSON_SUBTYPE_BINARY,
					   atts[i].data, (uint32_t)atts[i].len);
			bson_append_document_end(&arr, &one);
		}
		bson_append_array_end(&doc, &arr);
	}
	if (nhdrs) {
		bson_t h;
		BSON_APPEND_DOCUMENT_BEGIN(&doc, "headers", &h);
		for (size_t i = 0; i < nhdrs; i++)
			BSON_APPEND_UTF8(&h, hdrs[i].name, hdrs[i].value);
		bson_append_document_end(&doc, &h);
	}
	BSON_APPEND_UTF8(&doc, "template", template_name);
	BSON_APPEND_UTF8(&doc, "status", "pending");
	BSON_APPEND_INT32(&doc, "attempts", 0);
	BSON_APPEND_DATE_TIME(&doc, "nextAttemptAt", now);
	BSON_APPEND_DATE_TIME(&doc, "createdAt", now);
	BSON_APPEND_DATE_TIME(&doc, "updatedAt", now);
	ok = store_insert_one(st, OUTBOX_COLLECTION, &doc, &id, err);
	if (ok) {
		char hex[25] = "?";
		if (id.value_type == BSON_TYPE_OID)
			bson_oid_to_string(&id.value.v_oid, hex);
		log_info("mail %s (%s) queued%s", hex, template_name,
			 r ? "" : " as a request");
		bson_value_destroy(&id);
	} else {
		log_error("mail (%s) could not be queued: %s", template_name,
			  err ? err->message : "store error");
	}
	bson_destroy(&doc);
	return ok;
}

static bool can_queue(store_t *st, const char *template_name, const char *to,
		      store_error_t *err)
{
	if (!st) {
		store_error_set(err, STORE_ERR_UNAVAILABLE, "mail_enqueue: no store");
		return false;
	}
	if (!mail_address_valid(to)) {
		store_error_set(err, STORE_ERR_BAD_VALUE, "mail_enqueue(%s): unusable "
			"recipient address", template_name ? template_name : "?");
		return false;
	}
	return true;
}

bool mail_enqueue(store_t *st, const char *template_name, const char *to,
		  json_object *vars, store_error_t *err)
{
	return mail_enqueue_with(st, template_name, to, vars, NULL, 0, err);
}

bool mail_enqueue_with(store_t *st, const char *template_name, const char *to,
		       json_object *vars, const struct mail_attachment *atts, size_t natts,
		       store_error_t *err)
{
	struct mail_rendered r;
	char msg[256];
	size_t total = 0;
	bool ok;

	if (!can_queue(st, template_name, to, err))
		return false;
	if (natts > MAIL_MAX_ATTACHMENTS) {
		store_error_set(err, STORE_ERR_BAD_VALUE, "mail_enqueue(%s): more than %d "
				"attachments", template_name, MAIL_MAX_ATTACHMENTS);
		return false;
	}
	for (size_t i = 0; i < natts; i++) {
		if (!mail_attachment_valid(&atts[i])) {
			store_error_set(err, STORE_ERR_BAD_VALUE, "mail_enqueue(%s): unusable "
					"attachment #%zu", template_name, i + 1);
			return false;
		}
		total += 4 * ((atts[i].len + 2) / 3);
	}
	if (total > MAIL_MAX_TOTAL_BYTES) {
		store_error_set(err, STORE_ERR_BAD_VALUE, "mail_enqueue(%s): attachments "
				"above %u bytes", template_name, MAIL_MAX_TOTAL_BYTES);
		return false;
	}
	if (!mail_render_template(template_name, vars, &r, msg, sizeof msg)) {
		store_error_set(err, STORE_ERR_BAD_VALUE, "mail_enqueue: %s", msg);
		return false;
	}
	ok = insert(st, template_name, to, &r, atts, natts, NULL, 0, err);
	mail_rendered_free(&r);
	return ok;
}

/* A header name of letters, digits and '-'; a value of printable ASCII. */
static bool header_ok(const struct mail_header *h)
{
	if (!h->name || !*h->name || !h->value)
		return false;
	for (const char *p = h->name; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || *p == '-'))
			return false;
	for (const char *p = h->value; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			return false;
	return true;
}

bool mail_enqueue_headers(store_t *st, const char *template_name, const char *to,
			  json_object *vars, const struct mail_header *hdrs, size_t nhdrs,
			  store_error_t *err)
{
	struct mail_rendered r;
	char msg[256];
	bool ok;

	if (!can_queue(st, template_name, to, err))
		return false;
	for (size_t i = 0; i < nhdrs; i++)
		if (!header_ok(&hdrs[i])) {
			store_error_set(err, STORE_ERR_BAD_VALUE, "mail_enqueue(%s): unusable "
					"header #%zu", template_name, i + 1);
			return false;
		}
	if (!mail_render_template(template_name, vars, &r, msg, sizeof msg)) {
		store_error_set(err, STORE_ERR_BAD_VALUE, "mail_enqueue: %s", msg);
		return false;
	}
	ok = insert(st, template_name, to, &r, NULL, 0, hdrs, nhdrs, err);
	mail_rendered_free(&r);
	return ok;
}

bool mail_enqueue_request(store_t *st, const char *template_name, const char *to,
			  store_error_t *err)
{
	if (!can_queue(st, template_name, to, err))
		return false;
	if (!mail_template_exists(template_name)) {
		store_error_set(err, STORE_ERR_BAD_VALUE, "mail_enqueue_request: no template "
			"\"%.40s\"", template_name ? template_name : "");
		return false;
	}
	return insert(st, template_name, to, NULL, NULL, 0, NULL, 0, err);
}
