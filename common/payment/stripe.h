/*
 * stripe.h — a client of Stripe's API (SPEC §7 "Stripe"), over libcurl.
 *
 * What it guarantees, whoever calls it:
 *   - requests are form-encoded as Stripe wants them (nested keys written
 *     by the caller: "metadata[bookingId]", "payment_method_types[]"),
 *     authenticated with the secret key as a bearer token, pinned to one
 *     API version (STRIPE_API_VERSION);
 *   - every POST carries an Idempotency-Key derived from what the request
 *     is for (the caller's `purpose`, e.g. "booking/<id>/hold"), never a
 *     random one: the same purpose asked twice — a retry, a second worker,
 *     a job run twice — is the same request to Stripe, so at most one hold,
 *     capture or refund happens. A purpose must therefore name everything
 *     that may differ between two legitimate requests (e.g. the amount of
 *     a fee capture, an attempt number after a declined card): Stripe
 *     refuses one key with other parameters (idempotency_error);
 *   - network errors, 409 (a concurrent request with the key), 429 and
 *     5xx are retried with the same key, a bounded number of times with a
 *     doubling, jittered pause, unless Stripe says `Stripe-Should-Retry:
 *     false`; each attempt has a connect and a total timeout;
 *   - Stripe's errors become our `struct err` (core/err.h), with nothing
 *     internal in the message: a card error is 402 `card_declined` (or
 *     `authentication_required`) with Stripe's message, which Stripe
 *     writes for customers; a request in the wrong state (capture after a
 *     cancel, a refund beyond what was paid) is 409 `payment_conflict`;
 *     our own mistakes (invalid_request_error, idempotency_error, an
 *     unknown object) are 500 `internal`, logged with Stripe's words; a
 *     refused key, an outage, a timeout are 503 `payment_unavailable`,
 *     logged (never the key);
 *   - no key configured: 503 `payments_unavailable` "Payments are not
 *     configured." (development); production refuses to start without the
 *     keys (stripe_config_check()).
 *
 * Amounts are integer cents; the currency is "eur" unless given.
 * Returned objects are Stripe's JSON as json-c objects, owned by the
 * caller (json_object_put()). A stripe_t belongs to one process; open it
 * after fork() (stripe_client() does, lazily).
 */
#ifndef CWC_STRIPE_H
#define CWC_STRIPE_H

#include "core/buf.h"
#include "core/err.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The API version every request asks for (the original system's). */
#define STRIPE_API_VERSION "2025-10-29.clover"

/* ---- form encoding ------------------------------------------------------ */

/* An application/x-www-form-urlencoded body (or query), built in order.
 * Zero-initialise; free with stripe_form_free(). */
struct stripe_form {
	struct buf b;
};

/* Appends key=value, both percent-encoded (RFC 3986 unreserved characters
 * stay as they are; brackets are encoded, Stripe decodes them). A NULL
 * value appends nothing. */
void stripe_form_add(struct stripe_form *f, const char *key, const char *value);
void stripe_form_add_int(struct stripe_form *f, const char *key, int64_t value);
/* "metadata[KEY]=VALUE" for each pair. */
struct stripe_kv {
	const char *key, *value;
};
void stripe_form_add_metadata(struct stripe_form *f, const struct stripe_kv *kv, size_t n);
/* The encoded text ("" when empty); owned by the form. */
const char *stripe_form_text(const struct stripe_form *f);
void stripe_form_free(struct stripe_form *f);

/* The Idempotency-Key for `purpose`: "cwc-" + purpose when it is at most
 * 200 printable ASCII characters without spaces, else "cwc-" + the SHA-256
 * of it in hex. `out` has room for STRIPE_IDEM_KEY_MAX + 1. */
#define STRIPE_IDEM_KEY_MAX 204
void stripe_idempotency_key(const char *purpose, char *out);

/* ---- the client ---------------------------------------------------------- */

struct stripe_options {
	const char *secret_key;       /* required */
	const char *api_base;         /* e.g. "https://api.stripe.com" (no /v1) */
	long connect_timeout_ms;      /* 0: 5000 */
	long timeout_ms;              /* per attempt; 0: 20000 */
	int max_attempts;             /* 0: 3 (the first try and two retries) */
	long backoff_ms;              /* pause before the first retry, doubling; 0: 500 */
};

typedef struct stripe stripe_t;

/* A client with these options (strings copied). NULL with `e` set: 503
 * `payments_unavailable` without a key, 500 for an unusable base URL.
 * Free with stripe_close(). */
stripe_t *stripe_open(const struct stripe_options *o, struct err *e);
void stripe_close(stripe_t *s);

/* The process's client, from the configuration (STRIPE_SECRET_KEY,
 * STRIPE_API_BASE), opened on first use; NULL with `e` set as above.
 * stripe_client_release() closes it (at worker exit). */
stripe_t *stripe_client(struct err *e);
void stripe_client_release(void);

/* What Stripe said about the last failed call of `s` (for callers that
 * act on it, e.g. mail a retry link on "authentication_required"). */
struct stripe_failure {
	long http_status;          /* 0: no answer (network) */
	char type[40];             /* card_error, invalid_request_error… */
	char code[64];             /* card_declined, resource_missing… */
	char decline_code[64];
	char request_id[64];       /* Stripe's Request-Id */
	int attempts;              /* requests sent for that call */
};
const struct stripe_failure *stripe_last_failure(const stripe_t *s);

/* One API call: `method` "GET", "POST" or "DELETE", `path` from "/v1/…".
 * `params` (may be NULL) is the body of a POST, the query of a GET. A POST
 * needs a `purpose` (see the file comment). On success *out is Stripe's
 * JSON object (caller puts it). */
bool stripe_request(stripe_t *s, const char *method, const char *path,
		    const struct stripe_form *params, const char *purpose,
		    json_object **out, struct err *e);

/* ---- operations ---------------------------------------------------------- */

/* The customer with this email (Stripe's list filter, exact), or a new
 * one with the name and phone (may be NULL); the create's purpose is
 * derived from the email. */
bool stripe_customer_find_or_create(stripe_t *s, const char *email, const char *name,
				    const char *phone, json_object **out, struct err *e);

struct stripe_intent {
	int64_t amount;              /* cents, > 0 */
	const char *currency;        /* NULL: "eur" */
	const char *customer;        /* cus_…, or NULL */
	const char *description;     /* or NULL */
	const struct stripe_kv *metadata;
	size_t nmetadata;
	bool automatic_capture;      /* false: capture_method=manual (a hold) */
	/* Off-session from a card saved by a SetupIntent (a merchant-initiated
	 * hold): pm_…, confirmed at once; NULL for a customer-present intent. */
	const char *payment_method;
};

/* PaymentIntents: create (card only), retrieve, capture (`amount` cents;
 * < 0: everything capturable; a partial capture releases the rest),
 * cancel (`reason`: requested_by_customer, duplicate, fraudulent,
 * abandoned, or NULL). An off-session create whose card is declined or
 * needs the customer fails with 402 and stripe_last_failure(). */
bool stripe_payment_intent_create(stripe_t *s, const struct stripe_intent *in,
				  const char *purpose, json_object **out, struct err *e);
/* GET the intent with `expand[]=latest_charge`: its `latest_charge` is the
 * Charge object (or null); read its id with stripe_latest_charge_id(). */
bool stripe_payment_intent_retrieve(stripe_t *s, const char *id, json_object **out,
				    struct err *e);
/* GET /v1/charges/<id>; `*out` is the caller's (json_object_put). */
bool stripe_charge_retrieve(stripe_t *s, const char *id, json_object **out, struct err *e);
bool stripe_payment_intent_capture(stripe_t *s, const char *id, int64_t amount,
				   const char *purpose, json_object **out, struct err *e);
bool stripe_payment_intent_cancel(stripe_t *s, const char *id, const char *reason,
				  const char *purpose, json_object **out, struct err *e);

/* SetupIntents (save a card for an off-session hold later). */
bool stripe_setup_intent_create(stripe_t *s, const char *customer,
				const struct stripe_kv *metadata, size_t nmetadata,
				const char *purpose, json_object **out, struct err *e);
bool stripe_setup_intent_retrieve(stripe_t *s, const char *id, json_object **out,
				  struct err *e);

/* A refund of a PaymentIntent's captured money: `amount` cents (< 0: all
 * that is left), `reason` (requested_by_customer, duplicate, fraudulent,
 * or NULL). */
bool stripe_refund_create(stripe_t *s, const char *payment_intent, int64_t amount,
			  const char *reason, const struct stripe_kv *metadata,
			  size_t nmetadata, const char *purpose, json_object **out,
			  struct err *e);

/* Checkout Sessions (paid event tickets, SPEC §8): one line item. */
struct stripe_checkout {
	const char *name;            /* the product's name on the page */
	int64_t unit_amount;         /* cents */
	int64_t quantity;
	const char *currency;        /* NULL: "eur" */
	const char *success_url, *cancel_url;
	const char *customer_email;  /* or NULL */
	const char *client_reference_id;   /* or NULL */
	const struct stripe_kv *metadata;
	size_t nmetadata;
	int64_t expires_at;          /* unix seconds; 0: Stripe's default (24 h) */
};
bool stripe_checkout_session_create(stripe_t *s, const struct stripe_checkout *in,
				    const char *purpose, json_object **out, struct err *e);
bool stripe_checkout_session_expire(stripe_t *s, const char *id, const char *purpose,
				    json_object **out, struct err *e);

/* ---- configuration --------------------------------------------------------- */

/* In production, every Stripe variable must be set: false with a message
 * naming the missing one in `errbuf`. Always true in development (the
 * client then answers "payments not configured"). */
bool stripe_config_check(char *errbuf, size_t errlen);

/* ---- readers of Stripe objects ----------------------------------------------- */

/* The string member `key` of `o` (NULL when absent or not a string). */
const char *stripe_str(json_object *o, const char *key);
/* The id of `pi`'s latest charge, expanded or not (NULL when none). */
const char *stripe_latest_charge_id(json_object *pi);
/* `payment_method_details.card.capture_before` of a Charge object (Unix
 * seconds: when an uncaptured authorisation lapses), 0 when absent. */
int64_t stripe_capture_before(json_object *charge);
/* The integer member `key` of `o`, or `def`. */
int64_t stripe_int(json_object *o, const char *key, int64_t def);

#endif
