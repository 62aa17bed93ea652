/*
 * contact.h — a booking's contact details as a person types them (name,
 * e-mail, phone, company, special requests): trimmed, bounded, checked
 * and normalised by one function, for the JSON API (api.c) and the
 * /booking funnel's form alike.
 *
 * Errors are the API's: 422 `validation_failed` naming the field, with an
 * English message (pages show the French of web/page_err.h).
 */
#ifndef CWC_BOOKING_CONTACT_H
#define CWC_BOOKING_CONTACT_H

#include "account/account.h"
#include "core/err.h"

#include <stdbool.h>

#define BOOKING_NAME_MAX_CHARS 100
#define BOOKING_PHONE_MAX_CHARS 25
#define BOOKING_COMPANY_MAX_CHARS 200
#define BOOKING_REQUESTS_MAX_CHARS 1000

/* What was typed (NULL: not given) and what is kept: each field trimmed,
 * the e-mail lower-cased (account_email_normalise). */
struct booking_contact_form {
	const char *name, *email, *phone, *company, *requests;
};
struct booking_contact_out {
	char name[4 * BOOKING_NAME_MAX_CHARS + 1];
	char email[ACCOUNT_EMAIL_MAX + 1];
	char phone[4 * BOOKING_PHONE_MAX_CHARS + 1];
	char company[4 * BOOKING_COMPANY_MAX_CHARS + 1];
	char requests[4 * BOOKING_REQUESTS_MAX_CHARS + 1];
};

/* Trims `s` (NULL: "") into `out` (room for 4 × max_chars + 1): at most
 * `max_chars` characters, no control character but a line feed when
 * `multiline`; not empty when `required`. False with `e` set otherwise. */
bool booking_text_check(const char *field, const char *s, size_t max_chars, bool multiline, bool required,
			char *out, size_t outlen, struct err *e);

/* Checks every field of `in` into `out`: name, e-mail and phone are
 * required when `required` (a guest; a customer's come from the account
 * when left empty), the e-mail must be an address, the phone at least
 * six digits among spaces, + . - ( ). The first error is returned in `e`;
 * with `each`, it is called for every faulty field (the form shows them
 * all) and the check goes on. */
bool booking_contact_check(const struct booking_contact_form *in, bool required, struct booking_contact_out *out,
			   void (*each)(void *ctx, const struct err *e), void *ctx, struct err *e);

#endif
