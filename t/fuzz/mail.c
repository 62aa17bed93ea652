/*
 * mail.c — fuzz target: what a customer's input becomes in a mail
 * (common/mail/): the template renderer fed a user's given name and a
 * link, then the RFC 5322 message (RFC 2047 subject, quoted-printable
 * parts) for a recipient address that passed mail_address_valid().
 *
 * Input: NUL-separated fields  givenName \0 link \0 to \0 header value.
 * Checks: the values are escaped in the HTML (it has exactly the markup
 * of the same mail rendered with plain words); the subject is one line;
 * the message has CRLF line ends only, no line over 998 bytes, one From,
 * To and Subject, and no header but ours — what a value cannot inject.
 */
#include "fuzz.h"
#include "mail/templates.h"
#include "mail/transport.h"

static size_t count_char(const char *s, char c)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == c;
	return n;
}

/* The next NUL-separated field of data[*at..size), as a new string. */
static char *field(const uint8_t *data, size_t size, size_t *at)
{
	const uint8_t *start = data + *at;
	const uint8_t *nul = *at < size ? memchr(start, 0, size - *at) : NULL;
	size_t n = nul ? (size_t)(nul - start) : size - (*at < size ? *at : size);

	*at += n + (nul != NULL);
	return strndup((const char *)start, n);
}

static void check_message(const char *msg)
{
	const char *p = msg, *body = strstr(msg, "\r\n\r\n");
	int from = 0, to = 0, subject = 0;
	static const char *const ours[] = {
		"Date: ", "From: ", "To: ", "Subject: ", "Message-ID: ", "MIME-Version: ",
		"List-Unsubscribe: ", "Content-Type: ", " ",
	};

	fuzz_check(body != NULL, "a message without a body");
	for (; *p; ) {
		const char *eol = strstr(p, "\r\n");
		fuzz_check(eol != NULL, "the message does not end with CRLF");
		fuzz_check(eol - p <= 998, "a line of %td bytes", eol - p);
		for (const char *c = p; c < eol; c++)
			fuzz_check(*c != '\r' && *c != '\n', "a bare CR or LF in %.80s", p);
		if (p < body + 2) {
			bool known = false;
			for (size_t i = 0; i < sizeof ours / sizeof *ours; i++)
				known |= strncmp(p, ours[i], strlen(ours[i])) == 0;
			fuzz_check(known, "a header line %.80s", p);
			from += strncmp(p, "From: ", 6) == 0;
			to += strncmp(p, "To: ", 4) == 0;
			subject += strncmp(p, "Subject: ", 9) == 0;
		}
		p = eol + 2;
	}
	fuzz_check(from == 1 && to == 1 && subject == 1,
		   "%d From, %d To, %d Subject", from, to, subject);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_config();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t at = 0;
	char *name = field(data, size, &at), *link = field(data, size, &at);
	char *to = field(data, size, &at), *hval = field(data, size, &at);
	json_object *vars = json_object_new_object(), *plain = json_object_new_object();
	struct mail_rendered r = { 0 }, ref = { 0 };
	struct mail_header h = { "List-Unsubscribe", hval };
	struct mail_message m = { 0 };
	char err[256], *msg;

	json_object_object_add(vars, "givenName", json_object_new_string(name));
	json_object_object_add(vars, "link", json_object_new_string(link));
	json_object_object_add(plain, "givenName", json_object_new_string(*name ? "Ada" : ""));
	json_object_object_add(plain, "link", json_object_new_string(*link ? "lien" : ""));
	if (!mail_render_template("activation", vars, &r, err, sizeof err) ||
	    !mail_render_template("activation", plain, &ref, err, sizeof err))
		fuzz_fail("the activation mail does not render: %s", err);
	fuzz_check(count_char(r.html, '<') == count_char(ref.html, '<') &&
		   count_char(r.html, '"') == count_char(ref.html, '"'),
		   "a value is not escaped in the HTML");
	fuzz_check(!strpbrk(r.subject, "\r\n"), "the subject is not one line");

	m.id = "65a0000000000000000000e1";
	m.from = cfg->email_from;
	m.to = to;
	m.subject = r.subject;
	m.html = r.html;
	m.text = r.text;
	m.headers = &h;
	m.nheaders = *hval ? 1 : 0;
	m.date_ms = 1767225600000LL;
	msg = mail_message_format(&m, err, sizeof err);
	if (msg)
		check_message(msg);
	else
		fuzz_check(!mail_address_valid(to) || m.nheaders,
			   "a valid mail was refused: %s", err);
	free(msg);
	mail_rendered_free(&r);
	mail_rendered_free(&ref);
	json_object_put(vars);
	json_object_put(plain);
	free(name);
	free(link);
	free(to);
	free(hval);
	return 0;
}
