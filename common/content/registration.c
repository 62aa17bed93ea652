/*
 * registration.c — registrations, seats under unique keys, paid tickets
 * through Stripe Checkout, confirmation and cancellation mails
 * (registration.h).
 */
#include "content/registration.h"
#include "content/form.h"
#include "content/event.h"
#include "account/account.h"
#include "booking/calendar.h"
#include "booking/ics.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/crypto.h"
#include "core/doc.h"
#include "core/log.h"
#include "core/text.h"
#include "core/money.h"
#include "mail/mail.h"
#include "payment/stripe.h"

#include <stdlib.h>
#include <string.h>

#define REGS "eventregistrations"
#define SEATS "eventseats"

bool event_reg_check(const struct event_reg_input *in, struct err *e)
{
	char email[ACCOUNT_EMAIL_MAX + 1];

	if (text_blank(in->first_name))
		return err_set(e, 400, "validation_failed", "firstName", "Indiquez votre prénom.");
	if (buf_utf8_chars(in->first_name, strlen(in->first_name)) > EVENT_NAME_MAX)
		return err_set(e, 400, "validation_failed", "firstName", "Votre prénom est trop long (%d caractères au plus).", EVENT_NAME_MAX);
	if (text_blank(in->last_name))
		return err_set(e, 400, "validation_failed", "lastName", "Indiquez votre nom.");
	if (buf_utf8_chars(in->last_name, strlen(in->last_name)) > EVENT_NAME_MAX)
		return err_set(e, 400, "validation_failed", "lastName", "Votre nom est trop long (%d caractères au plus).", EVENT_NAME_MAX);
	if (text_blank(in->email) || !account_email_normalise(in->email, strlen(in->email), email, sizeof email))
		return err_set(e, 400, "validation_failed", "email", "Indiquez une adresse e-mail valide (nom@exemple.fr).");
	if (!content_phone_check(in->phone, 30, e))
		return false;
	if (in->message && buf_utf8_chars(in->message, strlen(in->message)) > EVENT_MESSAGE_MAX)
		return err_set(e, 400, "validation_failed", "message", "Votre message est trop long (%d caractères au plus).", EVENT_MESSAGE_MAX);
	return true;
}

/* ---- seats ------------------------------------------------------------------ */

static void seat_key(const bson_oid_t *ev, int n, char *out, size_t outlen)
{
	char hex[25];
	bson_oid_to_string(ev, hex);
	(void)buf_fmt(out, outlen, "%s|%04d", hex, n);
}

bool event_seats_taken(store_t *st, const bson_oid_t *event, int64_t now, int64_t *taken,
		       store_error_t *se)
{
	bson_t f = BSON_INITIALIZER, sub;
	int64_t all = 0, expired = 0;
	bool ok;

	BSON_APPEND_OID(&f, "event", event);
	ok = store_count(st, SEATS, &f, &all, se);
	if (ok && all > 0) {
		BSON_APPEND_DOCUMENT_BEGIN(&f, "expiresAt", &sub);
		BSON_APPEND_DATE_TIME(&sub, "$lte", now);
		bson_append_document_end(&f, &sub);
		ok = store_count(st, SEATS, &f, &expired, se);
	}
	bson_destroy(&f);
	*taken = all - expired;
	return ok;
}

static bool release_seats(store_t *st, const bson_oid_t *reg, store_error_t *se)
{
	bson_t f = BSON_INITIALIZER;
	bool ok;
	BSON_APPEND_OID(&f, "registration", reg);
	ok = store_delete_many(st, SEATS, &f, NULL, se);
	bson_destroy(&f);
	return ok;
}

/* Moves registration `id` from one of `from` (NULL-terminated) to status
 * `to` with the extra fields of `set` (may be NULL); *moved says whether
 * it did; `before` (may be NULL) gets the document before. */
static bool reg_move(store_t *st, const bson_oid_t *id, const char *const *from, const char *to,
		     const bson_t *set, int64_t now, bool *moved, bson_t *before, store_error_t *se)
{
	bson_t f = BSON_INITIALIZER, upd = BSON_INITIALIZER, in, arr, s, out;
	store_fam_opts_t o = { 0 };
	bool ok, found = false;
	char k[8];

	BSON_APPEND_OID(&f, "_id", id);
	BSON_APPEND_DOCUMENT_BEGIN(&f, "status", &in);
	BSON_APPEND_ARRAY_BEGIN(&in, "$in", &arr);
	for (int i = 0; from[i]; i++) {
		(void)buf_fmt(k, sizeof k, "%d", i);
		BSON_APPEND_UTF8(&arr, k, from[i]);
	}
	bson_append_array_end(&in, &arr);
	bson_append_document_end(&f, &in);
	BSON_APPEND_DOCUMENT_BEGIN(&upd, "$set", &s);
	BSON_APPEND_UTF8(&s, "status", to);
	BSON_APPEND_DATE_TIME(&s, "updatedAt", now);
	if (set)
		bson_concat(&s, set);
	bson_append_document_end(&upd, &s);
	ok = store_find_one_and_update(st, REGS, &f, &upd, &o, &out, &found, se);
	bson_destroy(&f);
	bson_destroy(&upd);
	*moved = ok && found;
	if (ok && found && before)
		bson_copy_to(&out, before);
	if (ok)
		bson_destroy(&out);
	return ok;
}

/* Whether the claim `key` is in nobody's way any more (its hold passed,
 * or its registration is gone, cancelled or never finished for a
 * minute), in which case it is deleted; *gone says the key is free. */
static bool clear_stale(store_t *st, const char *key, int64_t now, bool *gone, store_error_t *se)
{
	bson_t f = BSON_INITIALIZER, doc;
	bool found = false, ok = false, stale = false;
	bson_oid_t holder;

	*gone = false;
	BSON_APPEND_UTF8(&f, "_id", key);
	if (!store_find_one(st, SEATS, &f, NULL, &doc, &found, se))
		goto done;
	if (!found) {
		*gone = true;
		ok = true;
		goto done;
	}
	if (!doc_oid(&doc, "registration", &holder)) {
		ok = true;
		goto done;
	}
	if (doc_date(&doc, "expiresAt", INT64_MAX) <= now) {
		stale = true;
	} else if (doc_date(&doc, "createdAt", now) < now - EVENT_SEAT_ORPHAN_MS) {
		bson_t rf = BSON_INITIALIZER, reg;
		bool rfound = false;
		BSON_APPEND_OID(&rf, "_id", &holder);
		ok = store_find_one(st, REGS, &rf, NULL, &reg, &rfound, se);
		bson_destroy(&rf);
		if (!ok)
			goto done;
		ok = false;
		const char *status = rfound ? doc_str(&reg, "status") : NULL;
		stale = !rfound || !status || strcmp(status, "cancelled") == 0 || strcmp(status, "pending") == 0;
		bson_destroy(&reg);
	}
	if (stale) {
		int64_t deleted = 0;
		static const char *const awaiting[] = { "awaiting_payment", "pending", NULL };
		bson_t set = BSON_INITIALIZER;
		bool moved;
		BSON_APPEND_OID(&f, "registration", &holder);
		if (!store_delete_one(st, SEATS, &f, &deleted, se))
			goto done;
		/* the registration that held it lost its seat */
		BSON_APPEND_UTF8(&set, "cancelReason", "hold_expired");
		BSON_APPEND_DATE_TIME(&set, "cancelledAt", now);
		ok = reg_move(st, &holder, awaiting, "cancelled", &set, now, &moved, NULL, se);
		bson_destroy(&set);
		if (!ok)
			goto done;
		log_info("event: took over the stale seat %s", key);
		*gone = true;
	}
	ok = true;
done:
	if (found || ok)
		bson_destroy(&doc);
	bson_destroy(&f);
	return ok;
}

/* Takes one seat of `event` (capacity `cap`) for `reg`: 409 event_full
 * when every seat is held. */
static bool take_seat(store_t *st, const bson_oid_t *event, int cap, const bson_oid_t *reg,
		      int64_t expires_at, int64_t now, struct err *e)
{
	unsigned char rnd[2] = { 0, 0 };
	store_error_t se = { 0 };
	int start, tried = 0, attempts = 0;

	if (cap < 1)
		return err_set(e, 409, "event_full", NULL, "Cet événement est complet.");
	(void)crypto_random(rnd, sizeof rnd);
	start = ((rnd[0] << 8) | rnd[1]) % cap;
	while (tried < cap) {
		char key[48];
		bson_t doc = BSON_INITIALIZER;
		bool ok, gone = false;

		if (++attempts > cap * 4 + 16)
			break;
		seat_key(event, (start + tried) % cap, key, sizeof key);
		BSON_APPEND_UTF8(&doc, "_id", key);
		BSON_APPEND_OID(&doc, "event", event);
		BSON_APPEND_OID(&doc, "registration", reg);
		if (expires_at > 0)
			BSON_APPEND_DATE_TIME(&doc, "expiresAt", expires_at);
		BSON_APPEND_DATE_TIME(&doc, "createdAt", now);
		ok = store_insert_one(st, SEATS, &doc, NULL, &se);
		bson_destroy(&doc);
		if (ok)
			return true;
		if (se.code != STORE_ERR_DUPLICATE_KEY)
			return store_fail(e, "event: take seat", &se);
		if (!clear_stale(st, key, now, &gone, &se))
			return store_fail(e, "event: stale seat", &se);
		if (!gone)
			tried++;
	}
	return err_set(e, 409, "event_full", NULL, "Cet événement est complet : il ne reste plus de place.");
}

void event_refresh_count(store_t *st, const bson_oid_t *event, int64_t now)
{
	int64_t taken = 0;
	store_error_t se = { 0 };
	bson_t f = BSON_INITIALIZER, u = BSON_INITIALIZER, s;

	if (!event_seats_taken(st, event, now, &taken, &se)) {
		log_warn("event: count seats: %s", se.message);
		return;
	}
	BSON_APPEND_OID(&f, "_id", event);
	BSON_APPEND_DOCUMENT_BEGIN(&u, "$set", &s);
	BSON_APPEND_INT64(&s, "currentParticipants", taken);
	bson_append_document_end(&u, &s);
	if (!store_update_one(st, "events", &f, &u, false, NULL, &se))
		log_warn("event: currentParticipants: %s", se.message);
	bson_destroy(&f);
	bson_destroy(&u);
}

/* ---- mails -------------------------------------------------------------------- */

static void add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v ? v : ""));
}

/* Mails `template` about registration `reg` of event `ev`, with the
 * invitation (.ics; METHOD:CANCEL when `cancel`) and, when `token` is
 * given, the cancellation link. */
static void reg_mail(store_t *st, const char *template, const bson_t *ev, const bson_t *reg,
		     const char *token, bool cancel, int64_t now)
{
	json_object *vars = json_object_new_object();
	char label[96], rid[25], uid[80];
	struct buf link = { 0 }, page = { 0 }, who = { 0 };
	store_error_t se = { 0 };
	bson_oid_t id;
	int64_t day = 0;
	int a = 0, b = 0;
	char *ics = NULL;
	const char *email = doc_str(reg, "email");

	if (!email || !doc_oid(reg, "_id", &id)) {
		json_object_put(vars);
		return;
	}
	bson_oid_to_string(&id, rid);
	add_str(vars, "firstName", doc_str(reg, "firstName"));
	add_str(vars, "title", doc_str(ev, "title"));
	event_date_label(doc_str(ev, "date"), label, sizeof label);
	add_str(vars, "dateLabel", label);
	(void)buf_fmt(label, sizeof label, "%.5s – %.5s", doc_str(ev, "startTime") ? doc_str(ev, "startTime") : "",
		      doc_str(ev, "endTime") ? doc_str(ev, "endTime") : "");
	add_str(vars, "timeLabel", label);
	add_str(vars, "location", doc_str(ev, "location"));
	if (doc_int(reg, "amountCents", 0) > 0) {
		money_format(doc_int(reg, "amountCents", 0), MONEY_SHORT, label, sizeof label);
		add_str(vars, "amount", label);
	}
	buf_printf(&page, "%s/events/%s", cfg->site_url, doc_str(ev, "slug") ? doc_str(ev, "slug") : "");
	add_str(vars, "eventLink", page.data);
	if (token) {
		buf_printf(&link, "%s/events/%s/annulation?r=%s&token=%s", cfg->site_url,
			   doc_str(ev, "slug") ? doc_str(ev, "slug") : "", rid, token);
		add_str(vars, "cancelLink", link.data);
	}
	add_str(vars, "contactEmail", cfg->contact_email);

	booking_parse_date(doc_str(ev, "date") ? doc_str(ev, "date") : "", &day);
	booking_parse_time(doc_str(ev, "startTime") ? doc_str(ev, "startTime") : "", false, &a);
	booking_parse_time(doc_str(ev, "endTime") ? doc_str(ev, "endTime") : "", true, &b);
	(void)buf_fmt(uid, sizeof uid, "event-registration-%s@%s", rid, BOOKING_ICS_DOMAIN);
	buf_printf(&who, "%s %s", doc_str(reg, "firstName") ? doc_str(reg, "firstName") : "",
		   doc_str(reg, "lastName") ? doc_str(reg, "lastName") : "");
	struct booking_ics ic = {
		.uid = uid, .sequence = cancel ? 1 : 0, .cancel = cancel, .confirmed = !cancel,
		.start_day = day, .end_day = day, .start_min = a, .end_min = b, .stamp_ms = now,
		.summary = doc_str(ev, "title") ? doc_str(ev, "title") : "Événement",
		.description = page.data,
		.organizer_name = "CoworKing Café", .organizer_email = cfg->contact_email,
		.attendee_name = who.data, .attendee_email = email,
	};
	ics = booking_ics_new(&ic);
	struct mail_attachment att = {
		.filename = "evenement.ics",
		.content_type = cancel ? "text/calendar; charset=UTF-8; method=CANCEL"
				       : "text/calendar; charset=UTF-8; method=REQUEST",
		.data = (const unsigned char *)ics, .len = ics ? strlen(ics) : 0,
	};
	if (!mail_enqueue_with(st, template, email, vars, &att, ics ? 1 : 0, &se))
		log_error("event mail %s: %s", template, se.message);
	free(ics);
	json_object_put(vars);
	buf_free(&link);
	buf_free(&page);
	buf_free(&who);
}

/* Confirms registration `id` (from `from`), with a new cancellation token,
 * and mails it. *moved says whether this call confirmed it. */
static bool confirm(store_t *st, const bson_t *ev, const bson_oid_t *id, const char *const *from,
		    const bson_t *extra, int64_t now, bool *moved, struct err *e)
{
	char raw[ACCOUNT_TOKEN_HEX + 1], hash[65];
	bson_t set = BSON_INITIALIZER, before, f = BSON_INITIALIZER, reg;
	store_error_t se = { 0 };
	bool ok, found = false;

	if (!account_new_token(raw, hash)) {
		bson_destroy(&set);
		return err_set(e, 500, "internal", NULL, "No randomness.");
	}
	BSON_APPEND_UTF8(&set, "cancelTokenHash", hash);
	BSON_APPEND_DATE_TIME(&set, "confirmedAt", now);
	if (extra)
		bson_concat(&set, extra);
	ok = reg_move(st, id, from, "confirmed", &set, now, moved, &before, &se);
	bson_destroy(&set);
	if (!ok)
		return store_fail(e, "event: confirm", &se);
	if (!*moved)
		return true;
	bson_destroy(&before);
	BSON_APPEND_OID(&f, "_id", id);
	ok = store_find_one(st, REGS, &f, NULL, &reg, &found, &se);
	bson_destroy(&f);
	if (ok && found)
		reg_mail(st, "event_registered", ev, &reg, raw, false, now);
	if (ok)
		bson_destroy(&reg);
	return true;
}

/* ---- registering -------------------------------------------------------------- */

static bool delete_reg(store_t *st, const bson_oid_t *id, store_error_t *se)
{
	bson_t f = BSON_INITIALIZER;
	bool ok;
	BSON_APPEND_OID(&f, "_id", id);
	ok = store_delete_one(st, REGS, &f, NULL, se);
	bson_destroy(&f);
	return ok;
}

/* Inserts the registration; a cancelled one of the same address is
 * replaced; 409 already_registered for a live one. */
static bool insert_reg(store_t *st, const bson_t *doc, const bson_oid_t *event, const char *email,
		       bool paid, struct err *e)
{
	store_error_t se = { 0 };

	for (int attempt = 0; attempt < 3; attempt++) {
		bson_t f = BSON_INITIALIZER, old;
		bool found = false;
		char status[24] = "";

		if (store_insert_one(st, REGS, doc, NULL, &se))
			return true;
		if (se.code != STORE_ERR_DUPLICATE_KEY)
			return store_fail(e, "event: registration", &se);
		BSON_APPEND_OID(&f, "eventId", event);
		BSON_APPEND_UTF8(&f, "email", email);
		if (!store_find_one(st, REGS, &f, NULL, &old, &found, &se)) {
			bson_destroy(&f);
			return store_fail(e, "event: registration", &se);
		}
		if (found && doc_str(&old, "status"))
			(void)buf_fmt(status, sizeof status, "%s", doc_str(&old, "status"));
		if (found && strcmp(status, "cancelled") == 0) {
			/* a cancelled one makes way (filtered on its status: a
			 * concurrent revival is not deleted) */
			BSON_APPEND_UTF8(&f, "status", "cancelled");
			if (!store_delete_one(st, REGS, &f, NULL, &se)) {
				bson_destroy(&f);
				bson_destroy(&old);
				return store_fail(e, "event: registration", &se);
			}
			bson_destroy(&f);
			bson_destroy(&old);
			continue;
		}
		bson_destroy(&f);
		bson_destroy(&old);
		if (found && strcmp(status, "awaiting_payment") == 0 && paid)
			return err_set(e, 409, "already_registered", "email",
				       "Un paiement est déjà en cours pour cette adresse ; sans paiement, la place est libérée au bout de 30 minutes.");
		if (found)
			return err_set(e, 409, "already_registered", "email", "Cette adresse e-mail est déjà inscrite à cet événement.");
	}
	return err_set(e, 409, "already_registered", "email", "Cette adresse e-mail est déjà inscrite à cet événement.");
}

bool event_register(store_t *st, int64_t now, const char *slug, const struct event_reg_input *in,
		    struct event_reg_result *out, struct err *e)
{
	char email[ACCOUNT_EMAIL_MAX + 1], date[11];
	bson_t ev, doc = BSON_INITIALIZER;
	store_error_t se = { 0 };
	bool found = false, ok = false, inserted = false, seated = false, paid;
	bson_oid_t eid, rid;
	int64_t cents, taken = 0, today, hold_until = 0;
	int minute, cap;
	const char *status, *rt, *pt;

	memset(out, 0, sizeof *out);
	if (!event_reg_check(in, e))
		return false;
	account_email_normalise(in->email, strlen(in->email), email, sizeof email);
	if (!event_find(st, NULL, slug, &ev, &found, &se))
		return store_fail(e, "event", &se);
	status = doc_str(&ev, "status");
	if (!found || !status || strcmp(status, "published") != 0 || doc_date(&ev, "endsAt", 0) <= now ||
	    !doc_oid(&ev, "_id", &eid)) {
		bson_destroy(&ev);
		return err_set(e, 404, "not_found", NULL, "Cet événement n’existe pas ou n’est plus à venir.");
	}
	rt = doc_str(&ev, "registrationType");
	if (rt && strcmp(rt, "external") == 0) {
		err_set(e, 400, "registration_closed", NULL, "Les inscriptions à cet événement se font chez l’organisateur.");
		goto done;
	}
	if (doc_date(&ev, "startsAt", 0) <= now) {
		err_set(e, 400, "registration_closed", NULL, "Cet événement a déjà commencé : les inscriptions sont closes.");
		goto done;
	}
	cap = (int)doc_int(&ev, "maxParticipants", 0);
	cents = doc_int(&ev, "priceCents", 0);
	pt = doc_str(&ev, "priceType");
	paid = pt && strcmp(pt, "fixed") == 0 && cents > 0;
	/* the quick answer when it is full already; the seat claim decides */
	if (!event_seats_taken(st, &eid, now, &taken, &se)) {
		store_fail(e, "event seats", &se);
		goto done;
	}
	if (taken >= cap) {
		err_set(e, 409, "event_full", NULL, "Cet événement est complet : il ne reste plus de place.");
		goto done;
	}
	if (paid && !stripe_client(e)) {
		err_set(e, 503, "payments_unavailable", NULL,
			"Le paiement en ligne n’est pas disponible pour le moment : réessayez plus tard ou écrivez-nous.");
		goto done;
	}

	booking_paris_local(now, &today, &minute);
	booking_format_date(today, date);
	bson_oid_init(&rid, NULL);
	BSON_APPEND_OID(&doc, "_id", &rid);
	BSON_APPEND_OID(&doc, "eventId", &eid);
	BSON_APPEND_UTF8(&doc, "firstName", in->first_name);
	BSON_APPEND_UTF8(&doc, "lastName", in->last_name);
	BSON_APPEND_UTF8(&doc, "email", email);
	BSON_APPEND_UTF8(&doc, "phone", in->phone ? in->phone : "");
	BSON_APPEND_UTF8(&doc, "message", in->message ? in->message : "");
	BSON_APPEND_UTF8(&doc, "status", paid ? "awaiting_payment" : "pending");
	BSON_APPEND_UTF8(&doc, "registeredAt", date);
	if (paid)
		BSON_APPEND_INT64(&doc, "amountCents", cents);
	BSON_APPEND_DATE_TIME(&doc, "createdAt", now);
	BSON_APPEND_DATE_TIME(&doc, "updatedAt", now);
	if (!insert_reg(st, &doc, &eid, email, paid, e))
		goto done;
	inserted = true;
	if (paid)
		hold_until = now + EVENT_HOLD_MS;
	if (!take_seat(st, &eid, cap, &rid, hold_until, now, e))
		goto undo;
	seated = true;
	bson_oid_to_string(&rid, out->id);

	if (!paid) {
		static const char *const from[] = { "pending", NULL };
		bool moved = false;
		if (!confirm(st, &ev, &rid, from, NULL, now, &moved, e))
			goto undo;
		if (!moved) {
			/* a seat taker thought it an orphan: only after a minute */
			err_set(e, 409, "event_full", NULL, "Cet événement est complet : il ne reste plus de place.");
			goto undo;
		}
	} else {
		stripe_t *s = stripe_client(e);
		char eidhex[25], purpose[96];
		struct buf ok_url = { 0 }, back_url = { 0 };
		json_object *cs = NULL;
		struct stripe_kv md[] = { { "kind", "event" }, { "registrationId", out->id }, { "eventId", eidhex } };
		bson_oid_to_string(&eid, eidhex);
		buf_printf(&ok_url, "%s/events/%s/merci?paiement=1", cfg->site_url, slug);
		buf_printf(&back_url, "%s/events/%s", cfg->site_url, slug);
		struct stripe_checkout co = {
			.name = doc_str(&ev, "title"), .unit_amount = cents, .quantity = 1,
			.success_url = ok_url.data, .cancel_url = back_url.data,
			.customer_email = email, .client_reference_id = out->id,
			.metadata = md, .nmetadata = 3,
			.expires_at = hold_until / 1000 + EVENT_STRIPE_MARGIN_S,
		};
		(void)buf_fmt(purpose, sizeof purpose, "event-registration/%s/checkout", out->id);
		bool made = s && stripe_checkout_session_create(s, &co, purpose, &cs, e);
		buf_free(&ok_url);
		buf_free(&back_url);
		if (!made) {
			if (e->status >= 500)
				err_set(e, e->status, e->code, NULL,
					"Le paiement en ligne ne répond pas : votre place n’est pas retenue, réessayez dans un instant.");
			goto undo;
		}
		const char *url = stripe_str(cs, "url"), *csid = stripe_str(cs, "id");
		bson_t f = BSON_INITIALIZER, u = BSON_INITIALIZER, set;
		BSON_APPEND_OID(&f, "_id", &rid);
		BSON_APPEND_DOCUMENT_BEGIN(&u, "$set", &set);
		BSON_APPEND_UTF8(&set, "checkoutSessionId", csid ? csid : "");
		BSON_APPEND_DATE_TIME(&set, "holdExpiresAt", hold_until);
		bson_append_document_end(&u, &set);
		if (!store_update_one(st, REGS, &f, &u, false, NULL, &se))
			log_error("event: keep the checkout session: %s", se.message);
		bson_destroy(&f);
		bson_destroy(&u);
		out->paid = true;
		(void)buf_fmt(out->checkout_url, sizeof out->checkout_url, "%s", url ? url : "");
		json_object_put(cs);
	}
	event_refresh_count(st, &eid, now);
	ok = true;
	goto done;
undo:
	if (seated && !release_seats(st, &rid, &se))
		log_error("event: release a seat after a failure: %s", se.message);
	if (inserted && !delete_reg(st, &rid, &se))
		log_error("event: remove a registration after a failure: %s", se.message);
	out->id[0] = '\0';
done:
	bson_destroy(&doc);
	bson_destroy(&ev);
	return ok;
}

/* ---- cancelling ---------------------------------------------------------------- */

bool event_reg_by_token(store_t *st, const char *id, const char *token, bson_t *out, struct err *e)
{
	bson_oid_t oid;
	char hash[65];
	bson_t f = BSON_INITIALIZER;
	store_error_t se = { 0 };
	bool found = false, ok;
	const char *have;

	if (!id || !token || !doc_parse_oid(id, &oid) || !account_token_hash(token, strlen(token), hash))
		return err_set(e, 404, "not_found", NULL, "Ce lien d’annulation n’est pas valable.");
	BSON_APPEND_OID(&f, "_id", &oid);
	ok = store_find_one(st, REGS, &f, NULL, out, &found, &se);
	bson_destroy(&f);
	if (!ok)
		return store_fail(e, "event registration", &se);
	have = found ? doc_str(out, "cancelTokenHash") : NULL;
	if (!have || !crypto_equal(have, strlen(have), hash, strlen(hash))) {
		bson_destroy(out);
		return err_set(e, 404, "not_found", NULL, "Ce lien d’annulation n’est pas valable.");
	}
	return true;
}

/* Gives a paid registration's money back. When Stripe fails it is logged
 * and the registration says `refundStatus: "failed"`; nothing retries it
 * yet (the staff refund it from Stripe's dashboard). */
static void refund(store_t *st, const bson_t *reg, int64_t now)
{
	const char *pi = doc_str(reg, "paymentIntentId");
	char rid[25], purpose[96];
	struct err e = { 0 };
	json_object *out = NULL;
	stripe_t *s;
	bson_oid_t id;
	bson_t f = BSON_INITIALIZER, u = BSON_INITIALIZER, set;
	store_error_t se = { 0 };
	bool ok;

	if (!pi || !*pi || !doc_oid(reg, "_id", &id))
		return;
	bson_oid_to_string(&id, rid);
	(void)buf_fmt(purpose, sizeof purpose, "event-registration/%s/refund", rid);
	struct stripe_kv md[] = { { "kind", "event" }, { "registrationId", rid } };
	s = stripe_client(&e);
	ok = s && stripe_refund_create(s, pi, -1, "requested_by_customer", md, 2, purpose, &out, &e);
	if (!ok)
		log_error("event: refund of registration %s failed: %s", rid, e.message);
	json_object_put(out);
	BSON_APPEND_OID(&f, "_id", &id);
	BSON_APPEND_DOCUMENT_BEGIN(&u, "$set", &set);
	BSON_APPEND_UTF8(&set, "refundStatus", ok ? "refunded" : "failed");
	BSON_APPEND_DATE_TIME(&set, "refundedAt", now);
	bson_append_document_end(&u, &set);
	if (!store_update_one(st, REGS, &f, &u, false, NULL, &se))
		log_error("event: refund status: %s", se.message);
	bson_destroy(&f);
	bson_destroy(&u);
}

bool event_reg_cancel(store_t *st, int64_t now, const bson_oid_t *id, const char *reason,
		      bool *changed, bson_t *before, bson_t *after, struct err *e)
{
	static const char *const live[] = { "confirmed", "awaiting_payment", "pending", NULL };
	bson_t set = BSON_INITIALIZER, old, ev, f = BSON_INITIALIZER;
	store_error_t se = { 0 };
	bool ok, found = false;
	bson_oid_t eid;
	const char *was;

	*changed = false;
	BSON_APPEND_UTF8(&set, "cancelReason", reason);
	BSON_APPEND_DATE_TIME(&set, "cancelledAt", now);
	ok = reg_move(st, id, live, "cancelled", &set, now, changed, &old, &se);
	bson_destroy(&set);
	if (!ok)
		return store_fail(e, "event: cancel registration", &se);
	if (!*changed) {
		BSON_APPEND_OID(&f, "_id", id);
		ok = store_find_one(st, REGS, &f, NULL, &old, &found, &se);
		bson_destroy(&f);
		if (!ok)
			return store_fail(e, "event registration", &se);
		if (!found) {
			bson_destroy(&old);
			return err_set(e, 404, "not_found", NULL, "Cette inscription n’existe pas.");
		}
		if (before)
			bson_copy_to(&old, before);
		if (after)
			bson_copy_to(&old, after);
		bson_destroy(&old);
		return true;
	}
	if (!release_seats(st, id, &se))
		log_error("event: free the seat of a cancelled registration: %s", se.message);
	was = doc_str(&old, "status");
	if (doc_oid(&old, "eventId", &eid)) {
		event_refresh_count(st, &eid, now);
		if (event_find(st, &eid, NULL, &ev, &found, &se)) {
			if (found && was && strcmp(was, "confirmed") == 0) {
				refund(st, &old, now);
				reg_mail(st, strcmp(reason, "event_cancelled") == 0 ? "event_cancelled_by_cafe"
										    : "event_registration_cancelled",
					 &ev, &old, NULL, true, now);
			} else if (found && was && strcmp(was, "awaiting_payment") == 0) {
				/* the Checkout Session must not take money any more */
				const char *csid = doc_str(&old, "checkoutSessionId");
				struct err se2 = { 0 };
				stripe_t *s = csid && *csid ? stripe_client(&se2) : NULL;
				json_object *o = NULL;
				char purpose[96];
				(void)buf_fmt(purpose, sizeof purpose, "event-registration/%s/expire", csid ? csid : "");
				if (s && !stripe_checkout_session_expire(s, csid, purpose, &o, &se2))
					log_warn("event: expire checkout session %s: %s", csid, se2.message);
				json_object_put(o);
			}
			bson_destroy(&ev);
		}
	}
	if (before)
		bson_copy_to(&old, before);
	bson_destroy(&old);
	if (after) {
		BSON_APPEND_OID(&f, "_id", id);
		ok = store_find_one(st, REGS, &f, NULL, after, &found, &se);
		bson_destroy(&f);
		if (!ok) {
			if (before)
				bson_destroy(before);
			return store_fail(e, "event registration", &se);
		}
	} else {
		bson_destroy(&f);
	}
	return true;
}

bool event_cancel_event(store_t *st, int64_t now, const bson_oid_t *id, int *n_cancelled,
			bson_t *before, bson_t *after, struct err *e)
{
	bson_t f = BSON_INITIALIZER, u = BSON_INITIALIZER, set, sub, old;
	store_fam_opts_t o = { 0 };
	store_error_t se = { 0 };
	bool ok, found = false;
	store_cursor_t *cur;
	const bson_t *doc;
	bson_oid_t *ids = NULL;
	size_t n = 0, cap = 0;

	*n_cancelled = 0;
	BSON_APPEND_OID(&f, "_id", id);
	BSON_APPEND_DOCUMENT_BEGIN(&u, "$set", &set);
	BSON_APPEND_UTF8(&set, "status", "cancelled");
	BSON_APPEND_DATE_TIME(&set, "cancelledAt", now);
	BSON_APPEND_DATE_TIME(&set, "updatedAt", now);
	bson_append_document_end(&u, &set);
	BSON_APPEND_DOCUMENT_BEGIN(&f, "status", &sub);
	BSON_APPEND_UTF8(&sub, "$ne", "cancelled");
	bson_append_document_end(&f, &sub);
	ok = store_find_one_and_update(st, "events", &f, &u, &o, &old, &found, &se);
	bson_destroy(&f);
	bson_destroy(&u);
	if (!ok)
		return store_fail(e, "event cancel", &se);
	bson_destroy(&old);
	if (!event_find(st, id, NULL, &old, &found, &se))
		return store_fail(e, "event", &se);
	if (!found) {
		bson_destroy(&old);
		return err_set(e, 404, "not_found", NULL, "Cet événement n’existe pas.");
	}
	if (before)
		bson_copy_to(&old, before);
	if (after)
		bson_copy_to(&old, after);
	bson_destroy(&old);

	/* every live registration, then each cancelled on its own */
	f = (bson_t)BSON_INITIALIZER;
	BSON_APPEND_OID(&f, "eventId", id);
	BSON_APPEND_DOCUMENT_BEGIN(&f, "status", &sub);
	BSON_APPEND_UTF8(&sub, "$ne", "cancelled");
	bson_append_document_end(&f, &sub);
	cur = store_find(st, REGS, &f, NULL, &se);
	bson_destroy(&f);
	if (!cur)
		goto fail;
	while (store_cursor_next(cur, &doc)) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			ids = realloc(ids, cap * sizeof *ids);
			if (!ids)
				abort();
		}
		if (doc_oid(doc, "_id", &ids[n]))
			n++;
	}
	ok = !store_cursor_error(cur, &se);
	store_cursor_destroy(cur);
	if (!ok)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		bool changed = false;
		if (!event_reg_cancel(st, now, &ids[i], "event_cancelled", &changed, NULL, NULL, e)) {
			free(ids);
			if (before)
				bson_destroy(before);
			if (after)
				bson_destroy(after);
			return false;
		}
		*n_cancelled += changed;
	}
	free(ids);
	return true;
fail:
	free(ids);
	if (before)
		bson_destroy(before);
	if (after)
		bson_destroy(after);
	return store_fail(e, "event registrations", &se);
}

bool event_reg_list(store_t *st, const bson_oid_t *event, const char *status,
		    json_object **items, struct err *e)
{
	bson_t f = BSON_INITIALIZER, sort = BSON_INITIALIZER;
	store_error_t se = { 0 };
	store_cursor_t *cur;
	const bson_t *doc;

	BSON_APPEND_OID(&f, "eventId", event);
	if (status)
		BSON_APPEND_UTF8(&f, "status", status);
	BSON_APPEND_INT32(&sort, "createdAt", -1);
	store_find_opts_t o = { .sort = &sort };
	cur = store_find(st, REGS, &f, &o, &se);
	bson_destroy(&f);
	bson_destroy(&sort);
	if (!cur)
		return store_fail(e, "event registrations", &se);
	*items = json_object_new_array();
	while (store_cursor_next(cur, &doc)) {
		json_object *j = doc_to_json(doc);
		json_object_object_del(j, "cancelTokenHash");
		json_object_array_add(*items, j);
	}
	if (store_cursor_error(cur, &se)) {
		store_cursor_destroy(cur);
		json_object_put(*items);
		*items = NULL;
		return store_fail(e, "event registrations", &se);
	}
	store_cursor_destroy(cur);
	return true;
}

/* ---- Stripe Checkout ------------------------------------------------------------- */

/* The registration a Checkout Session is for; false (and nothing to do)
 * when it is not an event ticket of ours. */
static bool session_reg(const struct payment_event *ev, bson_oid_t *rid)
{
	json_object *md;
	const char *kind = NULL, *id = NULL;

	if (json_object_object_get_ex(ev->object, "metadata", &md)) {
		kind = stripe_str(md, "kind");
		id = stripe_str(md, "registrationId");
	}
	return kind && strcmp(kind, "event") == 0 && id && doc_parse_oid(id, rid);
}

static bool load(store_t *st, const char *coll, const bson_oid_t *id, bson_t *out, bool *found,
		 struct err *e)
{
	bson_t f = BSON_INITIALIZER;
	store_error_t se = { 0 };
	bool ok;
	BSON_APPEND_OID(&f, "_id", id);
	ok = store_find_one(st, coll, &f, NULL, out, found, &se);
	bson_destroy(&f);
	return ok || store_fail(e, coll, &se);
}

bool event_on_checkout_completed(store_t *st, const struct payment_event *pe, struct err *e)
{
	bson_oid_t rid, eid;
	bson_t reg, ev, extra = BSON_INITIALIZER, f = BSON_INITIALIZER, u = BSON_INITIALIZER, s;
	bool found = false, evfound = false, moved = false, ok = false;
	const char *status, *pi = stripe_str(pe->object, "payment_intent"), *ps = stripe_str(pe->object, "payment_status");
	store_error_t se = { 0 };
	int64_t now = account_now_ms(), amount = stripe_int(pe->object, "amount_total", 0);

	if (!session_reg(pe, &rid))
		return true;
	if (!ps || strcmp(ps, "paid") != 0)
		return true;   /* an asynchronous payment: async_payment_succeeded will follow */
	if (!load(st, REGS, &rid, &reg, &found, e))
		return false;
	if (!found || !doc_oid(&reg, "eventId", &eid)) {
		log_warn("event: a paid session for registration that does not exist");
		bson_destroy(&reg);
		return true;
	}
	if (!load(st, "events", &eid, &ev, &evfound, e)) {
		bson_destroy(&reg);
		return false;
	}
	status = doc_str(&reg, "status");
	BSON_APPEND_UTF8(&extra, "paymentIntentId", pi ? pi : "");
	BSON_APPEND_INT64(&extra, "amountPaidCents", amount);
	BSON_APPEND_UTF8(&extra, "paymentStatus", "paid");
	if (status && strcmp(status, "awaiting_payment") == 0) {
		/* the seat is ours for good */
		BSON_APPEND_OID(&f, "registration", &rid);
		BSON_APPEND_DOCUMENT_BEGIN(&u, "$unset", &s);
		BSON_APPEND_UTF8(&s, "expiresAt", "");
		bson_append_document_end(&u, &s);
		store_update_result_t r = { 0 };
		if (!store_update_many(st, SEATS, &f, &u, false, &r, &se)) {
			store_fail(e, "event: keep the seat", &se);
			goto done;
		}
		if (r.matched == 0) {
			/* taken over meanwhile: a seat again, or the money back */
			struct err fe = { 0 };
			if (!take_seat(st, &eid, (int)doc_int(&ev, "maxParticipants", 0), &rid, 0, now, &fe)) {
				if (fe.status != 409) {
					*e = fe;
					goto done;
				}
				goto refund_it;
			}
		}
		static const char *const from[] = { "awaiting_payment", NULL };
		if (!confirm(st, &ev, &rid, from, &extra, now, &moved, e))
			goto done;
		event_refresh_count(st, &eid, now);
		ok = true;
		goto done;
	}
	if (status && strcmp(status, "cancelled") == 0 && !doc_str(&reg, "paymentIntentId")) {
		const char *why = doc_str(&reg, "cancelReason");
		if (why && strcmp(why, "hold_expired") == 0 && evfound &&
		    doc_str(&ev, "status") && strcmp(doc_str(&ev, "status"), "published") == 0) {
			struct err fe = { 0 };
			if (take_seat(st, &eid, (int)doc_int(&ev, "maxParticipants", 0), &rid, 0, now, &fe)) {
				static const char *const from[] = { "cancelled", NULL };
				bson_t un = BSON_INITIALIZER;
				if (!confirm(st, &ev, &rid, from, &extra, now, &moved, e))
					goto done;
				if (!moved && !release_seats(st, &rid, &se))
					log_error("event: release: %s", se.message);
				bson_destroy(&un);
				event_refresh_count(st, &eid, now);
				ok = true;
				goto done;
			}
			if (fe.status != 409) {
				*e = fe;
				goto done;
			}
		}
		goto refund_it;
	}
	ok = true;   /* confirmed already: a repeated event */
	goto done;
refund_it:
	{
		/* paid, but no seat for it: the money goes back */
		bson_t rf = BSON_INITIALIZER, ru = BSON_INITIALIZER, rs, r2;
		bool f2 = false;
		BSON_APPEND_OID(&rf, "_id", &rid);
		BSON_APPEND_DOCUMENT_BEGIN(&ru, "$set", &rs);
		BSON_APPEND_UTF8(&rs, "status", "cancelled");
		BSON_APPEND_UTF8(&rs, "cancelReason", "full_after_payment");
		BSON_APPEND_UTF8(&rs, "paymentIntentId", pi ? pi : "");
		BSON_APPEND_DATE_TIME(&rs, "updatedAt", now);
		bson_append_document_end(&ru, &rs);
		ok = store_update_one(st, REGS, &rf, &ru, false, NULL, &se);
		bson_destroy(&ru);
		if (!ok) {
			bson_destroy(&rf);
			store_fail(e, "event: registration", &se);
			goto done;
		}
		if (store_find_one(st, REGS, &rf, NULL, &r2, &f2, &se)) {
			if (f2)
				refund(st, &r2, now);
			bson_destroy(&r2);
		}
		bson_destroy(&rf);
		log_warn("event: a payment came after its seat was gone; refunded");
		ok = true;
	}
done:
	bson_destroy(&extra);
	bson_destroy(&f);
	bson_destroy(&u);
	bson_destroy(&reg);
	bson_destroy(&ev);
	return ok;
}

bool event_on_checkout_expired(store_t *st, const struct payment_event *pe, struct err *e)
{
	static const char *const from[] = { "awaiting_payment", NULL };
	bson_oid_t rid, eid;
	bson_t set = BSON_INITIALIZER, before;
	store_error_t se = { 0 };
	bool moved = false, ok;
	int64_t now = account_now_ms();

	if (!session_reg(pe, &rid)) {
		bson_destroy(&set);
		return true;
	}
	BSON_APPEND_UTF8(&set, "cancelReason", "payment_expired");
	BSON_APPEND_DATE_TIME(&set, "cancelledAt", now);
	ok = reg_move(st, &rid, from, "cancelled", &set, now, &moved, &before, &se);
	bson_destroy(&set);
	if (!ok)
		return store_fail(e, "event: expire", &se);
	if (!moved)
		return true;
	if (!release_seats(st, &rid, &se)) {
		bson_destroy(&before);
		return store_fail(e, "event: free the seat", &se);
	}
	if (doc_oid(&before, "eventId", &eid))
		event_refresh_count(st, &eid, now);
	bson_destroy(&before);
	return true;
}

bool event_seed_registration(store_t *st, int64_t now, const bson_oid_t *event, int cap,
			     const char *first_name, const char *last_name, const char *email,
			     struct err *e)
{
	bson_t doc = BSON_INITIALIZER;
	bson_oid_t rid;
	char date[11];
	int64_t today;
	int minute;
	store_error_t se = { 0 };

	booking_paris_local(now, &today, &minute);
	booking_format_date(today, date);
	bson_oid_init(&rid, NULL);
	BSON_APPEND_OID(&doc, "_id", &rid);
	BSON_APPEND_OID(&doc, "eventId", event);
	BSON_APPEND_UTF8(&doc, "firstName", first_name);
	BSON_APPEND_UTF8(&doc, "lastName", last_name);
	BSON_APPEND_UTF8(&doc, "email", email);
	BSON_APPEND_UTF8(&doc, "phone", "");
	BSON_APPEND_UTF8(&doc, "message", "");
	BSON_APPEND_UTF8(&doc, "status", "confirmed");
	BSON_APPEND_UTF8(&doc, "registeredAt", date);
	BSON_APPEND_DATE_TIME(&doc, "createdAt", now);
	BSON_APPEND_DATE_TIME(&doc, "updatedAt", now);
	if (!store_insert_one(st, REGS, &doc, NULL, &se)) {
		bson_destroy(&doc);
		if (se.code == STORE_ERR_DUPLICATE_KEY)
			return true;
		return store_fail(e, "event: demo registration", &se);
	}
	bson_destroy(&doc);
	if (!take_seat(st, event, cap, &rid, 0, now, e)) {
		(void)delete_reg(st, &rid, &se);
		return e->status == 409 ? true : false;
	}
	event_refresh_count(st, event, now);
	return true;
}
