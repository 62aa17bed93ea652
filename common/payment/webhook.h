/*
 * webhook.h — Stripe's webhook deliveries (SPEC §7 "Stripe"): the
 * signature, and the intake of an event (recorded once, then dispatched).
 *
 * A delivery is trusted only when its `Stripe-Signature` header
 * (`t=<unix seconds>,v1=<hex>[,v1=<hex>…]`, other schemes ignored) holds
 * an HMAC-SHA256 of "<t>.<raw body>" under STRIPE_WEBHOOK_SECRET, compared
 * in constant time, with `t` within 5 minutes of now; this is checked
 * before a byte of the body is parsed. Several v1 entries are normal: when
 * a secret is rolled, Stripe signs with each live one.
 *
 * Each event is recorded in `stripeevents` ({eventId (unique), type,
 * objectId, status, receivedAt, …}) before it is handled, so a duplicate
 * delivery — even one racing the first — finds the record and changes
 * nothing. A handler that fails removes the record, and the delivery is
 * answered with an error so Stripe delivers it again later. A record left
 * "processing" for PAYMENT_WEBHOOK_STALE_S (the worker died mid-way) is
 * taken over by the next delivery of that event.
 *
 * What an event does is the caller's table of handlers (the app composes
 * it: the booking module's functions go there; see docs/payments.md).
 */
#ifndef CWC_PAYMENT_WEBHOOK_H
#define CWC_PAYMENT_WEBHOOK_H

#include "core/err.h"
#include "store/store.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PAYMENT_SIGNATURE_TOLERANCE_S 300
#define PAYMENT_SIGNATURE_MAX_V1 8
#define PAYMENT_WEBHOOK_STALE_S 300

/* A parsed Stripe-Signature header. */
struct payment_signature {
	int64_t timestamp;                          /* t= */
	uint8_t v1[PAYMENT_SIGNATURE_MAX_V1][32];   /* each v1= decoded */
	size_t nv1;
};

/* Parses `header` (`len` bytes, need not be NUL-terminated): items
 * separated by commas, each `scheme=value`, spaces around items allowed.
 * Exactly one `t` (1 to 12 digits); up to PAYMENT_SIGNATURE_MAX_V1 `v1`
 * of 64 hex digits; any other scheme (v0, a future one) is skipped. False
 * when there is no `t`, two of them, no usable v1, an item without '=',
 * or a v1 that is not 64 hex digits. */
bool payment_signature_parse(const char *header, size_t len, struct payment_signature *out);

/* Whether `header` signs `body` (`len` bytes) with `secret` at a time
 * within `tolerance_s` seconds of `now` (unix seconds). On false, `why`
 * (may be NULL) says which check failed, for the log: "malformed",
 * "stale" or "mismatch". */
bool payment_signature_verify(const char *header, const char *body, size_t len,
			      const char *secret, int64_t now, int64_t tolerance_s,
			      const char **why);

/* The header Stripe would send for `body` at `timestamp` with `secret`
 * ("t=…,v1=…"), into `out` (room for 96 bytes). For tests and tools. */
void payment_signature_make(const char *body, size_t len, const char *secret,
			    int64_t timestamp, char *out, size_t outlen);

/* One event, as a handler sees it. Everything is owned by the intake and
 * lives while the handler runs. */
struct payment_event {
	const char *id;          /* evt_… */
	const char *type;        /* "payment_intent.succeeded"… */
	json_object *event;      /* the whole event */
	json_object *object;     /* data.object: the PaymentIntent, Charge… */
	const char *object_id;   /* data.object.id, or "" */
	int64_t created;         /* unix seconds, Stripe's clock */
};

/* Does what the event means; false with `e` set when it could not (the
 * store is down…): the event is then forgotten and Stripe retries it.
 * Must be idempotent with respect to what it changes outside the
 * event record, and cope with events out of order. */
typedef bool (*payment_event_fn)(store_t *st, const struct payment_event *ev, struct err *e);

struct payment_event_handler {
	const char *type;
	payment_event_fn handle;
};

/* A handler that does nothing: the event is recorded, no more (the seam
 * for what the booking module will do). */
bool payment_event_record_only(store_t *st, const struct payment_event *ev, struct err *e);

enum payment_webhook_outcome {
	PAYMENT_WEBHOOK_HANDLED,     /* recorded and handled */
	PAYMENT_WEBHOOK_UNHANDLED,   /* recorded; no handler for its type */
	PAYMENT_WEBHOOK_DUPLICATE,   /* recorded before: nothing done */
};

/* Takes an event whose signature was verified: parses `body`, records
 * it, runs the handler of its type from `table`. Returns false with `e`
 * set: 400 `bad_event` for a body that is not an event, the store's or
 * the handler's error otherwise. */
bool payment_webhook_process(store_t *st, const char *body, size_t len,
			     const struct payment_event_handler *table, size_t ntable,
			     enum payment_webhook_outcome *outcome, struct err *e);

#endif
