/*
 * webhook.h — the site's Stripe webhook (webhook.c).
 */
#ifndef CWC_SITE_WEBHOOK_H
#define CWC_SITE_WEBHOOK_H

#include "web/http.h"

/* POST /api/webhooks/stripe and /api/payments/webhook (ROUTE_RAW_BODY,
 * public: Stripe's signature is the authentication). 200
 * {"received":true[,"duplicate":true]}; 400 `bad_signature` or
 * `bad_event` with nothing changed; 503 when payments are not configured
 * or the store is down (Stripe retries). */
void site_stripe_webhook(struct http_req *req);

#endif
