/*
 * notify.c — the booking mails and their invitation. See booking/notify.h.
 *
 * Every mail gets the same values (number, space, when, people, total,
 * link; fee, refund and reason when cancelled or refused; the customer's
 * details for the staff), rendered from common/mail/templates/booking_*.
 */
#include "booking/notify.h"
#include "booking/booking.h"
#include "booking/calendar.h"
#include "booking/catalogue.h"
#include "booking/ics.h"
#include "conn/conn.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/doc.h"
#include "core/log.h"
#include "core/money.h"
#include "mail/mail.h"
#include "mail/transport.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

enum notify_kind {
	N_RECEIVED, N_CONFIRMED, N_REFUSED, N_CANCELLED, N_CHANGED, N_REMINDER, N_THANKS, N_NO_SHOW,
	N_HOLD_PLACED, N_HOLD_ACTION
};

static const char *const templates[] = {
	"booking_received", "booking_confirmed", "booking_refused",
	"booking_cancelled", "booking_changed", "booking_reminder",
	"booking_thanks", "booking_no_show",
	"booking_hold_placed", "booking_hold_action",
};

/* The staff's copy of a kind, to bookingsettings.notificationEmail (NULL:
 * none), with the customer's details and a link to the back office. */
static const char *staff_template(enum notify_kind kind)
{
	switch (kind) {
	case N_RECEIVED: return "booking_staff_new";
	case N_HOLD_ACTION: return "booking_hold_failed_staff";
	default: return NULL;
	}
}

/* Why Stripe refused an off-session hold, in the staff's words. */
static const char *hold_failure_fr(const char *code)
{
	static const struct { const char *code, *text; } words[] = {
		{ "authentication_required", "la banque demande que le titulaire s’authentifie" },
		{ "card_declined", "carte refusée par la banque" },
		{ "insufficient_funds", "provision insuffisante" },
		{ "expired_card", "carte expirée" },
		{ "incorrect_cvc", "code de sécurité refusé" },
	};

	for (size_t i = 0; code && i < sizeof words / sizeof words[0]; i++)
		if (strcmp(code, words[i].code) == 0)
			return words[i].text;
	return "refus de la banque";
}

/* "dimanche 28 mars 2027", "lundi 1er mars 2027" */
static void french_date(struct buf *out, int64_t day)
{
	char s[64];

	booking_format_day_fr(day, true, s, sizeof s);
	buf_str(out, s);
}

/* The booking's local start and end (ics) and its French wording. An
 * hourly booking has its times; a day, week or month runs from the first
 * day's opening to the last day's closing. */
static void booking_when(store_t *st, const bson_t *b, struct booking_ics *ev, struct buf *when)
{
	const char *st_s = doc_str(b, "startTime"), *et_s = doc_str(b, "endTime");
	int64_t day = booking_day_of_ms(doc_date(b, "date", 0));
	int64_t last = doc_date(b, "endDate", 0) ? booking_day_of_ms(doc_date(b, "endDate", 0)) : day;
	int s = 0, e = 0;

	ev->start_day = day;
	ev->end_day = last;
	if (st_s && et_s && booking_parse_time(st_s, false, &s) && booking_parse_time(et_s, true, &e)) {
		ev->start_min = s;
		ev->end_min = e;
		french_date(when, day);
		buf_printf(when, ", de %s à %s", st_s, et_s);
		return;
	}
	struct booking_hours h;
	struct booking_day first = { .open = true, .open_min = 9 * 60, .close_min = 20 * 60 };
	struct booking_day end = first;
	store_error_t se = { 0 };
	if (booking_hours_load(st, &h, &se)) {
		booking_hours_day(&h, day, &first);
		booking_hours_day(&h, last, &end);
		booking_hours_free(&h);
	}
	ev->start_min = first.open ? first.open_min : 9 * 60;
	ev->end_min = end.open ? end.close_min : 20 * 60;
	if (last == day) {
		french_date(when, day);
		buf_str(when, " (journée)");
	} else {
		buf_str(when, "du ");
		french_date(when, day);
		buf_str(when, " au ");
		french_date(when, last);
	}
}

static void add_str(json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, json_object_new_string(v ? v : ""));
}

/* The invitation's SEQUENCE for a mail after the first: `icsSequence` + 1,
 * stored. On a store error, one more than the document says. */
static int next_sequence(store_t *st, const bson_t *b)
{
	bson_t filter = BSON_INITIALIZER, update = BSON_INITIALIZER, inc, out;
	store_fam_opts_t opts = { .return_new = true };
	store_error_t se = { 0 };
	bson_iter_t it;
	bool found = false;
	int seq = (int)doc_int(b, "icsSequence", 0) + 1;

	if (!bson_iter_init_find(&it, b, "_id"))
		return seq;
	BSON_APPEND_VALUE(&filter, "_id", bson_iter_value(&it));
	BSON_APPEND_DOCUMENT_BEGIN(&update, "$inc", &inc);
	BSON_APPEND_INT32(&inc, "icsSequence", 1);
	bson_append_document_end(&update, &inc);
	if (store_find_one_and_update(st, "bookings", &filter, &update, &opts, &out, &found, &se)) {
		if (found)
			seq = (int)doc_int(&out, "icsSequence", seq);
		bson_destroy(&out);
	} else {
		log_error("booking mail: SEQUENCE not stored: %s", se.message);
	}
	bson_destroy(&filter);
	bson_destroy(&update);
	return seq;
}

static bool queue(store_t *st, const char *tpl, const char *to, json_object *vars,
		  const char *ics, bool cancel)
{
	struct mail_attachment a = {
		.filename = "invitation.ics",
		.content_type = cancel ? "text/calendar; charset=UTF-8; method=CANCEL"
				       : "text/calendar; charset=UTF-8; method=REQUEST",
		.data = (const unsigned char *)ics,
		.len = strlen(ics),
	};
	store_error_t se = { 0 };

	if (!mail_enqueue_with(st, tpl, to, vars, &a, 1, &se)) {
		log_error("booking mail %s: %s", tpl, se.message);
		return false;
	}
	return true;
}

/* Queues the mail `kind` about `b`, and the staff's copy when the kind has
 * one; false (logged) when the customer's could not be. `reason`: why a
 * hold failed (N_HOLD_ACTION); cancellations and refusals give the
 * booking's own. */
static bool notify(store_t *st, enum notify_kind kind, const bson_t *b, const char *guest_token,
		   const char *reason, int seq, int64_t now)
{
	struct booking_space space;
	struct booking_settings settings;
	struct booking_ics ev = { 0 };
	struct buf when = { 0 }, link = { 0 }, uid = { 0 }, desc = { 0 };
	store_error_t se = { 0 };
	char org_name[256], org_addr[256], id[25], money[64];
	const char *to = doc_str(b, "contactEmail"), *number = doc_str(b, "confirmationNumber");
	const char *space_type = doc_str(b, "spaceType"), *space_name;
	bool found = false, cancel = kind == N_REFUSED || kind == N_CANCELLED || kind == N_NO_SHOW;
	const char *paid = doc_str(b, "paymentStatus"), *staff_tpl = staff_template(kind);
	bool sent;
	bson_oid_t oid;
	json_object *vars = NULL;
	char *ics = NULL;

	if (!cfg)      /* no configuration (the rules' unit tests): no mail */
		return true;
	if (!to || !number || !space_type || !doc_oid(b, "_id", &oid)) {
		log_error("booking mail %s: the booking lacks its e-mail, number or space",
			  templates[kind]);
		return false;
	}
	bson_oid_to_string(&oid, id);
	space_name = space_type;
	if (booking_space_load(st, space_type, &space, &found, &se) && found && space.name[0])
		space_name = space.name;
	booking_when(st, b, &ev, &when);

	if (guest_token)
		buf_printf(&link, "%s/reservation/%s?token=%s", cfg->site_url, number, guest_token);
	else
		(void)booking_customer_link(st, b, &link);   /* a guest's: a new private link */

	buf_printf(&uid, "%s@%s", id, BOOKING_ICS_DOMAIN);
	buf_printf(&desc, "Réservation %s : %s, %lld personne%s.", number, space_name,
		   (long long)doc_int(b, "numberOfPeople", 1),
		   doc_int(b, "numberOfPeople", 1) > 1 ? "s" : "");
	if (!mail_mailbox_split(cfg->email_from, org_name, sizeof org_name, org_addr,
				sizeof org_addr)) {
		(void)buf_fmt(org_name, sizeof org_name, "CoworKing Café");
		(void)buf_fmt(org_addr, sizeof org_addr, "%s", cfg->contact_email);
	}
	char summary[300];
	(void)buf_fmt(summary, sizeof summary, "CoworKing Café : %s", space_name);
	ev.uid = uid.data;
	ev.sequence = seq;
	ev.cancel = cancel;
	ev.confirmed = strcmp(doc_str(b, "status") ? doc_str(b, "status") : "", "confirmed") == 0;
	ev.stamp_ms = now;
	ev.summary = summary;
	ev.description = desc.data;
	ev.organizer_name = org_name[0] ? org_name : NULL;
	ev.organizer_email = org_addr;
	ev.attendee_name = doc_str(b, "contactName");
	ev.attendee_email = to;
	ics = booking_ics_new(&ev);

	vars = json_object_new_object();
	add_str(vars, "givenName", doc_str(b, "contactName"));
	add_str(vars, "number", number);
	add_str(vars, "space", space_name);
	add_str(vars, "when", when.data);
	json_object_object_add(vars, "people",
			       json_object_new_int64(doc_int(b, "numberOfPeople", 1)));
	money_format(booking_field_cents(b, "totalPrice"), 0, money, sizeof money);
	add_str(vars, "total", money);
	add_str(vars, "link", link.data);
	add_str(vars, "reason", kind == N_CANCELLED || kind == N_REFUSED
				? doc_str(b, "cancelReason") : reason);
	if (kind == N_HOLD_ACTION)
		add_str(vars, "reasonText", hold_failure_fr(reason));
	money_format(doc_int(b, "depositAmount", 0), 0, money, sizeof money);   /* cents */
	add_str(vars, "holdAmount", money);
	json_object_object_add(vars, "holdLater", json_object_new_boolean(
		doc_str(b, "captureMethod") && strcmp(doc_str(b, "captureMethod"), "deferred") == 0));
	/* the thanks: a hold was on the card when the visit was marked (released since) */
	json_object_object_add(vars, "holdReleased", json_object_new_boolean(
		paid && strcmp(paid, "authorized") == 0));
	if (kind == N_NO_SHOW)
		json_object_object_add(vars, "hasFee",
				       json_object_new_boolean(booking_field_cents(b, "cancellationFee") > 0));
	money_format(booking_field_cents(b, "cancellationFee"), 0, money, sizeof money);
	add_str(vars, "fee", money);
	money_format(booking_field_cents(b, "refundAmount"), 0, money, sizeof money);
	add_str(vars, "refund", money);
	sent = queue(st, templates[kind], to, vars, ics, cancel);

	if (staff_tpl && booking_settings_load(st, &settings, &se) && settings.notification_email[0]) {
		struct buf admin = { 0 };
		if (kind == N_RECEIVED)
			buf_printf(&admin, "%s/booking/reservations?status=pending", cfg->admin_url);
		else
			buf_printf(&admin, "%s/booking/reservations/%s", cfg->admin_url, id);
		add_str(vars, "contactName", doc_str(b, "contactName"));
		add_str(vars, "customerEmail", to);
		add_str(vars, "phone", doc_str(b, "contactPhone"));
		add_str(vars, "company", doc_str(b, "companyName"));
		add_str(vars, "requests", doc_str(b, "specialRequests"));
		add_str(vars, "adminLink", admin.data);
		queue(st, staff_tpl, settings.notification_email, vars, ics, false);
		buf_free(&admin);
	}
	json_object_put(vars);
	free(ics);
	buf_free(&when);
	buf_free(&link);
	buf_free(&uid);
	buf_free(&desc);
	return sent;
}

void booking_notify_created(store_t *st, const bson_t *booking, const char *guest_token,
			    int64_t now)
{
	if (cfg)       /* the staff's pages count it again (docs/relay.md "badge") */
		conn_publish_badge(CONN_BADGE_BOOKINGS);
	notify(st, N_RECEIVED, booking, guest_token, NULL, (int)doc_int(booking, "icsSequence", 0), now);
}

void booking_notify_transition(store_t *st, const bson_t *before, const bson_t *after,
			       bool staff, int64_t now)
{
	const char *from = doc_str(before, "status"), *to = doc_str(after, "status");
	enum notify_kind kind;

	if (!from || !to)
		return;
	if (cfg)
		conn_publish_badge(CONN_BADGE_BOOKINGS);
	if (strcmp(to, "confirmed") == 0) {
		kind = N_CONFIRMED;
	} else if (strcmp(to, "cancelled") == 0) {
		/* the hold ran out: the expiry's own mail, not these */
		if (strcmp(from, "pending") == 0 && doc_date(before, "holdExpiresAt", INT64_MAX) <= now)
			return;
		kind = strcmp(from, "pending") == 0 && staff ? N_REFUSED : N_CANCELLED;
	} else if (strcmp(to, "completed") == 0) {
		kind = N_THANKS;
	} else if (strcmp(to, "no-show") == 0) {
		kind = N_NO_SHOW;
	} else {
		return;
	}
	notify(st, kind, after, NULL, NULL, next_sequence(st, after), now);
}

bool booking_notify_reminder(store_t *st, const bson_t *booking, int64_t now)
{
	return notify(st, N_REMINDER, booking, NULL, NULL, (int)doc_int(booking, "icsSequence", 0), now);
}

void booking_notify_changed(store_t *st, const bson_t *after, int64_t now)
{
	notify(st, N_CHANGED, after, NULL, NULL, next_sequence(st, after), now);
}

void booking_notify_hold_placed(store_t *st, const bson_t *booking, int64_t now)
{
	notify(st, N_HOLD_PLACED, booking, NULL, NULL, (int)doc_int(booking, "icsSequence", 0), now);
}

void booking_notify_hold_failed(store_t *st, const bson_t *booking, const char *reason, int64_t now)
{
	notify(st, N_HOLD_ACTION, booking, NULL, reason, (int)doc_int(booking, "icsSequence", 0), now);
}
