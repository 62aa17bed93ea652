/*
 * mail.h — every e-mail goes through the outbox (SPEC §5).
 *
 * mail_enqueue() renders a French template (HTML + text) and writes the
 * mail into the `outbox` collection, in the request that causes it. The
 * sender (`bin/cwc-cron outbox`, continuous with --follow) delivers the
 * queue with retries and exponential backoff, through one transport:
 * Resend's HTTP API (RESEND_API_KEY), SMTP (SMTP_URL), or files (one .eml
 * per mail under $CWC_DATA_DIR/mail/, the default in development).
 */
#ifndef CWC_MAIL_H
#define CWC_MAIL_H

#include "store/store.h"

#include <stdbool.h>
#include <stddef.h>

struct mail_var {
	const char *key;      /* {{key}} in the template */
	const char *value;    /* escaped for HTML by the renderer */
};

/* Templates: "activation" (givenName, link), "password_reset" (givenName,
 * link), "password_changed" (givenName). Returns false with `err` filled
 * when the template is unknown or the store refuses the write. */
bool mail_enqueue(store_t *st, const char *template_name, const char *to,
		  const struct mail_var *vars, size_t nvars, store_error_t *err);

#endif
