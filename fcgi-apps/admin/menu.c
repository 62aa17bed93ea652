/*
 * menu.c — the café's menu for the staff (SPEC §9 menu): the categories
 * (name, description, type, order, active, shown on the site) and their
 * items (name, description, internal recipe, price in cents, order,
 * available). Every write is a form audited as menu.categories.* or
 * menu.items.*. The site reads the same collections (content/menu.h).
 */
#include "admin.h"
#include "account/account.h"
#include "audit/api.h"
#include "conn/conn.h"
#include "content/menu.h"
#include "core/buf.h"
#include "core/doc.h"
#include "core/money.h"
#include "core/text.h"
#include "web/page.h"

#include <stdlib.h>
#include <string.h>

#define NAME_MAX_CHARS 100
#define TEXT_MAX_CHARS 2000

static const char *const type_labels[] = { "Boissons", "À manger", "Épicerie", "Goodies", NULL };

struct form_err {
	const char *field, *text;
};

static bool too_long(const char *s, size_t max)
{
	return s && buf_utf8_chars(s, strlen(s)) > max;
}

/* "12", "2,80", "2.8" € → cents; "" → -1 (no price); false when malformed. */
static bool parse_price(const char *s, int64_t *cents)
{
	long euros = 0, frac = 0;
	int digits = 0;
	const char *p = s;

	if (!s || text_blank(s)) {
		*cents = -1;
		return true;
	}
	while (*p == ' ')
		p++;
	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		euros = euros * 10 + (*p - '0');
		if (euros > 100000)
			return false;
	}
	if (*p == ',' || *p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++) {
			if (++digits > 2)
				return false;
			frac = frac * 10 + (*p - '0');
		}
		if (digits == 1)
			frac *= 10;
	}
	while (*p == ' ')
		p++;
	if (strncmp(p, "€", strlen("€")) == 0)
		p += strlen("€");
	if (*p)
		return false;
	*cents = (int64_t)euros * 100 + frac;
	return true;
}

static bool parse_order(const char *s, int32_t *out)
{
	char *end;
	long v;
	if (!s || text_blank(s)) {
		*out = 0;
		return true;
	}
	v = strtol(s, &end, 10);
	if (*end || v < 0 || v > 100000)
		return false;
	*out = (int32_t)v;
	return true;
}

static const char *oid_hex(const bson_t *doc, char hex[25])
{
	bson_oid_t id;
	if (!doc_oid(doc, "_id", &id))
		return NULL;
	bson_oid_to_string(&id, hex);
	return hex;
}

static json_object *item_json(const bson_t *doc)
{
	json_object *it = json_object_new_object();
	char hex[25];
	int64_t price = doc_int(doc, "price", -1);

	admin_set_str(it, "id", oid_hex(doc, hex));
	admin_set_str(it, "name", doc_str(doc, "name"));
	admin_set_str(it, "description", doc_str(doc, "description"));
	admin_set_str(it, "recipe", doc_str(doc, "recipe"));
	json_object_object_add(it, "order", json_object_new_int64(doc_int(doc, "order", 0)));
	json_object_object_add(it, "isActive", json_object_new_boolean(doc_bool(doc, "isActive", true)));
	if (price >= 0) {
		char p[32], e[32];
		money_format(price, 0, p, sizeof p);
		admin_set_str(it, "priceText", p);
		(void)buf_fmt(e, sizeof e, "%lld,%02lld", (long long)price / 100, (long long)price % 100);
		admin_set_str(it, "price", e);
	}
	return it;
}

/* What menu-category-fields.html shows of the category `doc`. */
static json_object *category_form(const bson_t *doc)
{
	json_object *c = json_object_new_object();
	const char *type = doc_str(doc, "type");

	admin_set_str(c, "name", doc_str(doc, "name"));
	admin_set_str(c, "description", doc_str(doc, "description"));
	json_object_object_add(c, "typeOptions", admin_options(menu_types, type_labels, type));
	json_object_object_add(c, "order", json_object_new_int64(doc_int(doc, "order", 0)));
	json_object_object_add(c, "isActive", json_object_new_boolean(doc_bool(doc, "isActive", true)));
	json_object_object_add(c, "showOnSite", json_object_new_boolean(doc_bool(doc, "showOnSite", true)));
	return c;
}

static json_object *category_json(const bson_t *doc)
{
	json_object *c = category_form(doc);
	char hex[25], href[64];

	admin_set_str(c, "id", oid_hex(doc, hex));
	if (buf_fmt(href, sizeof href, "/menu/categories/%s", hex))
		admin_set_str(c, "href", href);
	admin_set_str(c, "slug", doc_str(doc, "slug"));
	admin_set_str(c, "typeLabel", menu_type_label(doc_str(doc, "type")));
	return c;
}

static bson_t *order_sort(void)
{
	return BCON_NEW("order", BCON_INT32(1), "name", BCON_INT32(1));
}

void admin_page_menu(struct http_req *req)
{
	store_error_t se = { 0 };
	store_t *st = conn_store(&se);
	bson_t *sort = order_sort(), filter = BSON_INITIALIZER;
	store_find_opts_t opts = { .sort = sort };
	store_cursor_t *cur = NULL;
	const bson_t *doc;
	json_object *data = NULL, *cats;

	if (!st)
		goto fail;
	data = page_data(req, "La carte");
	page_section(data, "menu");
	cats = json_object_new_array();
	json_object_object_add(data, "categories", cats);
	if (!(cur = store_find(st, MENU_CATEGORIES, &filter, &opts, &se)))
		goto fail;
	while (store_cursor_next(cur, &doc)) {
		json_object *c = category_json(doc);
		bson_oid_t id;
		int64_t n = 0;
		if (doc_oid(doc, "_id", &id)) {
			bson_t *f = BCON_NEW("category", BCON_OID(&id));
			bool ok = store_count(st, MENU_ITEMS, f, &n, &se);
			bson_destroy(f);
			if (!ok) {
				json_object_put(c);
				goto fail;
			}
		}
		json_object_object_add(c, "items", json_object_new_int64(n));
		json_object_array_add(cats, c);
	}
	if (store_cursor_error(cur, &se))
		goto fail;
	json_object_object_add(data, "hasCategories", json_object_new_boolean(json_object_array_length(cats) > 0));
	{
		/* the new category's form: a drink, last, on the site */
		bson_t *blank = BCON_NEW("type", BCON_UTF8("drink"), "order", BCON_INT32(100));
		json_object_object_add(data, "newCategory", category_form(blank));
		bson_destroy(blank);
	}
	if (http_query(req, "done"))
		admin_set_str(data, "notice", "Catégorie supprimée.");
	page_render(req, 200, "menu.html", data);
	data = NULL;
	goto done;
fail:
	json_object_put(data);
	page_error(req, 503);
done:
	if (cur)
		store_cursor_destroy(cur);
	bson_destroy(sort);
	bson_destroy(&filter);
}

static void category_page(struct http_req *req, int status, store_t *st, const bson_t *cat,
			  const char *notice, const struct form_err *fe)
{
	json_object *data = page_data(req, "Catégorie de la carte"), *c = category_json(cat), *items;
	bson_t *sort = order_sort();
	store_find_opts_t opts = { .sort = sort };
	store_error_t se = { 0 };
	store_cursor_t *cur;
	const bson_t *doc;
	bson_oid_t id;
	bson_t *f;

	page_section(data, "menu");
	json_object_object_add(data, "category", c);
	items = json_object_new_array();
	json_object_object_add(data, "items", items);
	doc_oid(cat, "_id", &id);
	f = BCON_NEW("category", BCON_OID(&id));
	cur = store_find(st, MENU_ITEMS, f, &opts, &se);
	bson_destroy(f);
	bson_destroy(sort);
	if (!cur) {
		json_object_put(data);
		page_error(req, 503);
		return;
	}
	while (store_cursor_next(cur, &doc))
		json_object_array_add(items, item_json(doc));
	if (store_cursor_error(cur, &se)) {
		store_cursor_destroy(cur);
		json_object_put(data);
		page_error(req, 503);
		return;
	}
	store_cursor_destroy(cur);
	json_object_object_add(data, "hasItems", json_object_new_boolean(json_object_array_length(items) > 0));
	if (notice)
		admin_set_str(data, "notice", notice);
	if (fe) {
		json_object *e = json_object_new_object();
		admin_set_str(e, "text", fe->text);
		admin_set_str(e, "field", fe->field);
		json_object_object_add(data, "error", e);
	}
	page_render(req, status, "menu-category.html", data);
}

void admin_page_menu_category(struct http_req *req)
{
	static const struct { const char *key, *text; } done[] = {
		{ "saved", "Catégorie enregistrée." }, { "item-added", "Article ajouté." },
		{ "item-saved", "Article enregistré." }, { "item-deleted", "Article supprimé." }, { NULL, NULL },
	};
	const char *d = http_query(req, "done"), *notice = NULL;
	store_t *st = conn_store(NULL);
	bson_oid_t id;
	bson_t cat;

	if (!st) {
		page_error(req, 503);
		return;
	}
	if (!admin_load(req, st, MENU_CATEGORIES, &cat, &id))
		return;
	for (size_t i = 0; d && done[i].key; i++)
		if (strcmp(d, done[i].key) == 0)
			notice = done[i].text;
	category_page(req, 200, st, &cat, notice, NULL);
	bson_destroy(&cat);
}

/* The category form's fields into `set`; false with the field at fault. */
static bool category_fields(struct http_req *req, bson_t *set, struct form_err *fe)
{
	const char *name = http_form(req, "name"), *desc = http_form(req, "description");
	const char *type = http_form(req, "type");
	bool type_ok = false;
	int32_t order;
	struct buf slug = { 0 };

	if (text_blank(name) || too_long(name, NAME_MAX_CHARS)) {
		*fe = (struct form_err){ "name", "Donnez un nom à la catégorie (100 caractères au plus)." };
		return false;
	}
	if (too_long(desc, TEXT_MAX_CHARS)) {
		*fe = (struct form_err){ "description", "La description est trop longue (2 000 caractères au plus)." };
		return false;
	}
	for (size_t i = 0; type && menu_types[i]; i++)
		type_ok |= strcmp(type, menu_types[i]) == 0;
	if (!type_ok) {
		*fe = (struct form_err){ "type", "Choisissez un type dans la liste." };
		return false;
	}
	if (!parse_order(http_form(req, "order"), &order)) {
		*fe = (struct form_err){ "order", "L’ordre est un nombre entier de 0 à 100 000." };
		return false;
	}
	text_slug(&slug, name, 80);
	BSON_APPEND_UTF8(set, "name", name);
	BSON_APPEND_UTF8(set, "slug", slug.data && *slug.data ? slug.data : "categorie");
	BSON_APPEND_UTF8(set, "description", desc ? desc : "");
	BSON_APPEND_UTF8(set, "type", type);
	BSON_APPEND_INT32(set, "order", order);
	BSON_APPEND_BOOL(set, "isActive", http_form(req, "isActive") != NULL);
	BSON_APPEND_BOOL(set, "showOnSite", http_form(req, "showOnSite") != NULL);
	buf_free(&slug);
	return true;
}

static void menu_error(struct http_req *req, const struct form_err *fe)
{
	json_object *data = page_data(req, "La carte");
	json_object *e = json_object_new_object();
	page_section(data, "menu");
	admin_set_str(e, "text", fe->text);
	admin_set_str(e, "field", fe->field);
	json_object_object_add(data, "error", e);
	admin_set_str(data, "backHref", "/menu");
	page_render(req, 422, "menu-error.html", data);
}

void admin_form_menu_category_create(struct http_req *req)
{
	store_t *st = conn_store(NULL);
	store_error_t se = { 0 };
	struct form_err fe;
	bson_t doc = BSON_INITIALIZER;
	bson_oid_t id;
	char hex[25], location[64];
	int64_t now = account_now_ms();

	if (!st) {
		page_error(req, 503);
		goto done;
	}
	bson_oid_init(&id, NULL);
	BSON_APPEND_OID(&doc, "_id", &id);
	if (!category_fields(req, &doc, &fe)) {
		menu_error(req, &fe);
		goto done;
	}
	BSON_APPEND_DATE_TIME(&doc, "createdAt", now);
	BSON_APPEND_DATE_TIME(&doc, "updatedAt", now);
	if (!store_insert_one(st, MENU_CATEGORIES, &doc, NULL, &se)) {
		if (se.code == STORE_ERR_DUPLICATE_KEY) {
			fe = (struct form_err){ "name", "Une catégorie porte déjà ce nom." };
			menu_error(req, &fe);
		} else {
			page_error(req, 503);
		}
		goto done;
	}
	bson_oid_to_string(&id, hex);
	audit_note(req, MENU_CATEGORIES, hex, NULL, &doc);
	(void)buf_fmt(location, sizeof location, "/menu/categories/%s?done=saved", hex);
	http_redirect(req, 303, location);
done:
	bson_destroy(&doc);
}

void admin_form_menu_category_update(struct http_req *req)
{
	store_t *st = conn_store(NULL);
	store_error_t se = { 0 };
	struct form_err fe;
	bson_t before, update = BSON_INITIALIZER, set;
	bson_oid_t id;
	char location[96];

	if (!st) {
		page_error(req, 503);
		goto out;
	}
	if (!admin_load(req, st, MENU_CATEGORIES, &before, &id))
		goto out;
	BSON_APPEND_DOCUMENT_BEGIN(&update, "$set", &set);
	if (!category_fields(req, &set, &fe)) {
		bson_append_document_end(&update, &set);
		category_page(req, 422, st, &before, NULL, &fe);
		goto done;
	}
	BSON_APPEND_DATE_TIME(&set, "updatedAt", account_now_ms());
	bson_append_document_end(&update, &set);
	if (!admin_update_noted(req, st, MENU_CATEGORIES, &id, &update, &before, &se)) {
		if (se.code == STORE_ERR_DUPLICATE_KEY) {
			fe = (struct form_err){ "name", "Une autre catégorie porte déjà ce nom." };
			category_page(req, 422, st, &before, NULL, &fe);
		} else {
			page_error(req, 503);
		}
		goto done;
	}
	(void)buf_fmt(location, sizeof location, "/menu/categories/%s?done=saved", http_param(req, "id"));
	http_redirect(req, 303, location);
done:
	bson_destroy(&before);
out:
	bson_destroy(&update);
}

void admin_form_menu_category_delete(struct http_req *req)
{
	store_t *st = conn_store(NULL);
	store_error_t se = { 0 };
	bson_t before, *f;
	bson_oid_t id;
	int64_t n = 0;
	bool ok;

	if (!st) {
		page_error(req, 503);
		return;
	}
	if (!admin_load(req, st, MENU_CATEGORIES, &before, &id))
		return;
	f = BCON_NEW("category", BCON_OID(&id));
	ok = store_count(st, MENU_ITEMS, f, &n, &se);
	bson_destroy(f);
	if (ok && n > 0) {
		struct form_err fe = { "delete", "Cette catégorie contient encore des articles : supprimez-les ou déplacez-les d’abord." };
		category_page(req, 409, st, &before, NULL, &fe);
		bson_destroy(&before);
		return;
	}
	if (!ok || !admin_delete_noted(req, st, MENU_CATEGORIES, &id, &before)) {
		page_error(req, 503);
		bson_destroy(&before);
		return;
	}
	bson_destroy(&before);
	http_redirect(req, 303, "/menu?done=deleted");
}

/* The item form's fields into `set`; false with the field at fault. */
static bool item_fields(struct http_req *req, bson_t *set, struct form_err *fe)
{
	const char *name = http_form(req, "name"), *desc = http_form(req, "description");
	const char *recipe = http_form(req, "recipe");
	int64_t price;
	int32_t order;

	if (text_blank(name) || too_long(name, NAME_MAX_CHARS)) {
		*fe = (struct form_err){ "name", "Donnez un nom à l’article (100 caractères au plus)." };
		return false;
	}
	if (too_long(desc, TEXT_MAX_CHARS)) {
		*fe = (struct form_err){ "description", "La description est trop longue (2 000 caractères au plus)." };
		return false;
	}
	if (too_long(recipe, TEXT_MAX_CHARS)) {
		*fe = (struct form_err){ "recipe", "La recette est trop longue (2 000 caractères au plus)." };
		return false;
	}
	if (!parse_price(http_form(req, "price"), &price)) {
		*fe = (struct form_err){ "price", "Le prix s’écrit en euros, par exemple 2,80 (ou vide : pas de prix)." };
		return false;
	}
	if (!parse_order(http_form(req, "order"), &order)) {
		*fe = (struct form_err){ "order", "L’ordre est un nombre entier de 0 à 100 000." };
		return false;
	}
	BSON_APPEND_UTF8(set, "name", name);
	BSON_APPEND_UTF8(set, "description", desc ? desc : "");
	BSON_APPEND_UTF8(set, "recipe", recipe ? recipe : "");
	if (price >= 0)
		BSON_APPEND_INT64(set, "price", price);
	BSON_APPEND_INT32(set, "order", order);
	BSON_APPEND_BOOL(set, "isActive", http_form(req, "isActive") != NULL);
	return true;
}

void admin_form_menu_item_create(struct http_req *req)
{
	store_t *st = conn_store(NULL);
	store_error_t se = { 0 };
	struct form_err fe;
	bson_t cat, doc = BSON_INITIALIZER;
	bson_oid_t cid, id;
	char hex[25], location[96];
	int64_t now = account_now_ms();

	if (!st) {
		page_error(req, 503);
		goto out;
	}
	if (!admin_load(req, st, MENU_CATEGORIES, &cat, &cid))
		goto out;
	bson_oid_init(&id, NULL);
	BSON_APPEND_OID(&doc, "_id", &id);
	if (!item_fields(req, &doc, &fe)) {
		category_page(req, 422, st, &cat, NULL, &fe);
		goto done;
	}
	BSON_APPEND_OID(&doc, "category", &cid);
	BSON_APPEND_UTF8(&doc, "type", doc_str(&cat, "type") ? doc_str(&cat, "type") : "drink");
	BSON_APPEND_DATE_TIME(&doc, "createdAt", now);
	BSON_APPEND_DATE_TIME(&doc, "updatedAt", now);
	if (!store_insert_one(st, MENU_ITEMS, &doc, NULL, &se)) {
		page_error(req, 503);
		goto done;
	}
	bson_oid_to_string(&id, hex);
	audit_note(req, MENU_ITEMS, hex, NULL, &doc);
	(void)buf_fmt(location, sizeof location, "/menu/categories/%s?done=item-added", http_param(req, "id"));
	http_redirect(req, 303, location);
done:
	bson_destroy(&cat);
out:
	bson_destroy(&doc);
}

/* The item's category page, after a change of the item. */
static void back_to_category(struct http_req *req, const bson_t *item, const char *done)
{
	bson_oid_t cid;
	char hex[25], location[96];
	if (doc_oid(item, "category", &cid)) {
		bson_oid_to_string(&cid, hex);
		(void)buf_fmt(location, sizeof location, "/menu/categories/%s?done=%s", hex, done);
		http_redirect(req, 303, location);
	} else {
		http_redirect(req, 303, "/menu");
	}
}

void admin_form_menu_item_update(struct http_req *req)
{
	store_t *st = conn_store(NULL);
	store_error_t se = { 0 };
	struct form_err fe;
	bson_t before, update = BSON_INITIALIZER, set, *f = NULL;
	bson_oid_t id;

	if (!st) {
		page_error(req, 503);
		goto out;
	}
	if (!admin_load(req, st, MENU_ITEMS, &before, &id))
		goto out;
	BSON_APPEND_DOCUMENT_BEGIN(&update, "$set", &set);
	if (!item_fields(req, &set, &fe)) {
		bson_t cat;
		bson_oid_t cid;
		bool cfound = false;
		bson_append_document_end(&update, &set);
		if (doc_oid(&before, "category", &cid)) {
			f = BCON_NEW("_id", BCON_OID(&cid));
			if (store_find_one(st, MENU_CATEGORIES, f, NULL, &cat, &cfound, &se)) {
				if (cfound)
					category_page(req, 422, st, &cat, NULL, &fe);
				bson_destroy(&cat);
			}
		}
		if (!req->finished)
			menu_error(req, &fe);
		goto done;
	}
	BSON_APPEND_DATE_TIME(&set, "updatedAt", account_now_ms());
	bson_append_document_end(&update, &set);
	if (!http_form(req, "price") || text_blank(http_form(req, "price")))
		BCON_APPEND(&update, "$unset", "{", "price", BCON_UTF8(""), "}");
	if (!admin_update_noted(req, st, MENU_ITEMS, &id, &update, &before, &se)) {
		page_error(req, 503);
		goto done;
	}
	back_to_category(req, &before, "item-saved");
done:
	bson_destroy(&before);
out:
	bson_destroy(&update);
	if (f)
		bson_destroy(f);
}

void admin_form_menu_item_delete(struct http_req *req)
{
	store_t *st = conn_store(NULL);
	bson_t before;
	bson_oid_t id;

	if (!st) {
		page_error(req, 503);
		return;
	}
	if (!admin_load(req, st, MENU_ITEMS, &before, &id))
		return;
	if (!admin_delete_noted(req, st, MENU_ITEMS, &id, &before)) {
		page_error(req, 503);
		bson_destroy(&before);
		return;
	}
	back_to_category(req, &before, "item-deleted");
	bson_destroy(&before);
}
