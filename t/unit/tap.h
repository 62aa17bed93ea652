/*
 * tap.h — the Test Anything Protocol for the C unit tests (prove reads it).
 *
 *   ok(cond, "name %d", n);  is_int(got, want, "name"); is_str(got, want, "name");
 *   return tap_done();       (prints the plan, exit status = failures)
 */
#ifndef CWC_TAP_H
#define CWC_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static inline __attribute__((format(printf, 2, 3)))
int ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		tap_failed++;
	fflush(stdout);
	return cond;
}

#define is_int(got, want, ...) do {                                            \
	long long g_ = (long long)(got), w_ = (long long)(want);               \
	if (!ok(g_ == w_, __VA_ARGS__))                                        \
		printf("#   got %lld, want %lld\n", g_, w_);                   \
} while (0)

#define is_str(got, want, ...) do {                                            \
	const char *g_ = (got), *w_ = (want);                                  \
	if (!ok(g_ && w_ ? strcmp(g_, w_) == 0 : g_ == w_, __VA_ARGS__))       \
		printf("#   got \"%s\", want \"%s\"\n", g_ ? g_ : "(null)",    \
		       w_ ? w_ : "(null)");                                    \
} while (0)

static inline void skip(const char *why)
{
	printf("ok %d # skip %s\n", ++tap_n, why);
}

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
