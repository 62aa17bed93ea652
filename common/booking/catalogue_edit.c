/*
 * catalogue_edit.c — checking and writing the staff's changes to spaces,
 * services, hours and closures. See catalogue_edit.h.
 */
#include "booking/catalogue_edit.h"
#include "booking/booking.h"
#include "core/buf.h"
#include "core/doc.h"
#include "core/text.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_EUROS 100000.0
#define MAX_PEOPLE 500
#define NAME_MAX_CHARS 120
#define TEXT_MAX_CHARS 2000

static const char *const space_types[] = { "open-space", "salle-verriere", "salle-etage", "evenementiel" };

/* ---- merging and reading members --------------------------------------- */

/* `src` merged into a copy of `dst`: objects member by member, anything
 * else replaced. Caller puts the result. */
static json_object *merge(json_object *dst, json_object *src)
{
	json_object *out;

	if (!json_object_is_type(dst, json_type_object) || !json_object_is_type(src, json_type_object))
		return json_object_get(src);
	out = json_object_new_object();
	json_object_object_foreach(dst, k, v)
		json_object_object_add(out, k, json_object_get(v));
	json_object_object_foreach(src, k2, v2) {
		json_object *old = NULL;
		if (json_object_object_get_ex(out, k2, &old) && json_object_is_type(old, json_type_object) &&
		    json_object_is_type(v2, json_type_object))
			json_object_object_add(out, k2, merge(old, v2));
		else
			json_object_object_add(out, k2, json_object_get(v2));
	}
	return out;
}

static json_object *member(json_object *o, const char *key)
{
	json_object *v = NULL;

	return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static bool only_known(json_object *in, const char *const *known, struct err *e)
{
	if (!json_object_is_type(in, json_type_object))
		return err_set(e, 400, "invalid_request", NULL, "Le corps est un objet JSON.");
	json_object_object_foreach(in, key, v) {
		int i;
		(void)v;
		for (i = 0; known[i] && strcmp(known[i], key) != 0; i++)
			;
		if (!known[i])
			return err_set(e, 400, "invalid_request", key, "« %s » n’est pas un champ modifiable.", key);
	}
	return true;
}

static size_t utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

static bool text_member(json_object *o, const char *key, const char *field, bool required, size_t max,
			bson_t *set, struct err *e)
{
	json_object *v = member(o, key);
	const char *s;

	if (!v || json_object_is_type(v, json_type_null)) {
		if (required)
			return err_set(e, 422, "validation_failed", field, "Ce champ est obligatoire.");
		return true;
	}
	if (!json_object_is_type(v, json_type_string))
		return err_set(e, 400, "invalid_request", field, "Ce champ est un texte.");
	s = json_object_get_string(v);
	while (*s == ' ')
		s++;
	if (required && !*s)
		return err_set(e, 422, "validation_failed", field, "Ce champ est obligatoire.");
	if (utf8_chars(s) > max)
		return err_set(e, 422, "validation_failed", field, "%zu caractères au plus.", max);
	BSON_APPEND_UTF8(set, key, s);
	return true;
}

static bool bool_member(json_object *o, const char *key, const char *field, bool def, bool *out,
			bson_t *set, struct err *e)
{
	json_object *v = member(o, key);

	if (!v || json_object_is_type(v, json_type_null)) {
		*out = def;
	} else if (!json_object_is_type(v, json_type_boolean)) {
		return err_set(e, 400, "invalid_request", field, "Ce champ vaut true ou false.");
	} else {
		*out = json_object_get_boolean(v);
	}
	if (set)
		BSON_APPEND_BOOL(set, key, *out);
	return true;
}

static bool int_member(json_object *o, const char *key, const char *field, int min, int max, int def,
		       int *out, struct err *e)
{
	json_object *v = member(o, key);
	int64_t n;

	if (!v || json_object_is_type(v, json_type_null)) {
		if (def < min)
			return err_set(e, 422, "validation_failed", field, "Ce champ est obligatoire.");
		*out = def;
		return true;
	}
	if (json_object_is_type(v, json_type_double)) {
		double d = json_object_get_double(v);
		if (d != floor(d))
			return err_set(e, 422, "validation_failed", field, "Un nombre entier.");
		n = (int64_t)d;
	} else if (json_object_is_type(v, json_type_int)) {
		n = json_object_get_int64(v);
	} else {
		return err_set(e, 400, "invalid_request", field, "Un nombre entier.");
	}
	if (n < min || n > max)
		return err_set(e, 422, "validation_failed", field, "Un nombre de %d à %d.", min, max);
	*out = (int)n;
	return true;
}

/* A price in euros (0 to 100 000, at most two decimals) into cents; a
 * missing one is `def` (< -1: required; -1: none). */
static bool price_member(json_object *o, const char *key, const char *field, int64_t def,
			 int64_t *cents, struct err *e)
{
	json_object *v = member(o, key);
	double d;

	if (!v || json_object_is_type(v, json_type_null)) {
		if (def < -1)
			return err_set(e, 422, "invalid_price", field, "Indiquez un prix en euros.");
		*cents = def;
		return true;
	}
	if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double))
		return err_set(e, 422, "invalid_price", field,
			       "Un prix en euros, par exemple 24 ou 6,50.");
	d = json_object_get_double(v);
	if (!isfinite(d) || d < 0 || d > MAX_EUROS)
		return err_set(e, 422, "invalid_price", field, "Un prix de 0 à 100 000 €.");
	*cents = llround(d * 100.0);
	if (fabs(d * 100.0 - (double)*cents) > 1e-6)
		return err_set(e, 422, "invalid_price", field, "Deux décimales au plus (des centimes).");
	return true;
}

/* ---- spaces ----------------------------------------------------------------- */

static const char *const space_known[] = {
	"spaceType", "name", "description", "minCapacity", "maxCapacity", "pricing",
	"availableReservationTypes", "exclusive", "requiresQuote", "isActive", "displayOrder", NULL,
};

static bool tiers_member(json_object *tiers, bson_t *pricing, struct err *e)
{
	bson_t arr;
	size_t n;

	if (!tiers || json_object_is_type(tiers, json_type_null))
		tiers = NULL;
	else if (!json_object_is_type(tiers, json_type_array))
		return err_set(e, 400, "invalid_request", "pricing.tiers", "Une liste de paliers.");
	n = tiers ? json_object_array_length(tiers) : 0;
	if (n > BOOKING_MAX_TIERS)
		return err_set(e, 422, "validation_failed", "pricing.tiers", "%d paliers au plus.", BOOKING_MAX_TIERS);
	BSON_APPEND_ARRAY_BEGIN(pricing, "tiers", &arr);
	for (size_t i = 0; i < n; i++) {
		json_object *t = json_object_array_get_idx(tiers, i);
		char f[6][64], ikey[12];
		static const char *const keys[] = { "minPeople", "maxPeople", "hourlyRate", "dailyRate",
						    "extraPersonHourly", "extraPersonDaily" };
		int minp, maxp;
		int64_t c[4];
		bson_t tier;
		for (int k = 0; k < 6; k++)
			(void)buf_fmt(f[k], sizeof f[k], "pricing.tiers[%zu].%s", i, keys[k]);
		if (!json_object_is_type(t, json_type_object)) {
			bson_append_array_end(pricing, &arr);
			return err_set(e, 400, "invalid_request", "pricing.tiers", "Un palier est un objet.");
		}
		if (!int_member(t, keys[0], f[0], 1, MAX_PEOPLE, 1, &minp, e) ||
		    !int_member(t, keys[1], f[1], 1, MAX_PEOPLE, 0, &maxp, e) ||
		    !price_member(t, keys[2], f[2], -2, &c[0], e) || !price_member(t, keys[3], f[3], -2, &c[1], e) ||
		    !price_member(t, keys[4], f[4], -1, &c[2], e) || !price_member(t, keys[5], f[5], -1, &c[3], e)) {
			bson_append_array_end(pricing, &arr);
			return false;
		}
		if (maxp < minp) {
			bson_append_array_end(pricing, &arr);
			return err_set(e, 422, "capacity_order", f[1], "Le maximum doit être au moins le minimum (%d).", minp);
		}
		(void)buf_fmt(ikey, sizeof ikey, "%zu", i);
		BSON_APPEND_DOCUMENT_BEGIN(&arr, ikey, &tier);
		BSON_APPEND_INT32(&tier, keys[0], minp);
		BSON_APPEND_INT32(&tier, keys[1], maxp);
		for (int k = 0; k < 4; k++)
			if (c[k] >= 0)
				booking_append_euros(&tier, keys[2 + k], c[k]);
		bson_append_document_end(&arr, &tier);
	}
	bson_append_array_end(pricing, &arr);
	return true;
}

bool booking_space_check(json_object *in, const bson_t *current, bson_t *set,
			 struct booking_space *space, struct err *e)
{
	json_object *cur = current ? doc_to_json(current) : json_object_new_object(), *all = NULL, *v;
	bson_t pricing, types, *whole = NULL;
	const char *type = NULL;
	int minc, maxc, order;
	bool b, any = false, ok = false;

	if (!only_known(in, space_known, e))
		goto done;
	if (current && member(in, "spaceType"))
		json_object_object_del(in, "spaceType");   /* the key of the path wins */
	all = merge(cur, in);
	/* the space type: one of the four the site sells (SPEC §7) */
	v = member(all, "spaceType");
	type = v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
	if (!current) {
		size_t i;
		for (i = 0; type && i < sizeof space_types / sizeof *space_types; i++)
			if (strcmp(space_types[i], type) == 0)
				break;
		if (!type || i == sizeof space_types / sizeof *space_types) {
			err_set(e, 422, "unknown_space_type", "spaceType",
				"Type d’espace inconnu : open-space, salle-verriere, salle-etage ou evenementiel.");
			goto done;
		}
		BSON_APPEND_UTF8(set, "spaceType", type);
		BSON_APPEND_UTF8(set, "slug", type);
	}
	if (!text_member(all, "name", "name", true, NAME_MAX_CHARS, set, e) ||
	    !text_member(all, "description", "description", false, TEXT_MAX_CHARS, set, e))
		goto done;
	if (!int_member(all, "minCapacity", "minCapacity", 1, MAX_PEOPLE, 1, &minc, e) ||
	    !int_member(all, "maxCapacity", "maxCapacity", 1, MAX_PEOPLE, 0, &maxc, e))
		goto done;
	if (maxc < minc) {
		err_set(e, 422, "capacity_order", "maxCapacity",
			"La capacité maximale (%d) est inférieure à la minimale (%d).", maxc, minc);
		goto done;
	}
	BSON_APPEND_INT32(set, "minCapacity", minc);
	BSON_APPEND_INT32(set, "maxCapacity", maxc);
	/* prices */
	v = member(all, "pricing");
	if (v && !json_object_is_type(v, json_type_object)) {
		err_set(e, 400, "invalid_request", "pricing", "pricing est un objet.");
		goto done;
	}
	BSON_APPEND_DOCUMENT_BEGIN(set, "pricing", &pricing);
	{
		static const char *const keys[] = { "hourly", "daily", "weekly", "monthly" };
		for (int k = 0; k < 4; k++) {
			char f[32];
			int64_t c;
			(void)buf_fmt(f, sizeof f, "pricing.%s", keys[k]);
			if (!price_member(v, keys[k], f, 0, &c, e)) {
				bson_append_document_end(set, &pricing);
				goto done;
			}
			booking_append_euros(&pricing, keys[k], c);
		}
		if (!bool_member(v, "perPerson", "pricing.perPerson", false, &b, &pricing, e) ||
		    !tiers_member(member(v, "tiers"), &pricing, e)) {
			bson_append_document_end(set, &pricing);
			goto done;
		}
	}
	bson_append_document_end(set, &pricing);
	/* reservation types: the four known ones, at least one */
	v = member(all, "availableReservationTypes");
	if (v && !json_object_is_type(v, json_type_object)) {
		err_set(e, 400, "invalid_request", "availableReservationTypes", "Un objet {hourly, daily, weekly, monthly}.");
		goto done;
	}
	if (v) {
		json_object_object_foreach(v, key, val) {
			char f[96];
			(void)val;
			(void)buf_fmt(f, sizeof f, "availableReservationTypes.%.60s", key);
			if (booking_rtype_parse(key) < 0) {
				err_set(e, 422, "unknown_reservation_type", f,
					"Formule inconnue « %.60s » : hourly, daily, weekly ou monthly.", key);
				goto done;
			}
		}
	}
	BSON_APPEND_DOCUMENT_BEGIN(set, "availableReservationTypes", &types);
	for (int i = 0; i < BOOKING_RTYPES; i++) {
		char f[64];
		(void)buf_fmt(f, sizeof f, "availableReservationTypes.%s", booking_rtype_name(i));
		if (!bool_member(v, booking_rtype_name(i), f, i < 2, &b, &types, e)) {
			bson_append_document_end(set, &types);
			goto done;
		}
		any = any || b;
	}
	bson_append_document_end(set, &types);
	if (!any) {
		err_set(e, 422, "validation_failed", "availableReservationTypes",
			"Choisissez au moins une formule.");
		goto done;
	}
	if (!bool_member(all, "exclusive", "exclusive", !type || strcmp(type, "open-space") != 0, &b, set, e) ||
	    !bool_member(all, "requiresQuote", "requiresQuote", false, &b, set, e) ||
	    !bool_member(all, "isActive", "isActive", true, &b, set, e) ||
	    !int_member(all, "displayOrder", "displayOrder", 0, 1000, 0, &order, e))
		goto done;
	BSON_APPEND_INT32(set, "displayOrder", order);
	if (space) {
		bson_iter_t it;
		whole = bson_new();
		if (current) {
			bson_copy_to_excluding_noinit(current, whole, "pricing", "availableReservationTypes",
						      "name", "description", "minCapacity", "maxCapacity",
						      "exclusive", "requiresQuote", "isActive", "displayOrder", NULL);
		}
		if (bson_iter_init(&it, set))
			bson_concat(whole, set);
		booking_space_from_doc(whole, space);
	}
	ok = true;
done:
	if (whole)
		bson_destroy(whole);
	json_object_put(cur);
	if (all)
		json_object_put(all);
	return ok;
}

bool booking_space_doc(store_t *st, const char *space_type, bson_t *out, struct err *e)
{
	bson_t filter = BSON_INITIALIZER;
	store_error_t se = { 0 };
	bool found = false;

	BSON_APPEND_UTF8(&filter, "spaceType", space_type ? space_type : "");
	if (!store_find_one(st, "spaceconfigurations", &filter, NULL, out, &found, &se)) {
		bson_destroy(&filter);
		return store_fail(e, "booking: space", &se);
	}
	bson_destroy(&filter);
	if (!found) {
		bson_destroy(out);
		return err_set(e, 404, "not_found", "spaceType", "Cet espace n’existe pas.");
	}
	return true;
}

/* $set of `set` + updatedAt on the document `filter` of `coll`. */
static bool set_one(store_t *st, const char *coll, const bson_t *filter, const bson_t *set, int64_t now,
		    bson_t *after, struct err *e)
{
	bson_t update = BSON_INITIALIZER, fields;
	store_fam_opts_t opts = { .return_new = true };
	store_error_t se = { 0 };
	bool found = false, ok;

	BSON_APPEND_DOCUMENT_BEGIN(&update, "$set", &fields);
	bson_concat(&fields, set);
	BSON_APPEND_DATE_TIME(&fields, "updatedAt", now);
	bson_append_document_end(&update, &fields);
	ok = store_find_one_and_update(st, coll, filter, &update, &opts, after, &found, &se);
	bson_destroy(&update);
	if (!ok)
		return store_fail(e, "booking: catalogue write", &se);
	if (!found) {
		bson_destroy(after);
		return err_set(e, 404, "not_found", NULL, "Ce document n’existe plus.");
	}
	return true;
}

/* Inserts `set` + timestamps into `coll` and reads it back in `after`. */
static bool insert_one(store_t *st, const char *coll, bson_t *set, int64_t now, bson_t *after,
		       struct err *e)
{
	store_error_t se = { 0 };
	bson_oid_t id;
	bson_t filter = BSON_INITIALIZER;
	bool found = false;

	bson_oid_init(&id, NULL);
	BSON_APPEND_OID(set, "_id", &id);
	BSON_APPEND_DATE_TIME(set, "createdAt", now);
	BSON_APPEND_DATE_TIME(set, "updatedAt", now);
	if (!store_insert_one(st, coll, set, NULL, &se)) {
		if (se.code == STORE_ERR_DUPLICATE_KEY)
			return err_set(e, 409, "already_exists", "spaceType", "Il existe déjà.");
		return store_fail(e, "booking: catalogue insert", &se);
	}
	BSON_APPEND_OID(&filter, "_id", &id);
	if (!store_find_one(st, coll, &filter, NULL, after, &found, &se) || !found) {
		bson_destroy(&filter);
		if (found || se.code)
			return store_fail(e, "booking: catalogue read back", &se);
		bson_destroy(after);
		return err_set(e, 404, "not_found", NULL, "Ce document n’existe plus.");
	}
	bson_destroy(&filter);
	return true;
}

bool booking_space_save(store_t *st, const char *space_type, json_object *in, int64_t now,
			bson_t *before, bson_t *after, struct err *e)
{
	bson_t set = BSON_INITIALIZER, filter = BSON_INITIALIZER;
	bool ok = false;

	bson_init(before);
	if (space_type) {
		bson_destroy(before);
		if (!booking_space_doc(st, space_type, before, e)) {
			bson_init(before);
			goto done;
		}
	}
	if (!booking_space_check(in, space_type ? before : NULL, &set, NULL, e))
		goto done;
	if (!space_type) {
		bson_t existing;
		const char *t = doc_str(&set, "spaceType");
		if (booking_space_doc(st, t, &existing, e)) {
			bson_destroy(&existing);
			err_set(e, 409, "already_exists", "spaceType",
				"Cet espace existe déjà : modifiez-le plutôt.");
			goto done;
		}
		if (e->status != 404)
			goto done;
		memset(e, 0, sizeof *e);
		BSON_APPEND_BOOL(&set, "isDeleted", false);
		ok = insert_one(st, "spaceconfigurations", &set, now, after, e);
		goto done;
	}
	BSON_APPEND_UTF8(&filter, "spaceType", space_type);
	ok = set_one(st, "spaceconfigurations", &filter, &set, now, after, e);
done:
	if (!ok)
		bson_destroy(before);
	bson_destroy(&set);
	bson_destroy(&filter);
	return ok;
}

/* ---- services ---------------------------------------------------------------- */

static const char *const service_known[] = {
	"name", "description", "category", "price", "dailyPrice", "priceUnit", "vatRate",
	"availableForSpaceTypes", "isActive", "order", NULL,
};

bool booking_service_check(json_object *in, const bson_t *current, bson_t *set, struct err *e)
{
	static const char *const categories[] = { "food", "beverage", "equipment", "other", NULL };
	json_object *cur = current ? doc_to_json(current) : json_object_new_object(), *all = NULL, *v;
	int64_t price, daily;
	int order;
	bool b, ok = false;
	const char *s;

	if (!only_known(in, service_known, e))
		goto done;
	all = merge(cur, in);
	if (!text_member(all, "name", "name", true, NAME_MAX_CHARS, set, e) ||
	    !text_member(all, "description", "description", false, TEXT_MAX_CHARS, set, e))
		goto done;
	v = member(all, "category");
	s = v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "other";
	{
		int i;
		for (i = 0; categories[i] && strcmp(categories[i], s) != 0; i++)
			;
		if (!categories[i]) {
			err_set(e, 422, "validation_failed", "category",
				"Catégorie : food, beverage, equipment ou other.");
			goto done;
		}
		BSON_APPEND_UTF8(set, "category", s);
	}
	if (!price_member(all, "price", "price", -2, &price, e) ||
	    !price_member(all, "dailyPrice", "dailyPrice", -1, &daily, e))
		goto done;
	booking_append_euros(set, "price", price);
	if (daily >= 0)
		booking_append_euros(set, "dailyPrice", daily);
	else
		BSON_APPEND_NULL(set, "dailyPrice");
	v = member(all, "priceUnit");
	s = v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "flat-rate";
	if (strcmp(s, "per-person") != 0 && strcmp(s, "flat-rate") != 0) {
		err_set(e, 422, "validation_failed", "priceUnit", "Par personne (per-person) ou forfait (flat-rate).");
		goto done;
	}
	BSON_APPEND_UTF8(set, "priceUnit", s);
	v = member(all, "vatRate");
	{
		double r = 20;
		if (v && !json_object_is_type(v, json_type_null)) {
			if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double)) {
				err_set(e, 422, "validation_failed", "vatRate", "Un taux de TVA en %%, par exemple 10 ou 20.");
				goto done;
			}
			r = json_object_get_double(v);
		}
		if (!isfinite(r) || r < 0 || r > 100 || fabs(r * 100 - llround(r * 100)) > 1e-6) {
			err_set(e, 422, "validation_failed", "vatRate", "Un taux de TVA de 0 à 100 %%, par exemple 10 ou 5,5.");
			goto done;
		}
		BSON_APPEND_DOUBLE(set, "vatRate", r);
	}
	v = member(all, "availableForSpaceTypes");
	{
		bson_t arr;
		size_t n = v && json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 0;
		if (v && !json_object_is_type(v, json_type_null) && !json_object_is_type(v, json_type_array)) {
			err_set(e, 400, "invalid_request", "availableForSpaceTypes", "Une liste de types d’espace.");
			goto done;
		}
		if (n > 4) {
			err_set(e, 422, "validation_failed", "availableForSpaceTypes", "Quatre types d’espace au plus.");
			goto done;
		}
		BSON_APPEND_ARRAY_BEGIN(set, "availableForSpaceTypes", &arr);
		for (size_t i = 0; i < n; i++) {
			json_object *t = json_object_array_get_idx(v, i);
			const char *ts = json_object_is_type(t, json_type_string) ? json_object_get_string(t) : "";
			size_t k;
			char ikey[12];
			for (k = 0; k < 4 && strcmp(space_types[k], ts) != 0; k++)
				;
			if (k == 4) {
				bson_append_array_end(set, &arr);
				err_set(e, 422, "unknown_space_type", "availableForSpaceTypes",
					"Type d’espace inconnu « %.60s ».", ts);
				goto done;
			}
			(void)buf_fmt(ikey, sizeof ikey, "%zu", i);
			BSON_APPEND_UTF8(&arr, ikey, ts);
		}
		bson_append_array_end(set, &arr);
	}
	if (!bool_member(all, "isActive", "isActive", true, &b, set, e) ||
	    !int_member(all, "order", "order", 0, 1000, 0, &order, e))
		goto done;
	BSON_APPEND_INT32(set, "order", order);
	ok = true;
done:
	json_object_put(cur);
	if (all)
		json_object_put(all);
	return ok;
}

bool booking_service_doc(store_t *st, const char *id, bson_t *out, struct err *e)
{
	bson_t filter = BSON_INITIALIZER;
	store_error_t se = { 0 };
	bson_oid_t oid;
	bool found = false;

	if (!id || !doc_parse_oid(id, &oid))
		return err_set(e, 404, "not_found", NULL, "Ce service n’existe pas.");
	BSON_APPEND_OID(&filter, "_id", &oid);
	if (!store_find_one(st, "additionalservices", &filter, NULL, out, &found, &se)) {
		bson_destroy(&filter);
		return store_fail(e, "booking: service", &se);
	}
	bson_destroy(&filter);
	if (found && doc_bool(out, "isDeleted", false)) {
		found = false;
		bson_destroy(out);
		bson_init(out);
	}
	if (!found) {
		bson_destroy(out);
		return err_set(e, 404, "not_found", NULL, "Ce service n’existe pas.");
	}
	return true;
}

bool booking_service_save(store_t *st, const char *id, json_object *in, int64_t now,
			  bson_t *before, bson_t *after, struct err *e)
{
	bson_t set = BSON_INITIALIZER, filter = BSON_INITIALIZER;
	bool ok = false;

	bson_init(before);
	if (id) {
		bson_destroy(before);
		if (!booking_service_doc(st, id, before, e)) {
			bson_init(before);
			goto done;
		}
	}
	if (!booking_service_check(in, id ? before : NULL, &set, e))
		goto done;
	if (!id) {
		/* a unique slug from the name: "-2", "-3"… when taken */
		struct buf base = { 0 };
		char slug[160];
		text_slug(&base, doc_str(&set, "name"), 100);
		for (int n = 1; n < 100; n++) {
			bson_t f = BSON_INITIALIZER;
			int64_t count = 0;
			store_error_t se = { 0 };
			if (n == 1)
				(void)buf_fmt(slug, sizeof slug, "%s", base.len ? base.data : "service");
			else
				(void)buf_fmt(slug, sizeof slug, "%s-%d", base.len ? base.data : "service", n);
			BSON_APPEND_UTF8(&f, "slug", slug);
			ok = store_count(st, "additionalservices", &f, &count, &se);
			bson_destroy(&f);
			if (!ok) {
				buf_free(&base);
				store_fail(e, "booking: service slug", &se);
				goto done;
			}
			if (count == 0)
				break;
		}
		buf_free(&base);
		BSON_APPEND_UTF8(&set, "slug", slug);
		BSON_APPEND_BOOL(&set, "isDeleted", false);
		ok = insert_one(st, "additionalservices", &set, now, after, e);
		goto done;
	}
	{
		bson_oid_t oid;
		(void)doc_oid(before, "_id", &oid);
		BSON_APPEND_OID(&filter, "_id", &oid);
	}
	ok = set_one(st, "additionalservices", &filter, &set, now, after, e);
done:
	if (!ok)
		bson_destroy(before);
	bson_destroy(&set);
	bson_destroy(&filter);
	return ok;
}

/* ---- hours -------------------------------------------------------------------- */

static void append_dayhours(bson_t *doc, const char *key, const struct booking_dayhours *d)
{
	bson_t day;
	char t[8];

	BSON_APPEND_DOCUMENT_BEGIN(doc, key, &day);
	BSON_APPEND_BOOL(&day, "isOpen", d->open);
	booking_format_time(d->open_min, t);
	BSON_APPEND_UTF8(&day, "openTime", t);
	booking_format_time(d->close_min, t);
	BSON_APPEND_UTF8(&day, "closeTime", t);
	bson_append_document_end(doc, &day);
}

bool booking_hours_doc(store_t *st, bson_t *out, bool *stored, struct err *e)
{
	bson_t sort = BSON_INITIALIZER;
	store_find_opts_t opts = { .sort = &sort };
	store_error_t se = { 0 };
	bool found = false, ok;

	BSON_APPEND_INT32(&sort, "createdAt", -1);
	ok = store_find_one(st, "globalhoursconfigurations", NULL, &opts, out, &found, &se);
	bson_destroy(&sort);
	if (!ok)
		return store_fail(e, "booking: hours", &se);
	*stored = found;
	if (!found) {
		struct booking_hours h;
		bson_t week;
		bson_destroy(out);
		bson_init(out);
		booking_hours_defaults(&h);
		BSON_APPEND_DOCUMENT_BEGIN(out, "defaultHours", &week);
		for (int i = 0; i < 7; i++)
			append_dayhours(&week, booking_weekday_name(i), &h.week[i]);
		bson_append_document_end(out, &week);
		append_dayhours(out, "holidayHours", &h.holiday);
		booking_hours_free(&h);
	}
	return true;
}

/* {isOpen, openTime, closeTime} of `o` checked into `set` under `key`. */
static bool dayhours_member(json_object *o, const char *key, const char *field, bson_t *set,
			    struct err *e)
{
	json_object *ot, *ct;
	struct booking_dayhours d = { 0 };
	char f[96];
	bool open;

	if (!json_object_is_type(o, json_type_object))
		return err_set(e, 400, "invalid_request", field, "{isOpen, openTime, closeTime}.");
	(void)buf_fmt(f, sizeof f, "%s.isOpen", field);
	if (!bool_member(o, "isOpen", f, true, &open, NULL, e))
		return false;
	d.open = open;
	ot = member(o, "openTime");
	ct = member(o, "closeTime");
	(void)buf_fmt(f, sizeof f, "%s.openTime", field);
	if (!ot || !json_object_is_type(ot, json_type_string) ||
	    !booking_parse_time(json_object_get_string(ot), false, &d.open_min))
		return err_set(e, 422, "invalid_time", f, "Une heure HH:MM, par exemple 09:00.");
	if (d.open_min % BOOKING_SLOT_MIN)
		return err_set(e, 422, "time_grid", f, "Les heures vont par demi-heures (09:00, 09:30…).");
	(void)buf_fmt(f, sizeof f, "%s.closeTime", field);
	if (!ct || !json_object_is_type(ct, json_type_string) ||
	    !booking_parse_time(json_object_get_string(ct), true, &d.close_min))
		return err_set(e, 422, "invalid_time", f, "Une heure HH:MM, par exemple 20:00.");
	if (d.close_min % BOOKING_SLOT_MIN)
		return err_set(e, 422, "time_grid", f, "Les heures vont par demi-heures (19:30, 20:00…).");
	if (d.close_min <= d.open_min)
		return err_set(e, 422, "end_before_start", f, "La fermeture doit suivre l’ouverture.");
	append_dayhours(set, key, &d);
	return true;
}

static bool month_day_ok(int m, int d)
{
	static const int days[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m >= 1 && m <= 12 && d >= 1 && d <= days[m - 1];
}

static bool annual_member(json_object *v, bson_t *set, struct err *e)
{
	bson_t arr;
	size_t n;

	if (!v || json_object_is_type(v, json_type_null)) {
		BSON_APPEND_ARRAY_BEGIN(set, "annualClosures", &arr);
		bson_append_array_end(set, &arr);
		return true;
	}
	if (!json_object_is_type(v, json_type_array))
		return err_set(e, 400, "invalid_request", "annualClosures", "Une liste de jours MM-JJ.");
	n = json_object_array_length(v);
	if (n > BOOKING_MAX_ANNUAL)
		return err_set(e, 422, "validation_failed", "annualClosures", "%d jours au plus.", BOOKING_MAX_ANNUAL);
	BSON_APPEND_ARRAY_BEGIN(set, "annualClosures", &arr);
	for (size_t i = 0; i < n; i++) {
		json_object *t = json_object_array_get_idx(v, i);
		const char *s = json_object_is_type(t, json_type_string) ? json_object_get_string(t) : "";
		int m = 0, d = 0;
		char ikey[12], end;
		if (strlen(s) != 5 || sscanf(s, "%2d-%2d%c", &m, &d, &end) != 2 || !month_day_ok(m, d)) {
			bson_append_array_end(set, &arr);
			return err_set(e, 422, "invalid_date", "annualClosures", "« %.20s » n’est pas un jour MM-JJ réel.", s);
		}
		(void)buf_fmt(ikey, sizeof ikey, "%zu", i);
		BSON_APPEND_UTF8(&arr, ikey, s);
	}
	bson_append_array_end(set, &arr);
	return true;
}

static const char *const hours_known[] = { "defaultHours", "holidayHours", "annualClosures", "confirm", NULL };

bool booking_hours_check(json_object *in, const bson_t *current, bson_t *set,
			 struct booking_hours *hours, struct err *e)
{
	json_object *cur = doc_to_json(current), *all = NULL, *week;
	bson_t wk;
	bool ok = false;

	if (!only_known(in, hours_known, e))
		goto done;
	all = merge(cur, in);
	json_object_object_del(all, "confirm");
	week = member(all, "defaultHours");
	if (!json_object_is_type(week, json_type_object)) {
		err_set(e, 400, "invalid_request", "defaultHours", "Les horaires de chaque jour, monday à sunday.");
		goto done;
	}
	json_object_object_foreach(week, key, val) {
		int i;
		(void)val;
		for (i = 0; i < 7 && strcmp(booking_weekday_name(i), key) != 0; i++)
			;
		if (i == 7) {
			err_set(e, 422, "validation_failed", "defaultHours", "Jour inconnu « %.30s ».", key);
			goto done;
		}
	}
	BSON_APPEND_DOCUMENT_BEGIN(set, "defaultHours", &wk);
	for (int i = 0; i < 7; i++) {
		char f[64];
		json_object *d = member(week, booking_weekday_name(i));
		(void)buf_fmt(f, sizeof f, "defaultHours.%s", booking_weekday_name(i));
		if (!d) {
			bson_append_document_end(set, &wk);
			err_set(e, 422, "validation_failed", f, "Les horaires de ce jour manquent.");
			goto done;
		}
		if (!dayhours_member(d, booking_weekday_name(i), f, &wk, e)) {
			bson_append_document_end(set, &wk);
			goto done;
		}
	}
	bson_append_document_end(set, &wk);
	if (member(all, "holidayHours") &&
	    !dayhours_member(member(all, "holidayHours"), "holidayHours", "holidayHours", set, e))
		goto done;
	if (!annual_member(member(all, "annualClosures"), set, e))
		goto done;
	if (hours) {
		bson_t whole = BSON_INITIALIZER;
		bson_copy_to_excluding_noinit(current, &whole, "defaultHours", "holidayHours", "annualClosures", NULL);
		bson_concat(&whole, set);
		booking_hours_from_doc(&whole, hours);
		bson_destroy(&whole);
	}
	ok = true;
done:
	json_object_put(cur);
	if (all)
		json_object_put(all);
	return ok;
}

/* Whether booking `b` still fits the hours `h`. */
static bool booking_fits(const struct booking_hours *h, const bson_t *b)
{
	struct booking_day d;
	int64_t day = booking_day_of_ms(doc_date(b, "date", 0));
	const char *st = doc_str(b, "startTime"), *en = doc_str(b, "endTime");
	int s, t;

	booking_hours_day(h, day, &d);
	if (!d.open)
		return false;
	if (!st || !en || !booking_parse_time(st, false, &s) || !booking_parse_time(en, true, &t))
		return true;   /* a whole day (or more): the day is open */
	if (s < d.open_min || t > d.close_min)
		return false;
	for (int i = 0; i < d.npartial; i++)
		if (s < d.partial[i].end_min && d.partial[i].start_min < t)
			return false;
	return true;
}

bool booking_hours_conflicts(store_t *st, const struct booking_hours *old, const struct booking_hours *h,
			     int64_t today, int64_t *count, struct err *e)
{
	bson_t *filter = BCON_NEW("status", "{", "$in", "[", "pending", "confirmed", "]", "}",
				  "date", "{", "$gte", BCON_DATE_TIME(booking_day_ms(today)), "}");
	store_error_t se = { 0 };
	store_cursor_t *cur = store_find(st, "bookings", filter, NULL, &se);
	const bson_t *doc;
	bool ok = true;

	*count = 0;
	bson_destroy(filter);
	if (!cur)
		return store_fail(e, "booking: hours conflicts", &se);
	while (store_cursor_next(cur, &doc))
		if (!booking_fits(h, doc) && (!old || booking_fits(old, doc)))
			(*count)++;
	if (store_cursor_error(cur, &se))
		ok = store_fail(e, "booking: hours conflicts", &se);
	store_cursor_destroy(cur);
	return ok;
}

/* Writes `set` on the hours document in force (`current`, `stored`), or
 * inserts it with the rest of `current` when there is none. */
static bool hours_write(store_t *st, const bson_t *current, bool stored, const bson_t *set, int64_t now,
			bson_t *after, struct err *e)
{
	if (stored) {
		bson_t filter = BSON_INITIALIZER;
		bson_oid_t id;
		bool ok;
		if (!doc_oid(current, "_id", &id))
			return err_set(e, 500, "internal", NULL, "Document d’horaires sans identifiant.");
		BSON_APPEND_OID(&filter, "_id", &id);
		ok = set_one(st, "globalhoursconfigurations", &filter, set, now, after, e);
		bson_destroy(&filter);
		return ok;
	} else {
		bson_t whole = BSON_INITIALIZER;
		bool ok;
		bson_copy_to_excluding_noinit(current, &whole, "_id", NULL);
		{
			bson_iter_t it;
			bson_t tmp = BSON_INITIALIZER;
			/* members of `set` replace those of the defaults */
			if (bson_iter_init(&it, &whole))
				while (bson_iter_next(&it)) {
					bson_iter_t f;
					if (!bson_iter_init_find(&f, set, bson_iter_key(&it)))
						bson_append_iter(&tmp, bson_iter_key(&it), -1, &it);
				}
			bson_concat(&tmp, set);
			bson_destroy(&whole);
			ok = insert_one(st, "globalhoursconfigurations", &tmp, now, after, e);
			bson_destroy(&tmp);
		}
		return ok;
	}
}

static bool guarded_write(store_t *st, const bson_t *current, bool stored, const bson_t *set,
			  const struct booking_hours *h, bool confirmed, int64_t today, int64_t now,
			  int64_t *conflicts, bson_t *after, struct err *e)
{
	struct booking_hours old;
	bool ok;

	*conflicts = 0;
	booking_hours_from_doc(current, &old);
	ok = booking_hours_conflicts(st, &old, h, today, conflicts, e);
	booking_hours_free(&old);
	if (!ok)
		return false;
	if (*conflicts > 0 && !confirmed)
		return err_set(e, 409, "hours_conflict", "confirm",
			       "%lld réservation(s) en attente ou confirmée(s) tomberaient hors des horaires : "
			       "confirmez pour enregistrer quand même.", (long long)*conflicts);
	return hours_write(st, current, stored, set, now, after, e);
}

bool booking_hours_save(store_t *st, json_object *in, bool confirmed, int64_t today, int64_t now,
			int64_t *conflicts, bson_t *before, bson_t *after, struct err *e)
{
	bson_t set = BSON_INITIALIZER;
	struct booking_hours h = { 0 };
	bool stored = false, ok = false, have_h = false;

	*conflicts = 0;
	if (!booking_hours_doc(st, before, &stored, e))
		goto out;
	if (!booking_hours_check(in, before, &set, &h, e))
		goto fail;
	have_h = true;
	if (!guarded_write(st, before, stored, &set, &h, confirmed, today, now, conflicts, after, e))
		goto fail;
	if (!stored) {
		bson_destroy(before);
		bson_init(before);
	}
	ok = true;
	goto out;
fail:
	bson_destroy(before);
out:
	if (have_h)
		booking_hours_free(&h);
	bson_destroy(&set);
	return ok;
}

/* The exceptionalClosures of `current` plus `add` (NULL: none) minus
 * number `drop` (-1: none), appended to `set`. */
static void closures_member(const bson_t *current, const bson_t *add, int drop, bson_t *set)
{
	bson_iter_t it, arr;
	bson_t out;
	int i = 0, k = 0;
	char ikey[12];

	BSON_APPEND_ARRAY_BEGIN(set, "exceptionalClosures", &out);
	if (bson_iter_init_find(&it, current, "exceptionalClosures") && BSON_ITER_HOLDS_ARRAY(&it) &&
	    bson_iter_recurse(&it, &arr))
		while (bson_iter_next(&arr)) {
			if (i++ == drop)
				continue;
			(void)buf_fmt(ikey, sizeof ikey, "%d", k++);
			bson_append_iter(&out, ikey, -1, &arr);
		}
	if (add) {
		(void)buf_fmt(ikey, sizeof ikey, "%d", k++);
		BSON_APPEND_DOCUMENT(&out, ikey, add);
	}
	bson_append_array_end(set, &out);
}

bool booking_closure_add(store_t *st, json_object *in, bool confirmed, int64_t today, int64_t now,
			 int64_t *conflicts, bson_t *before, bson_t *after, struct err *e)
{
	static const char *const known[] = { "date", "reason", "isFullDay", "startTime", "endTime", "yearly", "confirm", NULL };
	bson_t set = BSON_INITIALIZER, item = BSON_INITIALIZER, whole = BSON_INITIALIZER;
	struct booking_hours h = { 0 };
	json_object *v;
	bool stored = false, ok = false, full, yearly, have_h = false;
	int64_t day;
	int s = 0, t = 0;

	*conflicts = 0;
	if (!booking_hours_doc(st, before, &stored, e))
		goto out;
	if (!only_known(in, known, e))
		goto fail;
	v = member(in, "date");
	if (!v || !json_object_is_type(v, json_type_string) || !booking_parse_date(json_object_get_string(v), &day)) {
		err_set(e, 422, "invalid_date", "date", "Une date réelle AAAA-MM-JJ.");
		goto fail;
	}
	if (day < today) {
		err_set(e, 422, "past_date", "date", "Cette date est passée.");
		goto fail;
	}
	if (!bool_member(in, "isFullDay", "isFullDay", true, &full, NULL, e) ||
	    !bool_member(in, "yearly", "yearly", false, &yearly, NULL, e))
		goto fail;
	if (!full && yearly) {
		err_set(e, 422, "validation_failed", "isFullDay", "Une fermeture annuelle dure toute la journée.");
		goto fail;
	}
	if (!full) {
		json_object *a = member(in, "startTime"), *b = member(in, "endTime");
		if (!a || !json_object_is_type(a, json_type_string) ||
		    !booking_parse_time(json_object_get_string(a), false, &s)) {
			err_set(e, 422, "invalid_time", "startTime", "Une heure HH:MM, par exemple 14:00.");
			goto fail;
		}
		if (!b || !json_object_is_type(b, json_type_string) ||
		    !booking_parse_time(json_object_get_string(b), true, &t)) {
			err_set(e, 422, "invalid_time", "endTime", "Une heure HH:MM, par exemple 18:00.");
			goto fail;
		}
		if (s % BOOKING_SLOT_MIN || t % BOOKING_SLOT_MIN) {
			err_set(e, 422, "time_grid", s % BOOKING_SLOT_MIN ? "startTime" : "endTime",
				"Les heures vont par demi-heures (14:00, 14:30…).");
			goto fail;
		}
		if (t <= s) {
			err_set(e, 422, "end_before_start", "endTime", "La fin doit suivre le début.");
			goto fail;
		}
	}
	if (yearly) {
		bson_iter_t it, arr;
		bson_t list;
		int y, m, d, k = 0;
		char mmdd[8], ikey[12];
		booking_civil_from_days(day, &y, &m, &d);
		(void)buf_fmt(mmdd, sizeof mmdd, "%02d-%02d", m, d);
		BSON_APPEND_ARRAY_BEGIN(&set, "annualClosures", &list);
		if (bson_iter_init_find(&it, before, "annualClosures") && BSON_ITER_HOLDS_ARRAY(&it) &&
		    bson_iter_recurse(&it, &arr))
			while (bson_iter_next(&arr)) {
				if (BSON_ITER_HOLDS_UTF8(&arr) && strcmp(bson_iter_utf8(&arr, NULL), mmdd) == 0)
					continue;
				(void)buf_fmt(ikey, sizeof ikey, "%d", k++);
				bson_append_iter(&list, ikey, -1, &arr);
			}
		(void)buf_fmt(ikey, sizeof ikey, "%d", k++);
		BSON_APPEND_UTF8(&list, ikey, mmdd);
		bson_append_array_end(&set, &list);
	} else {
		char tm[8];
		if (!text_member(in, "reason", "reason", false, 150, &item, e))
			goto fail;
		if (!doc_str(&item, "reason"))
			BSON_APPEND_UTF8(&item, "reason", "Fermeture exceptionnelle");
		BSON_APPEND_DATE_TIME(&item, "date", booking_day_ms(day));
		BSON_APPEND_BOOL(&item, "isFullDay", full);
		if (!full) {
			booking_format_time(s, tm);
			BSON_APPEND_UTF8(&item, "startTime", tm);
			booking_format_time(t, tm);
			BSON_APPEND_UTF8(&item, "endTime", tm);
		}
		closures_member(before, &item, -1, &set);
	}
	bson_copy_to_excluding_noinit(before, &whole, yearly ? "annualClosures" : "exceptionalClosures", NULL);
	bson_concat(&whole, &set);
	booking_hours_from_doc(&whole, &h);
	have_h = true;
	if (!guarded_write(st, before, stored, &set, &h, confirmed, today, now, conflicts, after, e))
		goto fail;
	if (!stored) {
		bson_destroy(before);
		bson_init(before);
	}
	ok = true;
	goto out;
fail:
	bson_destroy(before);
out:
	if (have_h)
		booking_hours_free(&h);
	bson_destroy(&set);
	bson_destroy(&item);
	bson_destroy(&whole);
	return ok;
}

bool booking_closure_delete(store_t *st, int index, const char *annual, int64_t now,
			    bson_t *before, bson_t *after, struct err *e)
{
	bson_t set = BSON_INITIALIZER;
	bson_iter_t it, arr;
	bool stored = false, ok = false, found = false;
	int n = 0;

	if (!booking_hours_doc(st, before, &stored, e))
		goto out;
	if (annual) {
		bson_t list;
		char ikey[12];
		BSON_APPEND_ARRAY_BEGIN(&set, "annualClosures", &list);
		if (bson_iter_init_find(&it, before, "annualClosures") && BSON_ITER_HOLDS_ARRAY(&it) &&
		    bson_iter_recurse(&it, &arr))
			while (bson_iter_next(&arr)) {
				if (BSON_ITER_HOLDS_UTF8(&arr) && strcmp(bson_iter_utf8(&arr, NULL), annual) == 0) {
					found = true;
					continue;
				}
				(void)buf_fmt(ikey, sizeof ikey, "%d", n++);
				bson_append_iter(&list, ikey, -1, &arr);
			}
		bson_append_array_end(&set, &list);
	} else {
		if (bson_iter_init_find(&it, before, "exceptionalClosures") && BSON_ITER_HOLDS_ARRAY(&it) &&
		    bson_iter_recurse(&it, &arr))
			while (bson_iter_next(&arr))
				n++;
		found = index >= 0 && index < n;
		closures_member(before, NULL, index, &set);
	}
	if (!stored || !found) {
		err_set(e, 404, "not_found", NULL, "Cette fermeture n’existe pas.");
		goto fail;
	}
	if (!hours_write(st, before, stored, &set, now, after, e))
		goto fail;
	ok = true;
	goto out;
fail:
	bson_destroy(before);
out:
	bson_destroy(&set);
	return ok;
}
