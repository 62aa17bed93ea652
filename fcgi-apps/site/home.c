/*
 * home.c — the home page (templates/home.html; the full page of SPEC §8
 * comes with the site pages issue).
 */
#include "core/buf.h"
#include "core/config.h"
#include "web/page.h"
#include "site.h"

#include <stdlib.h>

void site_home(struct http_req *req)
{
	json_object *data = page_data(req, "Accueil");
	json_object *ld = json_object_new_object();
	struct buf url = { 0 };

	buf_printf(&url, "%s/", cfg->site_url);
	page_set(data, "description",
		 "Un café pour travailler, se réunir et se retrouver.");
	page_set(data, "canonical", url.data);
	json_object_object_add(ld, "@context", json_object_new_string("https://schema.org"));
	json_object_object_add(ld, "@type", json_object_new_string("CafeOrCoffeeShop"));
	json_object_object_add(ld, "name", json_object_new_string("CoworKing Café"));
	json_object_object_add(ld, "url", json_object_new_string(url.data));
	page_set_json_ld(data, ld);
	buf_free(&url);
	page_section(data, "home");
	page_render(req, 200, "home.html", data);
}
