/*
 * menu.c — the café's menu (SPEC §8): the page /boissons (the drinks, by
 * category) and GET /api/drinks?type= (the same as JSON, for the café's
 * other sites). Both read content/menu.h, which never hands out the
 * internal `recipe`.
 */
#include "conn/conn.h"
#include "content/menu.h"
#include "core/buf.h"
#include "core/config.h"
#include "web/page.h"
#include "site.h"

#include <string.h>

void site_menu(struct http_req *req)
{
	store_error_t se = { 0 };
	store_t *st = conn_store(&se);
	json_object *cats = NULL, *data, *ld, *items;
	struct buf url = { 0 };

	if (!st || !menu_public(st, "drink", &cats, &se)) {
		page_error(req, 503);
		return;
	}
	data = page_data(req, "La carte des boissons");
	buf_printf(&url, "%s/boissons", cfg->site_url);
	page_set(data, "canonical", url.data);
	page_set(data, "description", "Cafés d’Omnino, thés en vrac, chocolats et boissons fraîches : la carte de CoworKing Café, à volonté pendant votre temps de travail.");
	page_section(data, "menu");
	json_object_object_add(data, "categories", cats);
	json_object_object_add(data, "hasCategories", json_object_new_boolean(json_object_array_length(cats) > 0));
	/* breadcrumb JSON-LD, like the other pages below the home */
	ld = json_object_new_object();
	items = json_object_new_array();
	json_object_object_add(ld, "@context", json_object_new_string("https://schema.org"));
	json_object_object_add(ld, "@type", json_object_new_string("BreadcrumbList"));
	for (int i = 0; i < 2; i++) {
		json_object *li = json_object_new_object();
		struct buf u = { 0 };
		buf_printf(&u, "%s%s", cfg->site_url, i ? "/boissons" : "/");
		json_object_object_add(li, "@type", json_object_new_string("ListItem"));
		json_object_object_add(li, "position", json_object_new_int(i + 1));
		json_object_object_add(li, "name", json_object_new_string(i ? "La carte" : "Accueil"));
		json_object_object_add(li, "item", json_object_new_string(u.data));
		buf_free(&u);
		json_object_array_add(items, li);
	}
	json_object_object_add(ld, "itemListElement", items);
	page_set_json_ld(data, ld);
	buf_free(&url);
	page_render(req, 200, "menu.html", data);
}

void site_menu_api(struct http_req *req)
{
	const char *type = http_query(req, "type");
	store_error_t se = { 0 };
	store_t *st;
	json_object *cats = NULL, *out;
	bool known = false;

	for (size_t i = 0; type && menu_types[i]; i++)
		if (strcmp(type, menu_types[i]) == 0)
			known = true;
	if (type && !known) {
		http_error_field(req, 400, "invalid_request", "type",
				 "type must be drink, food, grocery or goodies.");
		return;
	}
	if (!(st = http_store(req)))
		return;
	if (!menu_public(st, type, &cats, &se)) {
		http_send_store_fail(req, "menu", &se);
		return;
	}
	out = json_object_new_object();
	json_object_object_add(out, "categories", cats);
	http_send_json(req, 200, out);
}
