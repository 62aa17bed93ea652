/*
 * Mail: every template in French (rendered by web/template.h, whose own
 * tests are t/unit/template.c),
 * RFC 2047 subjects, quoted-printable bodies, the RFC 5322 message, the
 * retry backoff, and mail_enqueue()'s outbox document on the embedded
 * store. Run under AddressSanitizer.
 */
#include "core/config.h"
#include "core/log.h"
#include "mail/mail.h"
#include "mail/templates.h"
#include "mail/transport.h"
#include "mail/outbox.h"
#include "store/store.h"
#include "tap.h"

#define NVARS(a) (sizeof(a) / sizeof *(a))

#include <fcntl.h>
#include <stdarg.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool has(const char *hay, const char *needle)
{
	return hay && needle && strstr(hay, needle) != NULL;
}

/* An object of string values from "key", "value", … NULL. Caller puts. */
static json_object *vars_of(const char *first, ...)
{
	json_object *o = json_object_new_object();
	va_list ap;

	va_start(ap, first);
	for (const char *k = first; k; k = va_arg(ap, const char *))
		json_object_object_add(o, k, json_object_new_string(va_arg(ap, const char *)));
	va_end(ap);
	return o;
}

static void test_templates(void)
{
	struct mail_rendered r;
	char err[256] = "";
	json_object *act = vars_of("givenName", "Zoé <script>",
				   "link", "https://cafe.test/activation?token=abc&x=1", NULL);

	ok(mail_render_template("activation", act, &r, err, sizeof err),
	   "activation renders (%s)", err);
	is_str(r.subject, "Activez votre compte CoworKing Café", "activation: subject");
	ok(has(r.html, "Bonjour Zoé &lt;script&gt;,"), "activation html: the name, escaped");
	ok(!has(r.html, "<script>"), "activation html: no raw markup from a value");
	ok(has(r.html, "href=\"https://cafe.test/activation?token=abc&amp;x=1\""),
	   "activation html: the link");
	ok(has(r.html, "48&nbsp;heures"), "activation html: valid 48 hours");
	ok(has(r.html, "<html lang=\"fr\">") && has(r.html, "<title>Activez votre compte"),
	   "activation html: the layout, in French, with the subject as title");
	ok(has(r.html, "href=\"https://cafe.test\"") && has(r.html, "CoworKing Café —"),
	   "activation html: the café's signature with its site");
	ok(has(r.text, "Bonjour Zoé <script>,"), "activation text: the name as is");
	ok(has(r.text, "\nhttps://cafe.test/activation?token=abc&x=1\n"),
	   "activation text: the link on its own line");
	ok(has(r.text, "48 heures"), "activation text: valid 48 hours");
	ok(has(r.text, "\n-- \nCoworKing Café\nhttps://cafe.test\n"),
	   "activation text: the signature");
	mail_rendered_free(&r);

	json_object_put(act);

	json_object *noname = vars_of("givenName", "", "link", "https://x.test/r", NULL);
	ok(mail_render_template("password_reset", noname, &r, err, sizeof err),
	   "password_reset renders (%s)", err);
	is_str(r.subject, "Réinitialisation de votre mot de passe", "password_reset: subject");
	ok(has(r.text, "Bonjour,\n"), "password_reset: a greeting without a name");
	ok(has(r.html, "1&nbsp;heure") && has(r.text, "1 heure"), "password_reset: valid 1 hour");
	ok(has(r.text, "https://x.test/r"), "password_reset: the link");
	mail_rendered_free(&r);

	json_object_put(noname);

	json_object *changed = vars_of("givenName", "Marc", NULL);
	ok(mail_render_template("password_changed", changed, &r, err, sizeof err),
	   "password_changed renders (%s)", err);
	is_str(r.subject, "Votre mot de passe a été modifié", "password_changed: subject");
	ok(has(r.html, "Si ce n’est pas vous") && has(r.html, "mailto:bonjour@cafe.test"),
	   "password_changed html: contact us, with CONTACT_EMAIL");
	ok(has(r.text, "Si ce n’est pas vous, contactez-nous") && has(r.text, "bonjour@cafe.test"),
	   "password_changed text: contact us, with CONTACT_EMAIL");
	mail_rendered_free(&r);

	json_object_put(changed);

	/* every template renders with the variables the callers pass */
	json_object *all = vars_of("givenName", "A", "link", "https://x.test",
				   "name", "Zoé <b>", "email", "z@x.test",
				   "subject", "Autre", "message", "<script>x</script>",
				   /* the booking mails (booking/notify.c) */
				   "number", "CWC-7K3Q9M", "space", "Salle Verrière",
				   "when", "dimanche 28 mars 2027, de 10:00 à 20:00", "people", "4",
				   "total", "120,00 €", "reason", "", "fee", "60,00 €",
				   "refund", "60,00 €", "contactName", "Zoé", "customerEmail",
				   "zoe@example.com", "phone", "06 12 34 56 78", "company", "",
				   "requests", "", "adminLink", "https://admin.x.test/b",
				   /* the card hold's (booking/notify.c too) */
				   "holdAmount", "24,00 €", "reasonText", "carte refusée par la banque",
				   "contactEmail", "z@x.test",
				   /* the staff's daily mails (booking/jobs.c) */
				   "day", "2027-03-28", "count", "3", "arrivalsCount", "2",
				   "tomorrowCount", "1", "pendingCount", "0", "holdsCount", "0",
				   /* the event mails (content/registration.c) */
				   "firstName", "Zoé <b>", "title", "Atelier <i>", "dateLabel", "samedi 12 décembre 2026",
				   "timeLabel", "18:30 – 20:00", "location", "Open Space", "amount", "15,50 €",
				   "eventLink", "https://x.test/events/a", "cancelLink", "https://x.test/events/a/annulation?r=1&token=2",

				   /* content: newsletter, quotes, the contact reply */
				   "unsubscribeUrl", "https://x.test/api/newsletter/unsubscribe?email=z%40x.test&token=ab",
				   "date", "28/03/2027", "startTime", "10:00", "endTime", "12:00",
				   "eventType", "Atelier", "attendees", "11 à 20 personnes", "reply", "<b>Merci</b>", NULL);
	const char *name;
	size_t count = 0;
	for (size_t i = 0; (name = mail_template_at(i)); i++, count++) {
		char tname[64];
		snprintf(tname, sizeof tname, "%s", name);
		bool rendered = mail_render_template(tname, all, &r, err, sizeof err);
		ok(rendered && r.subject[0] && r.html[0] && r.text[0],
		   "template %s renders (%s)", tname, rendered ? "ok" : err);
		if (rendered && strncmp(tname, "event_", 6) == 0)
			ok(!strstr(r.html, "<b>") && !strstr(r.html, "<i>") && strstr(r.html, "Zoé &lt;b&gt;"),
			   "%s: user text escaped in HTML", tname);
		if (rendered && (strncmp(tname, "contact_", 8) == 0 || strncmp(tname, "quote_", 6) == 0))
			ok(!strstr(r.html, "<script>") && !strstr(r.html, "<b>") &&
			   strstr(r.html, "&lt;script&gt;"), "%s: user text escaped in HTML", tname);
		mail_rendered_free(&r);
	}
	is_int(count, 28, "twenty-eight mails: activation, nine booking mails, three of the card hold, "
	       "attendance and the daily report, contact_ack, contact_reply, contact_staff, three event "
	       "mails, newsletter_confirm, newsletter_welcome, password_changed, password_reset, "
	       "quote_ack, quote_staff, test");
	json_object_put(all);

	json_object *nolink = vars_of("givenName", "A", NULL);
	ok(!mail_render_template("activation", nolink, &r, err, sizeof err) &&
	   has(err, "{{link}}") && has(err, "activation.html:") && r.html == NULL,
	   "a missing variable is an error naming it and its line (%s)", err);
	json_object_put(nolink);
	ok(!mail_render_template("nope", NULL, &r, err, sizeof err) && has(err, "nope"),
	   "an unknown template is an error");
	json_object *own = vars_of("siteUrl", "https://other.test", "note", "n", NULL);
	ok(mail_render_template("test", own, &r, err, sizeof err) &&
	   has(r.text, "https://other.test"), "a caller's value overrides a built-in");
	mail_rendered_free(&r);
	json_object_put(own);
}

/* Decodes one "=?UTF-8?B?…?=" word; returns the bytes (caller frees). */
static char *decode_word(const char *w, size_t len)
{
	unsigned char out[128];
	char b64[128];
	size_t n;
	int got;

	if (len < 12 || strncmp(w, "=?UTF-8?B?", 10) != 0 || strncmp(w + len - 2, "?=", 2) != 0)
		return NULL;
	n = len - 12;
	snprintf(b64, sizeof b64, "%.*s", (int)n, w + 10);
	got = EVP_DecodeBlock(out, (unsigned char *)b64, (int)n);
	if (got < 0)
		return NULL;
	while (n && b64[n - 1] == '=')
		n--, got--;
	return strndup((char *)out, (size_t)got);
}

static bool utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		int n = *p < 0x80 ? 0 : (*p & 0xe0) == 0xc0 ? 1 : (*p & 0xf0) == 0xe0 ? 2
			: (*p & 0xf8) == 0xf0 ? 3 : -1;
		if (n < 0)
			return false;
		p++;
		for (int i = 0; i < n; i++, p++)
			if ((*p & 0xc0) != 0x80)
				return false;
	}
	return true;
}

static void test_rfc2047(void)
{
	struct buf b = { 0 };

	mail_header_encode(&b, "Activez votre compte");
	is_str(b.data, "Activez votre compte", "plain ASCII stays as it is");
	free(b.data);
	b = (struct buf){ 0 };
	mail_header_encode(&b, "Café");
	is_str(b.data, "=?UTF-8?B?Q2Fmw6k=?=", "UTF-8 is one B encoded-word");
	free(b.data);
	b = (struct buf){ 0 };
	mail_header_encode(&b, "=?x?= looks encoded");
	ok(has(b.data, "=?UTF-8?B?"), "text that looks like an encoded word is encoded");
	free(b.data);

	/* a long subject of 2- and 3-byte characters: several words, none
	 * longer than 75, no UTF-8 sequence cut, and it decodes back */
	const char *subject = "Réservation confirmée — « Salle Verrière » — été 2025 — "
			      "œuvre, crème brûlée et café €€€ pour l’équipe";
	b = (struct buf){ 0 };
	mail_header_encode(&b, subject);
	char joined[1024] = "";
	bool words_ok = true, short_lines = true;
	size_t nwords = 0;
	for (char *p = b.data; *p;) {
		char *end = strstr(p, "\r\n ");
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char *d = decode_word(p, len);
		if (!d || !utf8_valid(d) || len > 75)
			words_ok = false;
		if (len + 9 > 78)
			short_lines = false;
		if (d)
			strncat(joined, d, sizeof joined - strlen(joined) - 1);
		free(d);
		nwords++;
		p = end ? end + 3 : p + len;
	}
	ok(nwords > 2, "a long subject is folded into %zu words", nwords);
	ok(words_ok, "each word is ≤ 75 characters and decodes to whole UTF-8 characters");
	ok(short_lines, "each line, even after \"Subject: \", fits in 78 characters");
	is_str(joined, subject, "the words decode back to the subject");
	ok(!has(b.data, "\n") || has(b.data, "\r\n "), "folded with CRLF SP only");
	free(b.data);

	b = (struct buf){ 0 };
	mail_header_encode(&b, "Sujet\r\nBcc: x@evil.test é");
	char *d = decode_word(b.data, strlen(b.data));
	ok(d && !strpbrk(d, "\r\n"), "CR and LF never survive into a header");
	free(d);
	free(b.data);
}

static void test_qp(void)
{
	struct buf b = { 0 };

	mail_qp_encode(&b, "a=b é\n.point\nfin  \nx");
	is_str(b.data, "a=3Db =C3=A9\r\n=2Epoint\r\nfin =20\r\nx",
	       "quoted-printable: =, UTF-8, leading dot, trailing space, CRLF");
	free(b.data);

	char longline[400];
	memset(longline, 'x', sizeof longline - 1);
	longline[sizeof longline - 1] = '\0';
	memcpy(longline + 70, "ééé", 6);
	b = (struct buf){ 0 };
	mail_qp_encode(&b, longline);
	bool short_enough = true;
	size_t total = 0;
	for (char *p = b.data; *p;) {
		char *e = strstr(p, "\r\n");
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len > 76)
			short_enough = false;
		if (e && (len == 0 || p[len - 1] != '='))
			short_enough = false;   /* a hard break inside one line */
		total += len;
		p = e ? e + 2 : p + len;
	}
	ok(short_enough, "long lines get soft breaks, every line ≤ 76 characters");
	ok(!has(b.data, "=\r\nC3") && !has(b.data, "=C\r\n"), "an =XX escape is never cut");
	free(b.data);
}

static void test_message(void)
{
	const struct mail_header hdr[] = { { "List-Unsubscribe", "<https://cafe.test/u?t=1>" } };
	struct mail_message m = {
		.id = "65f1a2b3c4d5e6f708192a3b",
		.from = "CoworKing Café <contact@cafe.test>",
		.to = "zoe@example.com",
		.subject = "Réinitialisation de votre mot de passe",
		.html = "<p>Bonjour é</p>",
		.text = "Bonjour é\n",
		.headers = hdr, .nheaders = 1,
		.date_ms = 1764094080000LL,   /* 2025-11-25 18:08:00 UTC */
	};
	char err[256] = "";
	char *msg = mail_message_format(&m, err, sizeof err);

	ok(msg != NULL, "an RFC 5322 message is built (%s)", err);
	ok(has(msg, "Date: Tue, 25 Nov 2025 18:08:00 +0000\r\n"), "Date in RFC 5322 form");
	ok(has(msg, "From: =?UTF-8?B?Q293b3JLaW5nIENhZsOp?= <contact@cafe.test>\r\n"),
	   "From: the display name encoded, the address as is");
	ok(has(msg, "To: zoe@example.com\r\n"), "To");
	ok(has(msg, "Subject: =?UTF-8?B?"), "Subject encoded");
	ok(has(msg, "Message-ID: <65f1a2b3c4d5e6f708192a3b.1764094080000@cafe.test>\r\n"),
	   "Message-ID from the outbox id, at the sender's domain");
	ok(has(msg, "MIME-Version: 1.0\r\n"), "MIME-Version");
	ok(has(msg, "List-Unsubscribe: <https://cafe.test/u?t=1>\r\n"), "extra headers kept");
	ok(has(msg, "Content-Type: multipart/alternative; boundary=\"=_cwc_65f1a2b3c4d5e6f708192a3b\""),
	   "multipart/alternative");
	const char *tp = strstr(msg ? msg : "", "text/plain; charset=UTF-8");
	const char *hp = strstr(msg ? msg : "", "text/html; charset=UTF-8");
	ok(tp && hp && tp < hp, "the text part first, then the HTML part");
	ok(has(msg, "Bonjour =C3=A9"), "bodies quoted-printable");
	ok(has(msg, "\r\n--=_cwc_65f1a2b3c4d5e6f708192a3b--\r\n"), "the closing boundary");
	bool crlf = true;
	for (const char *p = msg ? msg : ""; *p; p++)
		if (*p == '\n' && (p == msg || p[-1] != '\r'))
			crlf = false;
	ok(crlf, "every line ends in CRLF");
	free(msg);

	/* an attachment: multipart/mixed around the alternative, base64 */
	unsigned char ics[300];
	for (size_t i = 0; i < sizeof ics; i++)
		ics[i] = (unsigned char)("BEGIN:VCALENDAR\r\n"[i % 17]);
	struct mail_attachment att = { "invitation.ics", "text/calendar; charset=UTF-8; method=REQUEST",
				       ics, sizeof ics };
	m.attachments = &att;
	m.nattachments = 1;
	msg = mail_message_format(&m, err, sizeof err);
	const char *mixed = strstr(msg ? msg : "", "Content-Type: multipart/mixed; boundary=\"=_cwm_");
	const char *alt = strstr(msg ? msg : "", "Content-Type: multipart/alternative;");
	const char *file = strstr(msg ? msg : "", "Content-Disposition: attachment; filename=\"invitation.ics\"");
	ok(mixed && alt && file && mixed < alt && alt < file,
	   "with an attachment: multipart/mixed, the alternative, then the file");
	ok(has(msg, "Content-Type: text/calendar; charset=UTF-8; method=REQUEST; name=\"invitation.ics\"\r\n"
		    "Content-Disposition: attachment; filename=\"invitation.ics\"\r\n"
		    "Content-Transfer-Encoding: base64\r\n\r\nQkVHSU46VkNBTEVOREFSDQpCRUdJTjpWQ0FMRU5EQVINCkJFR0lOOlZDQUxFTkRBUg0KQkVHSU46\r\n"),
	   "the file in base64, lines of 76");
	ok(has(msg, "\r\n--=_cwm_65f1a2b3c4d5e6f708192a3b--\r\n"), "the closing mixed boundary");
	free(msg);
	att.filename = "../x\".ics";
	msg = mail_message_format(&m, err, sizeof err);
	ok(!msg && has(err, "attachment"), "an unsafe file name is refused (%s)", err);
	free(msg);
	m.attachments = NULL;
	m.nattachments = 0;

	const struct mail_header evil[] = { { "X-Note", "a\r\nBcc: x@evil.test" } };
	m.headers = evil;
	msg = mail_message_format(&m, err, sizeof err);
	ok(!msg && has(err, "X-Note"), "a header value with CRLF is refused");
	free(msg);
	const struct mail_header ours[] = { { "Bcc", "x@evil.test" } };
	m.headers = ours;
	msg = mail_message_format(&m, err, sizeof err);
	ok(!msg, "a header we set ourselves cannot be added");
	free(msg);
	m.nheaders = 0;
	m.html = NULL;
	msg = mail_message_format(&m, err, sizeof err);
	ok(msg && !has(msg, "multipart") && has(msg, "Content-Type: text/plain; charset=UTF-8"),
	   "text only: a single part");
	free(msg);
}

static void test_addresses(void)
{
	static const char *const good[] = {
		"zoe@example.com", "a.b+tag@sub.example.fr", "x@localhost", "o'neil@example.ie",
	};
	static const char *const bad[] = {
		"", "zoe", "@example.com", "zoe@", "a@b@c", "zoe @example.com",
		"zoe@exa mple.com", "zoe@example..com", "zoe@.example.com", "zoe@example.com.",
		"<zoe@example.com>", "zoe@example.com\r\nBcc: x@evil.test", "a,b@example.com",
		"\"zoe\"@example.com",
	};
	char name[128], addr[128];

	for (size_t i = 0; i < NVARS(good); i++)
		ok(mail_address_valid(good[i]), "valid: %s", good[i]);
	for (size_t i = 0; i < NVARS(bad); i++)
		ok(!mail_address_valid(bad[i]), "invalid: \"%.*s\"", (int)strcspn(bad[i], "\r\n"), bad[i]);
	ok(mail_mailbox_split("CoworKing Café <contact@cafe.test>", name, sizeof name,
			      addr, sizeof addr) &&
	   !strcmp(name, "CoworKing Café") && !strcmp(addr, "contact@cafe.test"),
	   "mailbox: name and address");
	ok(mail_mailbox_split("\"Café, Lyon\" <c@cafe.test>", name, sizeof name, addr, sizeof addr) &&
	   !strcmp(name, "Café, Lyon"), "mailbox: a quoted name");
	ok(mail_mailbox_split("c@cafe.test", name, sizeof name, addr, sizeof addr) &&
	   !name[0] && !strcmp(addr, "c@cafe.test"), "mailbox: a bare address");
	ok(!mail_mailbox_split("Café <nope>", name, sizeof name, addr, sizeof addr),
	   "mailbox: a bad address is refused");
}

static void test_backoff(void)
{
	is_int(outbox_backoff_seconds(1, 30), 30, "backoff: 30 s after the first failure");
	is_int(outbox_backoff_seconds(2, 30), 60, "backoff: 1 min after the second");
	is_int(outbox_backoff_seconds(3, 30), 120, "backoff: 2 min after the third");
	is_int(outbox_backoff_seconds(4, 30), 240, "backoff: 4 min after the fourth");
	is_int(outbox_backoff_seconds(7, 30), 1920, "backoff: 32 min after the seventh");
	is_int(outbox_backoff_seconds(8, 30), 3600, "backoff: capped at 1 h");
	is_int(outbox_backoff_seconds(1000, 30), 3600, "backoff: no overflow");
	is_int(outbox_backoff_seconds(3, 1), 4, "backoff: the base is configurable");
	is_int(outbox_backoff_seconds(0, 30), 30, "backoff: never below the base");
}

static void test_enqueue(const char *dir)
{
	char path[512];
	store_error_t err = { 0 };
	store_t *st;
	bson_t doc;
	bool found = false;
	bson_iter_t it;

	snprintf(path, sizeof path, "%s/unit.sqlite3", dir);
	st = store_open(path, &err);
	if (!st) {
		skip("no embedded store");
		return;
	}
	json_object *vars = vars_of("givenName", "Zoé", "link", "https://cafe.test/a?t=1", NULL);
	ok(mail_enqueue(st, "activation", "zoe@example.com", vars, &err),
	   "mail_enqueue writes to the outbox (%s)", err.message);
	ok(store_find_one(st, "outbox", NULL, NULL, &doc, &found, &err) && found,
	   "one outbox document");
	if (found) {
		ok(bson_iter_init_find(&it, &doc, "to") && !strcmp(bson_iter_utf8(&it, NULL), "zoe@example.com"), "to");
		ok(bson_iter_init_find(&it, &doc, "from") &&
		   !strcmp(bson_iter_utf8(&it, NULL), "CoworKing Café <contact@cafe.test>"), "from = EMAIL_FROM");
		ok(bson_iter_init_find(&it, &doc, "subject") &&
		   !strcmp(bson_iter_utf8(&it, NULL), "Activez votre compte CoworKing Café"), "subject");
		ok(bson_iter_init_find(&it, &doc, "status") && !strcmp(bson_iter_utf8(&it, NULL), "pending"), "status pending");
		ok(bson_iter_init_find(&it, &doc, "template") && !strcmp(bson_iter_utf8(&it, NULL), "activation"), "template");
		ok(bson_iter_init_find(&it, &doc, "attempts") && bson_iter_as_int64(&it) == 0, "attempts 0");
		ok(bson_iter_init_find(&it, &doc, "nextAttemptAt") && BSON_ITER_HOLDS_DATE_TIME(&it), "nextAttemptAt is a date");
		ok(bson_iter_init_find(&it, &doc, "createdAt") && BSON_ITER_HOLDS_DATE_TIME(&it), "createdAt is a date");
		ok(bson_iter_init_find(&it, &doc, "html") && has(bson_iter_utf8(&it, NULL), "Zoé"), "html");
		ok(bson_iter_init_find(&it, &doc, "text") && has(bson_iter_utf8(&it, NULL), "https://cafe.test/a?t=1"), "text");
		ok(bson_iter_init_find(&it, &doc, "_id") && BSON_ITER_HOLDS_OID(&it), "an ObjectId");
	}
	bson_destroy(&doc);

	err = (store_error_t){ 0 };
	ok(!mail_enqueue(st, "activation", "not an address", vars, &err) &&
	   err.code == STORE_ERR_BAD_VALUE, "a bad recipient is refused (%s)", err.message);
	err = (store_error_t){ 0 };
	ok(!mail_enqueue(st, "nope", "zoe@example.com", vars, &err) &&
	   err.code == STORE_ERR_BAD_VALUE && has(err.message, "nope"), "an unknown template is refused");
	int64_t n = -1;
	ok(store_count(st, "outbox", NULL, &n, &err) && n == 1, "refused mails write nothing");
	store_close(st);
	json_object_put(vars);
}

static const char *str_of(const bson_t *doc, const char *key)
{
	bson_iter_t it;

	return bson_iter_init_find(&it, doc, key) && BSON_ITER_HOLDS_UTF8(&it)
	       ? bson_iter_utf8(&it, NULL) : NULL;
}

static int64_t int_of(const bson_t *doc, const char *key)
{
	bson_iter_t it;

	return bson_iter_init_find(&it, doc, key) ? bson_iter_as_int64(&it) : -1;
}

/* The outbox document sent to `to` (caller destroys `out`). */
static bool mail_doc(store_t *st, const char *to, bson_t *out)
{
	bson_t filter = BSON_INITIALIZER;
	bool found = false;

	BSON_APPEND_UTF8(&filter, "to", to);
	if (!store_find_one(st, "outbox", &filter, NULL, out, &found, NULL))
		bson_init(out);
	bson_destroy(&filter);
	return found;
}

static mail_transport_t *transport_with(const char *transport, const char *api_base)
{
	char err[256];
	mail_transport_t *t;

	setenv("CWC_MAIL_TRANSPORT", transport, 1);
	setenv("RESEND_API_KEY", "re_unit_secret", 1);
	setenv("RESEND_API_BASE", api_base, 1);
	if (!cfg_load(err, sizeof err))
		return NULL;
	t = mail_transport_open(err, sizeof err);
	if (!t)
		printf("# transport: %s\n", err);
	return t;
}

/* The sender's state machine on the embedded store, under ASan: file
 * transport → sent; an unreachable Resend → pending with backoff, then
 * failed once out of attempts; a malformed document → failed at once; an
 * expired claim → taken back; requeue. */
static void test_outbox(const char *dir)
{
	char path[512];
	store_error_t err = { 0 };
	struct outbox_opts o = { .backoff_seconds = 30, .max_attempts = 2, .lock_seconds = 60 };
	struct outbox_stats stats = { 0 };
	mail_transport_t *t;
	store_t *st;
	bson_t doc;

	snprintf(path, sizeof path, "%s/outbox.sqlite3", dir);
	st = store_open(path, &err);
	if (!st) {
		skip("no embedded store");
		return;
	}
	ok(outbox_ensure_indexes(st, &err), "the outbox index (%s)", err.message);
	ok(outbox_deliver_one(st, NULL, &o, &stats, &err) == 0, "nothing due: nothing claimed");

	/* file transport: delivered */
	json_object *vars = vars_of("givenName", "Zoé", "link", "https://cafe.test/x", NULL);
	mail_enqueue(st, "activation", "file@example.com", vars, &err);
	t = transport_with("file", "http://127.0.0.1:1");
	ok(t && outbox_run(st, t, &o, NULL, &stats, &err), "a pass with the file transport");
	mail_transport_close(t);
	ok(mail_doc(st, "file@example.com", &doc), "the mail is there");
	is_str(str_of(&doc, "status"), "sent", "… sent");
	is_int(int_of(&doc, "attempts"), 1, "… after one attempt");
	ok(str_of(&doc, "providerId") && strstr(str_of(&doc, "providerId"), ".eml"),
	   "… the .eml name as providerId");
	ok(!str_of(&doc, "claimToken"), "… the claim released");
	bson_destroy(&doc);

	/* Resend unreachable: a temporary failure, then out of attempts */
	mail_enqueue(st, "activation", "down@example.com", vars, &err);
	t = transport_with("resend", "http://127.0.0.1:1");
	stats = (struct outbox_stats){ 0 };
	ok(t && outbox_run(st, t, &o, NULL, &stats, &err), "a pass with Resend unreachable");
	is_int(stats.retried, 1, "one mail to retry");
	mail_doc(st, "down@example.com", &doc);
	is_str(str_of(&doc, "status"), "pending", "… back to pending");
	ok(str_of(&doc, "lastError") && strstr(str_of(&doc, "lastError"), "resend: "),
	   "… with the error (%s)", str_of(&doc, "lastError"));
	ok(!strstr(str_of(&doc, "lastError") ? str_of(&doc, "lastError") : "", "re_unit_secret"),
	   "… which does not contain the key");
	bson_iter_t it;
	int64_t next = bson_iter_init_find(&it, &doc, "nextAttemptAt") ? bson_iter_date_time(&it) : 0;
	int64_t upd = bson_iter_init_find(&it, &doc, "updatedAt") ? bson_iter_date_time(&it) : 0;
	ok(next - upd >= 29000 && next - upd <= 31000, "… next attempt in 30 s (%lld ms)",
	   (long long)(next - upd));
	bson_destroy(&doc);
	ok(outbox_deliver_one(st, t, &o, &stats, &err) == 0, "not due again before the backoff");

	/* make it due at once: the second attempt is the last */
	bson_t f = BSON_INITIALIZER, u = BSON_INITIALIZER, set;
	BSON_APPEND_UTF8(&f, "to", "down@example.com");
	BSON_APPEND_DOCUMENT_BEGIN(&u, "$set", &set);
	BSON_APPEND_DATE_TIME(&set, "nextAttemptAt", 0);
	bson_append_document_end(&u, &set);
	store_update_one(st, "outbox", &f, &u, false, NULL, &err);
	ok(outbox_deliver_one(st, t, &o, &stats, &err) == 1, "due again: claimed");
	mail_doc(st, "down@example.com", &doc);
	is_str(str_of(&doc, "status"), "failed", "out of attempts: failed");
	is_int(int_of(&doc, "attempts"), 2, "… after CWC_MAIL_MAX_ATTEMPTS attempts");
	bson_destroy(&doc);

	int64_t n = 0;
	ok(outbox_requeue_failed(st, NULL, &n, &err) && n == 1, "requeue: one failed mail back");
	mail_doc(st, "down@example.com", &doc);
	is_str(str_of(&doc, "status"), "pending", "… pending");
	is_int(int_of(&doc, "attempts"), 0, "… attempts reset");
	bson_destroy(&doc);
	ok(!outbox_requeue_failed(st, "not-an-id", &n, &err) && err.code == STORE_ERR_BAD_VALUE,
	   "requeue: a malformed id is refused");
	store_delete_one(st, "outbox", &f, NULL, &err);
	bson_destroy(&f);
	bson_destroy(&u);
	mail_transport_close(t);

	/* a malformed document, and a claim that expired */
	t = transport_with("file", "http://127.0.0.1:1");
	bson_t bad = BSON_INITIALIZER;
	BSON_APPEND_UTF8(&bad, "to", "broken@example.com");
	BSON_APPEND_UTF8(&bad, "status", "pending");
	BSON_APPEND_INT32(&bad, "attempts", 0);
	BSON_APPEND_DATE_TIME(&bad, "nextAttemptAt", 0);
	store_insert_one(st, "outbox", &bad, NULL, &err);
	bson_destroy(&bad);
	bson_t stale = BSON_INITIALIZER;
	BSON_APPEND_UTF8(&stale, "to", "stale@example.com");
	BSON_APPEND_UTF8(&stale, "from", "contact@cafe.test");
	BSON_APPEND_UTF8(&stale, "subject", "s");
	BSON_APPEND_UTF8(&stale, "text", "t");
	BSON_APPEND_UTF8(&stale, "status", "sending");
	BSON_APPEND_UTF8(&stale, "claimToken", "someone-else");
	BSON_APPEND_INT32(&stale, "attempts", 1);
	BSON_APPEND_DATE_TIME(&stale, "nextAttemptAt", 0);
	BSON_APPEND_DATE_TIME(&stale, "lockedUntil", 1000);
	store_insert_one(st, "outbox", &stale, NULL, &err);
	bson_destroy(&stale);
	stats = (struct outbox_stats){ 0 };
	ok(t && outbox_run(st, t, &o, NULL, &stats, &err), "a pass over odd documents");
	mail_doc(st, "broken@example.com", &doc);
	is_str(str_of(&doc, "status"), "failed", "a document without from/subject/body: failed");
	ok(str_of(&doc, "lastError") && strstr(str_of(&doc, "lastError"), "malformed"), "… saying why");
	bson_destroy(&doc);
	mail_doc(st, "stale@example.com", &doc);
	is_str(str_of(&doc, "status"), "sent", "a mail whose claim expired is taken back and sent");
	is_int(int_of(&doc, "attempts"), 2, "… the interrupted attempt counted");
	bson_destroy(&doc);
	mail_transport_close(t);
	unsetenv("CWC_MAIL_TRANSPORT");
	unsetenv("RESEND_API_KEY");
	unsetenv("RESEND_API_BASE");
	store_close(st);
	json_object_put(vars);
}

int main(void)
{
	char dir[] = "/tmp/cwc-unit-mail-XXXXXX";
	char err[256];

	if (!mkdtemp(dir))
		return 1;
	setenv("CWC_ENV_FILE", "/dev/null", 1);
	setenv("CWC_DATA_DIR", dir, 1);
	setenv("NEXTAUTH_URL", "https://cafe.test", 1);
	setenv("CONTACT_EMAIL", "bonjour@cafe.test", 1);
	setenv("EMAIL_FROM", "CoworKing Café <contact@cafe.test>", 1);
	unsetenv("MONGODB_URI");
	unsetenv("CWC_ENV");
	unsetenv("NODE_ENV");
	if (!cfg_load(err, sizeof err)) {
		printf("Bail out! %s\n", err);
		return 1;
	}
	log_init("unit-mail", "error");

	test_templates();
	test_rfc2047();
	test_qp();
	test_message();
	test_addresses();
	test_backoff();
	test_enqueue(dir);
	/* the sender logs the failures it is made to meet: keep TAP readable */
	int saved = dup(STDERR_FILENO), devnull = open("/dev/null", O_WRONLY);
	dup2(devnull, STDERR_FILENO);
	test_outbox(dir);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(devnull);

	mail_templates_free();
	cfg_free();
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		ok(0, "temporary directory removed");
	return tap_done();
}
