/*
 * upload.c — images for articles and events (SPEC §8 Images), staff only:
 *   POST /api/uploads            the image as the request body (any name,
 *                                any Content-Type: the content decides):
 *                                WebP variants under CWC_DATA_DIR/uploads,
 *                                answered {upload: {url, srcset, width,
 *                                height, variants}}; audited. 409 when
 *                                Cloudinary is configured (uploads go there).
 *   POST /api/uploads/signature  the parameters and signature of a direct
 *                                upload to Cloudinary, computed here after
 *                                the role check (the secret stays here);
 *                                404 when Cloudinary is not configured.
 * The rules are content/upload.h's; the size limit is CWC_MAX_UPLOAD
 * (ROUTE_UPLOAD: the handlers read the body, so a photo too large gets a
 * French sentence where it was chosen).
 */
#include "admin.h"
#include "account/account.h"
#include "audit/api.h"
#include "content/upload.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/log.h"
#include "web/multipart.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static bool cloudinary_on(void)
{
	return cfg->cloudinary_cloud_name && *cfg->cloudinary_cloud_name && cfg->cloudinary_api_key &&
	       *cfg->cloudinary_api_key && cfg->cloudinary_api_secret && *cfg->cloudinary_api_secret;
}

bool admin_upload_local(void)
{
	return !cloudinary_on();
}

bool admin_upload_form_image(struct http_req *req, char **url, struct err *e)
{
	struct multipart mp;
	const struct multipart_part *p;
	json_object *info = NULL, *v;
	struct buf dir = { 0 };
	bool ok;

	*url = NULL;
	if (cloudinary_on())
		return err_set(e, 409, "cloudinary_configured", "image",
			       "Les images vont sur Cloudinary : leur envoi demande JavaScript.");
	if (!http_req_read_upload(req, NULL, 0, e)) {
		(void)buf_fmt(e->field, sizeof e->field, "image");
		return false;
	}
	if (!multipart_parse(http_env(req, "CONTENT_TYPE"), req->body, req->body_len, &mp, e)) {
		/* the reader's detail is for the log; the page says it plainly */
		log_info("upload form refused: %s", e->message);
		return err_set(e, e->status, e->code, "image", "Le formulaire d’envoi est illisible : réessayez.");
	}
	p = multipart_get(&mp, "image");
	if (!p || p->len == 0)
		return err_set(e, 400, "invalid_request", "image", "Choisissez une image à envoyer.");
	buf_printf(&dir, "%s/uploads", cfg->data_dir);
	ok = upload_store_local(dir.data, "/uploads", p->data, p->len, &info, e);
	buf_free(&dir);
	if (!ok) {
		(void)buf_fmt(e->field, sizeof e->field, "image");
		return false;
	}
	json_object_object_get_ex(info, "url", &v);
	*url = strdup(json_object_get_string(v));
	json_object_put(info);
	return true;
}

const char *admin_upload_endpoint(void)
{
	return cloudinary_on() ? "/api/uploads/signature" : "/api/uploads";
}

void admin_upload(struct http_req *req)
{
	json_object *info = NULL, *o, *v;
	struct err e = { 0 };
	struct buf dir = { 0 };
	bson_t after = BSON_INITIALIZER;

	if (cloudinary_on()) {
		http_error(req, 409, "cloudinary_configured",
			   "Uploads go to Cloudinary: ask POST /api/uploads/signature.");
		return;
	}
	if (!http_req_read_upload(req, NULL, 0, &e)) {
		http_send_err(req, &e);
		return;
	}
	if (!req->body || req->body_len == 0) {
		http_error_field(req, 400, "invalid_request", "file", "Aucune image reçue.");
		return;
	}
	buf_printf(&dir, "%s/uploads", cfg->data_dir);
	if (!upload_store_local(dir.data, "/uploads", (const unsigned char *)req->body, req->body_len, &info, &e)) {
		buf_free(&dir);
		http_send_err(req, &e);
		return;
	}
	buf_free(&dir);
	json_object_object_get_ex(info, "url", &v);
	BSON_APPEND_UTF8(&after, "url", json_object_get_string(v));
	json_object_object_get_ex(info, "type", &v);
	BSON_APPEND_UTF8(&after, "type", json_object_get_string(v));
	BSON_APPEND_INT64(&after, "bytes", (int64_t)req->body_len);
	json_object_object_get_ex(info, "url", &v);
	audit_note(req, "uploads", json_object_get_string(v), NULL, &after);
	bson_destroy(&after);
	o = json_object_new_object();
	json_object_object_add(o, "upload", info);
	http_send_json(req, 201, o);
}

void admin_upload_signature(struct http_req *req)
{
	json_object *params, *o, *v;
	char sig[41], ts[32];
	const char *folder = "coworkingcafe";
	struct buf url = { 0 };

	if (!cloudinary_on()) {
		http_error(req, 404, "not_configured", "Cloudinary is not configured: POST the image to /api/uploads.");
		return;
	}
	if (req->json && json_object_object_get_ex(req->json, "folder", &v)) {
		const char *f = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
		bool good = *f && strlen(f) <= 64;
		for (const char *p = f; good && *p; p++)
			good = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '/';
		if (!good) {
			http_error_field(req, 400, "invalid_request", "folder", "folder: a-z, 0-9, - _ / (64 at most).");
			return;
		}
		folder = f;
	}
	(void)buf_fmt(ts, sizeof ts, "%lld", (long long)(account_now_ms() / 1000));
	params = json_object_new_object();
	json_object_object_add(params, "folder", json_object_new_string(folder));
	json_object_object_add(params, "timestamp", json_object_new_string(ts));
	upload_cloudinary_sign(params, cfg->cloudinary_api_secret, sig);
	json_object_object_add(params, "signature", json_object_new_string(sig));
	json_object_object_add(params, "api_key", json_object_new_string(cfg->cloudinary_api_key));
	o = json_object_new_object();
	json_object_object_add(o, "params", params);
	json_object_object_add(o, "cloudName", json_object_new_string(cfg->cloudinary_cloud_name));
	buf_printf(&url, "%s/v1_1/%s/image/upload", cfg->cloudinary_api_base, cfg->cloudinary_cloud_name);
	json_object_object_add(o, "uploadUrl", json_object_new_string(url.data));
	buf_free(&url);
	http_send_json(req, 200, o);
}
