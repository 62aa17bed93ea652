/*
 * blog_pages.c — the staff's blog screens (SPEC §9 blog): the articles
 * list (filters by status and category, search, pages), the editor
 * (title, slug, excerpt, Markdown body with a preview rendered by
 * core/markdown.h, category, SEO fields, featured image, status with its
 * publication date) and the categories (create, rename, order,
 * visibility, delete when empty). Plain forms that work without script;
 * blog-editor.js only refreshes the preview as one types, through
 * POST /api/blog/preview (blog.c). The writes go through
 * content/article_admin.h and are audited like the API's routes.
 */
#include "admin.h"
#include "account/account.h"
#include "audit/api.h"
#include "booking/calendar.h"
#include "conn/conn.h"
#include "content/article_admin.h"
#include "content/image.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/doc.h"
#include "core/markdown.h"
#include "core/template.h"
#include "web/page.h"
#include "assets.h"

#include <stdlib.h>
#include <string.h>

#define PAGE_SIZE 20

static const struct { const char *value, *label, *badge; } statuses[] = {
	{ "draft", "Brouillon", "badge badge-neutral" },
	{ "scheduled", "Programmé", "badge badge-warn" },
	{ "published", "Publié", "badge badge-ok" },
	{ "archived", "Archivé", "badge badge-neutral" },
};

static const char *const editor_fields[] = {
	"title", "slug", "excerpt", "content", "category", "metaTitle", "metaDescription",
	"featuredImage", "imgAlt", "status", "publishedAt", NULL,
};

static size_t status_index(const char *s)
{
	for (size_t i = 0; s && i < sizeof statuses / sizeof *statuses; i++)
		if (strcmp(statuses[i].value, s) == 0)
			return i;
	return 0;
}

static json_object *status_options(const char *selected)
{
	json_object *arr = json_object_new_array();

	for (size_t i = 0; i < sizeof statuses / sizeof *statuses; i++) {
		json_object *o = json_object_new_object();
		admin_set_str(o, "value", statuses[i].value);
		admin_set_str(o, "label", statuses[i].label);
		json_object_object_add(o, "selected", json_object_new_boolean(selected && strcmp(selected, statuses[i].value) == 0));
		json_object_array_add(arr, o);
	}
	return arr;
}

/* The categories as <option>s, `selected` (an id) marked; NULL on error. */
static json_object *category_options(store_t *st, const char *selected)
{
	json_object *all = NULL, *arr;
	struct err e = { 0 };

	if (!article_category_list_all(st, &all, &e))
		return NULL;
	arr = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(all); i++) {
		json_object *c = json_object_array_get_idx(all, i), *id, *name, *o = json_object_new_object();
		json_object_object_get_ex(c, "id", &id);
		json_object_object_get_ex(c, "name", &name);
		admin_set_str(o, "value", json_object_get_string(id));
		admin_set_str(o, "label", json_object_get_string(name));
		json_object_object_add(o, "selected", json_object_new_boolean(
			selected && strcmp(selected, json_object_get_string(id)) == 0));
		json_object_array_add(arr, o);
	}
	json_object_put(all);
	return arr;
}

static void tabs(json_object *data, const char *current)
{
	json_object *t = json_object_new_object();

	json_object_object_add(t, current, json_object_new_boolean(true));
	json_object_object_add(data, "tab", t);
}

/* "12/03/2027 09:30" and the datetime-local value, in Paris time. */
static void paris_when(int64_t ms, char *label, size_t llen, char *input, size_t ilen)
{
	int64_t day;
	int minute, y, m, d;

	booking_paris_local(ms, &day, &minute);
	booking_civil_from_days(day, &y, &m, &d);
	if (label)
		(void)buf_fmt(label, llen, "%02d/%02d/%04d %02d:%02d", d, m, y, minute / 60, minute % 60);
	if (input)
		(void)buf_fmt(input, ilen, "%04d-%02d-%02dT%02d:%02d", y, m, d, minute / 60, minute % 60);
}


void admin_page_blog_articles(struct http_req *req)
{
	store_t *st = admin_page_store(req);
	const char *page_s = http_query(req, "page"), *done = http_query(req, "done");
	long page = page_s ? strtol(page_s, NULL, 10) : 1;
	json_object *data, *items = NULL, *cats, *rows, *names = NULL;
	int64_t total = 0, now = account_now_ms();
	struct err e = { 0 };
	int status = 200;

	if (!st)
		return;
	if (page < 1 || page > 100000)
		page = 1;
	data = page_data(req, "Articles du blog");
	page_section(data, "blog");
	tabs(data, "articles");
	cats = category_options(st, http_query(req, "category"));
	if (!cats)
		goto fail;
	admin_filter_form(req, data, "/blog/articles", (const struct admin_filter[]){
		{ .name = "q", .id = "f-q", .label = "Rechercher", .type = "search" },
		{ .name = "status", .id = "f-status", .label = "Statut",
		  .options = status_options(http_query(req, "status")), .all = "Tous" },
		{ .name = "category", .id = "f-category", .label = "Catégorie",
		  .options = cats, .all = "Toutes" } }, 3);
	if (done && strcmp(done, "deleted") == 0)
		admin_alert(data, "success", "L’article a été supprimé.");
	struct article_admin_query q = {
		http_query(req, "status"), http_query(req, "category"), http_query(req, "q"), page, PAGE_SIZE,
	};
	rows = json_object_new_array();
	json_object_object_add(data, "rows", rows);
	if (!article_admin_list(st, now, &q, &items, &total, &e)) {
		if (e.status != 400)
			goto fail;
		admin_alert(data, "error", "Un filtre n’est pas valable.");
		status = 400;
		goto render;
	}
	/* category names by id, for the rows */
	names = json_object_new_object();
	for (size_t i = 0; i < json_object_array_length(cats); i++) {
		json_object *c = json_object_array_get_idx(cats, i), *v, *l;
		json_object_object_get_ex(c, "value", &v);
		json_object_object_get_ex(c, "label", &l);
		json_object_object_add(names, json_object_get_string(v), json_object_get(l));
	}
	for (size_t i = 0; i < json_object_array_length(items); i++) {
		json_object *a = json_object_array_get_idx(items, i), *v, *r = json_object_new_object();
		size_t si;
		char buf[128];
		json_object_object_get_ex(a, "id", &v);
		(void)buf_fmt(buf, sizeof buf, "/blog/articles/%s", json_object_get_string(v));
		admin_set_str(r, "href", buf);
		json_object_object_get_ex(a, "title", &v);
		admin_set_str(r, "title", json_object_get_string(v));
		json_object_object_get_ex(a, "slug", &v);
		admin_set_str(r, "slug", json_object_get_string(v));
		json_object_object_get_ex(a, "editorStatus", &v);
		si = status_index(json_object_get_string(v));
		admin_set_str(r, "statusLabel", statuses[si].label);
		admin_set_str(r, "badge", statuses[si].badge);
		if (json_object_object_get_ex(a, "category", &v) &&
		    json_object_object_get_ex(names, json_object_get_string(v), &v))
			admin_set_str(r, "category", json_object_get_string(v));
		else
			admin_set_str(r, "category", "—");
		json_object_object_get_ex(a, "publishedAt", &v);
		buf[0] = '\0';
		if (v && json_object_get_string(v)) {
			/* the list's JSON has ISO dates; show them in Paris time */
			int y, mo, d, h, mi;
			if (sscanf(json_object_get_string(v), "%4d-%2d-%2dT%2d:%2d", &y, &mo, &d, &h, &mi) == 5)
				paris_when(((booking_days_from_civil(y, mo, d) * 1440) + h * 60 + mi) * 60000,
					   buf, sizeof buf, NULL, 0);
		}
		admin_set_str(r, "date", buf[0] ? buf : "—");
		json_object_object_add(r, "views", json_object_new_int64(
			json_object_object_get_ex(a, "viewCount", &v) ? json_object_get_int64(v) : 0));
		json_object_array_add(rows, r);
	}
	json_object_object_add(data, "total", json_object_new_int64(total));
	json_object_object_add(data, "hasRows", json_object_new_boolean(json_object_array_length(rows) > 0));
	{
		static const char *const keep[] = { "status", "category", "q", NULL };
		admin_pager(req, data, page, total, PAGE_SIZE, keep);
	}
render:
	json_object_put(items);
	json_object_put(names);
	page_render(req, status, "blog-articles.html", data);
	return;
fail:
	json_object_put(items);
	json_object_put(names);
	json_object_put(data);
	page_error(req, 503);
}

/* ---- the editor -------------------------------------------------------------- */

/* Renders the editor with `values` (taken), the article's id (NULL: new),
 * an error, and the preview of values.content when `preview`. */
static void render_editor(struct http_req *req, store_t *st, int status, const char *id,
			  json_object *values, const struct err *e, bool preview, const char *done)
{
	json_object *data, *v, *cats;
	const char *content = NULL, *title = NULL;
	struct buf html = { 0 }, action = { 0 };

	if (json_object_object_get_ex(values, "title", &v))
		title = json_object_get_string(v);
	data = page_data(req, id ? (title && *title ? title : "Article") : "Nouvel article");
	page_section(data, "blog");
	page_set(data, "script", ASSET_BLOG_EDITOR_JS);
	tabs(data, id ? "articles" : "new");
	admin_set_str(data, "heading", id ? "Modifier l’article" : "Nouvel article");
	admin_set_str(data, "uploadEndpoint", admin_upload_endpoint());
	if (id) {   /* the no-script upload form: stored here, or Cloudinary (script only) */
		struct buf img = { 0 };
		buf_printf(&img, "/blog/articles/%s/image", id);
		admin_set_str(data, "imageAction", img.data);
		buf_free(&img);
		json_object_object_add(data, "uploadLocal", json_object_new_boolean(admin_upload_local()));
	}
	if (id)
		buf_printf(&action, "/blog/articles/%s", id);
	else
		buf_str(&action, "/blog/articles");
	admin_set_str(data, "action", action.data);
	if (id) {
		admin_set_str(data, "id", id);
		admin_set_str(data, "deleteAction", (buf_str(&action, "/delete"), action.data));
	}
	json_object_object_get_ex(values, "status", &v);
	json_object_object_add(data, "statusOptions", status_options(v ? json_object_get_string(v) : "draft"));
	json_object_object_get_ex(values, "category", &v);
	cats = category_options(st, v ? json_object_get_string(v) : NULL);
	json_object_object_add(data, "categoryOptions", cats ? cats : json_object_new_array());
	if (json_object_object_get_ex(values, "content", &v))
		content = json_object_get_string(v);
	if (content && markdown_render(content, strlen(content), &html))
		admin_set_str(data, "previewHtml", html.data ? html.data : "");
	if (preview)
		json_object_object_add(data, "previewed", json_object_new_boolean(true));
	json_object_object_add(data, "values", values);
	if (e) {
		json_object *err = json_object_new_object();
		admin_alert(data, "error", e->message);
		if (e->field[0])
			json_object_object_add(err, e->field, json_object_new_string(e->message));
		json_object_object_add(data, "errors", err);
	} else if (done && strcmp(done, "saved") == 0) {
		admin_alert(data, "success", "L’article est enregistré.");
	} else if (done && strcmp(done, "created") == 0) {
		admin_alert(data, "success", "L’article est créé.");
	} else if (done && strcmp(done, "image") == 0) {
		admin_alert(data, "success", "L’image est envoyée : c’est l’image à la une de l’article.");
	}
	buf_free(&html);
	buf_free(&action);
	page_render(req, status, "blog-editor.html", data);
}

/* The editor's values of a stored article. */
static json_object *stored_values(const bson_t *doc)
{
	json_object *v = json_object_new_object();
	static const char *const plain[] = { "title", "slug", "excerpt", "content", "metaTitle",
					     "metaDescription", "featuredImage", "imgAlt", NULL };
	bson_oid_t cat;
	char hex[25] = "", when[32] = "";
	int64_t at = doc_date(doc, "publishedAt", 0);

	for (int i = 0; plain[i]; i++)
		admin_set_str(v, plain[i], doc_str(doc, plain[i]));
	if (doc_oid(doc, "category", &cat))
		bson_oid_to_string(&cat, hex);
	admin_set_str(v, "category", hex);
	admin_set_str(v, "status", article_admin_status(doc, account_now_ms()));
	if (at)
		paris_when(at, NULL, 0, when, sizeof when);
	admin_set_str(v, "publishedAt", when);
	return v;
}

static json_object *form_values(struct http_req *req)
{
	json_object *v = json_object_new_object();

	for (int i = 0; editor_fields[i]; i++)
		admin_set_str(v, editor_fields[i], http_form(req, editor_fields[i]));
	return v;
}

void admin_page_blog_article_new(struct http_req *req)
{
	store_t *st = admin_page_store(req);
	json_object *v;

	if (!st)
		return;
	v = json_object_new_object();
	admin_set_str(v, "status", "draft");
	render_editor(req, st, 200, NULL, v, NULL, false, NULL);
}

/* The article `id` into *doc (caller destroys), or false with the 404 page
 * (unknown or malformed id) or the error page answered. */
static bool load_article(struct http_req *req, store_t *st, const char *id, bson_t *doc)
{
	struct err e = { 0 };

	if (article_admin_get(st, id, doc, &e))
		return true;
	if (e.status == 404)
		page_not_found(req);
	else
		page_error(req, e.status);
	return false;
}

void admin_page_blog_article(struct http_req *req)
{
	store_t *st = admin_page_store(req);
	bson_t doc;

	if (!st || !load_article(req, st, http_param(req, "id"), &doc))
		return;
	render_editor(req, st, 200, http_param(req, "id"), stored_values(&doc), NULL, false,
		      http_query(req, "done"));
	bson_destroy(&doc);
}

static void editor_post(struct http_req *req, const char *id)
{
	store_t *st = admin_page_store(req);
	const char *action = http_form(req, "action");
	json_object *values;
	struct err e = { 0 };
	bson_t before, after;
	char hex[25] = "", location[96];
	bson_oid_t oid;

	if (!st)
		return;
	if (id) {   /* an unknown article is the 404 page, not a form */
		bson_t doc;
		if (!load_article(req, st, id, &doc))
			return;
		bson_destroy(&doc);
	}
	values = form_values(req);
	if (action && strcmp(action, "preview") == 0) {
		render_editor(req, st, 200, id, values, NULL, true, NULL);
		return;
	}
	if (!article_admin_save(st, account_now_ms(), id, values, admin_blog_author(req), &before, &after, &e)) {
		bson_destroy(&before);
		bson_destroy(&after);
		render_editor(req, st, e.status >= 400 && e.status < 500 ? e.status : 500, id, values, &e, false, NULL);
		return;
	}
	json_object_put(values);
	if (doc_oid(&after, "_id", &oid))
		bson_oid_to_string(&oid, hex);
	audit_note(req, "articles", hex, id ? &before : NULL, &after);
	bson_destroy(&before);
	bson_destroy(&after);
	(void)buf_fmt(location, sizeof location, "/blog/articles/%s?done=%s", hex, id ? "saved" : "created");
	http_redirect(req, 303, location);
}

void admin_form_blog_article_create(struct http_req *req)
{
	editor_post(req, NULL);
}

void admin_form_blog_article_update(struct http_req *req)
{
	editor_post(req, http_param(req, "id"));
}

/* POST /blog/articles/:id/image: the editor's no-script upload
 * (multipart/form-data, the file in `image`), stored like /api/uploads
 * and set as the featured image; the editor again, with the error next
 * to the field, when it is refused. */
void admin_form_blog_article_image(struct http_req *req)
{
	store_t *st = admin_page_store(req);
	const char *id = http_param(req, "id");
	struct err e = { 0 };
	bson_t doc, before, after;
	bson_oid_t oid;
	char *url = NULL, location[96];

	if (!st || !load_article(req, st, id, &doc))
		return;
	if (!doc_parse_oid(id, &oid)) {   /* article_admin_get() read it */
		bson_destroy(&doc);
		page_not_found(req);
		return;
	}
	if (!admin_upload_form_image(req, &url, &e) ||
	    !content_set_image(st, account_now_ms(), "articles", "featuredImage", &oid, url, &before, &after, &e)) {
		free(url);
		render_editor(req, st, e.status >= 400 && e.status < 500 ? e.status : 500, id, stored_values(&doc), &e,
			      false, NULL);
		bson_destroy(&doc);
		return;
	}
	free(url);
	bson_destroy(&doc);
	audit_note(req, "articles", id, &before, &after);
	bson_destroy(&before);
	bson_destroy(&after);
	(void)buf_fmt(location, sizeof location, "/blog/articles/%s?done=image", id);
	http_redirect(req, 303, location);
}

void admin_form_blog_article_delete(struct http_req *req)
{
	store_t *st = admin_page_store(req);
	struct err e = { 0 };
	bson_t before;

	if (!st)
		return;
	if (!article_admin_delete(st, account_now_ms(), http_param(req, "id"), &before, &e)) {
		if (e.status == 404)
			page_not_found(req);
		else
			page_error(req, e.status);
		return;
	}
	audit_note(req, "articles", http_param(req, "id"), &before, NULL);
	bson_destroy(&before);
	http_redirect(req, 303, "/blog/articles?done=deleted");
}

/* ---- categories ---------------------------------------------------------------- */

static void render_categories(struct http_req *req, store_t *st, int status, const struct err *e,
			      const char *err_id, json_object *new_values)
{
	json_object *data = page_data(req, "Catégories du blog"), *items = NULL;
	struct err le = { 0 };
	const char *done = http_query(req, "done");

	page_section(data, "blog");
	tabs(data, "categories");
	if (!article_category_list_all(st, &items, &le)) {
		json_object_put(data);
		json_object_put(new_values);
		page_error(req, 503);
		return;
	}
	for (size_t i = 0; i < json_object_array_length(items); i++) {
		json_object *c = json_object_array_get_idx(items, i), *id;
		json_object_object_get_ex(c, "id", &id);
		if (e && err_id && strcmp(err_id, json_object_get_string(id)) == 0) {
			json_object *err = json_object_new_object();
			json_object_object_add(err, e->field[0] ? e->field : "form", json_object_new_string(e->message));
			json_object_object_add(c, "errors", err);
			/* what was typed, kept */
			static const char *const keys[] = { "name", "slug", "order", "description", NULL };
			for (int k = 0; keys[k]; k++)
				if (http_form(req, keys[k]))
					admin_set_str(c, keys[k], http_form(req, keys[k]));
		}
		json_object_object_add(c, "isEmpty", json_object_new_boolean(
			json_object_get_int64(json_object_object_get(c, "articleCount")) == 0));
	}
	json_object_object_add(data, "categories", items);
	json_object_object_add(data, "hasCategories", json_object_new_boolean(json_object_array_length(items) > 0));
	json_object_object_add(data, "values", new_values ? new_values : json_object_new_object());
	if (e) {
		admin_alert(data, "error", e->message);
		if (!err_id) {
			json_object *err = json_object_new_object();
			json_object_object_add(err, e->field[0] ? e->field : "form", json_object_new_string(e->message));
			json_object_object_add(data, "errors", err);
		}
	} else if (done) {
		admin_alert(data, "success", strcmp(done, "deleted") == 0 ? "La catégorie a été supprimée."
				      : "La catégorie est enregistrée.");
	}
	page_render(req, status, "blog-categories.html", data);
}

void admin_page_blog_categories(struct http_req *req)
{
	store_t *st = admin_page_store(req);

	if (st)
		render_categories(req, st, 200, NULL, NULL, NULL);
}

static json_object *category_form(struct http_req *req)
{
	static const char *const keys[] = { "name", "slug", "description", "color", "order", "isVisible",
					    "visibleField", NULL };
	json_object *v = json_object_new_object();

	for (int i = 0; keys[i]; i++)
		if (http_form(req, keys[i]))
			admin_set_str(v, keys[i], http_form(req, keys[i]));
	return v;
}

static void category_post(struct http_req *req, const char *id)
{
	store_t *st = admin_page_store(req);
	json_object *in;
	struct err e = { 0 };
	bson_t before, after;
	char hex[25] = "";
	bson_oid_t oid;

	if (!st)
		return;
	in = category_form(req);
	if (!article_category_save(st, account_now_ms(), id, in, &before, &after, &e)) {
		bson_destroy(&before);
		bson_destroy(&after);
		if (e.status == 404) {
			json_object_put(in);
			page_not_found(req);
			return;
		}
		render_categories(req, st, e.status >= 400 && e.status < 500 ? e.status : 500, &e, id,
				  id ? (json_object_put(in), NULL) : in);
		return;
	}
	json_object_put(in);
	if (doc_oid(&after, "_id", &oid))
		bson_oid_to_string(&oid, hex);
	audit_note(req, "categories", hex, id ? &before : NULL, &after);
	bson_destroy(&before);
	bson_destroy(&after);
	http_redirect(req, 303, "/blog/categories?done=saved");
}

void admin_form_blog_category_create(struct http_req *req)
{
	category_post(req, NULL);
}

void admin_form_blog_category_update(struct http_req *req)
{
	category_post(req, http_param(req, "id"));
}

void admin_form_blog_category_delete(struct http_req *req)
{
	store_t *st = admin_page_store(req);
	struct err e = { 0 };
	bson_t before;

	if (!st)
		return;
	if (!article_category_delete(st, http_param(req, "id"), &before, &e)) {
		if (e.status == 404)
			page_not_found(req);
		else if (e.status == 409)
			render_categories(req, st, 409, &e, http_param(req, "id"), NULL);
		else
			page_error(req, e.status);
		return;
	}
	audit_note(req, "categories", http_param(req, "id"), &before, NULL);
	bson_destroy(&before);
	http_redirect(req, 303, "/blog/categories?done=deleted");
}
