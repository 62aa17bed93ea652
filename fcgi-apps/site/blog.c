/*
 * blog.c — "Le Mag'" (SPEC §8), server-rendered: the list (/blog,
 * /blog/page/:n), a category (/blog/category/:slug[/page/:n]), search
 * (/blog/search?q=&page=) and an article (/blog/:slug). Six per page;
 * a page past the last one, an unknown category or article is the 404
 * page. The data comes from content/article.h.
 */
#include "account/account.h"
#include "content/article.h"
#include "conn/conn.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/template.h"
#include "web/page.h"
#include "site.h"

#include <stdlib.h>
#include <string.h>

/* A page number from the path: "2"… without sign or leading zero; 0 when
 * malformed. */
static int page_number(const char *s)
{
	long n = 0;
	if (!s || !*s || *s == '0' || strlen(s) > 6)
		return 0;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return 0;
		n = n * 10 + (*p - '0');
	}
	return (int)n;
}

static void add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

/* `base` + "/page/N" (N > 1), or `base` + "?q=…&page=N" for search. */
static void page_url(struct buf *out, const char *base, const char *q, int n)
{
	buf_str(out, base);
	if (q) {
		char *enc = tpl_url_encode(q);
		buf_printf(out, "?q=%s", enc);
		free(enc);
		if (n > 1)
			buf_printf(out, "&page=%d", n);
	} else if (n > 1) {
		buf_printf(out, "/page/%d", n);
	}
}

static void sidebar(struct http_req *req, json_object *data, const char *current)
{
	json_object *cats = NULL;
	struct err e = { 0 };
	if (!article_categories(conn_store(NULL), account_now_ms(), &cats, &e))
		return;
	for (size_t i = 0; i < json_object_array_length(cats); i++) {
		json_object *c = json_object_array_get_idx(cats, i), *slug;
		if (current && json_object_object_get_ex(c, "slug", &slug) &&
		    strcmp(json_object_get_string(slug), current) == 0)
			json_object_object_add(c, "current", json_object_new_boolean(true));
	}
	json_object_object_add(data, "hasCategories",
			       json_object_new_boolean(json_object_array_length(cats) > 0));
	json_object_object_add(data, "categories", cats);
}

/* The list pages: all, a category, or a search. */
static void list_page(struct http_req *req, const char *category, const char *q, int page)
{
	struct article_query aq = { category, q, page, ARTICLE_PER_PAGE };
	json_object *items = NULL, *cat = NULL, *data, *pg;
	struct buf base = { 0 }, url = { 0 }, title = { 0 };
	int64_t total = 0;
	struct err e = { 0 };
	int pages;

	if (page < 1) {
		page_not_found(req);
		return;
	}
	if (!article_list(conn_store(NULL), account_now_ms(), &aq, &items, &total, &cat, &e)) {
		if (e.status == 404)
			page_not_found(req);
		else
			page_error(req, e.status ? e.status : 500);
		return;
	}
	pages = total == 0 ? 1 : (int)((total + ARTICLE_PER_PAGE - 1) / ARTICLE_PER_PAGE);
	if (page > pages) {
		json_object_put(items);
		json_object_put(cat);
		page_not_found(req);
		return;
	}
	if (category)
		buf_printf(&base, "/blog/category/%s", category);
	else if (q)
		buf_str(&base, "/blog/search");
	else
		buf_str(&base, "/blog");

	if (cat) {
		json_object *name;
		json_object_object_get_ex(cat, "name", &name);
		buf_printf(&title, "%s — Le Mag’", json_object_get_string(name));
	} else if (q) {
		buf_printf(&title, "Recherche « %s » — Le Mag’", q);
	} else {
		buf_str(&title, "Le Mag’");
	}
	if (page > 1)
		buf_printf(&title, " (page %d)", page);
	data = page_data(req, title.data);
	page_section(data, "blog");
	page_set(data, "description", cat ? "Les articles de cette catégorie du Mag’ de CoworKing Café."
				     : "Le Mag’ de CoworKing Café : nouvelles du café, conseils pour travailler, vie du quartier.");
	buf_str(&url, cfg->site_url);
	page_url(&url, base.data, q, page);
	if (!q)
		page_set(data, "canonical", url.data);

	pg = json_object_new_object();
	json_object_object_add(pg, "current", json_object_new_int(page));
	json_object_object_add(pg, "pages", json_object_new_int(pages));
	json_object_object_add(pg, "total", json_object_new_int64(total));
	if (page > 1) {
		struct buf p = { 0 };
		page_url(&p, base.data, q, page - 1);
		add_str(pg, "prev", p.data);
		buf_free(&p);
	}
	if (page < pages) {
		struct buf p = { 0 };
		page_url(&p, base.data, q, page + 1);
		add_str(pg, "next", p.data);
		buf_free(&p);
	}
	json_object_object_add(pg, "many", json_object_new_boolean(pages > 1));
	json_object_object_add(data, "pagination", pg);
	/* rel=prev/next in the head (layout's head.html reads page.prev/next) */
	json_object *pobj;
	if (json_object_object_get_ex(data, "page", &pobj)) {
		json_object *v;
		if (json_object_object_get_ex(pg, "prev", &v))
			add_str(pobj, "prev", json_object_get_string(v));
		if (json_object_object_get_ex(pg, "next", &v))
			add_str(pobj, "next", json_object_get_string(v));
	}
	json_object_object_add(data, "hasArticles",
			       json_object_new_boolean(json_object_array_length(items) > 0));
	site_blog_images(items, "(min-width: 40rem) 24rem, 100vw");
	json_object_object_add(data, "articles", items);
	if (cat)
		json_object_object_add(data, "category", cat);
	if (q) {
		add_str(data, "q", q);
		json_object_object_add(data, "searching", json_object_new_boolean(true));
	}
	sidebar(req, data, category);
	buf_free(&base);
	buf_free(&url);
	buf_free(&title);
	page_render(req, 200, "blog.html", data);
}

void site_blog(struct http_req *req)
{
	list_page(req, NULL, NULL, 1);
}

void site_blog_page(struct http_req *req)
{
	int n = page_number(http_param(req, "n"));
	if (n == 1) {
		http_redirect(req, 301, "/blog");
		return;
	}
	list_page(req, NULL, NULL, n);
}

void site_blog_category(struct http_req *req)
{
	const char *n = http_param(req, "n");
	list_page(req, http_param(req, "slug"), NULL, n ? page_number(n) : 1);
}

void site_blog_search(struct http_req *req)
{
	const char *q = http_query(req, "q"), *p = http_query(req, "page");
	char cut[201];

	if (!q || !*q) {
		http_redirect(req, 303, "/blog");
		return;
	}
	if (strlen(q) > 200) {
		/* longer than any title: the first 200 bytes, cut on a character */
		size_t n = 200;
		while (n > 0 && ((unsigned char)q[n] & 0xC0) == 0x80)
			n--;
		memcpy(cut, q, n);
		cut[n] = '\0';
		q = cut;
	}
	list_page(req, NULL, q, p ? page_number(p) : 1);
}

void site_blog_article(struct http_req *req)
{
	const char *slug = http_param(req, "slug");
	json_object *a = NULL, *data, *ld, *v;
	struct err e = { 0 };
	struct buf url = { 0 }, visitor = { 0 };
	bool counted = false;
	store_t *st = conn_store(NULL);

	if (!article_get(st, account_now_ms(), slug, &a, &e)) {
		if (e.status == 404)
			page_not_found(req);
		else
			page_error(req, e.status ? e.status : 500);
		return;
	}
	/* a view per visitor and day; crawlers are not readers */
	const char *ua = http_header(req, "User-Agent");
	if (ua && !strcasestr(ua, "bot") && !strcasestr(ua, "spider") && !strcasestr(ua, "crawl")) {
		buf_printf(&visitor, "%s\n%s", http_client_ip(req), ua);
		if (article_view(st, account_now_ms(), slug, visitor.data, &counted, &e) && counted &&
		    json_object_object_get_ex(a, "viewCount", &v))
			json_object_object_add(a, "viewCount", json_object_new_int64(json_object_get_int64(v) + 1));
	}
	buf_free(&visitor);

	json_object_object_get_ex(a, "title", &v);
	data = page_data(req, json_object_get_string(v));
	page_section(data, "blog");
	buf_printf(&url, "%s/blog/%s", cfg->site_url, slug);
	page_set(data, "canonical", url.data);
	if (json_object_object_get_ex(a, "excerpt", &v) && *json_object_get_string(v))
		page_set(data, "description", json_object_get_string(v));

	ld = json_object_new_object();
	add_str(ld, "@context", "https://schema.org");
	add_str(ld, "@type", "Article");
	json_object_object_get_ex(a, "title", &v);
	add_str(ld, "headline", json_object_get_string(v));
	if (json_object_object_get_ex(a, "publishedAt", &v))
		add_str(ld, "datePublished", json_object_get_string(v));
	if (json_object_object_get_ex(a, "updatedAt", &v))
		add_str(ld, "dateModified", json_object_get_string(v));
	if (json_object_object_get_ex(a, "featuredImage", &v) && tpl_url_safe(json_object_get_string(v))) {
		struct buf image = { 0 };   /* absolute, as og:image */
		site_image_absolute(json_object_get_string(v), &image);
		add_str(ld, "image", image.data);
		buf_free(&image);
	}
	add_str(ld, "mainEntityOfPage", url.data);
	json_object *pub = json_object_new_object();
	add_str(pub, "@type", "Organization");
	add_str(pub, "name", "CoworKing Café");
	json_object_object_add(ld, "publisher", pub);
	page_set_json_ld(data, ld);
	buf_free(&url);

	site_blog_article_extras(req, data, a);
	json_object_object_add(data, "article", a);
	sidebar(req, data, NULL);
	page_render(req, 200, "article.html", data);
}
