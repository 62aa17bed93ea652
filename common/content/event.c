/*
 * event.c — events: public lists and pages' data, the back office's
 * writes, the demo events (event.h). Seats and registrations are in
 * registration.c.
 */
#include "content/event.h"
#include "content/registration.h"
#include "booking/calendar.h"
#include "core/buf.h"
#include "core/doc.h"
#include "core/log.h"
#include "core/markdown.h"
#include "core/money.h"
#include "core/template.h"
#include "core/text.h"

#include <stdlib.h>
#include <string.h>

#define EVENTS "events"

const char *const event_categories_all[] = {
	"Atelier", "Formation", "Conférence", "Networking", "Bien-être", "Créativité",
	"Développement personnel", "Entreprendre", "Tech & Innovation", "Écologie",
	"Culture", "Sport", NULL,
};


static void set_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v ? v : ""));
}

void event_date_label(const char *date, char *out, size_t outlen)
{
	int64_t day;

	out[0] = '\0';
	if (!date || !booking_parse_date(date, &day))
		return;
	booking_format_day_fr(day, false, out, outlen);
}

bool event_parse_euros(const char *s, int64_t *cents)
{
	int64_t whole = 0, frac = 0;
	int nfrac = 0, nwhole = 0;
	const char *p = s;

	if (!s)
		return false;
	while (*p == ' ')
		p++;
	for (; *p >= '0' && *p <= '9'; p++, nwhole++)
		if ((whole = whole * 10 + (*p - '0')) > 100000)
			return false;
	if (*p == ',' || *p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, nfrac++)
			if (nfrac < 2)
				frac = frac * 10 + (*p - '0');
			else
				return false;
		if (nfrac == 0)
			return false;
	}
	while (*p == ' ')
		p++;
	if (strncmp(p, "€", strlen("€")) == 0)
		p += strlen("€");
	if (*p || (nwhole == 0 && nfrac == 0))
		return false;
	if (nfrac == 1)
		frac *= 10;
	*cents = whole * 100 + frac;
	return true;
}

static void public_filter(bson_t *f, int64_t now)
{
	bson_t sub;
	BSON_APPEND_UTF8(f, "status", "published");
	BSON_APPEND_DOCUMENT_BEGIN(f, "endsAt", &sub);
	BSON_APPEND_DATE_TIME(&sub, "$gt", now);
	bson_append_document_end(f, &sub);
}

json_object *event_public_json(const bson_t *doc, int64_t taken)
{
	static const char *const keep[] = {
		"title", "slug", "shortDescription", "description", "date", "startTime", "endTime",
		"category", "imgSrc", "imgAlt", "location", "registrationType", "externalLink",
		"maxParticipants", "priceType", "price", "priceCents", "organizer", "status",
		"startsAt", "endsAt", "createdAt", "updatedAt", NULL,
	};
	json_object *all = doc_to_json(doc), *j = json_object_new_object(), *v;
	char label[96], a[8], b[8];
	int64_t cap = doc_int(doc, "maxParticipants", 0), cents = doc_int(doc, "priceCents", 0);
	const char *pt = doc_str(doc, "priceType"), *st = doc_str(doc, "startTime"), *et = doc_str(doc, "endTime");
	bool paid = pt && strcmp(pt, "fixed") == 0 && cents > 0;
	int64_t left = cap - taken;

	if (json_object_object_get_ex(all, "_id", &v))
		json_object_object_add(j, "id", json_object_get(v));
	for (size_t i = 0; keep[i]; i++)
		if (json_object_object_get_ex(all, keep[i], &v))
			json_object_object_add(j, keep[i], json_object_get(v));
	json_object_put(all);
	event_date_label(doc_str(doc, "date"), label, sizeof label);
	set_str(j, "dateLabel", label);
	(void)buf_fmt(a, sizeof a, "%.5s", st ? st : "");
	(void)buf_fmt(b, sizeof b, "%.5s", et ? et : "");
	(void)buf_fmt(label, sizeof label, "%s – %s", a, b);
	set_str(j, "timeLabel", label);
	if (paid)
		money_format(cents, MONEY_SHORT, label, sizeof label);
	else
		(void)buf_fmt(label, sizeof label, "%s", pt && strcmp(pt, "organizer") == 0
			      ? "Prix libre, réglé sur place" : "Gratuit");
	set_str(j, "priceLabel", label);
	json_object_object_add(j, "paid", json_object_new_boolean(paid));
	if (left < 0)
		left = 0;
	json_object_object_add(j, "seatsLeft", json_object_new_int64(left));
	json_object_object_add(j, "full", json_object_new_boolean(left == 0));
	json_object_object_add(j, "fewLeft", json_object_new_boolean(left > 0 && left <= 5));
	json_object_object_add(j, "single", json_object_new_boolean(left == 1));
	if (doc_str(doc, "slug")) {
		struct buf u = { 0 };
		buf_printf(&u, "/events/%s", doc_str(doc, "slug"));
		set_str(j, "url", u.data);
		buf_free(&u);
	}
	return j;
}

bool event_find(store_t *st, const bson_oid_t *id, const char *slug, bson_t *out,
		bool *found, store_error_t *se)
{
	bson_t f = BSON_INITIALIZER;
	bool ok;

	if (id)
		BSON_APPEND_OID(&f, "_id", id);
	else
		BSON_APPEND_UTF8(&f, "slug", slug ? slug : "");
	ok = store_find_one(st, EVENTS, &f, NULL, out, found, se);
	bson_destroy(&f);
	return ok;
}

/* Appends the public form of each event of `cur` to `items`. */
static bool collect(store_t *st, store_cursor_t *cur, int64_t now, json_object *items, struct err *e)
{
	const bson_t *doc;
	store_error_t se = { 0 };

	while (store_cursor_next(cur, &doc)) {
		bson_oid_t id;
		int64_t taken = 0;
		if (doc_oid(doc, "_id", &id) && !event_seats_taken(st, &id, now, &taken, &se))
			return store_fail(e, "event seats", &se);
		json_object_array_add(items, event_public_json(doc, taken));
	}
	if (store_cursor_error(cur, &se))
		return store_fail(e, "events", &se);
	return true;
}

bool event_list(store_t *st, int64_t now, const struct event_query *q,
		json_object **items, int64_t *total, struct err *e)
{
	bson_t f = BSON_INITIALIZER, sort = BSON_INITIALIZER;
	store_error_t se = { 0 };
	store_cursor_t *cur = NULL;
	bool ok = false;

	*items = NULL;
	*total = 0;
	public_filter(&f, now);
	if (q->category && *q->category)
		BSON_APPEND_UTF8(&f, "category", q->category);
	if (!store_count(st, EVENTS, &f, total, &se)) {
		store_fail(e, "events count", &se);
		goto done;
	}
	BSON_APPEND_INT32(&sort, "startsAt", 1);
	BSON_APPEND_INT32(&sort, "_id", 1);
	store_find_opts_t opts = {
		.sort = &sort,
		.skip = (int64_t)(q->page > 0 ? q->page - 1 : 0) * q->per_page,
		.limit = q->per_page,
	};
	if (!(cur = store_find(st, EVENTS, &f, &opts, &se))) {
		store_fail(e, "events", &se);
		goto done;
	}
	*items = json_object_new_array();
	ok = collect(st, cur, now, *items, e);
	if (!ok) {
		json_object_put(*items);
		*items = NULL;
	}
done:
	store_cursor_destroy(cur);
	bson_destroy(&f);
	bson_destroy(&sort);
	return ok;
}

static int cmp_starts(const void *a, const void *b)
{
	json_object *x = *(json_object *const *)a, *y = *(json_object *const *)b, *sx, *sy;
	const char *p = json_object_object_get_ex(x, "startsAt", &sx) ? json_object_get_string(sx) : "";
	const char *q = json_object_object_get_ex(y, "startsAt", &sy) ? json_object_get_string(sy) : "";
	return strcmp(p ? p : "", q ? q : "");
}

bool event_upcoming(store_t *st, int64_t now, int limit, json_object **items, struct err *e)
{
	bson_t f = BSON_INITIALIZER, sort = BSON_INITIALIZER, proj = BSON_INITIALIZER;
	store_error_t se = { 0 };
	store_cursor_t *cur;
	const bson_t *doc;

	*items = NULL;
	public_filter(&f, now);
	/* the (status, endsAt) index gives this order: `limit` documents
	 * read, no sort (an event is one day long, so the next to end are the
	 * next to start but for overlapping ones; shown by start below) */
	BSON_APPEND_INT32(&sort, "endsAt", 1);
	/* a teaser: no description (up to 20 000 characters each) */
	BSON_APPEND_INT32(&proj, "description", 0);
	store_find_opts_t opts = { .sort = &sort, .projection = &proj, .limit = limit };
	cur = store_find(st, EVENTS, &f, &opts, &se);
	bson_destroy(&f);
	bson_destroy(&sort);
	bson_destroy(&proj);
	if (!cur)
		return store_fail(e, "events", &se);
	*items = json_object_new_array();
	/* the seats: the count stored with the event (event_refresh_count()
	 * after every change), not the seats' own count — the event page,
	 * where one registers, counts them */
	while (store_cursor_next(cur, &doc))
		json_object_array_add(*items, event_public_json(doc, doc_int(doc, "currentParticipants", 0)));
	if (store_cursor_error(cur, &se)) {
		store_cursor_destroy(cur);
		json_object_put(*items);
		*items = NULL;
		return store_fail(e, "events", &se);
	}
	store_cursor_destroy(cur);
	json_object_array_sort(*items, cmp_starts);
	return true;
}

static int cmp_name(const void *a, const void *b)
{
	json_object *x = *(json_object *const *)a, *y = *(json_object *const *)b, *nx, *ny;
	json_object_object_get_ex(x, "name", &nx);
	json_object_object_get_ex(y, "name", &ny);
	return strcmp(json_object_get_string(nx), json_object_get_string(ny));
}

bool event_categories(store_t *st, int64_t now, json_object **items, struct err *e)
{
	bson_t f = BSON_INITIALIZER, proj = BSON_INITIALIZER;
	store_error_t se = { 0 };
	store_cursor_t *cur;
	const bson_t *doc;
	json_object *counts = json_object_new_object();

	*items = NULL;
	public_filter(&f, now);
	BSON_APPEND_INT32(&proj, "category", 1);
	store_find_opts_t opts = { .projection = &proj };
	cur = store_find(st, EVENTS, &f, &opts, &se);
	bson_destroy(&f);
	bson_destroy(&proj);
	if (!cur) {
		json_object_put(counts);
		return store_fail(e, "event categories", &se);
	}
	while (store_cursor_next(cur, &doc)) {
		bson_iter_t it, arr;
		if (!bson_iter_init_find(&it, doc, "category") || !BSON_ITER_HOLDS_ARRAY(&it) ||
		    !bson_iter_recurse(&it, &arr))
			continue;
		while (bson_iter_next(&arr)) {
			json_object *n;
			const char *name;
			if (!BSON_ITER_HOLDS_UTF8(&arr))
				continue;
			name = bson_iter_utf8(&arr, NULL);
			if (json_object_object_get_ex(counts, name, &n))
				json_object_object_add(counts, name, json_object_new_int(json_object_get_int(n) + 1));
			else
				json_object_object_add(counts, name, json_object_new_int(1));
		}
	}
	if (store_cursor_error(cur, &se)) {
		store_cursor_destroy(cur);
		json_object_put(counts);
		return store_fail(e, "event categories", &se);
	}
	store_cursor_destroy(cur);
	*items = json_object_new_array();
	json_object_object_foreach(counts, k, v) {
		json_object *c = json_object_new_object();
		set_str(c, "name", k);
		json_object_object_add(c, "count", json_object_get(v));
		json_object_array_add(*items, c);
	}
	json_object_put(counts);
	json_object_array_sort(*items, cmp_name);
	return true;
}

bool event_get_public(store_t *st, int64_t now, const char *slug, json_object **out,
		      bson_t *doc_out, struct err *e)
{
	bson_t doc;
	bool found = false;
	store_error_t se = { 0 };
	int64_t taken = 0;
	bson_oid_t id;
	const char *status, *desc;
	struct buf html = { 0 };

	*out = NULL;
	if (!slug || !event_find(st, NULL, slug, &doc, &found, &se))
		return slug ? store_fail(e, "event", &se) : err_set(e, 404, "not_found", NULL, "Cet événement n’existe pas.");
	status = doc_str(&doc, "status");
	if (!found || !status || strcmp(status, "published") != 0 || doc_date(&doc, "endsAt", 0) <= now) {
		bson_destroy(&doc);
		return err_set(e, 404, "not_found", NULL, "Cet événement n’existe pas ou n’est plus à venir.");
	}
	if (doc_oid(&doc, "_id", &id) && !event_seats_taken(st, &id, now, &taken, &se)) {
		bson_destroy(&doc);
		return store_fail(e, "event seats", &se);
	}
	*out = event_public_json(&doc, taken);
	desc = doc_str(&doc, "description");
	if (desc && markdown_render(desc, strlen(desc), &html))
		set_str(*out, "html", html.data ? html.data : "");
	buf_free(&html);
	if (doc_out)
		bson_copy_to(&doc, doc_out);
	bson_destroy(&doc);
	return true;
}

/* ---- the back office ------------------------------------------------------ */

static bool slug_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 120 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
			return false;
	return true;
}

static bool category_ok(const char *c)
{
	for (size_t i = 0; event_categories_all[i]; i++)
		if (strcmp(c, event_categories_all[i]) == 0)
			return true;
	return false;
}

bool event_check(const struct event_input *in, struct err *e)
{
	int64_t day, cents;
	int a, b;
	char *end;
	long cap;

	if (text_blank(in->title))
		return err_set(e, 400, "validation_failed", "title", "Indiquez un titre.");
	if (buf_utf8_chars(in->title, strlen(in->title)) > EVENT_TITLE_MAX)
		return err_set(e, 400, "validation_failed", "title", "Le titre est trop long (%d caractères au plus).", EVENT_TITLE_MAX);
	if (!text_blank(in->slug) && !slug_ok(in->slug))
		return err_set(e, 400, "validation_failed", "slug", "L’adresse ne contient que des minuscules sans accent, des chiffres et des tirets (« atelier-cafe »).");
	if (!in->category || !category_ok(in->category))
		return err_set(e, 400, "validation_failed", "category", "Choisissez une catégorie dans la liste.");
	if (in->short_description && buf_utf8_chars(in->short_description, strlen(in->short_description)) > EVENT_SHORT_MAX)
		return err_set(e, 400, "validation_failed", "shortDescription", "Le résumé est trop long (%d caractères au plus).", EVENT_SHORT_MAX);
	if (text_blank(in->description))
		return err_set(e, 400, "validation_failed", "description", "Décrivez l’événement.");
	if (strlen(in->description) > EVENT_DESCRIPTION_MAX)
		return err_set(e, 400, "validation_failed", "description", "La description est trop longue (%d caractères au plus).", EVENT_DESCRIPTION_MAX);
	if (!in->date || !booking_parse_date(in->date, &day))
		return err_set(e, 400, "validation_failed", "date", "Indiquez une date (AAAA-MM-JJ).");
	if (!in->start_time || !booking_parse_time(in->start_time, false, &a))
		return err_set(e, 400, "validation_failed", "startTime", "Indiquez une heure de début (HH:MM).");
	if (!in->end_time || !booking_parse_time(in->end_time, true, &b))
		return err_set(e, 400, "validation_failed", "endTime", "Indiquez une heure de fin (HH:MM).");
	if (b <= a)
		return err_set(e, 400, "validation_failed", "endTime", "L’événement doit finir après son début.");
	if (text_blank(in->location) || strlen(in->location) > 200)
		return err_set(e, 400, "validation_failed", "location", "Indiquez le lieu (200 caractères au plus).");
	cap = in->capacity ? strtol(in->capacity, &end, 10) : 0;
	if (!in->capacity || end == in->capacity || *end || cap < 1 || cap > EVENT_CAPACITY_MAX)
		return err_set(e, 400, "validation_failed", "maxParticipants", "Indiquez le nombre de places (de 1 à %d).", EVENT_CAPACITY_MAX);
	if (!text_blank(in->price) && !event_parse_euros(in->price, &cents))
		return err_set(e, 400, "validation_failed", "price", "Indiquez un prix en euros (« 15 » ou « 12,50 »), ou laissez vide pour un événement gratuit.");
	if (!text_blank(in->img_src) && (strlen(in->img_src) > EVENT_IMAGE_MAX || !tpl_url_safe(in->img_src)))
		return err_set(e, 400, "validation_failed", "imgSrc", "L’image doit être une adresse https:// ou un chemin du site (/uploads/…).");
	if (in->img_alt && buf_utf8_chars(in->img_alt, strlen(in->img_alt)) > EVENT_TITLE_MAX)
		return err_set(e, 400, "validation_failed", "imgAlt", "Le texte alternatif est trop long (%d caractères au plus).", EVENT_TITLE_MAX);
	return true;
}

/* The fields of `in` as a $set document. */
static void input_set(bson_t *set, const struct event_input *in, const char *slug, int64_t now)
{
	int64_t day, cents = 0;
	int a, b;
	bson_t arr;

	booking_parse_date(in->date, &day);
	booking_parse_time(in->start_time, false, &a);
	booking_parse_time(in->end_time, true, &b);
	if (!text_blank(in->price))
		event_parse_euros(in->price, &cents);
	BSON_APPEND_UTF8(set, "title", in->title);
	BSON_APPEND_UTF8(set, "slug", slug);
	BSON_APPEND_ARRAY_BEGIN(set, "category", &arr);
	BSON_APPEND_UTF8(&arr, "0", in->category);
	bson_append_array_end(set, &arr);
	BSON_APPEND_UTF8(set, "shortDescription", in->short_description ? in->short_description : "");
	BSON_APPEND_UTF8(set, "description", in->description);
	BSON_APPEND_UTF8(set, "date", in->date);
	BSON_APPEND_UTF8(set, "startTime", in->start_time);
	BSON_APPEND_UTF8(set, "endTime", in->end_time);
	BSON_APPEND_DATE_TIME(set, "startsAt", booking_paris_to_utc(day, a));
	BSON_APPEND_DATE_TIME(set, "endsAt", booking_paris_to_utc(day, b));
	BSON_APPEND_UTF8(set, "location", in->location);
	BSON_APPEND_UTF8(set, "registrationType", "internal");
	BSON_APPEND_INT32(set, "maxParticipants", (int32_t)strtol(in->capacity, NULL, 10));
	BSON_APPEND_UTF8(set, "priceType", cents > 0 ? "fixed" : "free");
	BSON_APPEND_INT64(set, "priceCents", cents);
	BSON_APPEND_DOUBLE(set, "price", (double)cents / 100.0);
	if (in->img_src)
		BSON_APPEND_UTF8(set, "imgSrc", in->img_src);
	if (in->img_alt)
		BSON_APPEND_UTF8(set, "imgAlt", in->img_alt);
	BSON_APPEND_DATE_TIME(set, "updatedAt", now);
}

bool event_save(store_t *st, int64_t now, const bson_oid_t *id, const struct event_input *in,
		const bson_oid_t *created_by, bson_oid_t *out_id, bson_t *before, bson_t *after,
		struct err *e)
{
	struct buf slug = { 0 };
	store_error_t se = { 0 };
	bson_t cur = BSON_INITIALIZER, f = BSON_INITIALIZER, upd = BSON_INITIALIZER, set;
	bool ok = false, found = true, have_cur = false;
	bson_oid_t new_id;

	if (!event_check(in, e))
		return false;
	if (!text_blank(in->slug))
		buf_str(&slug, in->slug);
	else
		text_slug(&slug, in->title, 100);
	if (!slug.data || !*slug.data) {
		err_set(e, 400, "validation_failed", "slug", "Indiquez une adresse (le titre n’a ni lettre ni chiffre).");
		goto done;
	}
	if (id) {
		bson_destroy(&cur);
		if (!event_find(st, id, NULL, &cur, &found, &se)) {
			bson_init(&cur);
			store_fail(e, "event", &se);
			goto done;
		}
		have_cur = true;
		if (!found) {
			err_set(e, 404, "not_found", NULL, "Cet événement n’existe pas.");
			goto done;
		}
		BSON_APPEND_OID(&f, "_id", id);
		BSON_APPEND_DOCUMENT_BEGIN(&upd, "$set", &set);
		input_set(&set, in, slug.data, now);
		const char *status = doc_str(&cur, "status");
		if (!status || strcmp(status, "cancelled") != 0)
			BSON_APPEND_UTF8(&set, "status", in->published ? "published" : "draft");
		bson_append_document_end(&upd, &set);
		if (!store_update_one(st, EVENTS, &f, &upd, false, NULL, &se)) {
			if (se.code == STORE_ERR_DUPLICATE_KEY)
				err_set(e, 409, "slug_taken", "slug", "Un autre événement a déjà cette adresse.");
			else
				store_fail(e, "event update", &se);
			goto done;
		}
		new_id = *id;
	} else {
		bson_t doc = BSON_INITIALIZER;
		bson_oid_init(&new_id, NULL);
		BSON_APPEND_OID(&doc, "_id", &new_id);
		input_set(&doc, in, slug.data, now);
		BSON_APPEND_UTF8(&doc, "status", in->published ? "published" : "draft");
		BSON_APPEND_INT32(&doc, "currentParticipants", 0);
		if (created_by)
			BSON_APPEND_OID(&doc, "createdBy", created_by);
		BSON_APPEND_DATE_TIME(&doc, "createdAt", now);
		ok = store_insert_one(st, EVENTS, &doc, NULL, &se);
		bson_destroy(&doc);
		if (!ok) {
			if (se.code == STORE_ERR_DUPLICATE_KEY)
				err_set(e, 409, "slug_taken", "slug", "Un autre événement a déjà cette adresse.");
			else
				store_fail(e, "event insert", &se);
			goto done;
		}
		ok = false;
	}
	if (out_id)
		*out_id = new_id;
	if (after) {
		bool f2 = false;
		if (!event_find(st, &new_id, NULL, after, &f2, &se)) {
			store_fail(e, "event", &se);
			goto done;
		}
	}
	if (before)
		bson_copy_to(have_cur ? &cur : &f /* empty for a create */, before);
	if (!have_cur && before) {
		bson_destroy(before);
		bson_init(before);
	}
	ok = true;
done:
	buf_free(&slug);
	bson_destroy(&cur);
	bson_destroy(&f);
	bson_destroy(&upd);
	return ok;
}

bool event_set_published(store_t *st, int64_t now, const bson_oid_t *id, bool published,
			 bson_t *before, bson_t *after, struct err *e)
{
	bson_t f = BSON_INITIALIZER, upd = BSON_INITIALIZER, set, sub, out;
	store_error_t se = { 0 };
	bool found = false, ok;
	store_fam_opts_t o = { 0 };

	BSON_APPEND_OID(&f, "_id", id);
	BSON_APPEND_DOCUMENT_BEGIN(&f, "status", &sub);
	BSON_APPEND_UTF8(&sub, "$ne", "cancelled");
	bson_append_document_end(&f, &sub);
	BSON_APPEND_DOCUMENT_BEGIN(&upd, "$set", &set);
	BSON_APPEND_UTF8(&set, "status", published ? "published" : "draft");
	BSON_APPEND_DATE_TIME(&set, "updatedAt", now);
	bson_append_document_end(&upd, &set);
	ok = store_find_one_and_update(st, EVENTS, &f, &upd, &o, &out, &found, &se);
	bson_destroy(&f);
	bson_destroy(&upd);
	if (!ok)
		return store_fail(e, "event publish", &se);
	if (!found) {
		bson_destroy(&out);
		bool exists = false;
		if (!event_find(st, id, NULL, &out, &exists, &se))
			return store_fail(e, "event", &se);
		bson_destroy(&out);
		return exists ? err_set(e, 409, "event_cancelled", NULL, "Cet événement est annulé.")
			      : err_set(e, 404, "not_found", NULL, "Cet événement n’existe pas.");
	}
	if (before)
		bson_copy_to(&out, before);
	bson_destroy(&out);
	if (after && !event_find(st, id, NULL, after, &found, &se)) {
		if (before)
			bson_destroy(before);
		return store_fail(e, "event", &se);
	}
	return true;
}

bool event_duplicate(store_t *st, int64_t now, const bson_oid_t *id, const bson_oid_t *created_by,
		     bson_oid_t *out_id, bson_t *after, struct err *e)
{
	bson_t src, copy = BSON_INITIALIZER;
	bson_iter_t it;
	store_error_t se = { 0 };
	bool found = false, ok = false;
	struct buf title = { 0 };
	bson_oid_t nid;

	if (!event_find(st, id, NULL, &src, &found, &se))
		return store_fail(e, "event", &se);
	if (!found) {
		bson_destroy(&src);
		return err_set(e, 404, "not_found", NULL, "Cet événement n’existe pas.");
	}
	buf_printf(&title, "%s (copie)", doc_str(&src, "title") ? doc_str(&src, "title") : "");
	bson_oid_init(&nid, NULL);
	BSON_APPEND_OID(&copy, "_id", &nid);
	if (bson_iter_init(&it, &src))
		while (bson_iter_next(&it)) {
			const char *k = bson_iter_key(&it);
			if (!strcmp(k, "_id") || !strcmp(k, "slug") || !strcmp(k, "title") ||
			    !strcmp(k, "status") || !strcmp(k, "currentParticipants") ||
			    !strcmp(k, "createdAt") || !strcmp(k, "updatedAt") || !strcmp(k, "createdBy") ||
			    !strcmp(k, "cancelledAt"))
				continue;
			bson_append_value(&copy, k, -1, bson_iter_value(&it));
		}
	BSON_APPEND_UTF8(&copy, "title", title.data);
	BSON_APPEND_UTF8(&copy, "status", "draft");
	BSON_APPEND_INT32(&copy, "currentParticipants", 0);
	if (created_by)
		BSON_APPEND_OID(&copy, "createdBy", created_by);
	BSON_APPEND_DATE_TIME(&copy, "createdAt", now);
	BSON_APPEND_DATE_TIME(&copy, "updatedAt", now);
	/* a free slug: the original's, then -copie, -copie-2… */
	for (int n = 1; n <= 50 && !ok; n++) {
		bson_t d;
		char slug[160];
		bson_copy_to(&copy, &d);
		if (n == 1)
			(void)buf_fmt(slug, sizeof slug, "%.120s-copie", doc_str(&src, "slug") ? doc_str(&src, "slug") : "evenement");
		else
			(void)buf_fmt(slug, sizeof slug, "%.120s-copie-%d", doc_str(&src, "slug") ? doc_str(&src, "slug") : "evenement", n);
		BSON_APPEND_UTF8(&d, "slug", slug);
		ok = store_insert_one(st, EVENTS, &d, NULL, &se);
		bson_destroy(&d);
		if (!ok && se.code != STORE_ERR_DUPLICATE_KEY)
			break;
	}
	bson_destroy(&copy);
	bson_destroy(&src);
	buf_free(&title);
	if (!ok)
		return se.code == STORE_ERR_DUPLICATE_KEY
			? err_set(e, 409, "slug_taken", "slug", "Trop de copies de cet événement.")
			: store_fail(e, "event duplicate", &se);
	if (out_id)
		*out_id = nid;
	if (after && !event_find(st, &nid, NULL, after, &found, &se))
		return store_fail(e, "event", &se);
	return true;
}

bool event_admin_list(store_t *st, int64_t now, int page, int per_page, json_object **items,
		      int64_t *total, struct err *e)
{
	bson_t f = BSON_INITIALIZER, sort = BSON_INITIALIZER, sub;
	store_error_t se = { 0 };
	store_cursor_t *cur;
	const bson_t *doc;

	*items = NULL;
	BSON_APPEND_DOCUMENT_BEGIN(&f, "status", &sub);
	BSON_APPEND_UTF8(&sub, "$ne", "archived");
	bson_append_document_end(&f, &sub);
	if (!store_count(st, EVENTS, &f, total, &se)) {
		bson_destroy(&f);
		return store_fail(e, "events count", &se);
	}
	BSON_APPEND_INT32(&sort, "startsAt", -1);
	BSON_APPEND_INT32(&sort, "_id", -1);
	store_find_opts_t o = { .sort = &sort, .skip = (int64_t)(page - 1) * per_page, .limit = per_page };
	cur = store_find(st, EVENTS, &f, &o, &se);
	bson_destroy(&f);
	bson_destroy(&sort);
	if (!cur)
		return store_fail(e, "events", &se);
	*items = json_object_new_array();
	while (store_cursor_next(cur, &doc)) {
		bson_oid_t id;
		int64_t taken = 0;
		json_object *j;
		if (doc_oid(doc, "_id", &id) && !event_seats_taken(st, &id, now, &taken, &se))
			break;
		j = event_public_json(doc, taken);
		json_object_object_add(j, "taken", json_object_new_int64(taken));
		json_object_object_add(j, "past", json_object_new_boolean(doc_date(doc, "endsAt", 0) <= now));
		json_object_array_add(*items, j);
	}
	if (se.code || store_cursor_error(cur, &se)) {
		store_cursor_destroy(cur);
		json_object_put(*items);
		*items = NULL;
		return store_fail(e, "events", &se);
	}
	store_cursor_destroy(cur);
	return true;
}

/* ---- demo events ------------------------------------------------------------- */

bool event_seed(store_t *st, int64_t now, void (*report)(const char *), struct err *e)
{
	static const struct {
		int days;
		const char *title, *slug, *category, *start, *end, *location, *capacity, *price, *summary, *text;
		bool full;
	} demo[] = {
		{ 3, "Café-découverte : bien démarrer en coworking", "cafe-decouverte-coworking", "Networking",
		  "09:00", "10:30", "Open Space", "20", "",
		  "Un petit-déjeuner pour découvrir le lieu et rencontrer les habitués.",
		  "Vous hésitez à travailler hors de chez vous ? Venez **prendre un café** avec l’équipe et les membres.\n\n"
		  "- visite des espaces\n- les bonnes habitudes du coworking\n- questions et réponses\n", false },
		{ 6, "Atelier d’écriture du samedi", "atelier-ecriture-samedi", "Créativité",
		  "10:00", "12:00", "Salle Verrière", "12", "15",
		  "Deux heures pour écrire, guidé par une autrice strasbourgeoise.",
		  "Un atelier pour **débutants et confirmés** : consignes courtes, lecture à voix haute si vous le souhaitez.\n\n"
		  "Le prix comprend une boisson chaude et une pâtisserie.", false },
		{ 9, "Conférence : entreprendre à Strasbourg en 2027, aides, réseaux et premiers clients — retours d’expérience de cinq fondatrices et fondateurs", "conference-entreprendre-strasbourg", "Entreprendre",
		  "18:30", "20:30", "Espace Événementiel", "60", "",
		  "Cinq créateurs d’entreprise racontent leur première année.",
		  "Une soirée de **témoignages** suivie d’un apéritif.\n\n1. Les aides locales\n2. Trouver ses premiers clients\n3. Questions du public\n", false },
		{ 12, "Yoga sur chaise pour travailleurs assis", "yoga-sur-chaise", "Bien-être",
		  "12:15", "13:00", "Salle Étage", "2", "8,50",
		  "Une pause qui dénoue le dos, sans tapis ni tenue de sport.",
		  "Complet : une séance très demandée, la prochaine est annoncée bientôt.", true },
		{ 15, "Initiation à la photographie au smartphone", "initiation-photo-smartphone", "Atelier",
		  "14:00", "16:30", "Extérieur (selon météo)", "15", "25",
		  "Cadrage, lumière et retouche : vos photos passent un cap.",
		  "Apportez votre téléphone chargé. Nous sortons dans le quartier si le temps le permet.", false },
		{ 20, "Soirée jeux de société et rencontre des membres", "soiree-jeux-societe", "Culture",
		  "19:00", "22:30", "Open Space", "30", "",
		  "Jeux, boissons et bonne humeur entre membres et voisins.",
		  "Une soirée conviviale : **apportez votre jeu préféré** ou découvrez ceux du café.", false },
		{ 27, "Formation : tenir sa comptabilité d’indépendant sans y passer ses dimanches", "formation-comptabilite-independant", "Formation",
		  "09:30", "12:30", "Salle Verrière", "10", "45",
		  "Les bons outils et les bons réflexes, avec une experte-comptable.",
		  "Au programme : choisir son régime, organiser ses justificatifs, préparer sa déclaration.", false },
	};
	store_error_t se = { 0 };
	int64_t today;
	int minute;

	booking_paris_local(now, &today, &minute);
	for (size_t i = 0; i < sizeof demo / sizeof *demo; i++) {
		char date[11], line[256];
		bson_t doc;
		bool found = false;
		booking_format_date(today + demo[i].days, date);
		if (!event_find(st, NULL, demo[i].slug, &doc, &found, &se))
			return store_fail(e, "seed event", &se);
		bson_destroy(&doc);
		if (found) {
			(void)buf_fmt(line, sizeof line, "exists  event %s (left as it is)", demo[i].slug);
			report(line);
			continue;
		}
		struct event_input in = {
			.title = demo[i].title, .slug = demo[i].slug, .category = demo[i].category,
			.short_description = demo[i].summary, .description = demo[i].text, .date = date,
			.start_time = demo[i].start, .end_time = demo[i].end, .location = demo[i].location,
			.capacity = demo[i].capacity, .price = demo[i].price, .published = true,
		};
		bson_oid_t id;
		if (!event_save(st, now, NULL, &in, NULL, &id, NULL, NULL, e))
			return false;
		if (demo[i].full) {
			/* a full event: its seats taken by demo registrations (no mail) */
			int cap = atoi(demo[i].capacity);
			for (int n = 0; n < cap; n++) {
				char email[64];
				(void)buf_fmt(email, sizeof email, "demo%d@coworkingcafe.local", n + 1);
				if (!event_seed_registration(st, now, &id, cap, "Membre", "Démo", email, e))
					return false;
			}
		}
		(void)buf_fmt(line, sizeof line, "created event %s (%s)", demo[i].slug, date);
		report(line);
	}
	return true;
}
