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

#include "mail/transport.h"
#include "store/store.h"

#include <json-c/json.h>
#include <stdbool.h>

/* Templates (common/mail/templates): "activation" (givenName, link),
 * "password_reset" (givenName, link), "password_changed" (givenName);
 * `vars` is an object of those values (borrowed). Returns false with `err`
 * filled when the template is unknown, a variable is missing or the store
 * refuses the write. */
bool mail_enqueue(store_t *st, const char *template_name, const char *to,
		  json_object *vars, store_error_t *err);

/* mail_enqueue() with files joined (e.g. a booking's invite.ics): each is
 * stored in the document as {filename, contentType, content (binary)}
 * and sent as an attachment by every transport. `atts` is borrowed; at
 * most MAIL_MAX_ATTACHMENTS, each valid (mail_attachment_valid()), in all
 * at most MAIL_MAX_TOTAL_BYTES in base64; otherwise STORE_ERR_BAD_VALUE. */
#define MAIL_MAX_ATTACHMENTS 10
bool mail_enqueue_with(store_t *st, const char *template_name, const char *to,
		       json_object *vars, const struct mail_attachment *atts, size_t natts,
		       store_error_t *err);

/* mail_enqueue() with extra headers (the newsletter's List-Unsubscribe
 * and List-Unsubscribe-Post), stored as the document's `headers` and sent
 * by every transport (Resend's `headers`, SMTP and files as header lines).
 * `hdrs` is borrowed; a name of letters, digits and '-', a value of
 * printable ASCII (no CR/LF), else STORE_ERR_BAD_VALUE. */
bool mail_enqueue_headers(store_t *st, const char *template_name, const char *to,
			  json_object *vars, const struct mail_header *hdrs, size_t nhdrs,
			  store_error_t *err);

/* A mail whose content, and whether it is sent at all, depends on the
 * account behind `to` (a password reset, a new activation link): queues a
 * request {to, template, request: true} without a body; the sender asks
 * its resolver (struct outbox_opts) for the mail, or learns that there is
 * nothing to send and deletes the request. The caller's work is the same
 * single insert whoever `to` is, so neither its answer nor its timing says
 * whether an account exists. Errors as mail_enqueue(). */
bool mail_enqueue_request(store_t *st, const char *template_name, const char *to,
			  store_error_t *err);

#endif
