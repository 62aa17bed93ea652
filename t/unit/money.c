/*
 * Amounts in cents as French text (core/money.h): grouping and cents with
 * no-break spaces, the sign, the short form, the int64_t extremes.
 */
#include "core/money.h"
#include "tap.h"

#include <stdint.h>

#define NB "\xc2\xa0"
#define EUR NB "\xe2\x82\xac"

static void is_money(int64_t cents, unsigned flags, const char *want, const char *why)
{
	char out[MONEY_LEN];

	ok(money_format(cents, flags, out, sizeof out), "%s: fits", why);
	is_str(out, want, "%s", why);
}

int main(void)
{
	char small[8];

	is_money(0, 0, "0,00" EUR, "zero");
	is_money(5, 0, "0,05" EUR, "five cents");
	is_money(99, 0, "0,99" EUR, "99 cents");
	is_money(100, 0, "1,00" EUR, "one euro");
	is_money(123450, 0, "1" NB "234,50" EUR, "thousands grouped by a no-break space");
	is_money(1234567, 0, "12" NB "345,67" EUR, "1234567 cents");
	is_money(123456789, 0, "1" NB "234" NB "567,89" EUR, "millions");
	is_money(100000, 0, "1" NB "000,00" EUR, "a round thousand");
	is_money(99999, 0, "999,99" EUR, "no separator below a thousand");
	is_money(-5, 0, "-0,05" EUR, "negative cents keep the sign");
	is_money(-123450, 0, "-1" NB "234,50" EUR, "negative: plain hyphen-minus");
	is_money(INT64_MAX, 0, "92" NB "233" NB "720" NB "368" NB "547" NB "758,07" EUR, "INT64_MAX");
	is_money(INT64_MIN, 0, "-92" NB "233" NB "720" NB "368" NB "547" NB "758,08" EUR,
		 "INT64_MIN (no overflow negating it)");
	is_money(INT64_MIN + 1, 0, "-92" NB "233" NB "720" NB "368" NB "547" NB "758,07" EUR, "INT64_MIN + 1");

	is_money(1200, MONEY_SHORT, "12" EUR, "short: whole euros without ,00");
	is_money(1250, MONEY_SHORT, "12,50" EUR, "short: cents kept");
	is_money(5, MONEY_SHORT, "0,05" EUR, "short: cents below a euro");
	is_money(0, MONEY_SHORT, "0" EUR, "short: zero");
	is_money(120000, MONEY_SHORT, "1" NB "200" EUR, "short: grouped too");
	is_money(-3600, MONEY_SHORT, "-36" EUR, "short: negative");

	ok(!money_format(123450, 0, small, sizeof small), "too small a buffer says so");
	is_str(small, "1" NB "234,", "and is cut, NUL-terminated");
	return tap_done();
}
