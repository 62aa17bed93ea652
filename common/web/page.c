/*
 * page.c — see page.h.
 */
#include "web/page.h"
#include "web/route.h"
#include "core/config.h"
#include "core/log.h"
#include "core/template.h"
#include "assets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct tpl_set *templates;     /* this process's, loaded after fork() */

bool page_templates_load(const char *const *dirs, char *err, size_t errlen)
{
	struct tpl_set *set = tpl_set_load(cfg->template_dir, dirs, err, errlen);

	if (!set)
		return false;
	if (!tpl_find(set, "layout.html")) {
		snprintf(err, errlen, "%s: no layout.html in the page templates",
			 dirs[0] ? dirs[0] : "(no folder)");
		tpl_set_free(set);
		return false;
	}
	tpl_set_free(templates);
	templates = set;
	return true;
}

void page_templates_free(void)
{
	tpl_set_free(templates);
	templates = NULL;
}

static void add_str(json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, json_object_new_string(value ? value : ""));
}

json_object *page_data(struct http_req *req, const char *title)
{
	json_object *data = json_object_new_object();
	json_object *page = json_object_new_object();
	json_object *site = json_object_new_object();
	json_object *assets = json_object_new_object();

	add_str(page, "title", title);
	add_str(site, "name", "CoworKing Café");
	add_str(site, "service", req->app ? req->app->service : "");
	add_str(site, "url", req->app && req->app->base_url ? req->app->base_url() : cfg->site_url);
	add_str(assets, "css", ASSET_SITE_CSS);
	add_str(assets, "icon", ASSET_FAVICON_SVG);
	if (req->app && req->app->staff)
		add_str(assets, "adminCss", ASSET_ADMIN_CSS);
	json_object_object_add(site, "staff", json_object_new_boolean(req->app && req->app->staff));
	json_object_object_add(data, "page", page);
	json_object_object_add(data, "site", site);
	json_object_object_add(data, "assets", assets);
	json_object_object_add(data, "signedIn", json_object_new_boolean(req->session != NULL));
	json_object_object_add(data, "nav", json_object_new_object());
	if (req->app && req->app->page_data)
		req->app->page_data(req, data);
	return data;
}

void page_section(json_object *data, const char *section)
{
	json_object *nav = NULL;

	if (json_object_object_get_ex(data, "nav", &nav))
		json_object_object_add(nav, section, json_object_new_boolean(true));
}

void page_set(json_object *data, const char *key, const char *value)
{
	json_object *page = NULL;

	if (json_object_object_get_ex(data, "page", &page))
		add_str(page, key, value);
}

void page_set_json_ld(json_object *data, json_object *ld)
{
	struct buf b = { 0 };

	tpl_json_script(&b, ld);
	page_set(data, "jsonLd", b.data);
	buf_free(&b);
	json_object_put(ld);
}

static bool render(const char *name, json_object *data, struct buf *out)
{
	const struct tpl *t = tpl_find(templates, name);
	char err[256];

	if (!t) {
		log_error("page: no template %s", name);
		return false;
	}
	if (!tpl_render(t, data, 0, out, err, sizeof err)) {
		log_error("page: %s", err);
		return false;
	}
	return true;
}

void page_render(struct http_req *req, int status, const char *name,
		 json_object *data)
{
	struct buf body = { 0 }, html = { 0 };

	if (!render(name, data, &body))
		goto fail;
	json_object_object_add(data, "content",
			       json_object_new_string_len(body.data, (int)body.len));
	if (!render("layout.html", data, &html))
		goto fail;
	http_add_header(req, "Cache-Control", "no-cache");
	http_send(req, status, "text/html; charset=utf-8", html.data, html.len);
	goto done;
fail:
	http_error(req, 500, "internal", "Internal error (request %s).", req->request_id);
done:
	buf_free(&body);
	buf_free(&html);
	json_object_put(data);
}

void page_render_plain(struct http_req *req, int status, const char *content_type,
		       const char *name, json_object *data)
{
	struct buf body = { 0 };

	if (render(name, data, &body)) {
		http_add_header(req, "Cache-Control", "no-cache");
		http_send(req, status, content_type, body.data ? body.data : "", body.len);
	} else {
		http_error(req, 500, "internal", "Internal error (request %s).", req->request_id);
	}
	buf_free(&body);
	json_object_put(data);
}

void page_not_found(struct http_req *req)
{
	page_render(req, 404, "not-found.html", page_data(req, "Page introuvable"));
}

void page_error(struct http_req *req, int status)
{
	json_object *data = page_data(req, status == 403 ? "Accès refusé" : "Erreur");

	json_object_object_add(data, "forbidden", json_object_new_boolean(status == 403));
	add_str(data, "requestId", req->request_id);
	page_render(req, status, "error.html", data);
}
