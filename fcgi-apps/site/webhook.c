/*
 * webhook.c — the site's Stripe webhook: the signature first, then the
 * event recorded once and handed to the handler of its type.
 *
 * The table below is where each event type gets its meaning: the booking
 * module's handlers (booking/money.h) move bookings and `payments` (SPEC
 * §7: hold authorised, captured, failed, released, refunded), reading the
 * intent from Stripe; checkout.session.* are paid event tickets
 * (content/registration.h: completed confirms the registration, expired
 * frees its seat); the others only record the event, so a replay later
 * is recognised.
 */
#include "booking/money.h"
#include "conn/conn.h"
#include "content/registration.h"
#include "core/config.h"
#include "core/log.h"
#include "payment/webhook.h"
#include "webhook.h"

#include <time.h>

static const struct payment_event_handler site_payment_events[] = {
	/* the card hold (SPEC §7 Lifecycle 2, 5, 6) */
	{ "payment_intent.amount_capturable_updated", booking_money_on_intent_event },
	{ "payment_intent.succeeded", booking_money_on_intent_event },
	{ "payment_intent.payment_failed", booking_money_on_intent_event },
	{ "payment_intent.canceled", booking_money_on_intent_event },
	{ "payment_intent.requires_action", payment_event_record_only },
	/* a card saved for a hold placed later (holdLeadDays) */
	{ "setup_intent.succeeded", booking_money_on_setup_event },
	{ "setup_intent.setup_failed", booking_money_on_setup_event },
	/* money given back */
	{ "charge.refunded", booking_money_on_charge_event },
	/* paid event tickets (SPEC §8) */
	{ "checkout.session.completed", event_on_checkout_completed },
	{ "checkout.session.expired", event_on_checkout_expired },
	{ "checkout.session.async_payment_succeeded", event_on_checkout_completed },
	{ "checkout.session.async_payment_failed", payment_event_record_only },
};

void site_stripe_webhook(struct http_req *req)
{
	const char *header = http_header(req, "Stripe-Signature");
	const char *why = NULL;
	enum payment_webhook_outcome outcome;
	store_error_t se = { 0 };
	struct err e = { 0 };
	json_object *o;
	store_t *st;

	if (!cfg->stripe_webhook_secret || !*cfg->stripe_webhook_secret) {
		log_warn("stripe webhook: STRIPE_WEBHOOK_SECRET is not set; delivery refused");
		http_error(req, 503, "payments_unavailable", "Payments are not configured.");
		return;
	}
	if (!payment_signature_verify(header, req->body ? req->body : "", req->body_len,
				      cfg->stripe_webhook_secret, (int64_t)time(NULL),
				      PAYMENT_SIGNATURE_TOLERANCE_S, &why)) {
		log_warn("stripe webhook: refused a delivery (%s signature)",
			 header ? why : "no");
		http_error(req, 400, "bad_signature", "The Stripe-Signature header does not verify.");
		return;
	}
	if (!(st = conn_store(&se))) {
		store_fail(&e, "stripe webhook: store", &se);
		http_send_err(req, &e);
		return;
	}
	if (!payment_webhook_process(st, req->body, req->body_len, site_payment_events,
				     sizeof site_payment_events / sizeof *site_payment_events,
				     &outcome, &e)) {
		http_send_err(req, &e);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "received", json_object_new_boolean(1));
	if (outcome == PAYMENT_WEBHOOK_DUPLICATE)
		json_object_object_add(o, "duplicate", json_object_new_boolean(1));
	http_send_json(req, 200, o);
}
