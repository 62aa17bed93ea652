/*
 * transport.h — hands one rendered mail to whatever delivers it.
 *
 * Three transports, chosen by the configuration (SPEC §2, §5):
 *   - resend: Resend's HTTP API (RESEND_API_KEY, RESEND_API_BASE), POST
 *     /emails with the outbox id as Idempotency-Key, so a mail re-sent
 *     after a crash is not delivered twice;
 *   - smtp: SMTP_URL = smtp://user:pass@host:port (STARTTLS when offered,
 *     required when the URL carries a password to a host other than
 *     loopback or when CWC_SMTP_TLS=required: then a server without
 *     STARTTLS gets nothing, MAIL_RETRY) or smtps://… (TLS from the
 *     start); certificates verified against the system's CAs or
 *     CWC_SMTP_CA_FILE;
 *   - file: one RFC 5322 .eml per mail under $CWC_DATA_DIR/mail/, named
 *     <unix-ms>-<outbox id>.eml, written atomically (development default).
 * RESEND_API_KEY wins over SMTP_URL; CWC_MAIL_TRANSPORT=resend|smtp|file
 * forces one. In production the file transport must be asked for by name.
 *
 * Every network call has a 5 s connect and 20 s total timeout. No message
 * of this module ever contains the API key or the SMTP password.
 */
#ifndef CWC_MAIL_TRANSPORT_H
#define CWC_MAIL_TRANSPORT_H

#include "core/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mail_header {
	const char *name;     /* e.g. "List-Unsubscribe" */
	const char *value;    /* printable ASCII, one line */
};

/* A file joined to a mail (e.g. a booking's invite.ics). Nothing owned. */
struct mail_attachment {
	const char *filename;      /* printable ASCII, no quotes or slashes */
	const char *content_type;  /* e.g. "text/calendar; charset=UTF-8; method=REQUEST" */
	const unsigned char *data;
	size_t len;
};

/* Resend's limit on a whole mail, attachments included (after base64). */
#define MAIL_MAX_TOTAL_BYTES (40u * 1024 * 1024)

/* One mail, as the outbox holds it. Strings are UTF-8; nothing is owned. */
struct mail_message {
	const char *id;       /* outbox _id (hex): Message-ID, file name, Idempotency-Key */
	const char *from;     /* "Name <addr>" or "addr" */
	const char *to;       /* one address */
	const char *subject;
	const char *html;     /* may be NULL when `text` is set */
	const char *text;     /* may be NULL when `html` is set */
	const struct mail_header *headers;
	size_t nheaders;
	int64_t date_ms;      /* the Date: header (when the mail was queued) */
	const struct mail_attachment *attachments;
	size_t nattachments;
};

enum mail_outcome {
	MAIL_SENT,            /* accepted by the provider / written */
	MAIL_RETRY,           /* temporary: network, 429, 5xx, configuration */
	MAIL_REJECTED,        /* permanent: retrying the same mail cannot help */
};

struct mail_result {
	enum mail_outcome outcome;
	char provider_id[160];  /* Resend's id, the SMTP reply or the file name */
	char error[512];        /* for the log and the outbox's lastError */
	long retry_after;       /* seconds the provider asked us to wait; 0 = none */
};

typedef struct mail_transport mail_transport_t;

/* The transport the configuration names (see the file comment), ready to
 * send. NULL with the reason in `errbuf` on a configuration error (a bad
 * SMTP_URL, an unknown CWC_MAIL_TRANSPORT, no transport in production).
 * Initialises libcurl for the process. Free with mail_transport_close(). */
mail_transport_t *mail_transport_open(char *errbuf, size_t errlen);
void mail_transport_close(mail_transport_t *t);

/* "resend", "smtp" or "file". */
const char *mail_transport_name(const mail_transport_t *t);

/* Where mail goes, fit for the log: the API base, the SMTP URL without its
 * user and password, or the directory. */
const char *mail_transport_target(const mail_transport_t *t);

/* Delivers `m`; the verdict is in `res` (never NULL). */
void mail_transport_send(mail_transport_t *t, const struct mail_message *m,
			 struct mail_result *res);

/* ---- the building blocks, public for the unit tests ------------------ */

/* True for a plausible single address: local@domain, at most 254 bytes,
 * no spaces, quotes, angle brackets, commas or control characters. */
bool mail_address_valid(const char *addr);

/* Splits a mailbox "Name <addr>" (or a bare "addr") into its display name
 * (possibly empty, quotes removed) and address. False when malformed. */
bool mail_mailbox_split(const char *mailbox, char *name, size_t namelen,
			char *addr, size_t addrlen);

/* Appends `s` as a header value: as is when it is short printable ASCII,
 * else as RFC 2047 encoded-words (=?UTF-8?B?…?=, at most 75 characters
 * each, never splitting a UTF-8 sequence, folded with CRLF SP). */
void mail_header_encode(struct buf *out, const char *s);

/* Appends `s` quoted-printable (RFC 2045): CRLF line ends, lines of at most
 * 76 characters, a leading '.' encoded so SMTP needs no dot-stuffing. */
void mail_qp_encode(struct buf *out, const char *s);

/* True when `a` can be sent: a safe file name (1–100 printable ASCII
 * characters, no quotes, slashes or backslashes), a content type of
 * printable ASCII without quotes, and some bytes. */
bool mail_attachment_valid(const struct mail_attachment *a);

/* The whole RFC 5322 message (headers, multipart/alternative with text
 * then HTML, quoted-printable, CRLF; inside multipart/mixed followed by
 * the attachments in base64 when there are any). Returns a new string (caller frees),
 * or NULL with `errbuf` filled when a header is unusable. */
char *mail_message_format(const struct mail_message *m, char *errbuf,
			  size_t errlen);

#endif
