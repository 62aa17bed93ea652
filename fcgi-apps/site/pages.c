/*
 * pages.c — the site's public pages (SPEC §8): each one a Markdown file of
 * etc/content/ (editable without a rebuild: a worker reads it again when
 * its modification time changes) with a small header of its own:
 *
 *   ---
 *   title: Le concept
 *   description: One sentence for search engines (≤ 160 characters).
 *   ---
 *   Markdown (core/markdown.h: no raw HTML), headings from # (one level down).
 *
 * rendered in templates/content.html with its breadcrumb (and
 * BreadcrumbList JSON-LD) and, for some pages, facts read from the store
 * and never written in the texts: the spaces and their prices
 * (spaceconfigurations, additionalservices), the hours and closures
 * (globalhoursconfigurations). The route table points each path at
 * site_content_page(); the table below says which file and which facts.
 */
#include "booking/calendar.h"
#include "booking/catalogue.h"
#include "conn/conn.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/doc.h"
#include "core/log.h"
#include "core/markdown.h"
#include "core/money.h"
#include "web/page.h"
#include "site.h"
#include "account/account.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CONTENT_MAX_BYTES (256 * 1024)

enum page_facts {
	FACT_SPACES = 1 << 0,     /* the spaces with capacities, features, prices */
	FACT_SERVICES = 1 << 1,   /* the extras of a booking, with prices */
	FACT_HOURS = 1 << 2,      /* the week, holidays, closures to come */
};

struct site_page {
	const char *path;
	const char *file;              /* etc/content/FILE.md */
	const char *section;           /* the menu entry it belongs to */
	const char *parent, *parent_path;  /* the breadcrumb's middle step, or NULL */
	unsigned facts;
};

static const struct site_page pages[] = {
	{ "/concept", "concept", "concept", NULL, NULL, 0 },
	{ "/take-away", "take-away", "concept", "Concept", "/concept", 0 },
	{ "/history", "history", "concept", "Concept", "/concept", 0 },
	{ "/manifest", "manifest", "concept", "Concept", "/concept", 0 },
	{ "/partners", "partners", "concept", "Concept", "/concept", 0 },
	{ "/espaces", "espaces", "espaces", NULL, NULL, FACT_SPACES },
	{ "/pricing", "pricing", "tarifs", NULL, NULL, FACT_SPACES | FACT_SERVICES },
	{ "/members-program", "members-program", "tarifs", "Tarifs", "/pricing", 0 },
	{ "/student-offers", "student-offers", "tarifs", "Tarifs", "/pricing", 0 },
	{ "/privatization", "privatization", "pro", NULL, NULL, 0 },
	{ "/compagny-pass", "compagny-pass", "pro", NULL, NULL, 0 },
	{ "/horaires", "horaires", "horaires", NULL, NULL, FACT_HOURS },
	{ "/cgu", "cgu", "legal", NULL, NULL, 0 },
	{ "/mentions-legales", "mentions-legales", "legal", NULL, NULL, 0 },
	{ "/confidentiality", "confidentiality", "legal", NULL, NULL, 0 },
};
#define NPAGES (sizeof pages / sizeof *pages)

/* ---- the files, cached per worker ------------------------------------- */

struct content {
	struct timespec mtime;
	off_t size;
	bool loaded;
	char *title, *description, *html;
};

static struct content cache[NPAGES];

static void content_clear(struct content *c)
{
	free(c->title);
	free(c->description);
	free(c->html);
	memset(c, 0, sizeof *c);
}

/* The value of `key: value` in the header lines [p, end), or NULL. New string. */
static char *header_value(const char *p, const char *end, const char *key)
{
	size_t klen = strlen(key);

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		if ((size_t)(eol - p) > klen && strncmp(p, key, klen) == 0 && p[klen] == ':') {
			const char *v = p + klen + 1;
			const char *e = eol;
			while (v < e && *v == ' ')
				v++;
			while (e > v && (e[-1] == ' ' || e[-1] == '\r'))
				e--;
			return strndup(v, (size_t)(e - v));
		}
		p = eol + 1;
	}
	return NULL;
}

/* Reads and renders etc/content/FILE.md when it changed. */
static const struct content *content_get(size_t i)
{
	struct content *c = &cache[i];
	char path[512];
	struct stat sb;
	FILE *f = NULL;
	char *src = NULL;
	const char *body, *hend;
	struct buf html = { 0 };
	size_t n;

	if (!buf_fmt(path, sizeof path, "%s/etc/content/%s.md",
		     cfg->template_dir && *cfg->template_dir ? cfg->template_dir : ".",
		     pages[i].file))
		return NULL;
	if (stat(path, &sb) != 0) {
		log_error("content: %s: %s", path, strerror(errno));
		return NULL;
	}
	if (c->loaded && c->size == sb.st_size && c->mtime.tv_sec == sb.st_mtim.tv_sec &&
	    c->mtime.tv_nsec == sb.st_mtim.tv_nsec)
		return c;
	if (sb.st_size > CONTENT_MAX_BYTES) {
		log_error("content: %s: larger than %d bytes", path, CONTENT_MAX_BYTES);
		return NULL;
	}
	if (!(f = fopen(path, "r")) || !(src = malloc((size_t)sb.st_size + 1))) {
		log_error("content: %s: %s", path, strerror(errno));
		goto fail;
	}
	n = fread(src, 1, (size_t)sb.st_size, f);
	src[n] = '\0';
	/* the header: "---\n" lines "---\n" */
	if (strncmp(src, "---\n", 4) != 0 || !(hend = strstr(src + 4, "\n---\n"))) {
		log_error("content: %s: no header (--- title: … description: … ---)", path);
		goto fail;
	}
	body = hend + 5;
	content_clear(c);
	c->title = header_value(src + 4, hend + 1, "title");
	c->description = header_value(src + 4, hend + 1, "description");
	if (!c->title || !c->description) {
		log_error("content: %s: the header needs a title and a description", path);
		content_clear(c);
		goto fail;
	}
	markdown_render(body, n - (size_t)(body - src), &html);
	c->html = html.data ? html.data : strdup("");
	c->mtime = sb.st_mtim;
	c->size = sb.st_size;
	c->loaded = true;
	fclose(f);
	free(src);
	return c;
fail:
	if (f)
		fclose(f);
	free(src);
	return NULL;
}

/* ---- facts from the store ------------------------------------------------ */

static void set_str(json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, json_object_new_string(value ? value : ""));
}

static void add_price(json_object *arr, int64_t cents, const char *unit, const char *note)
{
	json_object *o;
	char e[32];

	if (cents <= 0)
		return;
	o = json_object_new_object();
	money_format(cents, MONEY_SHORT, e, sizeof e);
	set_str(o, "amount", e);
	set_str(o, "unit", unit);
	if (note)
		set_str(o, "note", note);
	json_object_array_add(arr, o);
}

static json_object *space_json(const bson_t *doc)
{
	struct booking_space s;
	json_object *o = json_object_new_object(), *prices = json_object_new_array();
	json_object *features = json_object_new_array();
	bson_iter_t it, arr;
	const char *desc = doc_str(doc, "description");
	const char *pp;
	char cap[64], note[128];

	booking_space_from_doc(doc, &s);
	set_str(o, "name", s.name);
	set_str(o, "id", s.space_type);
	set_str(o, "description", desc);
	if (s.max_capacity > 1)
		(void)buf_fmt(cap, sizeof cap, "jusqu’à %d personnes", s.max_capacity);
	else
		(void)buf_fmt(cap, sizeof cap, "1 personne");
	set_str(o, "capacity", cap);
	if (bson_iter_init_find(&it, doc, "features") && BSON_ITER_HOLDS_ARRAY(&it) &&
	    bson_iter_recurse(&it, &arr))
		while (bson_iter_next(&arr))
			if (BSON_ITER_HOLDS_UTF8(&arr))
				json_object_array_add(features,
						      json_object_new_string(bson_iter_utf8(&arr, NULL)));
	json_object_object_add(o, "features", features);
	if (s.requires_quote) {
		json_object_object_add(o, "quote", json_object_new_boolean(true));
	} else if (s.ntiers > 0) {
		const struct booking_tier *t = &s.tiers[0];
		(void)buf_fmt(cap, sizeof cap, "jusqu’à %d personnes", t->max_people);
		add_price(prices, t->hourly, "l’heure", cap);
		add_price(prices, t->daily, "la journée", cap);
		if (t->extra_hourly > 0 || t->extra_daily > 0) {
			char eh[32] = "", ed[32] = "";
			if (t->extra_hourly > 0)
				money_format(t->extra_hourly, MONEY_SHORT, eh, sizeof eh);
			if (t->extra_daily > 0)
				money_format(t->extra_daily, MONEY_SHORT, ed, sizeof ed);
			if (buf_fmt(note, sizeof note, "Par personne en plus : %s%s%s%s%s",
				    eh, *eh ? " l’heure" : "", *eh && *ed ? ", " : "",
				    ed, *ed ? " la journée" : ""))
				set_str(o, "extra", note);
		}
	} else {
		pp = s.per_person ? "par personne" : NULL;
		add_price(prices, s.hourly, "l’heure", pp);
		add_price(prices, s.daily, "la journée", pp);
		add_price(prices, s.weekly, "la semaine (7 jours)", pp);
		add_price(prices, s.monthly, "le mois (30 jours)", pp);
	}
	json_object_object_add(o, "prices", prices);
	return o;
}

bool site_add_spaces(store_t *st, json_object *data, store_error_t *se)
{
	bson_t *filter = BCON_NEW("isDeleted", "{", "$ne", BCON_BOOL(true), "}",
				  "isActive", BCON_BOOL(true));
	bson_t *sort = BCON_NEW("displayOrder", BCON_INT32(1));
	store_find_opts_t opts = { .sort = sort, .limit = 50 };
	store_cursor_t *cur = store_find(st, "spaceconfigurations", filter, &opts, se);
	json_object *list = json_object_new_array();
	const bson_t *doc;
	bool ok = true;

	bson_destroy(filter);
	bson_destroy(sort);
	json_object_object_add(data, "spaces", list);
	if (!cur)
		return false;
	while (store_cursor_next(cur, &doc))
		json_object_array_add(list, space_json(doc));
	json_object_object_add(data, "hasSpaces",
			       json_object_new_boolean(json_object_array_length(list) > 0));
	ok = !store_cursor_error(cur, se);
	store_cursor_destroy(cur);
	return ok;
}

static bool add_services(store_t *st, json_object *data, store_error_t *se)
{
	bson_t *filter = BCON_NEW("isDeleted", "{", "$ne", BCON_BOOL(true), "}");
	bson_t *sort = BCON_NEW("order", BCON_INT32(1));
	store_find_opts_t opts = { .sort = sort, .limit = 50 };
	store_cursor_t *cur = store_find(st, "additionalservices", filter, &opts, se);
	json_object *list = json_object_new_array();
	const bson_t *doc;
	bool ok;

	bson_destroy(filter);
	bson_destroy(sort);
	json_object_object_add(data, "services", list);
	if (!cur)
		return false;
	while (store_cursor_next(cur, &doc)) {
		struct booking_service s;
		json_object *o;
		char e[32], d[32], price[96];

		booking_service_from_doc(doc, &s);
		if (!s.active)
			continue;
		o = json_object_new_object();
		money_format(s.price, MONEY_SHORT, e, sizeof e);
		if (s.daily_price > 0) {
			money_format(s.daily_price, MONEY_SHORT, d, sizeof d);
			(void)buf_fmt(price, sizeof price, "%s (%s la journée)", e, d);
		} else {
			(void)buf_fmt(price, sizeof price, "%s", e);
		}
		set_str(o, "name", s.name);
		set_str(o, "description", doc_str(doc, "description"));
		set_str(o, "price", price);
		set_str(o, "unit", s.per_person ? "par personne" : "forfait");
		json_object_array_add(list, o);
	}
	json_object_object_add(data, "hasServices",
			       json_object_new_boolean(json_object_array_length(list) > 0));
	ok = !store_cursor_error(cur, se);
	store_cursor_destroy(cur);
	return ok;
}

static int closure_cmp(const void *a, const void *b)
{
	const struct booking_closure *x = a, *y = b;

	if (x->day != y->day)
		return x->day < y->day ? -1 : 1;
	return (x->full_day ? -1 : x->start_min) - (y->full_day ? -1 : y->start_min);
}

static bool add_hours(store_t *st, json_object *data, store_error_t *se)
{
	struct booking_hours h;
	json_object *week = json_object_new_array(), *closures = json_object_new_array();
	json_object *annual = json_object_new_array();
	int64_t today;
	int minute;
	char a[16], b[16], day[64], text[128];

	json_object_object_add(data, "week", week);
	json_object_object_add(data, "closures", closures);
	json_object_object_add(data, "annualClosures", annual);
	if (!booking_hours_load(st, &h, se))
		return false;
	for (int i = 0; i < 7; i++) {
		json_object *o = json_object_new_object();
		(void)buf_fmt(day, sizeof day, "%s", booking_weekday_fr(i));
		day[0] = (char)(day[0] - 'a' + 'A');
		set_str(o, "day", day);
		if (h.week[i].open) {
			site_format_time(h.week[i].open_min, a, sizeof a);
			site_format_time(h.week[i].close_min, b, sizeof b);
			(void)buf_fmt(text, sizeof text, "%s – %s", a, b);
		} else {
			(void)buf_fmt(text, sizeof text, "Fermé");
		}
		set_str(o, "hours", text);
		json_object_array_add(week, o);
	}
	if (h.holiday.open) {
		site_format_time(h.holiday.open_min, a, sizeof a);
		site_format_time(h.holiday.close_min, b, sizeof b);
		(void)buf_fmt(text, sizeof text, "%s – %s", a, b);
	} else {
		(void)buf_fmt(text, sizeof text, "Fermé");
	}
	set_str(data, "holidayHours", text);
	for (int i = 0; i < h.nannual; i++) {
		int m = h.annual[i] / 100, d = h.annual[i] % 100;
		const char *sep = i == 0 ? "" : i == h.nannual - 1 ? " et " : ", ";
		if (m >= 1 && m <= 12 && buf_fmt(text, sizeof text, "%s%d%s %s", sep, d,
						 d == 1 ? "er" : "", booking_month_fr(m)))
			json_object_array_add(annual, json_object_new_string(text));
	}
	json_object_object_add(data, "hasAnnual", json_object_new_boolean(h.nannual > 0));
	json_object_object_add(data, "hasHours", json_object_new_boolean(true));
	booking_paris_local(account_now_ms(), &today, &minute);
	if (h.nclosures > 1)
		qsort(h.closures, h.nclosures, sizeof *h.closures, closure_cmp);
	for (size_t i = 0; i < h.nclosures; i++) {
		const struct booking_closure *c = &h.closures[i];
		json_object *o;
		if (c->day < today)
			continue;
		o = json_object_new_object();
		booking_format_day_fr(c->day, false, day, sizeof day);
		set_str(o, "day", day);
		if (c->full_day) {
			set_str(o, "what", "fermé toute la journée");
		} else {
			site_format_time(c->start_min, a, sizeof a);
			site_format_time(c->end_min, b, sizeof b);
			(void)buf_fmt(text, sizeof text, "fermé de %s à %s", a, b);
			set_str(o, "what", text);
		}
		set_str(o, "reason", c->reason);
		json_object_array_add(closures, o);
	}
	json_object_object_add(data, "hasClosures",
			       json_object_new_boolean(json_object_array_length(closures) > 0));
	booking_hours_free(&h);
	return true;
}

/* ---- the page -------------------------------------------------------------- */

/* BreadcrumbList JSON-LD and the visible trail: Accueil › [parent ›] page. */
static void add_breadcrumb(json_object *data, const struct site_page *p, const char *title)
{
	json_object *ld = json_object_new_object(), *items = json_object_new_array();
	json_object *trail = json_object_new_array();
	const char *names[3] = { "Accueil", p->parent, title };
	const char *paths[3] = { "/", p->parent_path, p->path };
	struct buf url = { 0 };
	int pos = 1;

	for (int i = 0; i < 3; i++) {
		json_object *it, *t;
		if (!names[i])
			continue;
		url.len = 0;
		buf_printf(&url, "%s%s", cfg->site_url, paths[i]);
		it = json_object_new_object();
		set_str(it, "@type", "ListItem");
		json_object_object_add(it, "position", json_object_new_int(pos++));
		set_str(it, "name", names[i]);
		set_str(it, "item", url.data);
		json_object_array_add(items, it);
		t = json_object_new_object();
		set_str(t, "name", names[i]);
		set_str(t, "path", paths[i]);
		if (i == 2)
			json_object_object_add(t, "current", json_object_new_boolean(true));
		json_object_array_add(trail, t);
	}
	buf_free(&url);
	set_str(ld, "@context", "https://schema.org");
	set_str(ld, "@type", "BreadcrumbList");
	json_object_object_add(ld, "itemListElement", items);
	page_set_json_ld(data, ld);
	json_object_object_add(data, "breadcrumb", trail);
}

void site_content_page(struct http_req *req)
{
	const struct site_page *p = NULL;
	const struct content *c;
	json_object *data;
	store_error_t se = { 0 };
	store_t *st;
	struct buf url = { 0 };
	size_t i;

	for (i = 0; i < NPAGES && !p; i++)
		if (strcmp(pages[i].path, req->path) == 0)
			p = &pages[i];
	if (!p || !(c = content_get((size_t)(p - pages)))) {
		page_error(req, 500);
		return;
	}
	data = page_data(req, c->title);
	page_set(data, "description", c->description);
	buf_printf(&url, "%s%s", cfg->site_url, p->path);
	page_set(data, "canonical", url.data);
	buf_free(&url);
	page_section(data, p->section);
	set_str(data, "body", c->html);
	add_breadcrumb(data, p, c->title);
	if (p->facts) {
		if (!(st = conn_store(&se)) ||
		    ((p->facts & FACT_SPACES) && !site_add_spaces(st, data, &se)) ||
		    ((p->facts & FACT_SERVICES) && !add_services(st, data, &se)) ||
		    ((p->facts & FACT_HOURS) && !add_hours(st, data, &se))) {
			log_error("page %s: store: %s", p->path, se.message);
			json_object_put(data);
			page_error(req, 503);
			return;
		}
	}
	page_render(req, 200, "content.html", data);
}

const char *site_page_path(size_t i)
{
	return i < NPAGES ? pages[i].path : NULL;
}

int64_t site_page_mtime(size_t i)
{
	char path[512];
	struct stat sb;

	if (i >= NPAGES ||
	    !buf_fmt(path, sizeof path, "%s/etc/content/%s.md",
		     cfg->template_dir && *cfg->template_dir ? cfg->template_dir : ".",
		     pages[i].file) ||
	    stat(path, &sb) != 0)
		return 0;
	return (int64_t)sb.st_mtim.tv_sec;
}

void site_redirect_301(struct http_req *req)
{
	const char *to = strcmp(req->path, "/spaces") == 0 ? "/espaces" : "/pricing";

	http_redirect(req, 301, to);
}
