/*
 * newsletter.c — the newsletter's subscribers for admins (SPEC §9
 * newsletter): counts by status, the list (status filter, search on the
 * address, 50 a page, newest first) and its CSV export (`?format=csv`,
 * web/csv.h: streamed, audited as newsletter.export).
 */
#include "admin.h"
#include "audit/api.h"
#include "conn/conn.h"
#include "content/newsletter.h"
#include "core/buf.h"
#include "core/doc.h"
#include "web/csv.h"
#include "core/log.h"
#include "core/template.h"
#include "web/page.h"

#include <stdlib.h>

#include <string.h>

#define PAGE_SIZE 50
#define SEARCH_MAX 254

static const char *const status_labels[] = { "En attente", "Confirmé", "Désinscrit", NULL };

static bool status_known(const char *s)
{
	for (size_t i = 0; s && newsletter_statuses[i]; i++)
		if (strcmp(s, newsletter_statuses[i]) == 0)
			return true;
	return false;
}

static void export_csv(struct http_req *req, store_t *st, const bson_t *filter, const char *q)
{
	bson_t *sort = BCON_NEW("createdAt", BCON_INT32(-1), "_id", BCON_INT32(-1));
	store_find_opts_t opts = { .sort = sort };
	store_error_t se = { 0 };
	store_cursor_t *cur = store_find(st, NEWSLETTER_COLLECTION, filter, &opts, &se);
	const bson_t *doc;
	struct csv c;
	char when[32];

	if (!cur) {
		bson_destroy(sort);
		http_send_store_fail(req, "newsletter export", &se);
		return;
	}
	csv_begin(&c, req, "abonnes-newsletter.csv");
	csv_cell(&c, "E-mail");
	csv_cell(&c, "Statut");
	csv_cell(&c, "Source");
	csv_cell(&c, "Inscrit le");
	csv_cell(&c, "Confirmé le");
	csv_cell(&c, "Désinscrit le");
	csv_row_end(&c);
	while (store_cursor_next(cur, &doc)) {
		const char *email = doc_str(doc, "email");
		if (!admin_contains_folded(email, q))
			continue;
		csv_cell(&c, email);
		csv_cell(&c, newsletter_status_label(doc_str(doc, "status")));
		csv_cell(&c, doc_str(doc, "source"));
		admin_when(doc_date(doc, "createdAt", 0), when, sizeof when);
		csv_cell(&c, when);
		admin_when(doc_date(doc, "confirmedAt", 0), when, sizeof when);
		csv_cell(&c, when);
		admin_when(doc_date(doc, "unsubscribedAt", 0), when, sizeof when);
		csv_cell(&c, when);
		csv_row_end(&c);
	}
	if (store_cursor_error(cur, &se))
		log_error("newsletter export cut short: %s", se.message);
	audit_export(req, NEWSLETTER_COLLECTION, c.rows > 0 ? c.rows - 1 : 0);
	csv_end(&c);
	store_cursor_destroy(cur);
	bson_destroy(sort);
}

static json_object *subscriber_row(const bson_t *doc, void *ctx)
{
	const char *s = doc_str(doc, "status");
	json_object *row = json_object_new_object();
	char when[32];

	(void)ctx;
	admin_set_str(row, "email", doc_str(doc, "email"));
	admin_set_str(row, "statusLabel", newsletter_status_label(s));
	admin_set_str(row, "badge", s && strcmp(s, "confirmed") == 0 ? "badge badge-ok"
		      : s && strcmp(s, "unsubscribed") == 0 ? "badge badge-neutral" : "badge badge-warn");
	admin_set_str(row, "source", doc_str(doc, "source"));
	admin_when(doc_date(doc, "createdAt", 0), when, sizeof when);
	admin_set_str(row, "createdAt", when);
	admin_when(doc_date(doc, doc_date(doc, "unsubscribedAt", 0) ? "unsubscribedAt" : "confirmedAt", 0),
		   when, sizeof when);
	admin_set_str(row, "changedAt", when);
	return row;
}

/* the search is a substring of the address: filtered here, then paged */
static bool subscriber_match(const bson_t *doc, void *q)
{
	return admin_contains_folded(doc_str(doc, "email"), q);
}

void admin_page_newsletter(struct http_req *req)
{
	static const char *const keep[] = { "status", "q", NULL };
	const char *status = http_query(req, "status"), *q = http_query(req, "q");
	const char *format = http_query(req, "format");
	long page = 1;
	store_error_t se = { 0 };
	store_t *st;
	bson_t filter = BSON_INITIALIZER;
	bson_t *sort = NULL;
	json_object *data = NULL, *kpis;
	const bson_t *passes[1] = { &filter };
	int code = 503;

	if (!http_query_long(req, "page", 1, 100000, &page))
		return;
	if (status && *status && !status_known(status)) {
		http_error_field(req, 400, "invalid_request", "status", "Unknown status.");
		return;
	}
	if (q && strlen(q) > SEARCH_MAX)
		q = NULL;
	if (!(st = conn_store(&se))) {
		page_error(req, 503);
		return;
	}
	if (status && *status)
		BSON_APPEND_UTF8(&filter, "status", status);
	if (format && strcmp(format, "csv") == 0) {
		export_csv(req, st, &filter, q);
		bson_destroy(&filter);
		return;
	}
	data = page_data(req, "Newsletter");
	page_section(data, "newsletter");
	kpis = json_object_new_array();
	json_object_object_add(data, "kpis", kpis);
	for (size_t i = 0; newsletter_statuses[i]; i++) {
		bson_t *f = BCON_NEW("status", BCON_UTF8(newsletter_statuses[i]));
		int64_t n = 0;
		bool ok = store_count(st, NEWSLETTER_COLLECTION, f, &n, &se);
		bson_destroy(f);
		if (!ok)
			goto render;
		json_object *k = json_object_new_object();
		admin_set_str(k, "label", status_labels[i]);
		json_object_object_add(k, "value", json_object_new_int64(n));
		json_object_array_add(kpis, k);
	}
	admin_filter_form(req, data, "/newsletter", (const struct admin_filter[]){
		{ .name = "q", .id = "n-q", .label = "Adresse contenant", .type = "search",
		  .value = q ? q : "" },
		{ .name = "status", .id = "n-status", .label = "Statut",
		  .options = admin_options(newsletter_statuses, status_labels, status),
		  .all = "Tous" } }, 2);
	{
		struct buf csv = { 0 };
		buf_printf(&csv, "/newsletter?format=csv");
		for (size_t i = 0; keep[i]; i++) {
			const char *v = http_query(req, keep[i]);
			if (v && *v) {
				char *enc = tpl_url_encode(v);
				buf_printf(&csv, "&%s=%s", keep[i], enc);
				free(enc);
			}
		}
		admin_set_str(data, "csvHref", csv.data);
		buf_free(&csv);
	}
	sort = BCON_NEW("createdAt", BCON_INT32(-1), "_id", BCON_INT32(-1));
	code = admin_list(req, st, &(struct admin_list){ .collection = NEWSLETTER_COLLECTION, .keep = keep,
			  .per_page = PAGE_SIZE, .sort = sort, .row = subscriber_row, .match = subscriber_match,
			  .ctx = (void *)q, .past_end_404 = true }, passes, 1, page, data, NULL);
render:
	admin_list_render(req, code, "newsletter.html", data);
	if (sort)
		bson_destroy(sort);
	bson_destroy(&filter);
}
