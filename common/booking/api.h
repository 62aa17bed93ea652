/*
 * api.h — the bookings' site API (SPEC §7), for customers and guests:
 * the catalogue, hours, services, quotes, availability, creating a
 * booking, the customer's bookings, the fee preview and cancelling.
 *
 * Every price is computed here from the store (booking_price_quote); a
 * price, total or hold sent by a client is never read. A booking is
 * readable by its owner's session, or with its private guest token
 * (`?token=`); anyone else gets 404, as for a booking that does not
 * exist. Errors are SPEC §11's JSON, naming the field and the rule.
 */
#ifndef CWC_BOOKING_API_H
#define CWC_BOOKING_API_H

#include "booking/price.h"
#include "core/err.h"
#include "web/http.h"

/* GET /api/space-configurations, GET /api/space-configurations/:spaceType */
void booking_api_spaces(struct http_req *req);
void booking_api_space(struct http_req *req);
/* GET /api/global-hours: hours, holiday hours, upcoming closures and
 * holidays, and today's date in Paris */
void booking_api_global_hours(struct http_req *req);
/* GET /api/additional-services?spaceType=&category= */
void booking_api_services(struct http_req *req);
/* POST /api/calculate-price {spaceType, reservationType, date, startTime,
 * endTime, numberOfPeople, services[]} → {quote} (rules checked too) */
void booking_api_calculate_price(struct http_req *req);
/* GET /api/availability?spaceType=&date=&numberOfPeople= → the day's
 * 30-minute slots with seats left */
void booking_api_availability(struct http_req *req);
/* POST /api/bookings → 201 {booking, quote, clientSecret, intentType
 * ("payment" | "setup"), manageUrl?}; 503 payment_unavailable, nothing
 * stored, when Stripe cannot be reached */
void booking_api_create(struct http_req *req);
/* GET /api/bookings?status=&page=&limit= (signed in) */
void booking_api_list_mine(struct http_req *req);
/* GET /api/bookings/:id (ObjectId or confirmation number; ?token= for guests) */
void booking_api_get(struct http_req *req);
/* GET /api/bookings/:id/cancellation-fees, POST /api/bookings/:id/cancel {reason?} */
void booking_api_cancellation_fees(struct http_req *req);
void booking_api_cancel(struct http_req *req);
/* POST /api/bookings/:id/payment-check {token?}: the confirmation page
 * asking where the card step is; the intent is read from Stripe (never
 * from the browser) and the booking set from it → {booking, clientSecret
 * (null when the customer has nothing left to do: a card declined, or an
 * off-session hold that needs them, gets one)} */
void booking_api_payment_check(struct http_req *req);
/* GET /api/cancellation-policy?spaceType= */
void booking_api_cancellation_policy(struct http_req *req);

/* For the admin app's handlers: the booking request of a JSON body (the
 * members of POST /api/calculate-price), and a trimmed text member of at
 * most `max_chars` characters without control characters (`out` of
 * `outlen` ≥ 4 × max_chars + 1; "" when absent). False with a 400/422
 * naming the member in `e`. */
bool booking_api_read_request(json_object *body, struct booking_request *rq, struct err *e);
bool booking_api_read_text(json_object *body, const char *key, bool required, size_t max_chars,
			   char *out, size_t outlen, struct err *e);

#endif
