/*
 * outbox.h — the sender: delivers the `outbox` collection (SPEC §5).
 *
 * A mail goes pending → sending → sent, or back to pending with a later
 * nextAttemptAt after a temporary failure, or to failed (rejected by the
 * provider, or out of attempts). Mails are claimed one at a time with an
 * atomic find-one-and-update that also takes back "sending" mails whose
 * lock (lockedUntil) has passed, so any number of senders can run at once
 * and a sender killed mid-delivery loses nothing. docs/mail.md has the
 * document, the states and the policy.
 *
 * Tunables (environment or env file):
 *   CWC_MAIL_BACKOFF_SECONDS  first retry delay, doubled each time (30)
 *   CWC_MAIL_MAX_ATTEMPTS     attempts before `failed` (8)
 *   CWC_MAIL_LOCK_SECONDS     how long a claim holds (120; > the 20 s
 *                             transport timeout, or two senders could
 *                             deliver the same mail)
 */
#ifndef CWC_OUTBOX_H
#define CWC_OUTBOX_H

#include "mail/templates.h"
#include "mail/transport.h"
#include "store/store.h"

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#define OUTBOX_COLLECTION "outbox"
#define OUTBOX_BACKOFF_CAP_SECONDS 3600

/* Turns a mail request (mail_enqueue_request) into a mail: 1 with `out`
 * rendered (the outbox frees it with mail_rendered_free), 0 when there is
 * nothing to send (no such account: the request is deleted), -1 on a
 * temporary error (`errbuf`; the request is retried like a failed
 * delivery). Set by the program: the domain modules know the accounts,
 * the outbox does not. */
typedef int (*outbox_resolver_fn)(store_t *st, const char *template_name,
				  const char *to, struct mail_rendered *out,
				  char *errbuf, size_t errlen);

struct outbox_opts {
	int backoff_seconds;
	int max_attempts;
	int lock_seconds;
	outbox_resolver_fn resolve;   /* NULL: requests wait for a sender that has one */
};

struct outbox_stats {
	int sent, retried, failed, dropped;   /* dropped: requests with nothing to send */
};

/* Reads the tunables above (`resolve` left NULL). False with `errbuf` naming the variable when
 * one is not a number in its range. */
bool outbox_opts_load(struct outbox_opts *o, char *errbuf, size_t errlen);

/* The delay before the next attempt after `attempts` failed ones:
 * base · 2^(attempts−1), capped at OUTBOX_BACKOFF_CAP_SECONDS. */
int64_t outbox_backoff_seconds(int attempts, int base);

/* The indexes the sender's query needs (idempotent). */
bool outbox_ensure_indexes(store_t *st, store_error_t *err);

/* Claims the next due mail and delivers it through `t`. Returns 1 when a
 * mail was handled (whatever its fate, counted in `stats`), 0 when none is
 * due, -1 on a store error (`err` filled). */
int outbox_deliver_one(store_t *st, mail_transport_t *t,
		       const struct outbox_opts *o, struct outbox_stats *stats,
		       store_error_t *err);

/* Delivers until none is due or `*stop` is set (checked between mails).
 * False on a store error. */
bool outbox_run(store_t *st, mail_transport_t *t, const struct outbox_opts *o,
		volatile sig_atomic_t *stop, struct outbox_stats *stats,
		store_error_t *err);

/* Puts failed mails back in the queue (all of them, or the one whose id is
 * `id_hex`), with their attempts reset; `*n` says how many. */
bool outbox_requeue_failed(store_t *st, const char *id_hex, int64_t *n,
			   store_error_t *err);

#endif
