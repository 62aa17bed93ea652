/*
 * catalogue_pages.c — the catalogue's screens (SPEC §9 "spaces and
 * prices, services, hours and closures, booking settings"): lists and
 * plain POST forms that work without a script, for staff to read and
 * admins to change.
 *
 * A form is turned into the JSON body the API takes (form_space() …) and
 * written by the same functions as the API (catalogue.c, settings.c),
 * under the same audit actions. A refusal re-renders the form with what
 * was typed and the message next to the field; nothing is written.
 *
 * The space's form has a price preview: "Prévisualiser" (no script)
 * re-renders the page with booking_price_quote()'s answer for the example
 * and the values being edited; with catalogue.js the same form is posted
 * to /booking/space-preview as you type, which answers the same preview
 * as JSON. The price is never computed in the browser.
 */
#include "admin.h"
#include "account/account.h"
#include "account/role.h"
#include "assets.h"
#include "audit/api.h"
#include "booking/calendar.h"
#include "booking/catalogue.h"
#include "booking/catalogue_edit.h"
#include "booking/price.h"
#include "conn/conn.h"
#include "core/buf.h"
#include "core/doc.h"
#include "core/money.h"
#include "web/page.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const struct { const char *value, *label; } rtypes[] = {
	{ "hourly", "À l’heure" }, { "daily", "À la journée" }, { "weekly", "À la semaine" }, { "monthly", "Au mois" },
};
static const struct { const char *value, *label; } space_types[] = {
	{ "open-space", "Open-space" }, { "salle-verriere", "Salle Verrière" },
	{ "salle-etage", "Salle de l’étage" }, { "evenementiel", "Événementiel" },
};
static const char *const weekdays_fr[] = { "Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi", "Samedi", "Dimanche" };

static void set_bool(json_object *o, const char *key, bool v)
{
	json_object_object_add(o, key, json_object_new_boolean(v));
}

/* "6,50" for 650 cents; "" for a negative (none). */
static void euros_input(int64_t cents, char *out, size_t outlen)
{
	if (cents < 0)
		out[0] = '\0';
	else if (cents % 100)
		(void)buf_fmt(out, outlen, "%lld,%02lld", (long long)(cents / 100), (long long)(cents % 100));
	else
		(void)buf_fmt(out, outlen, "%lld", (long long)(cents / 100));
}

/* A form field as a JSON value: "" → NULL (absent), a number when it
 * reads as one ("6,50" too), the text otherwise (the check refuses it,
 * naming the field). */
static json_object *form_number(const char *v, bool whole)
{
	char tmp[64], *end;
	double d;

	if (!v)
		return NULL;
	while (*v == ' ')
		v++;
	if (!*v)
		return NULL;
	if (!buf_fmt(tmp, sizeof tmp, "%s", v))
		return json_object_new_string(v);
	for (char *p = tmp; *p; p++)
		if (*p == ',')
			*p = '.';
	d = strtod(tmp, &end);
	while (*end == ' ')
		end++;
	if (*end || end == tmp || !isfinite(d))
		return json_object_new_string(v);
	if (whole && d == floor(d) && fabs(d) < 1e9)
		return json_object_new_int64((int64_t)d);
	return json_object_new_double(d);
}

static void add_number(json_object *o, const char *key, const char *v, bool whole)
{
	json_object *n = form_number(v, whole);

	if (n)
		json_object_object_add(o, key, n);
}

static bool form_checked(struct http_req *req, const char *key)
{
	const char *v = http_form(req, key);

	return v && *v && strcmp(v, "0") != 0;
}

/* The errors object of a page: {field: message} plus the alert. */
static void show_error(json_object *data, const struct err *e, const char *field)
{
	json_object *errs = json_object_new_object();
	char text[400];

	if (field && *field)
		admin_set_str(errs, field, e->message);
	json_object_object_add(data, "errors", errs);
	if (field && *field)
		(void)buf_fmt(text, sizeof text, "Le formulaire n’est pas enregistré : %s", e->message);
	else
		(void)buf_fmt(text, sizeof text, "%s", e->message);
	admin_alert(data, "error", text);
}

static int err_status(const struct err *e)
{
	return e->status >= 400 && e->status < 600 ? e->status : 422;
}

/* ---- spaces: list ------------------------------------------------------------ */

static const char *space_label(const char *type)
{
	for (size_t i = 0; type && i < sizeof space_types / sizeof *space_types; i++)
		if (strcmp(space_types[i].value, type) == 0)
			return space_types[i].label;
	return type ? type : "";
}

/* The catalogue's lists show every document but the deleted ones. */
static bool not_deleted(const bson_t *doc, void *ctx)
{
	(void)ctx;
	return !doc_bool(doc, "isDeleted", false);
}

/* A catalogue list (a few dozen documents, one page of `max`): `row` of
 * each in `order`, then `finish` adds what the page says besides. */
static void catalogue_list(struct http_req *req, const char *title, const char *section, const char *coll,
			   const char *order, long max, json_object *(*row)(const bson_t *, void *), void *ctx,
			   void (*finish)(struct http_req *, json_object *, void *), const char *tpl)
{
	store_t *st = admin_page_store(req);
	bson_t *sort;
	json_object *data;
	const bson_t *all[1] = { NULL };
	int status;

	if (!st)
		return;
	sort = BCON_NEW(order, BCON_INT32(1), "_id", BCON_INT32(1));
	data = page_data(req, title);
	page_section(data, section);
	status = admin_list(req, st, &(struct admin_list){ .collection = coll, .per_page = max, .sort = sort,
			    .row = row, .match = not_deleted, .ctx = ctx }, all, 1, 1, data, NULL);
	bson_destroy(sort);
	set_bool(data, "canEdit", req->role >= ROLE_ADMIN);
	if (status == 200)
		finish(req, data, ctx);
	admin_list_render(req, status, tpl, data);
}

static json_object *space_row(const bson_t *doc, void *seen_types)
{
	bool *seen = seen_types;
	struct booking_space sp;
	json_object *o = json_object_new_object();
	const char *type = doc_str(doc, "spaceType");
	char buf[64];

	booking_space_from_doc(doc, &sp);
	for (size_t i = 0; type && i < 4; i++)
		if (strcmp(space_types[i].value, type) == 0)
			seen[i] = true;
	admin_set_str(o, "type", sp.space_type);
	admin_set_str(o, "name", sp.name);
	(void)buf_fmt(buf, sizeof buf, "/booking/spaces/%s", sp.space_type);
	admin_set_str(o, "href", buf);
	(void)buf_fmt(buf, sizeof buf, "%d–%d", sp.min_capacity, sp.max_capacity);
	admin_set_str(o, "capacity", buf);
	money_format(sp.hourly, 0, buf, sizeof buf);
	admin_set_str(o, "hourly", sp.types[BOOKING_HOURLY] ? buf : "—");
	money_format(sp.daily, 0, buf, sizeof buf);
	admin_set_str(o, "daily", sp.types[BOOKING_DAILY] ? buf : "—");
	set_bool(o, "perPerson", sp.per_person);
	set_bool(o, "requiresQuote", sp.requires_quote);
	set_bool(o, "active", sp.active);
	json_object_object_add(o, "order", json_object_new_int((int)doc_int(doc, "displayOrder", 0)));
	return o;
}

static void spaces_finish(struct http_req *req, json_object *data, void *seen_types)
{
	const bool *seen = seen_types;
	const char *done = http_query(req, "done");

	set_bool(data, "canCreate", req->role >= ROLE_ADMIN && !(seen[0] && seen[1] && seen[2] && seen[3]));
	if (done && strcmp(done, "created") == 0)
		admin_alert(data, "success", "L’espace est créé.");
	else if (done && strcmp(done, "deactivated") == 0)
		admin_alert(data, "success", "L’espace est désactivé : il n’est plus réservable.");
}

void admin_page_spaces(struct http_req *req)
{
	bool seen[4] = { false };

	catalogue_list(req, "Espaces et tarifs", "spaces", "spaceconfigurations", "displayOrder", 200, space_row,
		       seen, spaces_finish, "spaces.html");
}

/* ---- spaces: the form ------------------------------------------------------------ */

static const char *const space_fields[] = {
	"spaceType", "name", "description", "minCapacity", "maxCapacity", "hourly", "daily", "weekly", "monthly",
	"tierMax", "extraHourly", "extraDaily", "displayOrder",
	"exType", "exDate", "exStart", "exEnd", "exPeople", NULL,
};

/* The JSON body of the space's form (the API's members). `multi_tiers`:
 * the stored space has several tiers, left as they are. */
static json_object *form_space(struct http_req *req, bool multi_tiers)
{
	json_object *in = json_object_new_object(), *pricing = json_object_new_object(), *types = json_object_new_object();
	const char *name = http_form(req, "name"), *desc = http_form(req, "description");
	static const char *const prices[] = { "hourly", "daily", "weekly", "monthly" };

	if (http_form(req, "spaceType"))
		admin_set_str(in, "spaceType", http_form(req, "spaceType"));
	admin_set_str(in, "name", name);
	admin_set_str(in, "description", desc);
	add_number(in, "minCapacity", http_form(req, "minCapacity"), true);
	add_number(in, "maxCapacity", http_form(req, "maxCapacity"), true);
	add_number(in, "displayOrder", http_form(req, "displayOrder"), true);
	for (int i = 0; i < 4; i++) {
		json_object *n = form_number(http_form(req, prices[i]), false);
		json_object_object_add(pricing, prices[i], n ? n : json_object_new_int(0));
	}
	set_bool(pricing, "perPerson", form_checked(req, "perPerson"));
	if (!multi_tiers) {
		json_object *tiers = json_object_new_array();
		json_object *tmax = form_number(http_form(req, "tierMax"), true);
		if (tmax) {
			json_object *t = json_object_new_object();
			json_object_object_add(t, "minPeople", json_object_new_int(1));
			json_object_object_add(t, "maxPeople", tmax);
			json_object_object_add(t, "hourlyRate", json_object_get(json_object_object_get(pricing, "hourly")));
			json_object_object_add(t, "dailyRate", json_object_get(json_object_object_get(pricing, "daily")));
			add_number(t, "extraPersonHourly", http_form(req, "extraHourly"), false);
			add_number(t, "extraPersonDaily", http_form(req, "extraDaily"), false);
			json_object_array_add(tiers, t);
		}
		json_object_object_add(pricing, "tiers", tiers);
	}
	json_object_object_add(in, "pricing", pricing);
	for (size_t i = 0; i < sizeof rtypes / sizeof *rtypes; i++) {
		char key[32];
		(void)buf_fmt(key, sizeof key, "rt_%s", rtypes[i].value);
		set_bool(types, rtypes[i].value, form_checked(req, key));
	}
	json_object_object_add(in, "availableReservationTypes", types);
	set_bool(in, "exclusive", form_checked(req, "exclusive"));
	set_bool(in, "requiresQuote", form_checked(req, "requiresQuote"));
	set_bool(in, "isActive", form_checked(req, "isActive"));
	return in;
}

/* The example of the preview from the form. */
static json_object *form_example(struct http_req *req)
{
	json_object *ex = json_object_new_object();
	const char *type = http_form(req, "exType");

	admin_set_str(ex, "reservationType", type && *type ? type : "hourly");
	admin_set_str(ex, "date", http_form(req, "exDate"));
	admin_set_str(ex, "startTime", http_form(req, "exStart"));
	admin_set_str(ex, "endTime", http_form(req, "exEnd"));
	add_number(ex, "numberOfPeople", http_form(req, "exPeople"), true);
	return ex;
}

/* The form field of an error's field ("pricing.hourly" → "hourly"). */
static void space_field(const char *f, char *out, size_t outlen)
{
	static const struct { const char *from, *to; } map[] = {
		{ "pricing.tiers", "tierMax" }, { "availableReservationTypes", "types" },
		{ "example.reservationType", "exType" }, { "example.date", "exDate" },
		{ "example.startTime", "exStart" }, { "example.endTime", "exEnd" },
		{ "example.numberOfPeople", "exPeople" }, { "example.spaceType", "exType" },
		{ "example", "exDate" },
	};

	for (size_t i = 0; i < sizeof map / sizeof *map; i++)
		if (strncmp(f, map[i].from, strlen(map[i].from)) == 0) {
			if (strstr(f, "extraPersonHourly"))
				(void)buf_fmt(out, outlen, "extraHourly");
			else if (strstr(f, "extraPersonDaily"))
				(void)buf_fmt(out, outlen, "extraDaily");
			else
				(void)buf_fmt(out, outlen, "%s", map[i].to);
			return;
		}
	(void)buf_fmt(out, outlen, "%s", strncmp(f, "pricing.", 8) == 0 ? f + 8 : f);
}

/* The preview's French lines for `q`. */
static json_object *preview_json(const struct booking_quote *q)
{
	json_object *p = json_object_new_object();
	char buf[64], line[200];

	money_format(q->total, 0, buf, sizeof buf);
	admin_set_str(p, "total", buf);
	{
		char base[32], extra[32], ht[32], vat[32];
		money_format(q->base, 0, base, sizeof base);
		money_format(q->extra, 0, extra, sizeof extra);
		money_format(q->total_ht, 0, ht, sizeof ht);
		money_format(q->total_vat, 0, vat, sizeof vat);
		(void)buf_fmt(line, sizeof line, "Base %s%s%s · HT %s · TVA %s%s", base,
			      q->extra ? " + personnes en plus " : "", q->extra ? extra : "", ht, vat,
			      q->day_rate ? " · tarif journée appliqué" : "");
	}
	admin_set_str(p, "detail", line);
	return p;
}

static void space_values_from_doc(json_object *v, const bson_t *doc, bool *multi)
{
	struct booking_space sp;
	char buf[32];

	booking_space_from_doc(doc, &sp);
	admin_set_str(v, "spaceType", sp.space_type);
	admin_set_str(v, "name", doc_str(doc, "name"));
	admin_set_str(v, "description", doc_str(doc, "description"));
	(void)buf_fmt(buf, sizeof buf, "%d", sp.min_capacity);
	admin_set_str(v, "minCapacity", buf);
	(void)buf_fmt(buf, sizeof buf, "%d", sp.max_capacity);
	admin_set_str(v, "maxCapacity", buf);
	euros_input(sp.hourly, buf, sizeof buf);
	admin_set_str(v, "hourly", buf);
	euros_input(sp.daily, buf, sizeof buf);
	admin_set_str(v, "daily", buf);
	euros_input(sp.weekly, buf, sizeof buf);
	admin_set_str(v, "weekly", buf);
	euros_input(sp.monthly, buf, sizeof buf);
	admin_set_str(v, "monthly", buf);
	*multi = sp.ntiers > 1;
	if (sp.ntiers >= 1) {
		(void)buf_fmt(buf, sizeof buf, "%d", sp.tiers[0].max_people);
		admin_set_str(v, "tierMax", buf);
		euros_input(sp.tiers[0].extra_hourly, buf, sizeof buf);
		admin_set_str(v, "extraHourly", buf);
		euros_input(sp.tiers[0].extra_daily, buf, sizeof buf);
		admin_set_str(v, "extraDaily", buf);
	}
	(void)buf_fmt(buf, sizeof buf, "%d", (int)doc_int(doc, "displayOrder", 0));
	admin_set_str(v, "displayOrder", buf);
	set_bool(v, "perPerson", sp.per_person);
	set_bool(v, "exclusive", sp.exclusive);
	set_bool(v, "requiresQuote", sp.requires_quote);
	set_bool(v, "isActive", sp.active);
	for (int i = 0; i < BOOKING_RTYPES; i++) {
		char key[32];
		(void)buf_fmt(key, sizeof key, "rt_%s", booking_rtype_name(i));
		set_bool(v, key, sp.types[i]);
	}
}

static void space_values_from_form(struct http_req *req, json_object *v)
{
	static const char *const checks[] = { "perPerson", "exclusive", "requiresQuote", "isActive", "rt_hourly",
					      "rt_daily", "rt_weekly", "rt_monthly", NULL };

	for (int i = 0; space_fields[i]; i++)
		if (strncmp(space_fields[i], "ex", 2) != 0)
			admin_set_str(v, space_fields[i], http_form(req, space_fields[i]));
	for (int i = 0; checks[i]; i++)
		set_bool(v, checks[i], form_checked(req, checks[i]));
}

/* The example's values: the form's, or a weekday 30 days ahead, 10–12, 2 people. */
static void example_values(struct http_req *req, json_object *data, bool from_form)
{
	json_object *ex = json_object_new_object(), *opts = json_object_new_array();
	const char *type = from_form ? http_form(req, "exType") : NULL;
	char date[11];

	if (from_form) {
		admin_set_str(ex, "date", http_form(req, "exDate"));
		admin_set_str(ex, "start", http_form(req, "exStart"));
		admin_set_str(ex, "end", http_form(req, "exEnd"));
		admin_set_str(ex, "people", http_form(req, "exPeople"));
	} else {
		int64_t day = admin_catalogue_today() + 30;
		while (booking_weekday(day) > 4 || booking_holiday(day))
			day++;
		booking_format_date(day, date);
		admin_set_str(ex, "date", date);
		admin_set_str(ex, "start", "10:00");
		admin_set_str(ex, "end", "12:00");
		admin_set_str(ex, "people", "2");
	}
	for (size_t i = 0; i < sizeof rtypes / sizeof *rtypes; i++) {
		json_object *o = json_object_new_object();
		admin_set_str(o, "value", rtypes[i].value);
		admin_set_str(o, "label", rtypes[i].label);
		set_bool(o, "selected", type ? strcmp(type, rtypes[i].value) == 0 : i == 0);
		json_object_array_add(opts, o);
	}
	json_object_object_add(ex, "typeOptions", opts);
	json_object_object_add(data, "example", ex);
}

/* Renders the space's form: `doc` (NULL: a new space) with the form's
 * values when `from_form`, a refusal `e`, a preview `q`. */
static void render_space(struct http_req *req, int status, const bson_t *doc, bool from_form,
			 const struct err *e, const struct booking_quote *q, const char *done)
{
	json_object *data, *v = json_object_new_object(), *topts;
	bool multi = false;
	char title[200], action[96];
	const char *type = doc ? doc_str(doc, "spaceType") : NULL;

	if (doc)
		(void)buf_fmt(title, sizeof title, "%s", doc_str(doc, "name") ? doc_str(doc, "name") : space_label(type));
	else
		(void)buf_fmt(title, sizeof title, "Nouvel espace");
	data = page_data(req, title);
	page_section(data, "spaces");
	admin_set_str(data, "heading", title);
	if (doc)
		space_values_from_doc(v, doc, &multi);
	else {
		admin_set_str(v, "minCapacity", "1");
		set_bool(v, "isActive", true);
		set_bool(v, "exclusive", true);
		set_bool(v, "rt_hourly", true);
		set_bool(v, "rt_daily", true);
	}
	if (from_form)
		space_values_from_form(req, v);
	json_object_object_add(data, "values", v);
	set_bool(data, "multiTiers", multi);
	set_bool(data, "isNew", doc == NULL);
	set_bool(data, "canEdit", req->role >= ROLE_ADMIN);
	if (doc)
		(void)buf_fmt(action, sizeof action, "/booking/spaces/%s", type ? type : "");
	else
		(void)buf_fmt(action, sizeof action, "/booking/spaces");
	admin_set_str(data, "action", action);
	admin_set_str(data, "spaceType", type);
	topts = json_object_new_array();
	for (size_t i = 0; !doc && i < sizeof space_types / sizeof *space_types; i++) {
		json_object *o = json_object_new_object();
		const char *sel = http_form(req, "spaceType");
		admin_set_str(o, "value", space_types[i].value);
		admin_set_str(o, "label", space_types[i].label);
		set_bool(o, "selected", sel && strcmp(sel, space_types[i].value) == 0);
		json_object_array_add(topts, o);
	}
	json_object_object_add(data, "typeOptions", topts);
	example_values(req, data, from_form);
	page_set(data, "script", ASSET_CATALOGUE_JS);
	if (e) {
		char field[64];
		space_field(e->field, field, sizeof field);
		show_error(data, e, field);
	} else if (done && strcmp(done, "saved") == 0) {
		admin_alert(data, "success", "Les modifications sont enregistrées.");
	}
	if (q)
		json_object_object_add(data, "preview", preview_json(q));
	page_render(req, status, "space.html", data);
}

void admin_page_space(struct http_req *req)
{
	store_t *st = admin_page_store(req);
	struct err e = { 0 };
	bson_t doc;

	if (!st)
		return;
	if (!booking_space_doc(st, http_param(req, "spaceType"), &doc, &e)) {
		page_error(req, e.status == 404 ? 404 : 503);
		return;
	}
	render_space(req, 200, &doc, false, NULL, NULL, http_query(req, "done"));
	bson_destroy(&doc);
}

void admin_page_space_new(struct http_req *req)
{
	render_space(req, 200, NULL, false, NULL, NULL, NULL);
}

/* Save or preview the space form (`type` NULL: a new space). */
static void space_form(struct http_req *req, const char *type)
{
	store_t *st = admin_page_store(req);
	const char *what = http_form(req, "action");
	struct err e = { 0 };
	bson_t doc, after;
	bool have = false, multi = false;
	json_object *in = NULL, *ex = NULL;
	char location[128];

	if (!st)
		return;
	if (type) {
		if (!booking_space_doc(st, type, &doc, &e)) {
			page_error(req, e.status == 404 ? 404 : 503);
			return;
		}
		have = true;
		{
			struct booking_space sp;
			booking_space_from_doc(&doc, &sp);
			multi = sp.ntiers > 1;
		}
	}
	in = form_space(req, multi);
	if (type)
		json_object_object_del(in, "spaceType");
	if (what && strcmp(what, "preview") == 0) {
		struct booking_quote q;
		ex = form_example(req);
		if (!admin_space_preview(st, type ? type : http_form(req, "spaceType"), in, ex, &q, &e))
			render_space(req, err_status(&e), have ? &doc : NULL, true, &e, NULL, NULL);
		else
			render_space(req, 200, have ? &doc : NULL, true, NULL, &q, NULL);
		goto done;
	}
	if (!admin_space_write(req, st, type, in, &after, &e)) {
		render_space(req, err_status(&e), have ? &doc : NULL, true, &e, NULL, NULL);
		goto done;
	}
	(void)buf_fmt(location, sizeof location, "/booking/spaces/%s?done=saved",
		      doc_str(&after, "spaceType") ? doc_str(&after, "spaceType") : "");
	bson_destroy(&after);
	http_redirect(req, 303, location);
done:
	if (have)
		bson_destroy(&doc);
	if (in)
		json_object_put(in);
	if (ex)
		json_object_put(ex);
}

void admin_form_space(struct http_req *req)
{
	space_form(req, http_param(req, "spaceType"));
}

void admin_form_space_create(struct http_req *req)
{
	space_form(req, NULL);
}

/* A space's or a service's deactivation form: {isActive: false} written
 * by `write` (catalogue.c, audited), then back to the list at `back`. */
static void form_deactivate(struct http_req *req,
			    bool (*write)(struct http_req *, store_t *, const char *, json_object *, bson_t *,
					  struct err *),
			    const char *id, const char *back)
{
	store_t *st = admin_page_store(req);
	json_object *in = json_object_new_object();
	struct err e = { 0 };
	bson_t after;

	if (!st)
		goto done;
	set_bool(in, "isActive", false);
	if (!write(req, st, id, in, &after, &e)) {
		page_error(req, e.status == 404 ? 404 : 503);
		goto done;
	}
	bson_destroy(&after);
	http_redirect(req, 303, back);
done:
	json_object_put(in);
}

void admin_form_space_deactivate(struct http_req *req)
{
	form_deactivate(req, admin_space_write, http_param(req, "spaceType"), "/booking/spaces?done=deactivated");
}

/* POST /booking/space-preview: the space form, answered as JSON
 * {preview: {total, detail}} or {error: {…, field: the form's field}}. */
void admin_space_preview_form(struct http_req *req)
{
	store_t *st = admin_page_store(req);
	const char *type = http_form(req, "spaceType");
	struct booking_space sp;
	struct booking_quote q;
	struct err e = { 0 };
	bson_t doc;
	bool multi = false;
	json_object *in, *ex, *o;

	if (!st)
		return;
	if (type && booking_space_doc(st, type, &doc, &e)) {
		booking_space_from_doc(&doc, &sp);
		multi = sp.ntiers > 1;
		bson_destroy(&doc);
	}
	memset(&e, 0, sizeof e);
	in = form_space(req, multi);
	json_object_object_del(in, "spaceType");
	ex = form_example(req);
	o = json_object_new_object();
	if (admin_space_preview(st, type, in, ex, &q, &e)) {
		json_object_object_add(o, "preview", preview_json(&q));
	} else {
		json_object *er = json_object_new_object();
		char field[64];
		space_field(e.field, field, sizeof field);
		admin_set_str(er, "code", e.code ? e.code : "internal");
		admin_set_str(er, "message", e.message);
		admin_set_str(er, "field", field);
		json_object_object_add(o, "error", er);
	}
	json_object_put(in);
	json_object_put(ex);
	http_send_json(req, e.status && e.status >= 500 ? e.status : 200, o);
}

/* ---- services ----------------------------------------------------------------------- */

static const struct { const char *value, *label; } categories[] = {
	{ "food", "Restauration" }, { "beverage", "Boissons" }, { "equipment", "Équipement" }, { "other", "Autre" },
};

static json_object *service_row(const bson_t *doc, void *ctx)
{
	struct booking_service s;
	json_object *o = json_object_new_object();
	bson_oid_t id;
	char hex[25] = "", buf[64];

	(void)ctx;
	booking_service_from_doc(doc, &s);
	if (doc_oid(doc, "_id", &id))
		bson_oid_to_string(&id, hex);
	admin_set_str(o, "name", s.name);
	(void)buf_fmt(buf, sizeof buf, "/booking/services/%s", hex);
	admin_set_str(o, "href", buf);
	money_format(s.price, 0, buf, sizeof buf);
	admin_set_str(o, "price", buf);
	if (s.daily_price >= 0) {
		money_format(s.daily_price, 0, buf, sizeof buf);
		admin_set_str(o, "dailyPrice", buf);
	}
	admin_set_str(o, "unit", s.per_person ? "par personne" : "forfait");
	if (s.vat_bp % 100)
		(void)buf_fmt(buf, sizeof buf, "%d,%d %%", s.vat_bp / 100, (s.vat_bp % 100) / 10);
	else
		(void)buf_fmt(buf, sizeof buf, "%d %%", s.vat_bp / 100);
	admin_set_str(o, "vat", buf);
	set_bool(o, "active", s.active);
	json_object_object_add(o, "order", json_object_new_int((int)doc_int(doc, "order", 0)));
	return o;
}

static void services_finish(struct http_req *req, json_object *data, void *ctx)
{
	const char *done = http_query(req, "done");

	(void)ctx;
	if (done && strcmp(done, "deactivated") == 0)
		admin_alert(data, "success", "Le service est désactivé : il n’est plus proposé.");
}

void admin_page_services(struct http_req *req)
{
	catalogue_list(req, "Services", "services", "additionalservices", "order", 500, service_row, NULL,
		       services_finish, "services.html");
}

static const char *const service_fields[] = {
	"name", "description", "category", "price", "dailyPrice", "priceUnit", "vatRate", "order", NULL,
};

static json_object *form_service(struct http_req *req)
{
	json_object *in = json_object_new_object(), *types = json_object_new_array();
	json_object *dp = form_number(http_form(req, "dailyPrice"), false);

	admin_set_str(in, "name", http_form(req, "name"));
	admin_set_str(in, "description", http_form(req, "description"));
	admin_set_str(in, "category", http_form(req, "category") && *http_form(req, "category") ? http_form(req, "category") : "other");
	add_number(in, "price", http_form(req, "price"), false);
	json_object_object_add(in, "dailyPrice", dp);   /* NULL: none */
	admin_set_str(in, "priceUnit", http_form(req, "priceUnit") ? http_form(req, "priceUnit") : "flat-rate");
	add_number(in, "vatRate", http_form(req, "vatRate"), false);
	add_number(in, "order", http_form(req, "order"), true);
	set_bool(in, "isActive", form_checked(req, "isActive"));
	for (size_t i = 0; i < sizeof space_types / sizeof *space_types; i++) {
		char key[40];
		(void)buf_fmt(key, sizeof key, "for_%s", space_types[i].value);
		if (form_checked(req, key))
			json_object_array_add(types, json_object_new_string(space_types[i].value));
	}
	json_object_object_add(in, "availableForSpaceTypes", types);
	return in;
}

static void render_service(struct http_req *req, int status, const bson_t *doc, bool from_form, const struct err *e,
			   const char *done)
{
	json_object *data, *v = json_object_new_object(), *cats = json_object_new_array(), *sps = json_object_new_array();
	struct booking_service s = { 0 };
	char title[200], buf[64], hex[25] = "";
	const char *cat = NULL, *unit = NULL;

	if (doc) {
		bson_oid_t id;
		booking_service_from_doc(doc, &s);
		if (doc_oid(doc, "_id", &id))
			bson_oid_to_string(&id, hex);
		(void)buf_fmt(title, sizeof title, "%s", s.name);
	} else {
		(void)buf_fmt(title, sizeof title, "Nouveau service");
		s.active = true;
		s.vat_bp = 2000;
		s.daily_price = -1;
	}
	data = page_data(req, title);
	page_section(data, "services");
	admin_set_str(data, "heading", title);
	if (from_form) {
		for (int i = 0; service_fields[i]; i++)
			admin_set_str(v, service_fields[i], http_form(req, service_fields[i]));
		set_bool(v, "isActive", form_checked(req, "isActive"));
		cat = http_form(req, "category");
		unit = http_form(req, "priceUnit");
	} else {
		admin_set_str(v, "name", s.name);
		admin_set_str(v, "description", doc ? doc_str(doc, "description") : "");
		euros_input(doc ? s.price : -1, buf, sizeof buf);
		admin_set_str(v, "price", buf);
		euros_input(s.daily_price, buf, sizeof buf);
		admin_set_str(v, "dailyPrice", buf);
		if (s.vat_bp % 100)
			(void)buf_fmt(buf, sizeof buf, "%d,%d", s.vat_bp / 100, (s.vat_bp % 100) / 10);
		else
			(void)buf_fmt(buf, sizeof buf, "%d", s.vat_bp / 100);
		admin_set_str(v, "vatRate", buf);
		(void)buf_fmt(buf, sizeof buf, "%d", doc ? (int)doc_int(doc, "order", 0) : 0);
		admin_set_str(v, "order", buf);
		set_bool(v, "isActive", s.active);
		cat = doc ? doc_str(doc, "category") : "other";
		unit = s.per_person ? "per-person" : "flat-rate";
	}
	json_object_object_add(data, "values", v);
	for (size_t i = 0; i < sizeof categories / sizeof *categories; i++) {
		json_object *o = json_object_new_object();
		admin_set_str(o, "value", categories[i].value);
		admin_set_str(o, "label", categories[i].label);
		set_bool(o, "selected", cat && strcmp(cat, categories[i].value) == 0);
		json_object_array_add(cats, o);
	}
	json_object_object_add(data, "categoryOptions", cats);
	set_bool(data, "perPerson", unit && strcmp(unit, "per-person") == 0);
	for (size_t i = 0; i < sizeof space_types / sizeof *space_types; i++) {
		json_object *o = json_object_new_object();
		char key[40];
		bool on = false;
		(void)buf_fmt(key, sizeof key, "for_%s", space_types[i].value);
		if (from_form)
			on = form_checked(req, key);
		else
			for (int k = 0; k < s.nfor_types; k++)
				on = on || strcmp(s.for_types[k], space_types[i].value) == 0;
		admin_set_str(o, "key", key);
		admin_set_str(o, "label", space_types[i].label);
		set_bool(o, "checked", on);
		json_object_array_add(sps, o);
	}
	json_object_object_add(data, "spaceOptions", sps);
	set_bool(data, "isNew", doc == NULL);
	set_bool(data, "canEdit", req->role >= ROLE_ADMIN);
	if (doc)
		(void)buf_fmt(buf, sizeof buf, "/booking/services/%s", hex);
	else
		(void)buf_fmt(buf, sizeof buf, "/booking/services");
	admin_set_str(data, "action", buf);
	if (e)
		show_error(data, e, strcmp(e->field, "availableForSpaceTypes") == 0 ? "spaces" : e->field);
	else if (done && strcmp(done, "saved") == 0)
		admin_alert(data, "success", "Les modifications sont enregistrées.");
	page_render(req, status, "service.html", data);
}

void admin_page_service(struct http_req *req)
{
	store_t *st = admin_page_store(req);
	struct err e = { 0 };
	bson_t doc;

	if (!st)
		return;
	if (!booking_service_doc(st, http_param(req, "id"), &doc, &e)) {
		page_error(req, e.status == 404 ? 404 : 503);
		return;
	}
	render_service(req, 200, &doc, false, NULL, http_query(req, "done"));
	bson_destroy(&doc);
}

void admin_page_service_new(struct http_req *req)
{
	render_service(req, 200, NULL, false, NULL, NULL);
}

static void service_form(struct http_req *req, const char *id)
{
	store_t *st = admin_page_store(req);
	struct err e = { 0 };
	bson_t doc, after;
	bool have = false;
	json_object *in;
	char location[128], hex[25] = "";
	bson_oid_t oid;

	if (!st)
		return;
	if (id) {
		if (!booking_service_doc(st, id, &doc, &e)) {
			page_error(req, e.status == 404 ? 404 : 503);
			return;
		}
		have = true;
	}
	in = form_service(req);
	if (!admin_service_write(req, st, id, in, &after, &e)) {
		render_service(req, err_status(&e), have ? &doc : NULL, true, &e, NULL);
		goto done;
	}
	if (doc_oid(&after, "_id", &oid))
		bson_oid_to_string(&oid, hex);
	bson_destroy(&after);
	(void)buf_fmt(location, sizeof location, "/booking/services/%s?done=saved", hex);
	http_redirect(req, 303, location);
done:
	if (have)
		bson_destroy(&doc);
	json_object_put(in);
}

void admin_form_service(struct http_req *req)
{
	service_form(req, http_param(req, "id"));
}

void admin_form_service_create(struct http_req *req)
{
	service_form(req, NULL);
}

void admin_form_service_deactivate(struct http_req *req)
{
	form_deactivate(req, admin_service_write, http_param(req, "id"), "/booking/services?done=deactivated");
}

/* ---- hours and closures ------------------------------------------------------------------ */

/* The weekly hours' form as the API's body. */
static json_object *form_hours(struct http_req *req)
{
	json_object *in = json_object_new_object(), *week = json_object_new_object(), *annual = json_object_new_array();
	const char *list = http_form(req, "annualClosures");

	for (int i = 0; i <= 7; i++) {
		const char *key = i < 7 ? booking_weekday_name(i) : "holiday";
		json_object *d = json_object_new_object();
		char f[32];
		(void)buf_fmt(f, sizeof f, "open_%s", key);
		set_bool(d, "isOpen", form_checked(req, f));
		(void)buf_fmt(f, sizeof f, "from_%s", key);
		admin_set_str(d, "openTime", http_form(req, f));
		(void)buf_fmt(f, sizeof f, "to_%s", key);
		admin_set_str(d, "closeTime", http_form(req, f));
		if (i < 7)
			json_object_object_add(week, key, d);
		else
			json_object_object_add(in, "holidayHours", d);
	}
	json_object_object_add(in, "defaultHours", week);
	while (list && *list) {
		size_t n = strcspn(list, ", \r\n");
		if (n) {
			char day[16];
			(void)buf_fmt(day, sizeof day, "%.*s", (int)(n < 15 ? n : 15), list);
			json_object_array_add(annual, json_object_new_string(day));
		}
		list += n;
		list += strspn(list, ", \r\n");
	}
	json_object_object_add(in, "annualClosures", annual);
	return in;
}

static json_object *form_closure(struct http_req *req)
{
	json_object *in = json_object_new_object();

	admin_set_str(in, "date", http_form(req, "date"));
	admin_set_str(in, "reason", http_form(req, "reason"));
	set_bool(in, "isFullDay", !form_checked(req, "partial"));
	if (form_checked(req, "partial")) {
		admin_set_str(in, "startTime", http_form(req, "startTime"));
		admin_set_str(in, "endTime", http_form(req, "endTime"));
	}
	set_bool(in, "yearly", form_checked(req, "yearly"));
	return in;
}

/* The error's field as the hours page names its inputs. */
static void hours_field(const char *f, char *out, size_t outlen)
{
	const char *p;

	if (strncmp(f, "defaultHours.", 13) == 0) {
		char day[16];
		(void)buf_fmt(day, sizeof day, "%.*s", (int)strcspn(f + 13, "."), f + 13);
		p = strrchr(f, '.');
		(void)buf_fmt(out, outlen, "%s_%s", p && strcmp(p, ".closeTime") == 0 ? "to" : "from", day);
	} else if (strncmp(f, "holidayHours", 12) == 0) {
		p = strrchr(f, '.');
		(void)buf_fmt(out, outlen, "%s_holiday", p && strcmp(p, ".closeTime") == 0 ? "to" : "from");
	} else {
		(void)buf_fmt(out, outlen, "%s", f);
	}
}

/* `which`: "hours" or "closure", the form refused with `e` (NULL: none);
 * `conflicts` > 0 asks for the confirmation. */
static void render_hours(struct http_req *req, store_t *st, int status, const char *which, const struct err *e,
			 int64_t conflicts, const char *done)
{
	json_object *data, *days = json_object_new_array(), *closures = json_object_new_array(), *annual = json_object_new_array();
	struct booking_hours h;
	bson_t doc;
	bool stored, form = e != NULL;
	struct err le = { 0 };
	int64_t today = admin_catalogue_today();
	char buf[64];

	if (!booking_hours_doc(st, &doc, &stored, &le)) {
		page_error(req, 503);
		return;
	}
	booking_hours_from_doc(&doc, &h);
	bson_destroy(&doc);
	data = page_data(req, "Horaires et fermetures");
	page_section(data, "hours");
	for (int i = 0; i <= 7; i++) {
		json_object *o = json_object_new_object();
		const char *key = i < 7 ? booking_weekday_name(i) : "holiday";
		const struct booking_dayhours *d = i < 7 ? &h.week[i] : &h.holiday;
		char f[32];
		bool hform = form && strcmp(which, "hours") == 0;
		admin_set_str(o, "key", key);
		admin_set_str(o, "label", i < 7 ? weekdays_fr[i] : "Jours fériés");
		(void)buf_fmt(f, sizeof f, "open_%s", key);
		set_bool(o, "open", hform ? form_checked(req, f) : d->open);
		(void)buf_fmt(f, sizeof f, "from_%s", key);
		booking_format_time(d->open_min, buf);
		admin_set_str(o, "from", hform ? http_form(req, f) : buf);
		if (e && strcmp(e->field, "") && hform) {
			char ef[64];
			hours_field(e->field, ef, sizeof ef);
			if (strcmp(ef, f) == 0)
				admin_set_str(o, "fromError", e->message);
			(void)buf_fmt(f, sizeof f, "to_%s", key);
			if (strcmp(ef, f) == 0)
				admin_set_str(o, "toError", e->message);
		}
		(void)buf_fmt(f, sizeof f, "to_%s", key);
		booking_format_time(d->close_min, buf);
		admin_set_str(o, "to", hform ? http_form(req, f) : buf);
		json_object_array_add(days, o);
	}
	json_object_object_add(data, "days", days);
	{
		struct buf list = { 0 };
		for (int i = 0; i < h.nannual; i++) {
			json_object *o = json_object_new_object();
			char mmdd[8];
			(void)buf_fmt(mmdd, sizeof mmdd, "%02d-%02d", h.annual[i] / 100, h.annual[i] % 100);
			admin_set_str(o, "day", mmdd);
			(void)buf_fmt(buf, sizeof buf, "%d%s %s", h.annual[i] % 100, h.annual[i] % 100 == 1 ? "er" : "",
				      booking_month_fr(h.annual[i] / 100));
			admin_set_str(o, "label", buf);
			json_object_array_add(annual, o);
			buf_printf(&list, "%s%s", i ? ", " : "", mmdd);
		}
		admin_set_str(data, "annualList", form && strcmp(which, "hours") == 0 ? http_form(req, "annualClosures")
										: list.data ? list.data : "");
		buf_free(&list);
	}
	set_bool(data, "hasAnnual", json_object_array_length(annual) > 0);
	json_object_object_add(data, "annual", annual);
	for (size_t i = 0; i < h.nclosures; i++) {
		const struct booking_closure *c = &h.closures[i];
		json_object *o;
		char date[64], t1[8], t2[8];
		if (c->day < today)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "index", json_object_new_int((int)i));
		booking_format_day_fr(c->day, true, date, sizeof date);
		admin_set_str(o, "date", date);
		if (c->full_day)
			admin_set_str(o, "time", "Toute la journée");
		else {
			booking_format_time(c->start_min, t1);
			booking_format_time(c->end_min, t2);
			(void)buf_fmt(buf, sizeof buf, "%s–%s", t1, t2);
			admin_set_str(o, "time", buf);
		}
		admin_set_str(o, "reason", c->reason);
		json_object_array_add(closures, o);
	}
	json_object_object_add(data, "closures", closures);
	set_bool(data, "hasClosures", json_object_array_length(closures) > 0);
	set_bool(data, "canEdit", req->role >= ROLE_ADMIN);
	booking_hours_free(&h);
	{
		json_object *c = json_object_new_object();
		bool cform = form && strcmp(which, "closure") == 0;
		admin_set_str(c, "date", cform ? http_form(req, "date") : "");
		admin_set_str(c, "reason", cform ? http_form(req, "reason") : "");
		admin_set_str(c, "startTime", cform ? http_form(req, "startTime") : "");
		admin_set_str(c, "endTime", cform ? http_form(req, "endTime") : "");
		set_bool(c, "partial", cform && form_checked(req, "partial"));
		set_bool(c, "yearly", cform && form_checked(req, "yearly"));
		/* not "closure": the layout's banner slot (page.h) */
		json_object_object_add(data, "closureForm", c);
	}
	if (e && conflicts > 0) {
		char text[300];
		(void)buf_fmt(text, sizeof text,
			      "%lld réservation(s) en attente ou confirmée(s) tomberaient hors des nouveaux horaires. "
			      "Vérifiez-les dans l’agenda, puis confirmez pour enregistrer quand même.",
			      (long long)conflicts);
		admin_alert(data, "warning", text);
		json_object_object_add(data, "conflicts", json_object_new_int64(conflicts));
		set_bool(data, strcmp(which, "hours") == 0 ? "confirmHours" : "confirmClosure", true);
		json_object_object_add(data, "errors", json_object_new_object());
	} else if (e) {
		char f[64];
		hours_field(e->field, f, sizeof f);
		if (strcmp(which, "closure") == 0 && strcmp(f, "annualClosures") != 0) {
			json_object *errs = json_object_new_object();
			admin_set_str(errs, f, e->message);
			json_object_object_add(data, "closureErrors", errs);
		}
		show_error(data, e, f);
	} else if (done) {
		static const struct { const char *key, *text; } said[] = {
			{ "hours", "Les horaires sont enregistrés." },
			{ "closure", "La fermeture est enregistrée : le site l’affiche." },
			{ "deleted", "La fermeture est supprimée." },
		};
		for (size_t i = 0; i < sizeof said / sizeof *said; i++)
			if (strcmp(said[i].key, done) == 0)
				admin_alert(data, "success", said[i].text);
	}
	page_render(req, status, "hours.html", data);
}

void admin_page_hours(struct http_req *req)
{
	store_t *st = admin_page_store(req);

	if (st)
		render_hours(req, st, 200, "", NULL, 0, http_query(req, "done"));
}

static void hours_post(struct http_req *req, bool closure)
{
	store_t *st = admin_page_store(req);
	json_object *in;
	struct err e = { 0 };
	bson_t before, after;
	int64_t conflicts = 0;
	bool ok;

	if (!st)
		return;
	in = closure ? form_closure(req) : form_hours(req);
	if (closure)
		ok = booking_closure_add(st, in, form_checked(req, "confirm"), admin_catalogue_today(), account_now_ms(),
					 &conflicts, &before, &after, &e);
	else
		ok = booking_hours_save(st, in, form_checked(req, "confirm"), admin_catalogue_today(), account_now_ms(),
					&conflicts, &before, &after, &e);
	json_object_put(in);
	if (!ok) {
		render_hours(req, st, err_status(&e), closure ? "closure" : "hours", &e, e.status == 409 ? conflicts : 0,
			     NULL);
		return;
	}
	{
		bson_oid_t id;
		char hex[25] = "";
		if (doc_oid(&after, "_id", &id))
			bson_oid_to_string(&id, hex);
		audit_note(req, "globalhoursconfigurations", hex, bson_empty(&before) ? NULL : &before, &after);
	}
	bson_destroy(&before);
	bson_destroy(&after);
	http_redirect(req, 303, closure ? "/booking/hours?done=closure" : "/booking/hours?done=hours");
}

void admin_form_hours(struct http_req *req)
{
	hours_post(req, false);
}

void admin_form_closure_add(struct http_req *req)
{
	hours_post(req, true);
}

static void closure_delete(struct http_req *req, int index, const char *annual)
{
	store_t *st = admin_page_store(req);
	struct err e = { 0 };
	bson_t before, after;
	bson_oid_t id;
	char hex[25] = "";

	if (!st)
		return;
	if (!booking_closure_delete(st, index, annual, account_now_ms(), &before, &after, &e)) {
		render_hours(req, st, err_status(&e), "delete", &e, 0, NULL);
		return;
	}
	if (doc_oid(&after, "_id", &id))
		bson_oid_to_string(&id, hex);
	audit_note(req, "globalhoursconfigurations", hex, &before, &after);
	bson_destroy(&before);
	bson_destroy(&after);
	http_redirect(req, 303, "/booking/hours?done=deleted");
}

void admin_form_closure_delete(struct http_req *req)
{
	const char *s = http_param(req, "index");
	char *end;
	long n = s ? strtol(s, &end, 10) : -1;

	closure_delete(req, s && *s && !*end && n >= 0 && n < 100000 ? (int)n : -1, NULL);
}

void admin_form_annual_closure_delete(struct http_req *req)
{
	closure_delete(req, -1, http_param(req, "day"));
}

/* ---- booking settings ------------------------------------------------------------------ */

static void policy_text(const struct booking_policy *p, char *out, size_t outlen)
{
	struct buf b = { 0 };

	for (int i = 0; i < p->n; i++)
		buf_printf(&b, "%s%d:%d", i ? ", " : "", p->days[i], p->pct[i]);
	(void)buf_fmt(out, outlen, "%s", b.data ? b.data : "");
	buf_free(&b);
}

/* "7:0, 3:50, 0:100" as [{daysBeforeBooking, chargePercentage}…]; the
 * text itself when it does not read so (the check names the field). */
static json_object *form_policy(const char *s)
{
	json_object *arr = json_object_new_array();
	const char *p = s ? s : "";

	while (*p) {
		char *end;
		long d, c;
		json_object *t;
		p += strspn(p, " ,;");
		if (!*p)
			break;
		d = strtol(p, &end, 10);
		if (end == p || *end != ':')
			goto bad;
		p = end + 1;
		c = strtol(p, &end, 10);
		if (end == p)
			goto bad;
		p = end;
		t = json_object_new_object();
		json_object_object_add(t, "daysBeforeBooking", json_object_new_int64(d));
		json_object_object_add(t, "chargePercentage", json_object_new_int64(c));
		json_object_array_add(arr, t);
		if (*p && !strchr(" ,;", *p))
			goto bad;
	}
	return arr;
bad:
	json_object_put(arr);
	return json_object_new_string(s);
}

static void render_settings(struct http_req *req, store_t *st, int status, const struct err *e, const char *done)
{
	static const struct { const char *field, *text; } fr[] = {
		{ "cancellationPolicyOpenSpace", "Des paliers « jours:pourcentage » séparés par des virgules (0 à 365 jours, 0 à 100 %), sans deux fois le même nombre de jours." },
		{ "cancellationPolicyMeetingRooms", "Des paliers « jours:pourcentage » séparés par des virgules (0 à 365 jours, 0 à 100 %), sans deux fois le même nombre de jours." },
		{ "notificationEmail", "Une adresse e-mail valable (ou rien)." },
		{ "holdLeadDays", "Un nombre de jours de 0 à 4." },
		{ "pendingHoldMinutes", "Un nombre de minutes de 5 à 120." },
	};
	struct booking_settings s;
	store_error_t se = { 0 };
	json_object *data, *v = json_object_new_object();
	char buf[200];

	if (!booking_settings_load(st, &s, &se)) {
		json_object_put(v);
		page_error(req, 503);
		return;
	}
	data = page_data(req, "Réglages des réservations");
	page_section(data, "settings");
	if (e) {
		admin_set_str(v, "open", http_form(req, "cancellationPolicyOpenSpace"));
		admin_set_str(v, "rooms", http_form(req, "cancellationPolicyMeetingRooms"));
		admin_set_str(v, "email", http_form(req, "notificationEmail"));
		admin_set_str(v, "lead", http_form(req, "holdLeadDays"));
		admin_set_str(v, "hold", http_form(req, "pendingHoldMinutes"));
		set_bool(v, "autoNoShow", form_checked(req, "autoNoShow"));
	} else {
		policy_text(&s.open_space, buf, sizeof buf);
		admin_set_str(v, "open", buf);
		policy_text(&s.meeting_rooms, buf, sizeof buf);
		admin_set_str(v, "rooms", buf);
		admin_set_str(v, "email", s.notification_email);
		(void)buf_fmt(buf, sizeof buf, "%d", s.hold_lead_days);
		admin_set_str(v, "lead", buf);
		(void)buf_fmt(buf, sizeof buf, "%d", s.pending_hold_minutes);
		admin_set_str(v, "hold", buf);
		set_bool(v, "autoNoShow", s.auto_no_show);
	}
	json_object_object_add(data, "values", v);
	if (e) {
		struct err fe = *e;
		char field[64];
		(void)buf_fmt(field, sizeof field, "%.*s", (int)strcspn(e->field, "["), e->field);
		for (size_t i = 0; i < sizeof fr / sizeof *fr; i++)
			if (strcmp(fr[i].field, field) == 0)
				(void)buf_fmt(fe.message, sizeof fe.message, "%s", fr[i].text);
		show_error(data, &fe, field);
	} else if (done) {
		admin_alert(data, "success", "Les réglages sont enregistrés.");
	}
	page_render(req, status, "booking-settings.html", data);
}

void admin_page_settings(struct http_req *req)
{
	store_t *st = admin_page_store(req);

	if (st)
		render_settings(req, st, 200, NULL, http_query(req, "done"));
}

void admin_form_settings(struct http_req *req)
{
	store_t *st = admin_page_store(req);
	json_object *in;
	struct err e = { 0 };

	if (!st)
		return;
	in = json_object_new_object();
	json_object_object_add(in, "cancellationPolicyOpenSpace", form_policy(http_form(req, "cancellationPolicyOpenSpace")));
	json_object_object_add(in, "cancellationPolicyMeetingRooms", form_policy(http_form(req, "cancellationPolicyMeetingRooms")));
	admin_set_str(in, "notificationEmail", http_form(req, "notificationEmail"));
	{
		json_object *n = form_number(http_form(req, "holdLeadDays"), true);
		json_object_object_add(in, "holdLeadDays", n ? n : json_object_new_string(""));
		n = form_number(http_form(req, "pendingHoldMinutes"), true);
		json_object_object_add(in, "pendingHoldMinutes", n ? n : json_object_new_string(""));
	}
	set_bool(in, "autoNoShow", form_checked(req, "autoNoShow"));
	if (!admin_settings_apply(req, st, in, &e)) {
		json_object_put(in);
		render_settings(req, st, err_status(&e), &e, NULL);
		return;
	}
	json_object_put(in);
	http_redirect(req, 303, "/booking/settings?done=saved");
}
