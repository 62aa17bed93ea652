/*
 * inbox.c — the contact mails for the staff (SPEC §9 messages): the inbox
 * (unread first, then read and replied, newest first; the archive apart),
 * a mail's detail, and its actions: mark read, reply by mail (the reply
 * stored on the document — reply, repliedAt, repliedBy — and sent through
 * the outbox, template contact_reply), archive. Every action is audited
 * (contact-mails.read, .reply, .archive) and tells the staff's badge.
 */
#include "admin.h"
#include "account/account.h"
#include "account/api.h"
#include "audit/api.h"
#include "conn/conn.h"
#include "core/buf.h"
#include "core/doc.h"
#include "core/log.h"
#include "core/text.h"
#include "mail/mail.h"
#include "web/page.h"

#include <string.h>

#define COLLECTION "contactmails"
#define PAGE_SIZE 30
#define REPLY_MAX 5000

static const char *label_of(const char *s)
{
	if (!s || strcmp(s, "unread") == 0)
		return "Non lu";
	if (strcmp(s, "read") == 0)
		return "Lu";
	if (strcmp(s, "replied") == 0)
		return "Répondu";
	if (strcmp(s, "archived") == 0)
		return "Archivé";
	return s;
}

static void mail_fields(json_object *row, const bson_t *doc)
{
	static const char *const keys[] = { "name", "email", "phone", "subject", "message", "reply", NULL };
	const char *s = doc_str(doc, "status");
	char when[32];
	bson_oid_t id;

	for (size_t i = 0; keys[i]; i++)
		admin_set_str(row, keys[i], doc_str(doc, keys[i]));
	if (doc_oid(doc, "_id", &id)) {
		char hex[25], href[64];
		bson_oid_to_string(&id, hex);
		(void)buf_fmt(href, sizeof href, "/contact-mails/%s", hex);
		admin_set_str(row, "href", href);
	}
	admin_set_str(row, "statusLabel", label_of(s));
	admin_set_str(row, "badge", !s || strcmp(s, "unread") == 0 ? "badge" : "badge badge-neutral");
	json_object_object_add(row, "unread", json_object_new_boolean(!s || strcmp(s, "unread") == 0));
	json_object_object_add(row, "archived", json_object_new_boolean(s && strcmp(s, "archived") == 0));
	admin_when(doc_date(doc, "createdAt", 0), when, sizeof when);
	admin_set_str(row, "createdAt", when);
	if (doc_date(doc, "repliedAt", 0) > 0) {
		admin_when(doc_date(doc, "repliedAt", 0), when, sizeof when);
		admin_set_str(row, "repliedAt", when);
	}
}

void admin_page_contact_mails(struct http_req *req)
{
	static const char *const keep[] = { "box", NULL };
	const char *box = http_query(req, "box");
	bool archive = box && strcmp(box, "archive") == 0;
	long page = 1;
	store_t *st;
	bson_t *sort, *passes[2];
	json_object *data;
	int64_t counts[2] = { 0, 0 };
	int status;

	if (!http_query_long(req, "page", 1, 100000, &page))
		return;
	if (!(st = conn_store(NULL))) {
		page_error(req, 503);
		return;
	}
	data = page_data(req, archive ? "Messages archivés" : "Messages du site");
	page_section(data, "contact");
	json_object_object_add(data, "archive", json_object_new_boolean(archive));
	sort = BCON_NEW("createdAt", BCON_INT32(-1), "_id", BCON_INT32(-1));
	/* the inbox: unread ones first, then read and replied; the archive alone */
	if (archive) {
		passes[0] = BCON_NEW("status", BCON_UTF8("archived"));
		passes[1] = NULL;
	} else {
		passes[0] = BCON_NEW("status", "{", "$in", "[", BCON_UTF8("unread"), "]", "}");
		passes[1] = BCON_NEW("status", "{", "$nin", "[", BCON_UTF8("unread"), BCON_UTF8("archived"), "]", "}");
	}
	status = admin_list(req, st, &(struct admin_list){ .collection = COLLECTION, .keep = keep,
			    .per_page = PAGE_SIZE, .sort = sort, .fields = mail_fields, .past_end_404 = true },
			    (const bson_t *const *)passes, archive ? 1 : 2, page, data, counts);
	json_object_object_add(data, "unreadCount", json_object_new_int64(archive ? 0 : counts[0]));
	admin_list_render(req, status, "contact-mails.html", data);
	for (size_t i = 0; i < 2; i++)
		if (passes[i])
			bson_destroy(passes[i]);
	bson_destroy(sort);
}

static void detail(struct http_req *req, int status, const bson_t *doc, const char *notice,
		   const char *error, const char *typed)
{
	json_object *data = page_data(req, "Message du site"), *m = json_object_new_object();
	mail_fields(m, doc);
	json_object_object_add(data, "mail", m);
	page_section(data, "contact");
	if (notice)
		admin_set_str(data, "notice", notice);
	if (error)
		admin_set_str(data, "error", error);
	admin_set_str(data, "typed", typed);
	page_render(req, status, "contact-mail.html", data);
}

void admin_page_contact_mail(struct http_req *req)
{
	static const struct { const char *key, *text; } done[] = {
		{ "read", "Message marqué comme lu." }, { "reply", "Réponse envoyée." },
		{ "archive", "Message archivé." }, { NULL, NULL },
	};
	const char *d = http_query(req, "done"), *notice = NULL;
	store_t *st = conn_store(NULL);
	bson_oid_t id;
	bson_t doc;

	if (!st) {
		page_error(req, 503);
		return;
	}
	if (!admin_load(req, st, COLLECTION, &doc, &id))
		return;
	for (size_t i = 0; d && done[i].key; i++)
		if (strcmp(d, done[i].key) == 0)
			notice = done[i].text;
	detail(req, 200, &doc, notice, NULL, NULL);
	bson_destroy(&doc);
}

/* Applies `update` to the path's mail, audits it, tells the badge, and
 * sends the browser back to the detail with ?done=`what`. */
static void change(struct http_req *req, store_t *st, const bson_t *before, const bson_oid_t *id,
		   bson_t *update, const char *what)
{
	bson_t *f = BCON_NEW("_id", BCON_OID(id));
	bson_t after;
	store_error_t se = { 0 };
	bool found = false;
	char location[96];

	if (!store_find_one_and_update(st, COLLECTION, f, update, &(store_fam_opts_t){ .return_new = true },
				       &after, &found, &se)) {
		bson_destroy(f);
		page_error(req, 503);
		return;
	}
	bson_destroy(f);
	if (!found) {
		bson_destroy(&after);
		page_not_found(req);
		return;
	}
	audit_note(req, COLLECTION, http_param(req, "id"), before, &after);
	bson_destroy(&after);
	conn_publish_badge(CONN_BADGE_CONTACT);
	(void)buf_fmt(location, sizeof location, "/contact-mails/%s?done=%s", http_param(req, "id"), what);
	http_redirect(req, 303, location);
}

void admin_form_contact_read(struct http_req *req)
{
	store_t *st = conn_store(NULL);
	bson_oid_t id;
	bson_t doc, *update;
	const char *s;

	if (!st) {
		page_error(req, 503);
		return;
	}
	if (!admin_load(req, st, COLLECTION, &doc, &id))
		return;
	s = doc_str(&doc, "status");
	if (s && strcmp(s, "unread") != 0) {   /* read already: nothing to write */
		char location[96];
		(void)buf_fmt(location, sizeof location, "/contact-mails/%s", http_param(req, "id"));
		http_redirect(req, 303, location);
		bson_destroy(&doc);
		return;
	}
	update = BCON_NEW("$set", "{", "status", BCON_UTF8("read"), "updatedAt", BCON_DATE_TIME(account_now_ms()), "}");
	change(req, st, &doc, &id, update, "read");
	bson_destroy(update);
	bson_destroy(&doc);
}

void admin_form_contact_archive(struct http_req *req)
{
	store_t *st = conn_store(NULL);
	bson_oid_t id;
	bson_t doc, *update;

	if (!st) {
		page_error(req, 503);
		return;
	}
	if (!admin_load(req, st, COLLECTION, &doc, &id))
		return;
	update = BCON_NEW("$set", "{", "status", BCON_UTF8("archived"), "updatedAt", BCON_DATE_TIME(account_now_ms()), "}");
	change(req, st, &doc, &id, update, "archive");
	bson_destroy(update);
	bson_destroy(&doc);
}

void admin_form_contact_reply(struct http_req *req)
{
	const struct auth_session *me = auth_session(req);
	const char *reply = http_form(req, "reply");
	store_t *st = conn_store(NULL);
	store_error_t se = { 0 };
	bson_oid_t id;
	bson_t doc, *update;
	json_object *vars;
	const char *to;

	if (!st) {
		page_error(req, 503);
		return;
	}
	if (!admin_load(req, st, COLLECTION, &doc, &id))
		return;
	if (text_blank(reply)) {
		detail(req, 422, &doc, NULL, "Écrivez votre réponse.", reply);
		goto done;
	}
	if (buf_utf8_chars(reply, strlen(reply)) > REPLY_MAX) {
		detail(req, 422, &doc, NULL, "La réponse est trop longue (5 000 caractères au plus).", reply);
		goto done;
	}
	to = doc_str(&doc, "email");
	vars = json_object_new_object();
	admin_set_str(vars, "name", doc_str(&doc, "name"));
	admin_set_str(vars, "subject", doc_str(&doc, "subject"));
	admin_set_str(vars, "message", doc_str(&doc, "message"));
	admin_set_str(vars, "reply", reply);
	if (!to || !mail_enqueue(st, "contact_reply", to, vars, &se)) {
		json_object_put(vars);
		log_error("contact reply: %s", se.message);
		detail(req, 422, &doc, NULL, "La réponse n’a pas pu partir : l’adresse de l’expéditeur n’est pas utilisable.", reply);
		goto done;
	}
	json_object_put(vars);
	update = BCON_NEW("$set", "{", "status", BCON_UTF8("replied"), "reply", BCON_UTF8(reply),
			  "repliedAt", BCON_DATE_TIME(account_now_ms()), "repliedBy", BCON_OID(&me->user_id),
			  "updatedAt", BCON_DATE_TIME(account_now_ms()), "}");
	change(req, st, &doc, &id, update, "reply");
	bson_destroy(update);
done:
	bson_destroy(&doc);
}
