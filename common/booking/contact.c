/*
 * contact.c — a booking's contact details, checked once for the API and
 * the funnel. See contact.h.
 */
#include "booking/contact.h"

#include <string.h>

static bool space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool booking_text_check(const char *field, const char *s, size_t max_chars, bool multiline, bool required,
			char *out, size_t outlen, struct err *e)
{
	size_t len, chars = 0;

	out[0] = '\0';
	if (!s)
		s = "";
	len = strlen(s);
	while (len && space(*s)) {
		s++;
		len--;
	}
	while (len && space(s[len - 1]))
		len--;
	for (size_t i = 0; i < len; i++)
		chars += ((unsigned char)s[i] & 0xc0) != 0x80;
	if (chars > max_chars || len >= outlen)
		return err_set(e, 422, "validation_failed", field, "%s is too long (at most %zu characters).",
			       field, max_chars);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && !(multiline && (c == '\n' || c == '\r'))) || c == 0x7f)
			return err_set(e, 422, "validation_failed", field, "%s must not contain control characters.",
				       field);
	}
	if (required && len == 0)
		return err_set(e, 422, "validation_failed", field, "%s must not be empty.", field);
	memcpy(out, s, len);
	out[len] = '\0';
	return true;
}

static bool phone_ok(const char *phone)
{
	int digits = 0;

	for (const char *p = phone; *p; p++) {
		if (*p >= '0' && *p <= '9')
			digits++;
		else if (!strchr(" +.-()", *p))
			return false;
	}
	return digits >= 6;
}

bool booking_contact_check(const struct booking_contact_form *in, bool required, struct booking_contact_out *out,
			   void (*each)(void *ctx, const struct err *e), void *ctx, struct err *e)
{
	struct err one = { 0 };
	bool ok = true;
	char email[4 * ACCOUNT_EMAIL_MAX + 1];

	memset(out, 0, sizeof *out);
#define FAIL()                                  \
	do {                                    \
		if (ok)                         \
			*e = one;               \
		ok = false;                     \
		if (!each)                      \
			return false;           \
		each(ctx, &one);                \
		one = (struct err){ 0 };        \
	} while (0)
	if (!booking_text_check("contactName", in->name, BOOKING_NAME_MAX_CHARS, false, required, out->name,
				sizeof out->name, &one))
		FAIL();
	if (!booking_text_check("contactEmail", in->email, ACCOUNT_EMAIL_MAX, false, required, email, sizeof email,
				&one))
		FAIL();
	else if (email[0] && !account_email_normalise(email, strlen(email), out->email, sizeof out->email)) {
		err_set(&one, 422, "validation_failed", "contactEmail", "contactEmail is not an email address.");
		FAIL();
	}
	if (!booking_text_check("contactPhone", in->phone, BOOKING_PHONE_MAX_CHARS, false, required, out->phone,
				sizeof out->phone, &one))
		FAIL();
	else if (out->phone[0] && !phone_ok(out->phone)) {
		err_set(&one, 422, "validation_failed", "contactPhone",
			"contactPhone is a phone number (digits, spaces, + . - ( )).");
		FAIL();
	}
	if (!booking_text_check("companyName", in->company, BOOKING_COMPANY_MAX_CHARS, false, false, out->company,
				sizeof out->company, &one))
		FAIL();
	if (!booking_text_check("specialRequests", in->requests, BOOKING_REQUESTS_MAX_CHARS, true, false,
				out->requests, sizeof out->requests, &one))
		FAIL();
#undef FAIL
	return ok;
}
