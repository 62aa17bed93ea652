/*
 * err.h — the one error type for what a client is told: an HTTP status, a
 * stable machine-readable code, the offending input field, a readable
 * message (SPEC §11: {"error":{"code","message"[,"field"]}}).
 *
 * Domain functions fill a struct err and return false; the HTTP layer
 * sends it as is (http_send_err()), the CLI tools print its message. A
 * store failure becomes one through store_fail() (store/store.h), the one
 * mapping from store errors to answers. Messages are for the client: never
 * an internal detail (that goes to the log).
 */
#ifndef CWC_ERR_H
#define CWC_ERR_H

#include <stdbool.h>

struct err {
	int status;            /* HTTP status for the client; 0 reads as 500 */
	const char *code;      /* invalid_request, validation_failed, email_taken,
				* token_expired, bad_credentials, unavailable,
				* internal…; NULL reads as "internal" */
	char field[64];        /* the offending input field, or "" */
	char message[256];     /* for the client */
};

/* Fills `e` and returns false (so `return err_set(…)` reads well). `field`
 * may be NULL. */
bool err_set(struct err *e, int status, const char *code, const char *field,
	     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif
