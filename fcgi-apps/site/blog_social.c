/*
 * blog_social.c — the blog's reader side beyond the lists (SPEC §8):
 * the archive by month (/blog/archive), likes — one per signed-in
 * account, by API (GET/POST/DELETE /api/articles/:slug/like) and by a
 * plain form on the article page (POST /blog/:slug/like) — and what the
 * article page adds around the text (likes, related articles, the Open
 * Graph image). The rules are content/article.h's.
 */
#include "account/account.h"
#include "account/api.h"
#include "content/article.h"
#include "content/upload.h"
#include "conn/conn.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/template.h"
#include "web/page.h"
#include "site.h"

#include <stdlib.h>
#include <string.h>

void site_blog_archive(struct http_req *req)
{
	json_object *months = NULL, *data;
	int64_t total = 0;
	struct err e = { 0 };
	struct buf url = { 0 };

	if (!article_archive(conn_store(NULL), account_now_ms(), &months, &total, &e)) {
		page_error(req, e.status ? e.status : 500);
		return;
	}
	data = page_data(req, "Archives du Mag’");
	page_section(data, "blog");
	page_set(data, "description", "Tous les articles du Mag’ de CoworKing Café, mois par mois.");
	buf_printf(&url, "%s/blog/archive", cfg->site_url);
	page_set(data, "canonical", url.data);
	buf_free(&url);
	json_object_object_add(data, "months", months);
	json_object_object_add(data, "total", json_object_new_int64(total));
	page_render(req, 200, "blog-archive.html", data);
}

static void like_api(struct http_req *req, int want)
{
	const struct auth_session *me = auth_session(req);
	bool liked = false;
	int64_t count = 0;
	struct err e = { 0 };
	json_object *o;

	if (!article_like(conn_store(NULL), account_now_ms(), http_param(req, "slug"), &me->user_id, want,
			  &liked, &count, &e)) {
		http_send_err(req, &e);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "liked", json_object_new_boolean(liked));
	json_object_object_add(o, "likeCount", json_object_new_int64(count));
	http_send_json(req, 200, o);
}

void site_article_like_get(struct http_req *req)
{
	like_api(req, -1);
}

void site_article_like_post(struct http_req *req)
{
	like_api(req, 1);
}

void site_article_like_delete(struct http_req *req)
{
	like_api(req, 0);
}

void site_form_article_like(struct http_req *req)
{
	const struct auth_session *me = auth_session(req);
	const char *slug = http_param(req, "slug"), *action = http_form(req, "action");
	bool liked = false;
	int64_t count = 0;
	struct err e = { 0 };
	struct buf to = { 0 };

	if (!article_like(conn_store(NULL), account_now_ms(), slug, &me->user_id,
			  action && strcmp(action, "unlike") == 0 ? 0 : 1, &liked, &count, &e)) {
		if (e.status == 404)
			page_not_found(req);
		else
			page_error(req, e.status ? e.status : 500);
		return;
	}
	buf_printf(&to, "/blog/%s#likes", slug);
	http_redirect(req, 303, to.data);
	buf_free(&to);
}

void site_image(json_object *o, const char *key, const char *sizes)
{
	json_object *v;
	struct buf dir = { 0 };

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string) ||
	    !*json_object_get_string(v) || !tpl_url_safe(json_object_get_string(v)))
		return;
	buf_printf(&dir, "%s/uploads", cfg->data_dir);
	json_object *img = upload_image_json(dir.data, json_object_get_string(v), sizes);
	if (json_object_object_get_ex(o, "imgAlt", &v))
		json_object_object_add(img, "alt", json_object_get(v));
	json_object_object_add(o, "image", img);
	buf_free(&dir);
}

void site_image_absolute(const char *url, struct buf *out)
{
	if (url[0] == '/')
		buf_printf(out, "%s%s", cfg->site_url, url);
	else
		buf_str(out, url);
}

void site_blog_image(json_object *article, const char *sizes)
{
	site_image(article, "featuredImage", sizes);
}

void site_blog_images(json_object *items, const char *sizes)
{
	for (size_t i = 0; items && i < json_object_array_length(items); i++)
		site_blog_image(json_object_array_get_idx(items, i), sizes);
}

void site_blog_article_extras(struct http_req *req, json_object *data, json_object *article)
{
	const struct auth_session *me = auth_session(req);
	json_object *v, *related = NULL, *likes = json_object_new_object();
	struct err e = { 0 };
	store_t *st = conn_store(NULL);

	/* likes: the stored count, and whether the reader likes it */
	if (json_object_object_get_ex(article, "slug", &v)) {
		char *enc = tpl_url_encode(json_object_get_string(v));
		struct buf action = { 0 };
		buf_printf(&action, "/blog/%s/like", enc);
		json_object_object_add(likes, "action", json_object_new_string(action.data));
		buf_free(&action);
		free(enc);
	}
	if (me) {
		bool liked = false;
		int64_t count = 0;
		json_object_object_get_ex(article, "slug", &v);
		if (article_like(st, account_now_ms(), json_object_get_string(v), &me->user_id, -1, &liked, &count, &e)) {
			json_object_object_add(likes, "liked", json_object_new_boolean(liked));
			json_object_object_add(article, "likeCount", json_object_new_int64(count));
		}
		json_object_object_add(likes, "signedIn", json_object_new_boolean(true));
	} else {
		struct buf login = { 0 };
		json_object_object_get_ex(article, "slug", &v);
		buf_printf(&login, "/auth/login?next=/blog/%s", json_object_get_string(v));
		json_object_object_add(likes, "loginHref", json_object_new_string(login.data));
		buf_free(&login);
	}
	json_object_object_add(data, "likes", likes);

	/* three related articles */
	site_blog_image(article, "(min-width: 60rem) 46rem, 100vw");
	if (article_related(st, account_now_ms(), article, 3, &related, &e)) {
		site_blog_images(related, "(min-width: 40rem) 20rem, 100vw");
		json_object_object_add(data, "hasRelated", json_object_new_boolean(json_object_array_length(related) > 0));
		json_object_object_add(data, "related", related);
	}

	/* the Open Graph image: the featured image, as an absolute URL */
	if (json_object_object_get_ex(article, "featuredImage", &v) && *json_object_get_string(v) &&
	    tpl_url_safe(json_object_get_string(v))) {
		struct buf abs = { 0 };
		site_image_absolute(json_object_get_string(v), &abs);
		page_set(data, "image", abs.data);
		if (json_object_object_get_ex(article, "imgAlt", &v))
			page_set(data, "imageAlt", json_object_get_string(v));
		buf_free(&abs);
	}
	page_set(data, "ogType", "article");
}
