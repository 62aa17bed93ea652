/*
 * seo.c — what search engines read besides the pages: robots.txt (the
 * API, the account pages, the dashboard and the booking funnel's steps
 * are not for them) and sitemap.xml (every public page, with the date its
 * text last changed as lastmod). Both name the public base URL
 * (NEXTAUTH_URL), never the request's Host.
 */
#include "core/buf.h"
#include "core/config.h"
#include "web/page.h"
#include "site.h"

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
	json_object_object_add(data, "urls", urls);
	page_render_plain(req, 200, "application/xml; charset=utf-8", "sitemap.xml.html", data);
}
