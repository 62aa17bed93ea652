/*
 * card.c — the booking funnel's card step, on the booking's own page
 * (reservation.c: the guest link and /dashboard/reservations/:number),
 * where /booking sends the customer once the summary is accepted.
 *
 * With payments configured (STRIPE_SECRET_KEY) a new booking waits for
 * its card until holdExpiresAt. The page first asks Stripe, through the
 * booking module (booking_money_refresh: the intent read back, never the
 * browser's word), what became of the card, then shows either
 *   - the card form: public/booking-card.js loads Stripe.js
 *     (STRIPE_JS_URL) and mounts a Payment Element with the intent's
 *     client secret (a SetupIntent's when the booking is beyond
 *     holdLeadDays), confirms it and comes back to this page, which asks
 *     Stripe again;
 *   - "carte autorisée" (the hold is placed) or "carte enregistrée" (the
 *     card is saved, the hold comes holdLeadDays before the day);
 *   - what to do when the form cannot run: without JavaScript (noscript),
 *     without STRIPE_PUBLIC_KEY, or when Stripe cannot be reached.
 * The amount is the server's hold (depositAmount), with the cancellation
 * policy of the space. Without payments the booking waits for the staff
 * and the page says so (the template's `waitsForStaff`).
 */
#include "account/account.h"
#include "booking/booking.h"
#include "booking/catalogue.h"
#include "booking/money.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/doc.h"
#include "core/log.h"
#include "core/money.h"
#include "web/page.h"
#include "web/page_err.h"
#include "assets.h"
#include "site.h"

#include <string.h>

static void add_str(json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, json_object_new_string(value ? value : ""));
}

json_object *site_booking_policy(store_t *st, const char *space_type)
{
	struct booking_settings s;
	store_error_t se = { 0 };
	const struct booking_policy *p;
	json_object *arr = json_object_new_array();

	if (!booking_settings_load(st, &s, &se))
		booking_settings_defaults(&s);
	p = booking_settings_policy(&s, space_type);
	for (int i = 0; i < p->n; i++) {
		char line[160];
		if (p->days[i] > 0)
			(void)buf_fmt(line, sizeof line, "%d jour%s ou plus avant : %d %% du montant", p->days[i],
				      p->days[i] > 1 ? "s" : "", p->pct[i]);
		else
			(void)buf_fmt(line, sizeof line, "Moins d’un jour avant ou absence : %d %% du montant", p->pct[i]);
		json_object_array_add(arr, json_object_new_string(line));
	}
	return arr;
}

static bool is(const char *a, const char *b)
{
	return a && strcmp(a, b) == 0;
}

/* The French of a card error code, from the one table (web/page_err.h). */
static void add_card_text(json_object *o, const char *key, const char *code)
{
	struct err e = { .status = 402, .code = code };
	char buf[160];

	add_str(o, key, page_err_text(&e, buf, sizeof buf));
}

void site_card_step(struct http_req *req, store_t *st, bson_t *b, const char *page_url, json_object *data)
{
	const char *paid = doc_str(b, "paymentStatus"), *status = doc_str(b, "status");
	bool live = is(status, "pending") || is(status, "confirmed");
	bool waiting = is(paid, "pending") || is(paid, "failed") || is(paid, "action_required");
	json_object *c;
	struct err e = { 0 };
	char s[160], secret[256] = "";

	if (!cfg->stripe_secret_key || !*cfg->stripe_secret_key || !paid || is(paid, "unpaid")) {
		json_object_object_add(data, "waitsForStaff", json_object_new_boolean(is(status, "pending")));
		return;
	}
	if (live && waiting) {
		/* what became of the card: Stripe's word, read now */
		store_error_t se = { 0 };
		bson_t fresh;
		bool found = false;
		if (!booking_money_refresh(st, b, account_now_ms(), &e))
			log_warn("card step %s: %s", doc_str(b, "confirmationNumber"), e.message);
		else if (booking_find(st, doc_str(b, "confirmationNumber"), &fresh, &found, &se) && found) {
			bson_destroy(b);
			bson_copy_to(&fresh, b);
			bson_destroy(&fresh);
		}
		paid = doc_str(b, "paymentStatus");
		status = doc_str(b, "status");
		live = is(status, "pending") || is(status, "confirmed");
		waiting = is(paid, "pending") || is(paid, "failed") || is(paid, "action_required");
	}
	if (!live)   /* cancelled, done: the card has nothing left to say */
		return;
	c = json_object_new_object();
	money_format(doc_int(b, "depositAmount", 0), MONEY_SHORT, s, sizeof s);
	add_str(c, "hold", s);
	json_object_object_add(c, "policy", site_booking_policy(st, doc_str(b, "spaceType")));
	json_object_object_add(c, "authorized", json_object_new_boolean(is(paid, "authorized")));
	json_object_object_add(c, "saved", json_object_new_boolean(is(paid, "card_saved")));
	if (live && waiting && !e.code) {
		int64_t until = doc_date(b, "holdExpiresAt", 0);
		if (until > 0) {
			int64_t day;
			int minute;
			booking_paris_local(until, &day, &minute);
			site_format_time(minute, s, sizeof s);
			add_str(c, "deadline", s);
		}
		json_object_object_add(c, "failed", json_object_new_boolean(is(paid, "failed")));
		json_object_object_add(c, "actionRequired", json_object_new_boolean(is(paid, "action_required")));
		if (!booking_money_client_secret(st, b, account_now_ms(), secret, sizeof secret, &e))
			log_warn("card step %s: %s", doc_str(b, "confirmationNumber"), e.message);
	}
	if (e.code) {
		add_str(c, "unavailable", page_err_text(&e, s, sizeof s));
	} else if (secret[0] && (!cfg->stripe_public_key || !*cfg->stripe_public_key)) {
		add_str(c, "unavailable", "Le paiement en ligne n’est pas disponible pour le moment : "
					  "appelez-nous pour garantir votre réservation.");
	} else if (secret[0]) {
		json_object *f = json_object_new_object();
		add_str(f, "publicKey", cfg->stripe_public_key);
		add_str(f, "clientSecret", secret);
		add_str(f, "intentType", strncmp(secret, "seti_", 5) == 0 ? "setup" : "payment");
		add_str(f, "jsUrl", cfg->stripe_js_url);
		add_str(f, "returnUrl", page_url);
		add_card_text(f, "declinedText", "card_declined");
		add_card_text(f, "authText", "authentication_required");
		add_card_text(f, "unavailableText", "payment_unavailable");
		json_object_object_add(f, "setup", json_object_new_boolean(strncmp(secret, "seti_", 5) == 0));
		json_object_object_add(c, "form", f);
		page_set(data, "script", ASSET_BOOKING_CARD_JS);
	}
	json_object_object_add(data, "cardStep", c);
	(void)req;
}
