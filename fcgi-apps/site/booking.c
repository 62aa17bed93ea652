/*
 * booking.c — the booking funnel, /booking (and /reserver): space →
 * reservation type → date → times and people → services → contact →
 * summary → the booking, one server-rendered page (templates/booking.html).
 *
 * It works without JavaScript. The state is the request's fields (the
 * query for the first steps, a POST form from the contact step on, so
 * that personal details stay out of URLs and logs), carried forward in
 * hidden fields and checked again on every request with the domain's own
 * rules (booking_quote, booking_check_available): the page shows the
 * first step that is missing or wrong, with the error next to its field
 * and what was typed kept. public/booking.js only adds the live
 * availability of the date step and the live quote of the times step,
 * from the public API.
 *
 * The booking is created by booking_create(), like POST /api/bookings;
 * the browser is then sent (303) to the booking's own page: the private
 * guest link, or the customer's dashboard.
 */
#include "account/account.h"
#include "account/api.h"
#include "booking/availability.h"
#include "booking/booking.h"
#include "booking/calendar.h"
#include "booking/catalogue.h"
#include "booking/contact.h"
#include "booking/money.h"
#include "booking/price.h"
#include "conn/conn.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/doc.h"
#include "core/log.h"
#include "core/money.h"
#include "core/template.h"
#include "web/page.h"
#include "web/page_err.h"
#include "web/throttle.h"
#include "assets.h"
#include "site.h"

#include <stdlib.h>
#include <string.h>

#define MAX_SPACES 16

enum step { STEP_SPACE, STEP_TYPE, STEP_DATE, STEP_TIME, STEP_SERVICES, STEP_CONTACT, STEP_SUMMARY, NSTEPS };

static const char *const step_names[NSTEPS] = {
	"space", "type", "date", "time", "services", "contact", "summary",
};
static const char *const step_labels[NSTEPS] = {
	"Espace", "Formule", "Date", "Horaires", "Services", "Coordonnées", "Récapitulatif",
};
static const char *const rtype_labels[BOOKING_RTYPES] = {
	"À l’heure", "À la journée", "À la semaine", "Au mois",
};

struct funnel {
	struct http_req *req;
	store_t *st;
	const struct auth_session *me;
	struct booking_space spaces[MAX_SPACES];
	char descriptions[MAX_SPACES][300];
	int nspaces;
	const struct booking_space *space;   /* the chosen one, or NULL */
	struct booking_hours hours;
	bool hours_loaded;
	struct booking_request rq;
	struct booking_quote quote;
	json_object *errors;                 /* {field: message} */
	struct booking_contact_out contact;   /* trimmed, checked */
};

/* ---- input ------------------------------------------------------------- */

/* A field of the request: the form on a POST, the query on a GET. */
static const char *in(struct funnel *f, const char *key)
{
	const char *v = f->req->method == HTTP_POST ? http_form(f->req, key) : http_query(f->req, key);

	return v && http_utf8_valid(v, strlen(v)) ? v : NULL;
}

static bool given(struct funnel *f, const char *key)
{
	const char *v = in(f, key);

	return v && *v;
}

static void field_error(struct funnel *f, const char *field, const char *message)
{
	if (!json_object_object_get_ex(f->errors, field, NULL))
		json_object_object_add(f->errors, field, json_object_new_string(message));
}

/* A domain error, in French (web/page_err.h), next to the field it names. */
static void domain_error(struct funnel *f, const struct err *e)
{
	const char *field = e->field[0] ? e->field : "form";
	char buf[160];

	if (strncmp(field, "services", 8) == 0)
		field = "services";
	field_error(f, field, page_err_text(e, buf, sizeof buf));
}

static void contact_error(void *ctx, const struct err *e)
{
	domain_error(ctx, e);
}

/* ---- the catalogue ------------------------------------------------------- */

static bool load_spaces(struct funnel *f, store_error_t *se)
{
	bson_t *filter = BCON_NEW("isActive", BCON_BOOL(true), "isDeleted", "{", "$ne", BCON_BOOL(true), "}");
	bson_t *sort = BCON_NEW("displayOrder", BCON_INT32(1), "_id", BCON_INT32(1));
	store_find_opts_t opts = { .sort = sort };
	store_cursor_t *cur = store_find(f->st, "spaceconfigurations", filter, &opts, se);
	const bson_t *doc;
	bool ok;

	bson_destroy(filter);
	bson_destroy(sort);
	if (!cur)
		return false;
	while (store_cursor_next(cur, &doc) && f->nspaces < MAX_SPACES) {
		const char *d = doc_str(doc, "description");
		booking_space_from_doc(doc, &f->spaces[f->nspaces]);
		(void)buf_fmt(f->descriptions[f->nspaces], sizeof f->descriptions[0], "%s", d ? d : "");
		f->nspaces++;
	}
	ok = !store_cursor_error(cur, se);
	store_cursor_destroy(cur);
	return ok;
}

static json_object *euros(int64_t cents)
{
	char s[32];

	money_format(cents, MONEY_SHORT, s, sizeof s);
	return json_object_new_string(s);
}


/* ---- the steps: each checks its fields; false = this step is shown ---- */

static bool step_space(struct funnel *f)
{
	const char *t = in(f, "spaceType");
	const char *cur = t ? booking_space_type_current(t) : NULL;

	if (!t || !*t)
		return false;
	for (int i = 0; cur && i < f->nspaces; i++)
		if (strcmp(f->spaces[i].space_type, cur) == 0) {
			if (f->spaces[i].requires_quote) {
				field_error(f, "spaceType", "Cet espace se réserve sur devis : écrivez-nous.");
				return false;
			}
			f->space = &f->spaces[i];
			(void)buf_fmt(f->rq.space_type, sizeof f->rq.space_type, "%s", cur);
			return true;
		}
	field_error(f, "spaceType", "Choisissez un des espaces proposés.");
	return false;
}

static bool step_type(struct funnel *f)
{
	const char *t = in(f, "reservationType");
	int n = 0, only = -1;

	for (int i = 0; i < BOOKING_RTYPES; i++)
		if (f->space->types[i]) {
			n++;
			only = i;
		}
	if ((!t || !*t) && n == 1) {
		f->rq.rtype = only;
		return true;
	}
	if (!t || !*t)
		return false;
	f->rq.rtype = booking_rtype_parse(t);
	if (f->rq.rtype < 0 || !f->space->types[f->rq.rtype]) {
		field_error(f, "reservationType", "Choisissez une des formules proposées pour cet espace.");
		return false;
	}
	return true;
}

static bool step_date(struct funnel *f)
{
	const char *d = in(f, "date");
	int64_t today;
	int minute;
	struct booking_day bd;

	if (!d || !*d)
		return false;
	if (!booking_parse_date(d, &f->rq.day)) {
		field_error(f, "date", "Choisissez une date (jj/mm/aaaa).");
		return false;
	}
	booking_paris_local(account_now_ms(), &today, &minute);
	if (f->rq.day < today) {
		field_error(f, "date", "Cette date est passée.");
		return false;
	}
	if (f->rq.day > today + 366) {
		field_error(f, "date", "Les réservations ouvrent un an à l’avance au plus.");
		return false;
	}
	booking_hours_day(&f->hours, f->rq.day, &bd);
	if (!bd.open) {
		char msg[256];
		(void)buf_fmt(msg, sizeof msg, "Le café est fermé ce jour-là%s%s.", bd.closed_reason[0] ? " : " : "",
			      bd.closed_reason);
		field_error(f, "date", msg);
		return false;
	}
	return true;
}

/* Quotes and checks the request as it stands (services included). */
static bool check_request(struct funnel *f)
{
	struct booking_space space;
	struct err e = { 0 };

	if (!booking_quote(f->st, &f->rq, &space, &f->quote, &e) ||
	    !booking_check_available(f->st, &space, &f->hours, &f->rq, account_now_ms(), &e)) {
		domain_error(f, &e);
		return false;
	}
	return true;
}

static bool step_time(struct funnel *f)
{
	const char *people = in(f, "numberOfPeople");
	char *end;
	long n;
	bool ok = true;

	if (!people || !*people)
		return false;
	n = strtol(people, &end, 10);
	if (*end || n < 1 || n > 10000) {
		field_error(f, "numberOfPeople", "Indiquez un nombre de personnes.");
		ok = false;
	}
	f->rq.people = ok ? (int)n : 1;
	if (f->rq.rtype == BOOKING_HOURLY) {
		const char *s = in(f, "startTime"), *t = in(f, "endTime");
		if (!s || !booking_parse_time(s, false, &f->rq.start_min)) {
			field_error(f, "startTime", "Choisissez une heure de début.");
			ok = false;
		}
		if (!t || !booking_parse_time(t, true, &f->rq.end_min)) {
			field_error(f, "endTime", "Choisissez une heure de fin.");
			ok = false;
		}
	}
	return ok && check_request(f);
}

/* The services of the request: every `service` field (an id). */
static bool step_services(struct funnel *f)
{
	struct http_req *req = f->req;
	struct http_kv *kv = req->method == HTTP_POST ? req->formv : req->queryv;
	size_t n = req->method == HTTP_POST ? req->formn : req->queryn;

	if (!given(f, "servicesDone"))
		return false;
	for (size_t i = 0; i < n; i++) {
		bool dup = false;
		if (strcmp(kv[i].key, "service") != 0 || !*kv[i].value)
			continue;
		if (f->rq.nservices >= BOOKING_MAX_SERVICES ||
		    !doc_parse_oid(kv[i].value, &f->rq.services[f->rq.nservices].id)) {
			field_error(f, "services", "Ce service n’est pas proposé pour cet espace.");
			return false;
		}
		for (int j = 0; j < f->rq.nservices; j++)
			dup |= bson_oid_equal(&f->rq.services[j].id, &f->rq.services[f->rq.nservices].id);
		if (dup)
			continue;
		f->rq.services[f->rq.nservices].quantity = 1;
		f->rq.nservices++;
	}
	return check_request(f);
}

static bool step_contact(struct funnel *f)
{
	struct booking_contact_form form = {
		in(f, "contactName"), in(f, "contactEmail"), in(f, "contactPhone"), in(f, "companyName"),
		in(f, "specialRequests"),
	};
	struct err e = { 0 };
	bool ok;

	if (f->req->method != HTTP_POST || !given(f, "contactDone"))
		return false;
	if (f->me)   /* the account's details, as the API takes them */
		form.name = form.email = form.phone = NULL;
	ok = booking_contact_check(&form, !f->me, &f->contact, contact_error, f, &e);
	if (f->me) {
		const char *g = doc_str(&f->me->user, "givenName"), *s = doc_str(&f->me->user, "surname");
		const char *em = doc_str(&f->me->user, "email"), *p = doc_str(&f->me->user, "phone");
		if (!buf_fmt(f->contact.name, sizeof f->contact.name, "%s%s%s", g ? g : "", g && s ? " " : "", s ? s : ""))
			f->contact.name[0] = '\0';
		(void)buf_fmt(f->contact.email, sizeof f->contact.email, "%s", em ? em : "");
		(void)buf_fmt(f->contact.phone, sizeof f->contact.phone, "%s", p ? p : "");
	}
	return ok;
}

/* ---- the page ------------------------------------------------------------- */

static void add_str(json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, json_object_new_string(value ? value : ""));
}

static void hidden(json_object *list, const char *name, const char *value)
{
	json_object *h = json_object_new_object();

	add_str(h, "name", name);
	add_str(h, "value", value);
	json_object_array_add(list, h);
}

/* The state of the steps before `upto`, as hidden fields and as the query
 * of a link back to step `upto`. */
static void state_of(struct funnel *f, enum step upto, json_object *fields, struct buf *query)
{
	static const char *const keys[][4] = {
		[STEP_SPACE] = { "spaceType" },
		[STEP_TYPE] = { "reservationType" },
		[STEP_DATE] = { "date" },
		[STEP_TIME] = { "startTime", "endTime", "numberOfPeople" },
		[STEP_SERVICES] = { "servicesDone" },
		[STEP_CONTACT] = { "contactDone", "contactName", "contactEmail", "contactPhone" },
	};
	char tmp[11];

	for (int s = 0; s < (int)upto && s < STEP_SUMMARY; s++) {
		for (int k = 0; k < 4 && keys[s][k]; k++) {
			const char *v = in(f, keys[s][k]);
			if (s == STEP_TYPE) {   /* also when implied by the space */
				v = booking_rtype_name(f->rq.rtype);
			} else if (s == STEP_DATE) {
				booking_format_date(f->rq.day, tmp);
				v = tmp;
			}
			if (!v || (s == STEP_TIME && f->rq.rtype != BOOKING_HOURLY && k < 2))
				continue;
			if (fields)
				hidden(fields, keys[s][k], v);
			if (query && s < STEP_CONTACT) {
				char *enc = tpl_url_encode(v);
				buf_printf(query, "%s%s=%s", query->len ? "&" : "?", keys[s][k], enc);
				free(enc);
			}
		}
		if (s == STEP_SERVICES)
			for (int i = 0; i < f->rq.nservices; i++) {
				char id[25];
				bson_oid_to_string(&f->rq.services[i].id, id);
				if (fields)
					hidden(fields, "service", id);
				if (query)
					buf_printf(query, "&service=%s", id);
			}
		if (s == STEP_CONTACT) {
			if (fields) {
				hidden(fields, "companyName", f->contact.company);
				hidden(fields, "specialRequests", f->contact.requests);
			}
		}
	}
}

static void add_recap(struct funnel *f, json_object *recap, enum step s, const char *value)
{
	json_object *r = json_object_new_object();
	struct buf q = { 0 };

	state_of(f, s + 1, NULL, &q);   /* the step's own values too: kept in its form */
	add_str(r, "label", step_labels[s]);
	add_str(r, "value", value);
	{
		struct buf url = { 0 };
		buf_printf(&url, "/booking%s%sstep=%s", q.data ? q.data : "", q.len ? "&" : "?", step_names[s]);
		add_str(r, "editUrl", url.data);
		buf_free(&url);
	}
	buf_free(&q);
	json_object_array_add(recap, r);
}

static void time_options(json_object *data, const char *key, const struct booking_day *bd, bool end,
			 const char *selected)
{
	json_object *arr = json_object_new_array();
	char t[6];

	for (int m = bd->open_min + (end ? 2 * BOOKING_SLOT_MIN : 0);
	     m <= bd->close_min - (end ? 0 : 2 * BOOKING_SLOT_MIN); m += BOOKING_SLOT_MIN) {
		json_object *o = json_object_new_object();
		booking_format_time(m, t);
		add_str(o, "value", t);
		json_object_object_add(o, "selected", json_object_new_boolean(selected && strcmp(selected, t) == 0));
		json_object_array_add(arr, o);
	}
	json_object_object_add(data, key, arr);
}

/* The day's slots, as the availability API computes them. */
static void day_slots(struct funnel *f, json_object *data, const struct booking_day *bd)
{
	struct booking_occupancy occ;
	store_error_t se = { 0 };
	json_object *arr = json_object_new_array();
	int64_t now = account_now_ms(), today;
	int now_min;
	char t[6], t2[6];

	booking_paris_local(now, &today, &now_min);
	if (bd->open && booking_day_occupancy(f->st, f->space->space_type, &f->hours, f->rq.day, now, NULL, &occ, &se)) {
		for (int m = bd->open_min; m + BOOKING_SLOT_MIN <= bd->close_min; m += BOOKING_SLOT_MIN) {
			int s = m / BOOKING_SLOT_MIN, left;
			bool closed = (f->rq.day == today && m < now_min) || occ.privatized[s];
			json_object *o = json_object_new_object();
			for (int i = 0; i < bd->npartial; i++)
				closed |= m < bd->partial[i].end_min && bd->partial[i].start_min < m + BOOKING_SLOT_MIN;
			left = closed ? 0 : f->space->exclusive ? (occ.taken[s] ? 0 : 1) : f->space->max_capacity - occ.taken[s];
			booking_format_time(m, t);
			booking_format_time(m + BOOKING_SLOT_MIN, t2);
			add_str(o, "time", t);
			add_str(o, "endTime", t2);
			json_object_object_add(o, "free", json_object_new_boolean(left > 0));
			if (!f->space->exclusive && left > 0)
				json_object_object_add(o, "seatsLeft", json_object_new_int(left));
			json_object_array_add(arr, o);
		}
	}
	json_object_object_add(data, "slots", arr);
}

static void quote_json(struct funnel *f, json_object *data)
{
	json_object *q = json_object_new_object(), *lines = json_object_new_array();
	const struct booking_quote *qt = &f->quote;

	json_object_object_add(q, "base", euros(qt->base_price));
	json_object_object_add(q, "dayRate", json_object_new_boolean(qt->day_rate && f->rq.rtype == BOOKING_HOURLY));
	for (int i = 0; i < qt->nlines; i++) {
		json_object *l = json_object_new_object();
		add_str(l, "name", qt->lines[i].name);
		json_object_object_add(l, "total", euros(qt->lines[i].total));
		json_object_array_add(lines, l);
	}
	json_object_object_add(q, "lines", lines);
	json_object_object_add(q, "total", euros(qt->total));
	json_object_object_add(q, "totalHT", euros(qt->total_ht));
	json_object_object_add(q, "vat", euros(qt->total_vat));
	json_object_object_add(q, "hold", euros(qt->hold));
	json_object_object_add(data, "quote", q);
}

static void policy_json(struct funnel *f, json_object *data)
{
	json_object_object_add(data, "policy", site_booking_policy(f->st, f->space->space_type));
}

static void render(struct funnel *f, enum step step, int status)
{
	json_object *data = page_data(f->req, "Réserver");
	json_object *steps = json_object_new_array(), *fields = json_object_new_array();
	json_object *recap = json_object_new_array(), *st = json_object_new_object();
	char s[160];

	page_set(data, "description", "Réservez l’open-space ou une salle de réunion du CoworKing Café.");
	page_set(data, "script", ASSET_BOOKING_JS);
	page_section(data, "booking");
	for (int i = 0; i < NSTEPS; i++) {
		json_object *o = json_object_new_object();
		add_str(o, "label", step_labels[i]);
		json_object_object_add(o, "number", json_object_new_int(i + 1));
		json_object_object_add(o, "current", json_object_new_boolean(i == (int)step));
		json_object_object_add(o, "done", json_object_new_boolean(i < (int)step));
		json_object_array_add(steps, o);
	}
	json_object_object_add(data, "steps", steps);
	json_object_object_add(st, step_names[step], json_object_new_boolean(true));
	json_object_object_add(data, "step", st);
	(void)buf_fmt(s, sizeof s, "Étape %d sur %d : %s", (int)step + 1, NSTEPS, step_labels[step]);
	add_str(data, "stepTitle", s);
	state_of(f, step, fields, NULL);
	json_object_object_add(data, "hidden", fields);
	json_object_object_add(data, "errors", json_object_get(f->errors));
	json_object_object_add(data, "hasErrors", json_object_new_boolean(json_object_object_length(f->errors) > 0));
	if (json_object_object_get_ex(f->errors, "form", NULL))
		json_object_object_add(data, "formError",
				       json_object_get(json_object_object_get(f->errors, "form")));

	/* the recap of the steps done */
	if (step > STEP_SPACE)
		add_recap(f, recap, STEP_SPACE, f->space->name);
	if (step > STEP_TYPE)
		add_recap(f, recap, STEP_TYPE, rtype_labels[f->rq.rtype]);
	if (step > STEP_DATE) {
		booking_format_day_fr(f->rq.day, false, s, sizeof s);
		add_recap(f, recap, STEP_DATE, s);
	}
	if (step > STEP_TIME) {
		char a[6], b[6], line[96];
		if (f->rq.rtype == BOOKING_HOURLY) {
			booking_format_time(f->rq.start_min, a);
			booking_format_time(f->rq.end_min, b);
			(void)buf_fmt(line, sizeof line, "%s – %s, %d personne%s", a, b, f->rq.people, f->rq.people > 1 ? "s" : "");
		} else {
			(void)buf_fmt(line, sizeof line, "%d personne%s", f->rq.people, f->rq.people > 1 ? "s" : "");
		}
		add_recap(f, recap, STEP_TIME, line);
	}
	if (step > STEP_SERVICES) {
		struct buf l = { 0 };
		for (int i = 0; i < f->quote.nlines; i++)
			buf_printf(&l, "%s%s", i ? ", " : "", f->quote.lines[i].name);
		add_recap(f, recap, STEP_SERVICES, l.len ? l.data : "Aucun");
		buf_free(&l);
	}
	json_object_object_add(data, "recap", recap);
	json_object_object_add(data, "hasRecap", json_object_new_boolean(step > STEP_SPACE));

	switch (step) {
	case STEP_SPACE: {
		json_object *arr = json_object_new_array();
		const char *cur = in(f, "spaceType");
		for (int i = 0; i < f->nspaces; i++) {
			const struct booking_space *sp = &f->spaces[i];
			json_object *o = json_object_new_object();
			char from[64] = "";
			add_str(o, "value", sp->space_type);
			add_str(o, "name", sp->name);
			add_str(o, "description", f->descriptions[i]);
			json_object_object_add(o, "checked", json_object_new_boolean(cur && strcmp(cur, sp->space_type) == 0));
			json_object_object_add(o, "quoteOnly", json_object_new_boolean(sp->requires_quote));
			if (sp->types[BOOKING_HOURLY] && sp->hourly > 0) {
				money_format(sp->hourly, MONEY_SHORT, s, sizeof s);
				(void)buf_fmt(from, sizeof from, "dès %s de l’heure%s", s, sp->per_person ? " par personne" : "");
			} else if (sp->daily > 0) {
				money_format(sp->daily, MONEY_SHORT, s, sizeof s);
				(void)buf_fmt(from, sizeof from, "%s la journée", s);
			}
			add_str(o, "price", from);
			(void)buf_fmt(s, sizeof s, "%d à %d personnes", sp->min_capacity > 0 ? sp->min_capacity : 1, sp->max_capacity);
			add_str(o, "capacity", s);
			json_object_array_add(arr, o);
		}
		json_object_object_add(data, "spaces", arr);
		break;
	}
	case STEP_TYPE: {
		json_object *arr = json_object_new_array();
		const char *cur = in(f, "reservationType");
		int64_t price[BOOKING_RTYPES] = { f->space->hourly, f->space->daily, f->space->weekly, f->space->monthly };
		static const char *const per[] = { "l’heure", "la journée", "la semaine", "le mois" };
		for (int i = 0; i < BOOKING_RTYPES; i++) {
			json_object *o;
			if (!f->space->types[i])
				continue;
			o = json_object_new_object();
			add_str(o, "value", booking_rtype_name(i));
			add_str(o, "label", rtype_labels[i]);
			money_format(price[i], MONEY_SHORT, s, sizeof s);
			{
				char p[96];
				(void)buf_fmt(p, sizeof p, "%s %s%s", s, per[i], f->space->per_person ? " par personne" : "");
				add_str(o, "price", p);
			}
			json_object_object_add(o, "checked", json_object_new_boolean(cur && strcmp(cur, booking_rtype_name(i)) == 0));
			json_object_array_add(arr, o);
		}
		json_object_object_add(data, "types", arr);
		break;
	}
	case STEP_DATE: {
		int64_t today;
		int minute;
		const char *d = in(f, "date");
		booking_paris_local(account_now_ms(), &today, &minute);
		booking_format_date(today, s);
		add_str(data, "minDate", s);
		booking_format_date(today + 366, s);
		add_str(data, "maxDate", s);
		add_str(data, "date", d);
		add_str(data, "spaceType", f->space->space_type);
		break;
	}
	case STEP_TIME: {
		struct booking_day bd;
		booking_hours_day(&f->hours, f->rq.day, &bd);
		json_object_object_add(data, "hourly", json_object_new_boolean(f->rq.rtype == BOOKING_HOURLY));
		if (f->rq.rtype == BOOKING_HOURLY) {
			time_options(data, "starts", &bd, false, in(f, "startTime"));
			time_options(data, "ends", &bd, true, in(f, "endTime"));
			day_slots(f, data, &bd);
		}
		add_str(data, "numberOfPeople", in(f, "numberOfPeople") ? in(f, "numberOfPeople") : "1");
		json_object_object_add(data, "minPeople", json_object_new_int(f->space->min_capacity > 0 ? f->space->min_capacity : 1));
		json_object_object_add(data, "maxPeople", json_object_new_int(f->space->max_capacity));
		add_str(data, "spaceType", f->space->space_type);
		add_str(data, "reservationType", booking_rtype_name(f->rq.rtype));
		booking_format_date(f->rq.day, s);
		add_str(data, "date", s);
		break;
	}
	case STEP_SERVICES: {
		bson_t *filter = BCON_NEW("isActive", BCON_BOOL(true), "isDeleted", "{", "$ne", BCON_BOOL(true), "}");
		bson_t *sort = BCON_NEW("order", BCON_INT32(1), "name", BCON_INT32(1));
		store_find_opts_t opts = { .sort = sort };
		store_error_t se = { 0 };
		store_cursor_t *cur = store_find(f->st, "additionalservices", filter, &opts, &se);
		json_object *arr = json_object_new_array();
		const bson_t *doc;
		while (cur && store_cursor_next(cur, &doc)) {
			struct booking_service sv;
			json_object *o;
			char id[25], p[96];
			bool checked = false;
			booking_service_from_doc(doc, &sv);
			if (!sv.active || !booking_service_offered(&sv, f->space->space_type))
				continue;
			bson_oid_to_string(&sv.id, id);
			for (int i = 0; i < f->rq.nservices; i++)
				checked |= bson_oid_equal(&sv.id, &f->rq.services[i].id);
			o = json_object_new_object();
			add_str(o, "id", id);
			add_str(o, "name", sv.name);
			add_str(o, "description", doc_str(doc, "description"));
			money_format(f->quote.day_rate && sv.daily_price >= 0 ? sv.daily_price : sv.price, MONEY_SHORT, s, sizeof s);
			(void)buf_fmt(p, sizeof p, "%s%s", s, sv.per_person ? " par personne" : "");
			add_str(o, "price", p);
			json_object_object_add(o, "checked", json_object_new_boolean(checked));
			json_object_array_add(arr, o);
		}
		if (cur)
			store_cursor_destroy(cur);
		bson_destroy(filter);
		bson_destroy(sort);
		json_object_object_add(data, "hasServices", json_object_new_boolean(json_object_array_length(arr) > 0));
		json_object_object_add(data, "services", arr);
		if (!json_object_object_get_ex(f->errors, "services", NULL))
			quote_json(f, data);   /* the quote without services, from the times step */
		break;
	}
	case STEP_CONTACT:
		add_str(data, "contactName", in(f, "contactName"));
		add_str(data, "contactEmail", in(f, "contactEmail"));
		add_str(data, "contactPhone", in(f, "contactPhone"));
		add_str(data, "companyName", in(f, "companyName"));
		add_str(data, "specialRequests", in(f, "specialRequests"));
		if (f->me) {
			const char *e = doc_str(&f->me->user, "email");
			add_str(data, "accountEmail", e);
		}
		json_object_object_add(data, "member", json_object_new_boolean(f->me != NULL));
		{
			struct buf q = { 0 }, url = { 0 };
			char *enc;
			state_of(f, STEP_CONTACT, NULL, &q);
			buf_printf(&url, "/booking%s%sstep=contact", q.data ? q.data : "", q.len ? "&" : "?");
			enc = tpl_url_encode(url.data);
			buf_free(&url);
			buf_printf(&url, "/auth/login?next=%s", enc);
			add_str(data, "loginUrl", url.data);
			free(enc);
			buf_free(&url);
			buf_free(&q);
		}
		break;
	case STEP_SUMMARY: {
		json_object *c = json_object_new_object();
		add_str(c, "name", f->contact.name);
		add_str(c, "email", f->contact.email);
		add_str(c, "phone", f->contact.phone);
		add_str(c, "company", f->contact.company);
		add_str(c, "requests", f->contact.requests);
		json_object_object_add(data, "contact", c);
		quote_json(f, data);
		policy_json(f, data);
		json_object_object_add(data, "payments", json_object_new_boolean(cfg->stripe_secret_key && *cfg->stripe_secret_key));
		break;
	}
	default:
		break;
	}
	page_render(f->req, status, "booking.html", data);
}

/* Creates the booking and sends the browser to its page. False (errors
 * in f->errors) when it could not be created. */
static bool book(struct funnel *f)
{
	struct booking_new nb;
	struct booking_settings settings;
	store_error_t se = { 0 };
	struct err e = { 0 };
	char token[BOOKING_TOKEN_HEX + 1], secret[256];
	bool pay = cfg->stripe_secret_key && *cfg->stripe_secret_key, setup = false;
	long retry = 0;
	bson_t booking;
	struct buf url = { 0 };

	if (!f->me && !throttle_check(THROTTLE_GUEST_BOOKING, THROTTLE_IP, http_client_ip(f->req), &retry)) {
		field_error(f, "form", "Trop de réservations depuis cette adresse : réessayez plus tard ou appelez-nous.");
		return false;
	}
	memset(&nb, 0, sizeof nb);
	nb.rq = f->rq;
	nb.user = f->me ? &f->me->user_id : NULL;
	nb.contact = (struct booking_contact){ f->contact.name, f->contact.email, f->contact.phone,
					       f->contact.company };
	nb.special_requests = f->contact.requests;
	if (!booking_settings_load(f->st, &settings, &se))
		booking_settings_defaults(&settings);
	/* with Stripe configured the booking holds its slot for
	 * pendingHoldMinutes with a card hold (booking/money.h); the
	 * booking's page gets the intent's client secret from POST
	 * /api/bookings/:id/payment-check (never in a URL). Without it the
	 * booking waits for the staff, unpaid. */
	nb.requires_payment = pay;
	nb.hold_minutes = pay ? settings.pending_hold_minutes : 0;
	if (!booking_money_book(f->st, &nb, &settings, account_now_ms(), &booking, NULL, token, secret,
				sizeof secret, &setup, &e)) {
		if (e.status >= 500 || e.status == 402)
			field_error(f, "form", "Le paiement en ligne est momentanément indisponible : "
				    "votre réservation n’a pas été enregistrée. Réessayez dans un instant.");
		domain_error(f, &e);
		if (strcmp(e.field, "startTime") == 0 || strcmp(e.field, "date") == 0 ||
		    strcmp(e.field, "numberOfPeople") == 0)
			field_error(f, "form", "Ce créneau vient d’être réservé : choisissez un autre horaire.");
		return false;
	}
	if (!f->me)
		throttle_hit(THROTTLE_GUEST_BOOKING, THROTTLE_IP, http_client_ip(f->req));
	if (f->me)
		buf_printf(&url, "/dashboard/reservations/%s?new=1", doc_str(&booking, "confirmationNumber"));
	else
		buf_printf(&url, "/reservation/%s?token=%s&new=1", doc_str(&booking, "confirmationNumber"), token);
	bson_destroy(&booking);
	http_redirect(f->req, 303, url.data);
	buf_free(&url);
	return true;
}

static bool (*const step_checks[STEP_SUMMARY])(struct funnel *) = {
	step_space, step_type, step_date, step_time, step_services, step_contact,
};

void site_booking(struct http_req *req)
{
	struct funnel *f = calloc(1, sizeof *f);
	store_error_t se = { 0 };
	enum step step = STEP_SPACE;
	const char *asked = http_query(req, "step");
	int status = 200;

	if (!f) {
		page_error(req, 500);
		return;
	}
	f->req = req;
	f->me = auth_session(req);
	f->errors = json_object_new_object();
	f->rq.start_min = f->rq.end_min = -1;
	if (!(f->st = conn_store(&se)) || !load_spaces(f, &se) || !booking_hours_load(f->st, &f->hours, &se)) {
		log_error("booking funnel: %s", se.message);
		page_error(req, 503);
		goto done;
	}
	f->hours_loaded = true;
	/* the first step whose fields are missing or wrong */
	while (step < STEP_SUMMARY && step_checks[step](f))
		step++;
	/* a "Modifier" link goes back to an earlier step, keeping the rest */
	for (int i = 0; asked && i < (int)step; i++)
		if (strcmp(asked, step_names[i]) == 0 && json_object_object_length(f->errors) == 0) {
			step = (enum step)i;
			break;
		}
	if (step == STEP_SUMMARY && req->method == HTTP_POST && given(f, "book")) {
		if (!given(f, "terms"))
			field_error(f, "terms", "Acceptez les conditions pour réserver.");
		else if (book(f))
			goto done;
		status = 422;
	}
	if (json_object_object_length(f->errors) > 0 && status == 200)
		status = 422;
	render(f, step, status);
done:
	if (f->hours_loaded)
		booking_hours_free(&f->hours);
	json_object_put(f->errors);
	free(f);
}
