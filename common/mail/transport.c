/*
 * transport.c — Resend, SMTP and .eml files. See mail/transport.h.
 *
 * The first half builds an RFC 5322 message (used by SMTP and the file
 * transport; Resend takes JSON and builds its own). The second half is
 * the three transports. Verdicts follow one rule: MAIL_REJECTED when
 * sending the same mail again cannot succeed by itself (the provider said
 * the mail is invalid, or refused our API key); anything that time can
 * fix — the network, a rate limit, a provider outage — is MAIL_RETRY.
 * SMTP keeps retrying a refused login (servers also answer 535 for a
 * temporary lock-out).
 */
#include "mail/transport.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/log.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define CONNECT_TIMEOUT_S 5L
#define TOTAL_TIMEOUT_S 20L
#define MAX_RESPONSE (64 * 1024)

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- addresses ---------------------------------------------------------- */

static bool atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c >= 0x80 ||
	       strchr("!#$%&'*+/=?^_`{|}~-.", c) != NULL;
}

bool mail_address_valid(const char *addr)
{
	const char *at, *p;
	size_t len;

	if (!addr)
		return false;
	len = strlen(addr);
	at = strchr(addr, '@');
	if (len < 3 || len > 254 || !at || at == addr || strchr(at + 1, '@') ||
	    at - addr > 64 || !at[1])
		return false;
	for (p = addr; p < at; p++)
		if (!atext((unsigned char)*p))
			return false;
	/* the domain: labels of letters, digits and hyphens, dot-separated */
	for (p = at + 1; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '.') {
			if (p == at + 1 || p[-1] == '.' || !p[1])
				return false;
		} else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9') || c == '-' || c >= 0x80)) {
			return false;
		}
	}
	return true;
}

static void trim_copy(char *dst, size_t dstlen, const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n >= 2 && s[0] == '"' && s[n - 1] == '"')
		s++, n -= 2;
	snprintf(dst, dstlen, "%.*s", (int)n, s);
}

bool mail_mailbox_split(const char *mailbox, char *name, size_t namelen,
			char *addr, size_t addrlen)
{
	const char *lt, *gt;

	if (!mailbox)
		return false;
	lt = strrchr(mailbox, '<');
	if (!lt) {
		trim_copy(addr, addrlen, mailbox, strlen(mailbox));
		name[0] = '\0';
		return mail_address_valid(addr);
	}
	gt = strchr(lt, '>');
	if (!gt || gt[1 + strspn(gt + 1, " \t")] != '\0')
		return false;
	trim_copy(name, namelen, mailbox, (size_t)(lt - mailbox));
	snprintf(addr, addrlen, "%.*s", (int)(gt - lt - 1), lt + 1);
	return mail_address_valid(addr) && !strpbrk(name, "\r\n");
}

/* ---- RFC 2047, quoted-printable, the message ----------------------------- */

static bool plain_ascii(const char *s, size_t max)
{
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++, n++)
		if (*p < 0x20 || *p > 0x7e || n >= max)
			return false;
	return strstr(s, "=?") == NULL;
}

void mail_header_encode(struct buf *out, const char *s)
{
	/* 42 bytes → 56 base64 characters → a 68-character word, so even the
	 * first line ("Subject: " + word) stays within 78 characters */
	enum { CHUNK = 42 };
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s);
	bool first = true;

	if (plain_ascii(s, 900)) {
		buf_str(out, s);
		return;
	}
	while (len) {
		size_t n = len < CHUNK ? len : CHUNK;
		unsigned char chunk[CHUNK];
		unsigned char b64[4 * ((CHUNK + 2) / 3) + 1];

		/* never cut a UTF-8 sequence: back up to the start of one */
		while (n < len && n > 1 && (p[n] & 0xc0) == 0x80)
			n--;
		memcpy(chunk, p, n);
		for (size_t i = 0; i < n; i++)
			if (chunk[i] == '\r' || chunk[i] == '\n')
				chunk[i] = ' ';
		EVP_EncodeBlock(b64, chunk, (int)n);
		if (!first)
			buf_str(out, "\r\n ");
		buf_str(out, "=?UTF-8?B?");
		buf_str(out, (const char *)b64);
		buf_str(out, "?=");
		first = false;
		p += n;
		len -= n;
	}
}

void mail_qp_encode(struct buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t col = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		unsigned char c = *p;
		if (c == '\n' || (c == '\r' && p[1] == '\n')) {
			if (c == '\r')
				p++;
			buf_str(out, "\r\n");
			col = 0;
			continue;
		}
		bool line_end = p[1] == '\0' || p[1] == '\n' ||
				(p[1] == '\r' && p[2] == '\n');
		for (int pass = 0; pass < 2; pass++) {
			bool enc = c == '=' || c > 126 || (c < 32 && c != '\t') ||
				   (c == '.' && col == 0) ||
				   ((c == ' ' || c == '\t') && line_end);
			size_t w = enc ? 3 : 1;
			if (col + w > 75 && pass == 0) {   /* 75 + "=" = 76 */
				buf_str(out, "=\r\n");
				col = 0;
				continue;            /* decide again at column 0 */
			}
			if (enc) {
				char e[3] = { '=', hex[c >> 4], hex[c & 15] };
				buf_add(out, e, 3);
			} else {
				buf_add(out, (const char *)&c, 1);
			}
			col += w;
			break;
		}
	}
}

static void format_date(char *out, size_t len, int64_t ms)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, len, "%s, %02d %s %04d %02d:%02d:%02d +0000",
		 days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
		 tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static bool header_name_ok(const char *name)
{
	static const char *const ours[] = {
		"From", "To", "Subject", "Date", "Message-ID", "MIME-Version",
		"Content-Type", "Content-Transfer-Encoding", "Cc", "Bcc",
	};

	if (!name || !*name || strlen(name) > 64)
		return false;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-'))
			return false;
	for (size_t i = 0; i < sizeof ours / sizeof *ours; i++)
		if (strcasecmp(name, ours[i]) == 0)
			return false;
	return true;
}

static bool header_value_ok(const char *v)
{
	return v && plain_ascii(v, 900);
}

/* "Name <addr>" with the name encoded when it needs to be. */
static void add_mailbox(struct buf *b, const char *name, const char *addr)
{
	if (*name) {
		if (!plain_ascii(name, 200) || strpbrk(name, "\"\\")) {
			mail_header_encode(b, name);
		} else if (strpbrk(name, "()<>[]:;@,.")) {
			buf_printf(b, "\"%s\"", name);
		} else {
			buf_str(b, name);
		}
		buf_printf(b, " <%s>", addr);
	} else {
		buf_str(b, addr);
	}
}

static void add_part(struct buf *b, const char *type, const char *body)
{
	buf_printf(b, "Content-Type: %s; charset=UTF-8\r\n"
		      "Content-Transfer-Encoding: quoted-printable\r\n\r\n", type);
	mail_qp_encode(b, body);
	buf_str(b, "\r\n");
}

bool mail_attachment_valid(const struct mail_attachment *a)
{
	size_t n;

	if (!a || !a->filename || !a->content_type || !a->data || !a->len)
		return false;
	n = strlen(a->filename);
	if (n == 0 || n > 100 || !plain_ascii(a->filename, 100) ||
	    strpbrk(a->filename, "\"/\\") || a->filename[0] == '.')
		return false;
	return *a->content_type && plain_ascii(a->content_type, 200) &&
	       !strpbrk(a->content_type, "\"\\");
}

/* `n` bytes in base64 (no line breaks); a new string, caller frees. */
static char *base64_new(const unsigned char *p, size_t n)
{
	char *out = malloc(4 * ((n + 2) / 3) + 1);

	if (!out)
		abort();
	EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	return out;
}

/* The base64 of `a`, in lines of 76 characters (RFC 2045). */
static void add_attachment(struct buf *b, const struct mail_attachment *a)
{
	char *b64 = base64_new(a->data, a->len);
	size_t len = strlen(b64);

	buf_printf(b, "Content-Type: %s; name=\"%s\"\r\n"
		      "Content-Disposition: attachment; filename=\"%s\"\r\n"
		      "Content-Transfer-Encoding: base64\r\n\r\n",
		   a->content_type, a->filename, a->filename);
	for (size_t i = 0; i < len; i += 76) {
		buf_add(b, b64 + i, len - i < 76 ? len - i : 76);
		buf_str(b, "\r\n");
	}
	free(b64);
}

/* The body: multipart/alternative (or the single part) of the text. */
static void add_body(struct buf *b, const struct mail_message *m)
{
	if (m->html && m->text) {
		/* "=_" never occurs in quoted-printable text: a safe boundary */
		buf_printf(b, "Content-Type: multipart/alternative; boundary=\"=_cwc_%s\"\r\n"
			       "\r\n"
			       "This is a multi-part message in MIME format.\r\n"
			       "\r\n--=_cwc_%s\r\n", m->id, m->id);
		add_part(b, "text/plain", m->text);
		buf_printf(b, "--=_cwc_%s\r\n", m->id);
		add_part(b, "text/html", m->html);
		buf_printf(b, "--=_cwc_%s--\r\n", m->id);
	} else {
		add_part(b, m->html ? "text/html" : "text/plain",
			 m->html ? m->html : m->text);
	}
}

char *mail_message_format(const struct mail_message *m, char *errbuf,
			  size_t errlen)
{
	struct buf b = { 0 };
	char from_name[256], from_addr[256], date[64];
	const char *domain;

	if (!mail_mailbox_split(m->from, from_name, sizeof from_name,
				from_addr, sizeof from_addr)) {
		snprintf(errbuf, errlen, "unusable sender \"%.100s\" (EMAIL_FROM)",
			 m->from ? m->from : "");
		return NULL;
	}
	if (!mail_address_valid(m->to)) {
		snprintf(errbuf, errlen, "unusable recipient address");
		return NULL;
	}
	if (!m->html && !m->text) {
		snprintf(errbuf, errlen, "the mail has neither HTML nor text");
		return NULL;
	}
	for (size_t i = 0; i < m->nattachments; i++)
		if (!mail_attachment_valid(&m->attachments[i])) {
			snprintf(errbuf, errlen, "unusable attachment #%zu", i + 1);
			return NULL;
		}
	for (size_t i = 0; i < m->nheaders; i++)
		if (!header_name_ok(m->headers[i].name) ||
		    !header_value_ok(m->headers[i].value)) {
			snprintf(errbuf, errlen, "refused header \"%.64s\"",
				 m->headers[i].name ? m->headers[i].name : "");
			return NULL;
		}
	domain = strrchr(from_addr, '@') + 1;
	format_date(date, sizeof date, m->date_ms);

	buf_printf(&b, "Date: %s\r\nFrom: ", date);
	add_mailbox(&b, from_name, from_addr);
	buf_printf(&b, "\r\nTo: %s\r\nSubject: ", m->to);
	mail_header_encode(&b, m->subject ? m->subject : "");
	buf_printf(&b, "\r\nMessage-ID: <%s.%lld@%s>\r\nMIME-Version: 1.0\r\n",
		   m->id, (long long)m->date_ms, domain);
	for (size_t i = 0; i < m->nheaders; i++)
		buf_printf(&b, "%s: %s\r\n", m->headers[i].name, m->headers[i].value);

	if (m->nattachments) {
		/* "=_" never occurs in quoted-printable or base64 either */
		buf_printf(&b, "Content-Type: multipart/mixed; boundary=\"=_cwm_%s\"\r\n"
			       "\r\n"
			       "This is a multi-part message in MIME format.\r\n"
			       "\r\n--=_cwm_%s\r\n", m->id, m->id);
		add_body(&b, m);
		for (size_t i = 0; i < m->nattachments; i++) {
			buf_printf(&b, "--=_cwm_%s\r\n", m->id);
			add_attachment(&b, &m->attachments[i]);
		}
		buf_printf(&b, "--=_cwm_%s--\r\n", m->id);
	} else {
		add_body(&b, m);
	}
	return b.data;
}

/* ---- the transports ------------------------------------------------------ */

enum transport_kind { T_FILE, T_RESEND, T_SMTP };

struct mail_transport {
	enum transport_kind kind;
	char *target;          /* for the log: never a secret */
	char *dir;             /* file */
	char *url;             /* resend: …/emails; smtp: the URL with credentials */
	char *auth_header;     /* resend: "Authorization: Bearer …" */
	bool require_tls;      /* STARTTLS or nothing (see smtp_url_parse, CWC_SMTP_TLS) */
	char *ca_file;         /* smtp: CWC_SMTP_CA_FILE, trusted instead of the system's CAs */
	CURL *curl;
};

static const char *const kind_names[] = { "file", "resend", "smtp" };

const char *mail_transport_name(const mail_transport_t *t)
{
	return kind_names[t->kind];
}

const char *mail_transport_target(const mail_transport_t *t)
{
	return t->target;
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		abort();
	return p;
}

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	return s;
}

static bool mkdir_p(const char *path)
{
	char tmp[4096];

	snprintf(tmp, sizeof tmp, "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return false;
		*p = '/';
	}
	return mkdir(tmp, 0755) == 0 || errno == EEXIST;
}

/* smtp[s]://[user[:pass]@]host[:port][/…] → the target without user info,
 * and whether the password would cross the network in clear. */
static bool smtp_url_parse(const char *url, char **target, bool *require_tls,
			   char *errbuf, size_t errlen)
{
	const char *scheme_end = strstr(url, "://");
	const char *auth, *host, *host_end, *at;
	bool smtps, has_password;
	char hostname[256];

	if (!scheme_end || (strncmp(url, "smtp://", 7) != 0 &&
			    strncmp(url, "smtps://", 8) != 0)) {
		snprintf(errbuf, errlen, "SMTP_URL must start with smtp:// or smtps://");
		return false;
	}
	smtps = url[4] == 's';
	auth = scheme_end + 3;
	host_end = auth + strcspn(auth, "/?#");
	at = NULL;
	for (const char *p = auth; p < host_end; p++)
		if (*p == '@')
			at = p;
	host = at ? at + 1 : auth;
	has_password = at && memchr(auth, ':', (size_t)(at - auth)) != NULL;
	if (host == host_end) {
		snprintf(errbuf, errlen, "SMTP_URL has no host");
		return false;
	}
	*target = xasprintf("%.*s%.*s", (int)(auth - url), url,
			    (int)(host_end - host), host);
	/* the host without the port, for the loopback test */
	if (*host == '[') {
		const char *rb = memchr(host, ']', (size_t)(host_end - host));
		snprintf(hostname, sizeof hostname, "%.*s",
			 (int)(rb ? rb - host - 1 : 0), host + 1);
	} else {
		snprintf(hostname, sizeof hostname, "%.*s",
			 (int)strcspn(host, ":/?#"), host);
	}
	bool loopback = strcmp(hostname, "localhost") == 0 ||
			strncmp(hostname, "127.", 4) == 0 ||
			strcmp(hostname, "::1") == 0;
	*require_tls = !smtps && has_password && !loopback;
	return true;
}

/* CWC_SMTP_TLS=auto (the URL decides, see smtp_url_parse) | required
 * (STARTTLS or no mail, even to loopback); CWC_SMTP_CA_FILE: a PEM file of
 * the CAs that sign the server's certificate (a private relay). */
static bool smtp_tls_options(mail_transport_t *t, char *errbuf, size_t errlen)
{
	const char *tls = cfg_get("CWC_SMTP_TLS", "auto");
	const char *ca = cfg_get("CWC_SMTP_CA_FILE", "");

	if (strcmp(tls, "required") == 0) {
		t->require_tls = true;
	} else if (*tls && strcmp(tls, "auto") != 0) {
		snprintf(errbuf, errlen, "CWC_SMTP_TLS=%.32s: expected auto or required", tls);
		return false;
	}
	if (*ca) {
		if (access(ca, R_OK) != 0) {
			snprintf(errbuf, errlen, "CWC_SMTP_CA_FILE=%.200s: %s", ca, strerror(errno));
			return false;
		}
		t->ca_file = xstrdup(ca);
	}
	return true;
}

mail_transport_t *mail_transport_open(char *errbuf, size_t errlen)
{
	const char *forced = cfg_get("CWC_MAIL_TRANSPORT", "");
	mail_transport_t *t;
	enum transport_kind kind;

	if (!strcmp(forced, "resend"))
		kind = T_RESEND;
	else if (!strcmp(forced, "smtp"))
		kind = T_SMTP;
	else if (!strcmp(forced, "file"))
		kind = T_FILE;
	else if (*forced) {
		snprintf(errbuf, errlen, "CWC_MAIL_TRANSPORT=%.32s: expected resend, "
			 "smtp or file", forced);
		return NULL;
	} else if (*cfg->resend_api_key)
		kind = T_RESEND;
	else if (*cfg->smtp_url)
		kind = T_SMTP;
	else if (cfg->production) {
		snprintf(errbuf, errlen, "no mail transport: set RESEND_API_KEY or "
			 "SMTP_URL (or CWC_MAIL_TRANSPORT=file to write .eml files)");
		return NULL;
	} else
		kind = T_FILE;

	if (kind == T_RESEND && !*cfg->resend_api_key) {
		snprintf(errbuf, errlen, "CWC_MAIL_TRANSPORT=resend needs RESEND_API_KEY");
		return NULL;
	}
	if (kind == T_SMTP && !*cfg->smtp_url) {
		snprintf(errbuf, errlen, "CWC_MAIL_TRANSPORT=smtp needs SMTP_URL");
		return NULL;
	}
	char from_name[256], from_addr[256];
	if (!mail_mailbox_split(cfg->email_from, from_name, sizeof from_name,
				from_addr, sizeof from_addr)) {
		snprintf(errbuf, errlen, "EMAIL_FROM is not an address "
			 "(\"Name <address>\" or \"address\")");
		return NULL;
	}

	t = calloc(1, sizeof *t);
	if (!t)
		abort();
	t->kind = kind;
	switch (kind) {
	case T_FILE:
		t->dir = xasprintf("%s/mail", cfg->data_dir);
		t->target = xstrdup(t->dir);
		if (!mkdir_p(t->dir)) {
			snprintf(errbuf, errlen, "cannot create %s: %s", t->dir,
				 strerror(errno));
			mail_transport_close(t);
			return NULL;
		}
		return t;
	case T_RESEND: {
		size_t n = strlen(cfg->resend_api_base);
		while (n && cfg->resend_api_base[n - 1] == '/')
			n--;
		if (strncmp(cfg->resend_api_base, "https://", 8) != 0 &&
		    strncmp(cfg->resend_api_base, "http://", 7) != 0) {
			snprintf(errbuf, errlen, "RESEND_API_BASE must be an http(s) URL");
			free(t);
			return NULL;
		}
		t->url = xasprintf("%.*s/emails", (int)n, cfg->resend_api_base);
		t->target = xstrdup(t->url);
		t->auth_header = xasprintf("Authorization: Bearer %s", cfg->resend_api_key);
		break;
	}
	case T_SMTP:
		if (!smtp_url_parse(cfg->smtp_url, &t->target, &t->require_tls,
				    errbuf, errlen)) {
			free(t);
			return NULL;
		}
		t->url = xstrdup(cfg->smtp_url);
		if (!smtp_tls_options(t, errbuf, errlen)) {
			mail_transport_close(t);
			return NULL;
		}
		break;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    !(t->curl = curl_easy_init())) {
		snprintf(errbuf, errlen, "libcurl cannot be initialised");
		mail_transport_close(t);
		return NULL;
	}
	return t;
}

static void free_secret(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void mail_transport_close(mail_transport_t *t)
{
	if (!t)
		return;
	if (t->curl) {
		curl_easy_cleanup(t->curl);
		curl_global_cleanup();
	}
	free(t->target);
	free(t->dir);
	free(t->ca_file);
	free_secret(t->url);
	free_secret(t->auth_header);
	free(t);
}

static void result_set(struct mail_result *res, enum mail_outcome o,
		       const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void result_set(struct mail_result *res, enum mail_outcome o,
		       const char *fmt, ...)
{
	va_list ap;

	res->outcome = o;
	va_start(ap, fmt);
	vsnprintf(res->error, sizeof res->error, fmt, ap);
	va_end(ap);
}

/* ---- file ---------------------------------------------------------------- */

static bool write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

static void file_send(mail_transport_t *t, const struct mail_message *m,
		      struct mail_result *res)
{
	char err[256], name[256], path[4096], tmp[4096];
	char *msg = mail_message_format(m, err, sizeof err);
	int fd;

	if (!msg) {
		result_set(res, MAIL_REJECTED, "%s", err);
		return;
	}
	snprintf(name, sizeof name, "%013lld-%s.eml", (long long)now_ms(), m->id);
	snprintf(path, sizeof path, "%s/%s", t->dir, name);
	snprintf(tmp, sizeof tmp, "%s/.%s.tmp", t->dir, name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0) {
		result_set(res, MAIL_RETRY, "cannot create %s: %s", tmp, strerror(errno));
		free(msg);
		return;
	}
	bool ok = write_all(fd, msg, strlen(msg)) && fsync(fd) == 0;
	int saved = errno;
	ok = close(fd) == 0 && ok;
	if (!ok || rename(tmp, path) < 0) {
		result_set(res, MAIL_RETRY, "cannot write %s: %s", path,
			   strerror(ok ? errno : saved));
		unlink(tmp);
	} else {
		res->outcome = MAIL_SENT;
		(void)buf_fmt(res->provider_id, sizeof res->provider_id, "%s", name);
	}
	free(msg);
}

/* ---- curl plumbing --------------------------------------------------------- */

struct response {
	struct buf body;
	long retry_after;
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct response *r = arg;
	size_t len = size * n;

	if (r->body.len + len > MAX_RESPONSE)
		return 0;      /* aborts the transfer: nobody answers that much */
	buf_add(&r->body, p, len);
	return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct response *r = arg;
	size_t len = size * n;

	if (len > 12 && strncasecmp(p, "Retry-After:", 12) == 0) {
		long v = strtol(p + 12, NULL, 10);
		if (v > 0 && v < 86400)
			r->retry_after = v;
	}
	return len;
}

static void curl_common(CURL *c, char *errbuf)
{
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, TOTAL_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	errbuf[0] = '\0';
}

/* ---- Resend ---------------------------------------------------------------- */

static char *resend_body(const struct mail_message *m)
{
	json_object *o = json_object_new_object();
	json_object *to = json_object_new_array();
	char *s;

	json_object_object_add(o, "from", json_object_new_string(m->from));
	json_object_array_add(to, json_object_new_string(m->to));
	json_object_object_add(o, "to", to);
	json_object_object_add(o, "subject", json_object_new_string(m->subject ? m->subject : ""));
	if (m->html)
		json_object_object_add(o, "html", json_object_new_string(m->html));
	if (m->text)
		json_object_object_add(o, "text", json_object_new_string(m->text));
	if (m->nattachments) {
		json_object *arr = json_object_new_array();
		for (size_t i = 0; i < m->nattachments; i++) {
			json_object *a = json_object_new_object();
			char *b64 = base64_new(m->attachments[i].data, m->attachments[i].len);
			json_object_object_add(a, "filename",
					       json_object_new_string(m->attachments[i].filename));
			json_object_object_add(a, "content", json_object_new_string(b64));
			json_object_object_add(a, "content_type",
					       json_object_new_string(m->attachments[i].content_type));
			free(b64);
			json_object_array_add(arr, a);
		}
		json_object_object_add(o, "attachments", arr);
	}
	if (m->nheaders) {
		json_object *h = json_object_new_object();
		for (size_t i = 0; i < m->nheaders; i++)
			json_object_object_add(h, m->headers[i].name,
					       json_object_new_string(m->headers[i].value));
		json_object_object_add(o, "headers", h);
	}
	s = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						      JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return s;
}

/* Resend's error body: {"statusCode":422,"name":"validation_error","message":"…"} */
static void resend_error_text(const char *body, char *name, size_t namelen,
			      char *msg, size_t msglen)
{
	json_object *o = body ? json_tokener_parse(body) : NULL, *v;

	name[0] = msg[0] = '\0';
	if (o && json_object_is_type(o, json_type_object)) {
		if (json_object_object_get_ex(o, "name", &v))
			snprintf(name, namelen, "%s", json_object_get_string(v));
		if (json_object_object_get_ex(o, "message", &v))
			snprintf(msg, msglen, "%s", json_object_get_string(v));
	} else if (body) {
		snprintf(msg, msglen, "%.200s", body);
	}
	json_object_put(o);
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
}

static void resend_send(mail_transport_t *t, const struct mail_message *m,
			struct mail_result *res)
{
	CURL *c = t->curl;
	char errbuf[CURL_ERROR_SIZE], idem[128];
	struct response r = { { 0 }, 0 };
	struct curl_slist *h = NULL;
	char *body;
	long status = 0;
	CURLcode rc;

	if (!mail_address_valid(m->to)) {
		result_set(res, MAIL_REJECTED, "unusable recipient address");
		return;
	}
	for (size_t i = 0; i < m->nattachments; i++)
		if (!mail_attachment_valid(&m->attachments[i])) {
			result_set(res, MAIL_REJECTED, "unusable attachment #%zu", i + 1);
			return;
		}
	body = resend_body(m);
	snprintf(idem, sizeof idem, "Idempotency-Key: outbox-%s", m->id);
	h = curl_slist_append(h, t->auth_header);
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "Accept: application/json");
	h = curl_slist_append(h, "User-Agent: cwc-mailer/1");
	h = curl_slist_append(h, idem);
	h = curl_slist_append(h, "Expect:");

	curl_common(c, errbuf);
	curl_easy_setopt(c, CURLOPT_URL, t->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	/* the header list holds the key: cleared before it is freed */
	explicit_bzero(h->data, strlen(h->data));
	curl_slist_free_all(h);
	free(body);

	if (rc != CURLE_OK) {
		result_set(res, MAIL_RETRY, "resend: %s",
			   errbuf[0] ? errbuf : curl_easy_strerror(rc));
		goto done;
	}
	if (status >= 200 && status < 300) {
		json_object *o = json_tokener_parse(r.body.data ? r.body.data : ""), *id;
		res->outcome = MAIL_SENT;
		if (o && json_object_object_get_ex(o, "id", &id) &&
		    json_object_is_type(id, json_type_string))
			snprintf(res->provider_id, sizeof res->provider_id, "%s",
				 json_object_get_string(id));
		else
			log_warn("resend answered %ld without an id", status);
		json_object_put(o);
		goto done;
	}

	char name[64], msg[300];
	resend_error_text(r.body.data, name, sizeof name, msg, sizeof msg);
	/* retried: what time fixes (404/405 a URL being deployed, 408, 409
	 * in flight, 429, 5xx). Failed at once: the mail itself refused (400,
	 * 409 with another payload, 413, 422, 451 …) and the key refused
	 * (401, 403): every attempt until someone changes RESEND_API_KEY
	 * would be refused the same way, so retrying only hammers the API;
	 * `cwc-cron outbox-retry` sends the failed mails once it is fixed. */
	bool key_refused = status == 401 || status == 403;
	bool retry = status == 404 || status == 405 || status == 408 ||
		     status == 429 || status >= 500 ||
		     (status == 409 && strcmp(name, "concurrent_idempotent_requests") == 0) ||
		     status < 400;
	result_set(res, retry ? MAIL_RETRY : MAIL_REJECTED, "resend: HTTP %ld%s%s%s%s%s",
		   status, name[0] ? " " : "", name, msg[0] ? ": " : "", msg,
		   key_refused ? " (check RESEND_API_KEY, then cwc-cron outbox-retry)" : "");
	res->retry_after = r.retry_after;
	if (key_refused)
		log_error("resend refused the API key (HTTP %ld%s%s): check RESEND_API_KEY; "
			  "the mail is failed, `cwc-cron outbox-retry` sends it again",
			  status, name[0] ? " " : "", name);
done:
	free(r.body.data);
}

/* ---- SMTP ------------------------------------------------------------------ */

struct upload {
	const char *p;
	size_t left;
};

static size_t on_read(char *dst, size_t size, size_t n, void *arg)
{
	struct upload *u = arg;
	size_t len = size * n < u->left ? size * n : u->left;

	memcpy(dst, u->p, len);
	u->p += len;
	u->left -= len;
	return len;
}

static void smtp_send(mail_transport_t *t, const struct mail_message *m,
		      struct mail_result *res)
{
	CURL *c = t->curl;
	char errbuf[CURL_ERROR_SIZE], err[256], name[256], addr[256], from[260], to[260];
	struct curl_slist *rcpt = NULL;
	struct upload u;
	long code = 0;
	CURLcode rc;
	char *msg = mail_message_format(m, err, sizeof err);

	if (!msg) {
		result_set(res, MAIL_REJECTED, "%s", err);
		return;
	}
	mail_mailbox_split(m->from, name, sizeof name, addr, sizeof addr);
	snprintf(from, sizeof from, "<%s>", addr);
	snprintf(to, sizeof to, "<%s>", m->to);
	rcpt = curl_slist_append(rcpt, to);
	u.p = msg;
	u.left = strlen(msg);

	curl_common(c, errbuf);
	curl_easy_setopt(c, CURLOPT_URL, t->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_USE_SSL, t->require_tls ? (long)CURLUSESSL_ALL
							   : (long)CURLUSESSL_TRY);
	if (t->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, t->ca_file);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
	curl_easy_setopt(c, CURLOPT_READDATA, &u);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(rcpt);
	free(msg);

	if (rc == CURLE_OK) {
		res->outcome = MAIL_SENT;
		char date_ms[32];
		snprintf(date_ms, sizeof date_ms, "%lld", (long long)m->date_ms);
		snprintf(res->provider_id, sizeof res->provider_id, "<%s.%s@%s>",
			 m->id, date_ms, strrchr(addr, '@') + 1);
		return;
	}
	if (rc == CURLE_USE_SSL_FAILED) {
		/* nothing was sent: neither the password nor the mail */
		result_set(res, MAIL_RETRY, "smtp: TLS is required and the server "
			   "offers no STARTTLS; not sending in clear (%s)",
			   errbuf[0] ? errbuf : curl_easy_strerror(rc));
		log_error("smtp %s offers no STARTTLS and TLS is required: no mail "
			  "is sent until it does (or SMTP_URL uses smtps://)", t->target);
		return;
	}
	/* 5xx is a permanent refusal of this mail, except the authentication
	 * replies (530, 534, 535, 538), which are our configuration */
	bool auth = rc == CURLE_LOGIN_DENIED || code == 530 || code == 534 ||
		    code == 535 || code == 538;
	bool permanent = code >= 500 && code < 600 && !auth;
	result_set(res, permanent ? MAIL_REJECTED : MAIL_RETRY, "smtp: %s%s",
		   errbuf[0] ? errbuf : curl_easy_strerror(rc),
		   auth ? " (check the user and password of SMTP_URL)" : "");
}

void mail_transport_send(mail_transport_t *t, const struct mail_message *m,
			 struct mail_result *res)
{
	size_t total = 0;

	memset(res, 0, sizeof *res);
	for (size_t i = 0; i < m->nattachments; i++)
		total += 4 * ((m->attachments[i].len + 2) / 3);
	if (total > MAIL_MAX_TOTAL_BYTES) {
		result_set(res, MAIL_REJECTED, "attachments of %zu bytes in base64: "
			   "above the %u bytes a mail may carry", total, MAIL_MAX_TOTAL_BYTES);
		return;
	}
	switch (t->kind) {
	case T_FILE:
		file_send(t, m, res);
		break;
	case T_RESEND:
		resend_send(t, m, res);
		break;
	case T_SMTP:
		smtp_send(t, m, res);
		break;
	}
}
