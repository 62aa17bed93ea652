/*
 * menu.c — the public menu and the demo menu (menu.h).
 */
#include "content/menu.h"
#include "core/buf.h"
#include "core/doc.h"
#include "core/money.h"

#include <string.h>

const char *const menu_types[] = { "drink", "food", "grocery", "goodies", NULL };

const char *menu_type_label(const char *type)
{
	static const char *const labels[] = { "Boissons", "À manger", "Épicerie", "Goodies" };
	for (size_t i = 0; type && menu_types[i]; i++)
		if (strcmp(type, menu_types[i]) == 0)
			return labels[i];
	return "Autre";
}

static void add_str(json_object *o, const char *k, const char *v)
{
	if (v && *v)
		json_object_object_add(o, k, json_object_new_string(v));
}

bool menu_public(store_t *st, const char *type, json_object **out, store_error_t *se)
{
	bson_t filter = BSON_INITIALIZER;
	bson_t *sort = BCON_NEW("order", BCON_INT32(1), "name", BCON_INT32(1));
	store_find_opts_t opts = { .sort = sort };
	store_cursor_t *cur;
	const bson_t *doc;
	json_object *cats = json_object_new_array();
	bool ok = false;

	BSON_APPEND_BOOL(&filter, "isActive", true);
	BCON_APPEND(&filter, "showOnSite", "{", "$ne", BCON_BOOL(false), "}");
	if (type)
		BSON_APPEND_UTF8(&filter, "type", type);
	cur = store_find(st, MENU_CATEGORIES, &filter, &opts, se);
	if (!cur)
		goto done;
	while (store_cursor_next(cur, &doc)) {
		json_object *c = json_object_new_object();
		bson_oid_t id;
		add_str(c, "name", doc_str(doc, "name"));
		add_str(c, "slug", doc_str(doc, "slug"));
		add_str(c, "description", doc_str(doc, "description"));
		add_str(c, "type", doc_str(doc, "type"));
		if (doc_oid(doc, "_id", &id)) {
			char hex[25];
			bson_oid_to_string(&id, hex);
			json_object_object_add(c, "_id", json_object_new_string(hex));
		}
		json_object_array_add(cats, c);
	}
	if (store_cursor_error(cur, se)) {
		store_cursor_destroy(cur);
		goto done;
	}
	store_cursor_destroy(cur);
	for (size_t i = 0; i < json_object_array_length(cats); i++) {
		json_object *c = json_object_array_get_idx(cats, i), *idv = NULL;
		json_object *items = json_object_new_array();
		bson_oid_t cid;
		bson_t *f;
		/* every field but the recipe, whatever else a document holds */
		static const char *const shown[] = { "name", "description", "image", NULL };
		json_object_object_get_ex(c, "_id", &idv);
		json_object_object_add(c, "items", items);
		if (!idv || !bson_oid_is_valid(json_object_get_string(idv), 24))
			continue;
		bson_oid_init_from_string(&cid, json_object_get_string(idv));
		json_object_object_del(c, "_id");
		f = BCON_NEW("category", BCON_OID(&cid), "isActive", BCON_BOOL(true));
		cur = store_find(st, MENU_ITEMS, f, &opts, se);
		bson_destroy(f);
		if (!cur)
			goto done;
		while (store_cursor_next(cur, &doc)) {
			json_object *it = json_object_new_object();
			int64_t price = doc_int(doc, "price", -1);
			for (size_t k = 0; shown[k]; k++)
				add_str(it, shown[k], doc_str(doc, shown[k]));
			if (price >= 0) {
				char p[32];
				money_format(price, 0, p, sizeof p);
				add_str(it, "price", p);
				json_object_object_add(it, "priceCents", json_object_new_int64(price));
			}
			json_object_array_add(items, it);
		}
		if (store_cursor_error(cur, se)) {
			store_cursor_destroy(cur);
			goto done;
		}
		store_cursor_destroy(cur);
		json_object_object_add(c, "hasItems", json_object_new_boolean(json_object_array_length(items) > 0));
	}
	ok = true;
done:
	bson_destroy(&filter);
	bson_destroy(sort);
	if (ok)
		*out = cats;
	else
		json_object_put(cats);
	return ok;
}

/* ---- the demo menu ------------------------------------------------------ */

struct seed_item {
	const char *name, *description, *recipe;
	int price;   /* cents */
};
struct seed_cat {
	const char *slug, *name, *description, *type;
	struct seed_item items[12];
};

static const struct seed_cat seed_menu[] = {
	{ "cafes", "Les cafés", "Grains torréfiés à Strasbourg par Omnino, moulus à la commande.", "drink", {
		{ "Espresso", "Court et corsé, l’assemblage maison d’Omnino.", "18 g, 30 ml en 25 s", 200 },
		{ "Café allongé", "Un espresso allongé à l’eau chaude, doux et long en bouche.", "espresso + 90 ml d’eau à 92 °C", 220 },
		{ "Cappuccino", "Espresso, lait de la Ferme Saint-Ulrich monté en mousse fine.", "espresso + 120 ml de lait à 60 °C", 350 },
		{ "Latte", "Plus de lait, plus de douceur ; lait d’avoine Oatly sur demande.", "espresso + 200 ml de lait", 380 },
		{ "Flat white", "Double ristretto et lait velours, pour les amateurs de café.", "2 ristretti + 120 ml de lait", 400 },
		{ "Chicorée au lait", "La chicorée Cherico, sans caféine, pour l’après-midi.", "2 c. de Cherico + lait chaud", 300 },
		{ NULL, NULL, NULL, 0 } } },
	{ "thes-et-infusions", "Thés et infusions", "En vrac, infusés à la bonne température.", "drink", {
		{ "Thé vert sencha", "Frais et végétal.", "3 g, 80 °C, 2 min", 300 },
		{ "Thé noir Earl Grey", "À la bergamote, avec ou sans lait.", "3 g, 95 °C, 4 min", 300 },
		{ "Rooibos vanille", "Sans théine, rond et gourmand.", "4 g, 95 °C, 6 min", 300 },
		{ "Infusion du Café Potager", "Plantes du jardin selon la saison.", "5 g, 95 °C, 7 min", 320 },
		{ "Chaï latte", "Épices douces et lait mousseux.", "sirop chaï maison 20 ml + lait", 420 },
		{ NULL, NULL, NULL, 0 } } },
	{ "boissons-chocolatees", "Chocolats et gourmandises", "Pour les pauses qui réconfortent.", "drink", {
		{ "Chocolat chaud", "Cacao intense et lait entier, chantilly sur demande.", "25 g de chocolat noir + 200 ml de lait", 380 },
		{ "Chocolat blanc noisette", "Doux et régressif.", "20 g de chocolat blanc + sirop noisette", 420 },
		{ "Moka", "Espresso, chocolat et lait : le meilleur des deux mondes.", "espresso + 15 g de chocolat + lait", 420 },
		{ NULL, NULL, NULL, 0 } } },
	{ "boissons-fraiches", "Boissons fraîches", "Pour l’été et les longues journées de travail.", "drink", {
		{ "Hola Maté", "Le maté pétillant, de l’énergie sans sucre ajouté.", "bouteille 33 cl, servie fraîche", 350 },
		{ "Citronnade maison", "Citrons pressés, menthe fraîche, un peu de sucre de canne.", "2 citrons, 6 feuilles de menthe, 15 g de sucre", 350 },
		{ "Thé glacé pêche", "Infusé à froid toute la nuit.", "thé noir 12 h à froid + purée de pêche", 350 },
		{ "Jus de pomme d’Alsace", "Pur jus, pressé dans la vallée de la Bruche.", "25 cl", 300 },
		{ "Iced latte", "Espresso sur glaçons et lait frais.", "espresso + 150 ml de lait + glaçons", 400 },
		{ NULL, NULL, NULL, 0 } } },
	{ "a-grignoter", "À grignoter", "Douceurs et pizzas maison, à emporter ou sur place.", "food", {
		{ "Cookie du jour", "Chocolat, noix de pécan ou beurre de cacahuète.", "recette maison, 90 g", 290 },
		{ "Madeleine", "Au beurre, cuite le matin même.", NULL, 140 },
		{ "Pizza maison", "Pâte maturée 48 h, garniture de saison.", "pâton 230 g, 9 min à 250 °C", 890 },
		{ NULL, NULL, NULL, 0 } } },
};

bool menu_seed(store_t *st, int64_t now, void (*report)(const char *line), store_error_t *se)
{
	int created_cats = 0, created_items = 0;

	for (size_t i = 0; i < sizeof seed_menu / sizeof *seed_menu; i++) {
		const struct seed_cat *c = &seed_menu[i];
		bson_t *f = BCON_NEW("slug", BCON_UTF8(c->slug));
		bson_t got = BSON_INITIALIZER;
		bson_oid_t cid;
		bool found = false, ok;

		ok = store_find_one(st, MENU_CATEGORIES, f, NULL, &got, &found, se);
		bson_destroy(f);
		if (ok && found)
			ok = doc_oid(&got, "_id", &cid);
		bson_destroy(&got);
		if (!ok)
			return false;
		if (!found) {
			bson_t doc = BSON_INITIALIZER;
			bson_oid_init(&cid, NULL);
			BSON_APPEND_OID(&doc, "_id", &cid);
			BSON_APPEND_UTF8(&doc, "name", c->name);
			BSON_APPEND_UTF8(&doc, "slug", c->slug);
			BSON_APPEND_UTF8(&doc, "description", c->description);
			BSON_APPEND_UTF8(&doc, "type", c->type);
			BSON_APPEND_INT32(&doc, "order", (int32_t)(i + 1) * 10);
			BSON_APPEND_BOOL(&doc, "isActive", true);
			BSON_APPEND_BOOL(&doc, "showOnSite", true);
			BSON_APPEND_DATE_TIME(&doc, "createdAt", now);
			BSON_APPEND_DATE_TIME(&doc, "updatedAt", now);
			ok = store_insert_one(st, MENU_CATEGORIES, &doc, NULL, se);
			bson_destroy(&doc);
			if (!ok)
				return false;
			created_cats++;
		}
		for (size_t j = 0; c->items[j].name; j++) {
			const struct seed_item *it = &c->items[j];
			int64_t n = 0;
			f = BCON_NEW("category", BCON_OID(&cid), "name", BCON_UTF8(it->name));
			ok = store_count(st, MENU_ITEMS, f, &n, se);
			bson_destroy(f);
			if (!ok)
				return false;
			if (n)
				continue;
			bson_t doc = BSON_INITIALIZER;
			BSON_APPEND_UTF8(&doc, "name", it->name);
			BSON_APPEND_UTF8(&doc, "description", it->description);
			if (it->recipe)
				BSON_APPEND_UTF8(&doc, "recipe", it->recipe);
			BSON_APPEND_OID(&doc, "category", &cid);
			BSON_APPEND_UTF8(&doc, "type", c->type);
			BSON_APPEND_INT32(&doc, "order", (int32_t)(j + 1) * 10);
			BSON_APPEND_BOOL(&doc, "isActive", true);
			BSON_APPEND_INT64(&doc, "price", it->price);
			BSON_APPEND_DATE_TIME(&doc, "createdAt", now);
			BSON_APPEND_DATE_TIME(&doc, "updatedAt", now);
			ok = store_insert_one(st, MENU_ITEMS, &doc, NULL, se);
			bson_destroy(&doc);
			if (!ok)
				return false;
			created_items++;
		}
	}
	if (report) {
		char line[128];
		(void)buf_fmt(line, sizeof line, "menu: %d categories and %d items created (the rest kept)",
			      created_cats, created_items);
		report(line);
	}
	return true;
}
