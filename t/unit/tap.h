/*
 * tap.h — the Test Anything Protocol for the C unit tests (prove reads it).
 *
 *   ok(cond, "name %d", n);  is_int(got, want, "name"); is_str(got, want, "name");
 *   skip("why %s", …);  diag("note %s", …);
 *   return tap_done();       (prints the plan, exit status = failures)
 */
#ifndef CWC_TAP_H
#define CWC_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static inline __attribute__((format(printf, 2, 3)))
bool ok_(bool pass, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", pass ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!pass)
		tap_failed++;
	return pass;
}

/* The condition is evaluated before the message's arguments, which may
 * show what the condition produced. */
#define ok(cond, ...) ({ bool ok_cond_ = (cond); ok_(ok_cond_, __VA_ARGS__); })

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

static inline __attribute__((format(printf, 1, 2)))
void skip(const char *fmt, ...)
{
	va_list ap;

	printf("ok %d # skip ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static inline __attribute__((format(printf, 1, 2)))
void diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
