/*
 * seo.c — what search engines read besides the pages: robots.txt (the
 * API, the account pages, the dashboard and the booking funnel's steps
 * are not for them) and sitemap.xml (every public page, with the date its
 * text last changed as lastmod where we know it; the blog's articles with
 * theirs, and its categories that have articles). Both name the public base URL
 * (NEXTAUTH_URL), never the request's Host.
 */
#include "account/account.h"
#include "conn/conn.h"
#include "content/article.h"
#include "content/event.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/config.h"
#include "web/page.h"
#include "site.h"

#include <string.h>
#include <time.h>

static void set_str(json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, json_object_new_string(value ? value : ""));
}

void site_robots(struct http_req *req)
{
	json_object *data = json_object_new_object();

	set_str(data, "base", cfg->site_url);
	page_render_plain(req, 200, "text/plain; charset=utf-8", "robots.txt", data);
}

/* `day`: "YYYY-MM-DD…" (an ISO date) or NULL. */
static void add_url_day(json_object *list, const char *path, const char *day)
{
	json_object *o = json_object_new_object();
	char loc[1024];

	if (!buf_fmt(loc, sizeof loc, "%s%s", cfg->site_url, path)) {
		json_object_put(o);
		return;
	}
	set_str(o, "loc", loc);
	if (day && strlen(day) >= 10)
		json_object_object_add(o, "lastmod", json_object_new_string_len(day, 10));
	json_object_array_add(list, o);
}

/* The public articles and the categories that have some (content/article.h). */
static void add_blog(json_object *urls)
{
	store_error_t se = { 0 };
	store_t *st = conn_store(&se);
	json_object *items = NULL, *cats = NULL;
	int64_t total = 0, now = account_now_ms();
	struct err e;
	char path[512];

	if (!st) {
		log_warn("sitemap: store: %s", se.message);
		return;
	}
	for (int page = 1; page <= 100; page++) {
		struct article_query q = { .page = page, .per_page = 50 };
		size_t n;

		if (!article_list(st, now, &q, &items, &total, NULL, &e)) {
			log_warn("sitemap: articles: %s", e.message);
			return;
		}
		n = json_object_array_length(items);
		for (size_t i = 0; i < n; i++) {
			json_object *a = json_object_array_get_idx(items, i), *v = NULL;
			const char *slug = NULL, *day = NULL;
			if (json_object_object_get_ex(a, "slug", &v))
				slug = json_object_get_string(v);
			if (json_object_object_get_ex(a, "updatedAt", &v) ||
			    json_object_object_get_ex(a, "publishedAt", &v))
				day = json_object_get_string(v);
			if (slug && *slug && !strchr(slug, '/') &&
			    buf_fmt(path, sizeof path, "/blog/%s", slug))
				add_url_day(urls, path, day);
		}
		json_object_put(items);
		items = NULL;
		if (n < 50 || (int64_t)page * 50 >= total)
			break;
	}
	if (!article_categories(st, now, &cats, &e)) {
		log_warn("sitemap: categories: %s", e.message);
		return;
	}
	for (size_t i = 0; i < json_object_array_length(cats); i++) {
		json_object *c = json_object_array_get_idx(cats, i), *v = NULL;
		const char *slug = NULL;
		if (json_object_object_get_ex(c, "slug", &v))
			slug = json_object_get_string(v);
		if (json_object_object_get_ex(c, "articleCount", &v) && json_object_get_int64(v) > 0 &&
		    slug && *slug && !strchr(slug, '/') &&
		    buf_fmt(path, sizeof path, "/blog/category/%s", slug))
			add_url_day(urls, path, NULL);
	}
	json_object_put(cats);
}

/* The upcoming public events, lastmod their last change. */
static void add_events(json_object *urls)
{
	store_error_t se = { 0 };
	store_t *st = conn_store(&se);
	int64_t now = account_now_ms(), total = 0;
	json_object *items = NULL;
	struct err e = { 0 };
	char path[300];

	if (!st)
		return;
	for (int page = 1; page <= 20; page++) {
		struct event_query q = { NULL, page, 50 };
		size_t n;
		if (!event_list(st, now, &q, &items, &total, &e)) {
			log_warn("sitemap: events: %s", e.message);
			return;
		}
		n = json_object_array_length(items);
		for (size_t i = 0; i < n; i++) {
			json_object *a = json_object_array_get_idx(items, i), *v = NULL;
			const char *slug = NULL, *day = NULL;
			if (json_object_object_get_ex(a, "slug", &v))
				slug = json_object_get_string(v);
			if (json_object_object_get_ex(a, "updatedAt", &v))
				day = json_object_get_string(v);
			if (slug && *slug && !strchr(slug, '/') && buf_fmt(path, sizeof path, "/events/%s", slug))
				add_url_day(urls, path, day);
		}
		json_object_put(items);
		items = NULL;
		if (n < 50 || (int64_t)page * 50 >= total)
			break;
	}
}

static void add_url(json_object *list, const char *path, int64_t mtime)
{
	json_object *o = json_object_new_object();
	char loc[1024], day[16];
	time_t t = (time_t)mtime;
	struct tm tm;

	if (!buf_fmt(loc, sizeof loc, "%s%s", cfg->site_url, path)) {
		json_object_put(o);
		return;
	}
	set_str(o, "loc", loc);
	if (mtime > 0 && gmtime_r(&t, &tm) && strftime(day, sizeof day, "%Y-%m-%d", &tm))
		set_str(o, "lastmod", day);
	json_object_array_add(list, o);
}

void site_sitemap(struct http_req *req)
{
	json_object *data = json_object_new_object(), *urls = json_object_new_array();
	int64_t newest = 0;
	const char *path;

	for (size_t i = 0; site_page_path(i); i++)
		if (site_page_mtime(i) > newest)
			newest = site_page_mtime(i);
	add_url(urls, "/", newest);
	for (size_t i = 0; (path = site_page_path(i)); i++)
		add_url(urls, path, site_page_mtime(i));
	/* the pages other files serve; the blog's articles and categories */
	add_url(urls, "/booking", 0);
	add_url(urls, "/contact", 0);
	add_url(urls, "/blog", 0);
	add_url(urls, "/blog/archive", 0);
	add_url(urls, "/boissons", 0);
	add_url(urls, "/privatization/devis", 0);
	add_url(urls, "/newsletter", 0);
	add_blog(urls);
	add_url(urls, "/events", 0);
	add_events(urls);
	json_object_object_add(data, "urls", urls);
	page_render_plain(req, 200, "application/xml; charset=utf-8", "sitemap.xml.html", data);
}
