/*
 * stripe_signature.c — fuzz target: Stripe's webhook signature
 * (payment_signature_parse() and payment_signature_verify(),
 * common/payment/webhook.c), which reads the Stripe-Signature header of
 * any POST to /api/webhooks/stripe before anything else.
 *
 * The first byte chooses what the rest is:
 *   0  "<header>\n<body>" as anyone may send them: never verifies (nobody
 *      here can forge the MAC); when the header parses, its `t` has at
 *      most 12 digits and it holds 1 to PAYMENT_SIGNATURE_MAX_V1 v1. Its
 *      corpus must hold no MAC made with SECRET, not even as a "v0": the
 *      fuzzer turns one into a v1 in a few thousand runs;
 *   1  two bytes of clock offset, then a body, signed here as Stripe
 *      would: verifies exactly when the offset is within the tolerance;
 *      still does with another secret's v1 beside it (a rolled secret);
 *      never once one byte of the body is changed;
 *   2  "<prefix>\n<suffix>" around a genuine "t=…,v1=…" for a fixed body:
 *      whatever items surround it, an accepted header is never one whose
 *      timestamp is not the signed one (the MAC binds it).
 */
#include "fuzz.h"
#include "payment/webhook.h"

#define SECRET "whsec_fuzz_0123456789abcdefghijklmnop"
#define NOW 1767225600LL
#define BODY "{\"id\":\"evt_fuzz\",\"type\":\"payment_intent.succeeded\",\"data\":{\"object\":{}}}"

static void from_outside(const uint8_t *data, size_t size)
{
	const char *nl = memchr(data, '\n', size);
	size_t hlen = nl ? (size_t)(nl - (const char *)data) : size;
	char *header = strndup((const char *)data, hlen);
	const char *body = nl ? nl + 1 : "";
	size_t blen = nl ? size - hlen - 1 : 0;
	struct payment_signature sig;

	if (!header)
		abort();
	if (payment_signature_parse((const char *)data, hlen, &sig)) {
		fuzz_check(sig.timestamp >= 0 && sig.timestamp <= 999999999999LL,
			   "a timestamp of more than 12 digits: %lld", (long long)sig.timestamp);
		fuzz_check(sig.nv1 >= 1 && sig.nv1 <= PAYMENT_SIGNATURE_MAX_V1, "%zu v1 kept", sig.nv1);
	}
	fuzz_check(!payment_signature_verify(header, body, blen, SECRET, NOW,
					     PAYMENT_SIGNATURE_TOLERANCE_S, NULL),
		   "a header from outside verifies: %.200s", header);
	free(header);
}

static void signed_here(const uint8_t *data, size_t size)
{
	char h[128], other[128], both[300];
	const char *why = NULL;
	int16_t offset;
	const char *body;
	size_t blen;
	bool ok, within;

	if (size < 2)
		return;
	memcpy(&offset, data, 2);
	body = (const char *)data + 2;
	blen = size - 2;
	payment_signature_make(body, blen, SECRET, NOW + offset, h, sizeof h);
	ok = payment_signature_verify(h, body, blen, SECRET, NOW, PAYMENT_SIGNATURE_TOLERANCE_S, &why);
	within = offset >= -PAYMENT_SIGNATURE_TOLERANCE_S && offset <= PAYMENT_SIGNATURE_TOLERANCE_S;
	fuzz_check(ok == within, "signed %d s away: %s (%s)", offset, ok ? "verified" : "refused",
		   why ? why : "-");
	if (!within)
		fuzz_check(strcmp(why, "stale") == 0, "refused %d s away as %s", offset, why);

	payment_signature_make(body, blen, "whsec_the_old_secret", NOW + offset, other, sizeof other);
	(void)buf_fmt(both, sizeof both, "%s,%s", other, strchr(h, ',') + 1);
	fuzz_check(payment_signature_verify(both, body, blen, SECRET, NOW,
					    PAYMENT_SIGNATURE_TOLERANCE_S, NULL) == within,
		   "two v1 (old secret first): not the same verdict at %d s", offset);

	if (blen > 0 && within) {
		char *changed = malloc(blen);
		if (!changed)
			abort();
		memcpy(changed, body, blen);
		changed[offset & 0x7fff ? (size_t)(offset & 0x7fff) % blen : 0] ^= 0x20;
		fuzz_check(!payment_signature_verify(h, changed, blen, SECRET, NOW,
						     PAYMENT_SIGNATURE_TOLERANCE_S, NULL),
			   "a body with a byte changed verifies");
		free(changed);
		fuzz_check(!payment_signature_verify(h, body, blen - 1, SECRET, NOW,
						     PAYMENT_SIGNATURE_TOLERANCE_S, NULL),
			   "a body one byte shorter verifies");
	}
}

static void surrounded(const uint8_t *data, size_t size)
{
	const char *nl = memchr(data, '\n', size);
	size_t plen = nl ? (size_t)(nl - (const char *)data) : size;
	struct buf header = { 0 };
	struct payment_signature sig;
	char genuine[128];

	if (size > 2048)
		return;
	payment_signature_make(BODY, strlen(BODY), SECRET, NOW, genuine, sizeof genuine);
	buf_add(&header, (const char *)data, plen);
	buf_printf(&header, ",%s,", genuine);
	if (nl)
		buf_add(&header, nl + 1, size - plen - 1);
	buf_add(&header, "", 1);
	if (strlen(header.data) == header.len - 1 &&
	    payment_signature_verify(header.data, BODY, strlen(BODY), SECRET, NOW,
				     PAYMENT_SIGNATURE_TOLERANCE_S, NULL)) {
		fuzz_check(payment_signature_parse(header.data, header.len - 1, &sig) &&
			   sig.timestamp == NOW,
			   "accepted with a timestamp that was not signed: %.300s", header.data);
	}
	buf_free(&header);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_init("fuzz", "error");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	switch (data[0] % 3) {
	case 0:
		from_outside(data + 1, size - 1);
		break;
	case 1:
		signed_here(data + 1, size - 1);
		break;
	default:
		surrounded(data + 1, size - 1);
	}
	return 0;
}
