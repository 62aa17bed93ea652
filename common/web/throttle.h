/*
 * throttle.h — fixed-window counters in Redis that slow down guessing and
 * mail bombing (SPEC §4): failed logins, forgot-password, resend-
 * activation and register requests, per client address and per account.
 *
 * A counter is the Redis key `cwc:throttle:<action>:<scope>:<key>`
 * (scope "ip" or "acct"), incremented and given its window as TTL
 * atomically; once it reaches the limit the action is refused until the
 * key expires, and the TTL is the Retry-After. Limits come from the
 * environment as "COUNT/SECONDS":
 *   CWC_THROTTLE_LOGIN      5/900   failed logins (per account and address)
 *   CWC_THROTTLE_FORGOT     5/3600  forgot-password requests
 *   CWC_THROTTLE_RESEND     5/3600  resend-activation requests
 *   CWC_THROTTLE_REGISTER  10/3600  registrations (per address only)
 *   CWC_THROTTLE_GUEST_BOOKING 30/3600  bookings made without an account
 *                                   (per address only: each one holds a slot)
 *   CWC_THROTTLE_CONTACT    5/3600  contact messages (per address only:
 *                                   each one mails the café and the sender)
 *   CWC_THROTTLE_EVENT     10/3600  event registrations (per address only:
 *                                   each one holds a seat and mails)
 *   CWC_THROTTLE_NEWSLETTER 5/3600  newsletter subscriptions (per address:
 *                                   each one mails a confirmation link)
 *   CWC_THROTTLE_QUOTE      5/3600  privatization quote requests (per address)
 * and CWC_THROTTLE_<ACTION>_IP overrides the per-address limit (a café's
 * customers share one public address).
 *
 * When Redis is unreachable the same limits are kept by a fallback in each
 * process: a fixed table of THROTTLE_LOCAL_SLOTS counters (keys hashed
 * with a per-process secret, the lowest counter evicted when a
 * neighbourhood is full), so memory stays bounded whatever an attacker
 * sends. A site with N worker processes then allows at most N × the limit
 * during an outage. The warning is logged once per outage and per
 * process; when Redis answers again its counters are used and the local
 * ones are dropped. The health check reports Redis down meanwhile.
 */
#ifndef CWC_THROTTLE_H
#define CWC_THROTTLE_H

#include "web/http.h"

#include <stdbool.h>

enum throttle_action {
	THROTTLE_LOGIN,
	THROTTLE_FORGOT,
	THROTTLE_RESEND,
	THROTTLE_REGISTER,
	THROTTLE_GUEST_BOOKING,
	THROTTLE_CONTACT,
	THROTTLE_EVENT,
	THROTTLE_NEWSLETTER,
	THROTTLE_QUOTE,
};

enum throttle_scope {
	THROTTLE_IP,
	THROTTLE_ACCOUNT,
};

#define THROTTLE_LOCAL_SLOTS 4096

struct throttle_limit {
	long max;
	long window;   /* seconds */
};

/* The limit in force for `action` and `scope` (environment or default). */
struct throttle_limit throttle_limit_of(enum throttle_action action,
					enum throttle_scope scope);

/* Parses "COUNT/SECONDS" (both > 0); false when malformed. */
bool throttle_parse_limit(const char *s, struct throttle_limit *out);

/* True when the counter has not reached its limit. When it has, false and
 * *retry_after gets the seconds until it resets (≥ 1). Does not count. */
bool throttle_check(enum throttle_action action, enum throttle_scope scope,
		    const char *key, long *retry_after);

/* Counts one event (a failed login). */
void throttle_hit(enum throttle_action action, enum throttle_scope scope,
		  const char *key);

/* Counts one event and says whether it is still within the limit (a
 * forgot-password request): false with *retry_after when over it. */
bool throttle_take(enum throttle_action action, enum throttle_scope scope,
		   const char *key, long *retry_after);

/* Forgets the counter (a successful login clears the account's). */
void throttle_clear(enum throttle_action action, enum throttle_scope scope,
		    const char *key);

/* Finishes a 429 `too_many_requests` with Retry-After. */
void throttle_refuse(struct http_req *req, long retry_after);

#endif
