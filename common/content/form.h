/*
 * form.h — the checks the public forms share (contact, privatisation
 * quote, event registration): one wording for one mistake.
 *
 * Errors are 400 `validation_failed` naming the field, in French (these
 * forms' messages are shown as they are).
 */
#ifndef CWC_CONTENT_FORM_H
#define CWC_CONTENT_FORM_H

#include "core/err.h"

#include <stdbool.h>
#include <stddef.h>

/* An optional phone number (NULL or blank: fine): at most `max_bytes`
 * bytes of digits, spaces, '.', '-', '+', '(' and ')', with at least 6
 * digits. False with `e` set (field "phone") otherwise. */
bool content_phone_check(const char *phone, size_t max_bytes, struct err *e);

#endif
