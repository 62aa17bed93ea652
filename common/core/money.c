/*
 * money.c — amounts in cents as French text (money.h).
 */
#include "core/money.h"

#include "core/buf.h"

#include <string.h>

#define NBSP "\xc2\xa0"
#define EURO "\xe2\x82\xac"

bool money_format(int64_t cents, unsigned flags, char *out, size_t len)
{
	/* The magnitude as unsigned: -INT64_MIN does not fit an int64_t. */
	uint64_t mag = cents < 0 ? (uint64_t)0 - (uint64_t)cents : (uint64_t)cents;
	uint64_t euros = mag / 100;
	unsigned rest = (unsigned)(mag % 100);
	char digits[24], text[MONEY_LEN];
	size_t n, j = 0;

	(void)buf_fmt(digits, sizeof digits, "%llu", (unsigned long long)euros);
	n = strlen(digits);
	if (cents < 0)
		text[j++] = '-';
	for (size_t i = 0; i < n; i++) {
		if (i && (n - i) % 3 == 0) {
			memcpy(&text[j], NBSP, 2);
			j += 2;
		}
		text[j++] = digits[i];
	}
	text[j] = '\0';
	if (rest || !(flags & MONEY_SHORT))
		return buf_fmt(out, len, "%s,%02u" NBSP EURO, text, rest);
	return buf_fmt(out, len, "%s" NBSP EURO, text);
}
