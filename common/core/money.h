/*
 * money.h — an amount of integer cents as French text, the one way every
 * page, mail and label writes euros:
 *
 *   money_format(123450, 0, …)            "1 234,50 €"
 *   money_format(-500, 0, …)              "-5,00 €"
 *   money_format(1200, MONEY_SHORT, …)    "12 €"  (",00" dropped)
 *   money_format(1250, MONEY_SHORT, …)    "12,50 €"
 *
 * Exactly: an optional "-" (ASCII hyphen-minus, no space after it), the
 * whole euros in decimal grouped by three with U+00A0 NO-BREAK SPACE
 * (UTF-8 C2 A0) between groups, then "," and two digits of cents (left
 * out with MONEY_SHORT when the cents are 0), then U+00A0 and "€"
 * (UTF-8 E2 82 AC). Every int64_t is valid, INT64_MIN included. The
 * no-break spaces keep an amount on one line.
 *
 * CSV exports do not use it: they write plain numbers (web/csv.h).
 */
#ifndef CWC_MONEY_H
#define CWC_MONEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Drop ",00" on whole amounts ("12 €"): the site's prices. */
#define MONEY_SHORT 1u

/* Bytes that hold any amount with its NUL (INT64_MIN takes 37). */
#define MONEY_LEN 48

/* Writes `cents` to `out` (`len` bytes, always NUL-terminated when len >
 * 0). False when the text did not fit (it is then cut); never false when
 * len >= MONEY_LEN. */
bool money_format(int64_t cents, unsigned flags, char *out, size_t len);

#endif
