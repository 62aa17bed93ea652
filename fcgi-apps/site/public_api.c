/*
 * public_api.c — the read-only API for the café's other sites (SPEC §8):
 * GET /api/public/articles (?page=&limit=≤50&category=), 
 * /api/public/articles/:slug and /api/public/events (?page=&limit=
 * &category=). Routes flagged ROUTE_PUBLIC_CORS (any origin may read);
 * every answer is cacheable for an hour (`Cache-Control: public,
 * max-age=3600`) and carries a strong ETag, the SHA-256 of its body, so
 * a client asking again with `If-None-Match` gets 304 and no body while
 * nothing changed. Only public content: published articles (no search
 * terms, no Markdown source) and upcoming events in their public form.
 */
#include "account/account.h"
#include "content/article.h"
#include "content/event.h"
#include "conn/conn.h"
#include "core/buf.h"
#include "core/crypto.h"
#include "web/http.h"
#include "site.h"

#include <string.h>

/* Whether the If-None-Match header `h` names `etag` (weak comparison,
 * RFC 9110 §13.1.2: a W/ prefix is ignored; "*" matches anything). */
static bool etag_matches(const char *h, const char *etag)
{
	size_t elen = strlen(etag);

	while (h && *h) {
		const char *end;
		while (*h == ' ' || *h == '\t' || *h == ',')
			h++;
		if (!*h)
			break;
		if (*h == '*')
			return true;
		if (strncmp(h, "W/", 2) == 0)
			h += 2;
		end = strchr(h, ',');
		size_t n = end ? (size_t)(end - h) : strlen(h);
		while (n > 0 && (h[n - 1] == ' ' || h[n - 1] == '\t'))
			n--;
		if (n == elen && memcmp(h, etag, n) == 0)
			return true;
		h = end;
	}
	return false;
}

/* Sends `obj` (taken) as a cacheable JSON answer, or 304. */
static void send_cached(struct http_req *req, json_object *obj)
{
	const char *body = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	char hex[65], etag[40];

	crypto_sha256_hex(body, strlen(body), hex);
	(void)buf_fmt(etag, sizeof etag, "\"%.32s\"", hex);
	http_add_header(req, "ETag", etag);
	http_add_header(req, "Cache-Control", "public, max-age=3600");
	http_add_header(req, "Vary", "Accept-Encoding");
	if (etag_matches(http_header(req, "If-None-Match"), etag))
		http_send(req, 304, "application/json", "", 0);
	else
		http_send(req, 200, "application/json", body, strlen(body));
	json_object_put(obj);
}

static void strip(json_object *a)
{
	json_object_object_del(a, "searchTerms");
	json_object_object_del(a, "content");
	json_object_object_del(a, "authorEmail");
	json_object_object_del(a, "isDeleted");
}

void site_public_articles(struct http_req *req)
{
	long page = 1, limit = ARTICLE_PER_PAGE;
	struct article_query q = { http_query(req, "category"), NULL, 1, ARTICLE_PER_PAGE };
	json_object *items = NULL, *o;
	int64_t total = 0;
	struct err e = { 0 };

	if (!http_query_long(req, "page", 1, 100000, &page) || !http_query_long(req, "limit", 1, 50, &limit))
		return;
	q.page = (int)page;
	q.per_page = (int)limit;
	if (q.category && !*q.category)
		q.category = NULL;
	if (!article_list(conn_store(NULL), account_now_ms(), &q, &items, &total, NULL, &e)) {
		http_send_err(req, &e);
		return;
	}
	for (size_t i = 0; i < json_object_array_length(items); i++)
		strip(json_object_array_get_idx(items, i));
	o = json_object_new_object();
	json_object_object_add(o, "articles", items);
	json_object_object_add(o, "pagination", http_pagination(page, limit, total));
	send_cached(req, o);
}

void site_public_article(struct http_req *req)
{
	json_object *a = NULL, *o;
	struct err e = { 0 };

	if (!article_get(conn_store(NULL), account_now_ms(), http_param(req, "slug"), &a, &e)) {
		http_send_err(req, &e);
		return;
	}
	strip(a);
	o = json_object_new_object();
	json_object_object_add(o, "article", a);
	send_cached(req, o);
}

void site_public_events(struct http_req *req)
{
	long page = 1, limit = EVENT_PER_PAGE;
	struct event_query q = { http_query(req, "category"), 1, EVENT_PER_PAGE };
	json_object *items = NULL, *o;
	int64_t total = 0;
	struct err e = { 0 };

	if (!http_query_long(req, "page", 1, 100000, &page) || !http_query_long(req, "limit", 1, 50, &limit))
		return;
	q.page = (int)page;
	q.per_page = (int)limit;
	if (!event_list(conn_store(NULL), account_now_ms(), &q, &items, &total, &e)) {
		http_send_err(req, &e);
		return;
	}
	for (size_t i = 0; i < json_object_array_length(items); i++)
		json_object_object_del(json_object_array_get_idx(items, i), "description");
	o = json_object_new_object();
	json_object_object_add(o, "events", items);
	json_object_object_add(o, "pagination", http_pagination(page, limit, total));
	send_cached(req, o);
}
