/*
 * multipart.c — the strict multipart/form-data reader of multipart.h:
 * the boundary from the Content-Type, then delimiters, part headers and
 * data found in place in the body (no allocation).
 */
#include "web/multipart.h"

#include <string.h>
#include <strings.h>

#define BAD(...) err_set(e, 400, "bad_multipart", NULL, __VA_ARGS__)

static bool is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* RFC 2046 bchars (space allowed but not last). */
static bool is_bchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("'()+_,-./:=? ", c));
}

static const char *skip_ows(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/*
 * One parameter "; name=value" (value a token or a quoted string without
 * escapes, as browsers send them) from *pp; the name into [*k, *klen], the
 * value into [*v, *vlen]. False when malformed.
 */
static bool next_param(const char **pp, const char *end, const char **k, size_t *klen, const char **v,
		       size_t *vlen)
{
	const char *p = skip_ows(*pp, end);

	if (p == end || *p != ';')
		return false;
	p = skip_ows(p + 1, end);
	*k = p;
	while (p < end && is_tchar(*p))
		p++;
	*klen = (size_t)(p - *k);
	if (!*klen || p == end || *p != '=')
		return false;
	p++;
	if (p < end && *p == '"') {
		const char *q = memchr(p + 1, '"', (size_t)(end - p - 1));
		if (!q)
			return false;
		*v = p + 1;
		*vlen = (size_t)(q - p - 1);
		p = q + 1;
	} else {
		*v = p;
		while (p < end && is_tchar(*p))
			p++;
		*vlen = (size_t)(p - *v);
		if (!*vlen)
			return false;
	}
	*pp = skip_ows(p, end);
	return true;
}

static bool copy_value(char *dst, size_t cap, const char *v, size_t n)
{
	if (n >= cap || memchr(v, '\0', n))
		return false;
	memcpy(dst, v, n);
	dst[n] = '\0';
	return true;
}

static bool boundary_of(const char *ct, char *out, size_t *blen, struct err *e)
{
	static const char mf[] = "multipart/form-data";
	const char *p, *end, *k, *v;
	size_t klen, vlen;
	bool found = false;

	if (!ct)
		return err_set(e, 415, "unsupported_media_type", NULL, "Le formulaire doit être envoyé en multipart/form-data.");
	end = ct + strlen(ct);
	p = skip_ows(ct, end);
	if ((size_t)(end - p) < sizeof mf - 1 || strncasecmp(p, mf, sizeof mf - 1) != 0 ||
	    (p[sizeof mf - 1] && !strchr(" \t;", p[sizeof mf - 1])))
		return err_set(e, 415, "unsupported_media_type", NULL, "Le formulaire doit être envoyé en multipart/form-data.");
	p += sizeof mf - 1;
	while (skip_ows(p, end) < end) {
		if (!next_param(&p, end, &k, &klen, &v, &vlen))
			return BAD("Content-Type malformé.");
		if (klen == 8 && strncasecmp(k, "boundary", 8) == 0) {
			if (found)
				return BAD("Deux paramètres boundary.");
			if (vlen < 1 || vlen > MULTIPART_MAX_BOUNDARY || v[vlen - 1] == ' ')
				return BAD("Délimiteur (boundary) invalide.");
			for (size_t i = 0; i < vlen; i++)
				if (!is_bchar(v[i]))
					return BAD("Délimiteur (boundary) invalide.");
			memcpy(out, v, vlen);
			*blen = vlen;
			found = true;
		}
	}
	if (!found)
		return BAD("Le Content-Type ne donne pas de délimiteur (boundary).");
	return true;
}

/* The Content-Disposition value [p, end) into `part`. */
static bool disposition(const char *p, const char *end, struct multipart_part *part, struct err *e)
{
	const char *k, *v;
	size_t klen, vlen;
	bool named = false;

	if ((size_t)(end - p) < 9 || strncasecmp(p, "form-data", 9) != 0)
		return BAD("Une partie n’est pas de type form-data.");
	p += 9;
	while (p < end) {
		if (!next_param(&p, end, &k, &klen, &v, &vlen))
			return BAD("Content-Disposition malformé.");
		if (klen == 4 && strncasecmp(k, "name", 4) == 0) {
			if (named || !vlen || !copy_value(part->name, sizeof part->name, v, vlen))
				return BAD("Nom de champ invalide.");
			named = true;
		} else if (klen == 8 && strncasecmp(k, "filename", 8) == 0) {
			if (part->has_filename || !copy_value(part->filename, sizeof part->filename, v, vlen))
				return BAD("Nom de fichier invalide.");
			part->has_filename = true;
		}
	}
	if (!named)
		return BAD("Une partie n’a pas de nom.");
	return true;
}

/* The header lines of a part from *pp up to the empty line (included). */
static bool part_headers(const char **pp, const char *end, struct multipart_part *part, struct err *e)
{
	const char *start = *pp, *p = *pp;
	bool disp = false;

	for (;;) {
		size_t room = MULTIPART_MAX_HEADER + 2 - (size_t)(p - start);
		size_t span = (size_t)(end - p) < room ? (size_t)(end - p) : room;
		const char *crlf = memmem(p, span, "\r\n", 2), *colon, *v;

		if (!crlf)
			return BAD(span == room ? "En-têtes d’une partie trop longs." : "En-têtes d’une partie sans fin.");
		if (crlf == p) {
			*pp = p + 2;
			break;
		}
		for (const char *c = p; c < crlf; c++)
			if (((unsigned char)*c < 0x20 && *c != '\t') || *c == 0x7f)
				return BAD("Caractère de contrôle dans les en-têtes d’une partie.");
		colon = memchr(p, ':', (size_t)(crlf - p));
		if (!colon || colon == p)
			return BAD("En-tête de partie malformé.");
		for (const char *c = p; c < colon; c++)
			if (!is_tchar(*c))
				return BAD("En-tête de partie malformé.");
		v = skip_ows(colon + 1, crlf);
		const char *vend = crlf;
		while (vend > v && (vend[-1] == ' ' || vend[-1] == '\t'))
			vend--;
		if (colon - p == 19 && strncasecmp(p, "Content-Disposition", 19) == 0) {
			if (disp)
				return BAD("Deux Content-Disposition dans une partie.");
			if (!disposition(v, vend, part, e))
				return false;
			disp = true;
		} else if (colon - p == 12 && strncasecmp(p, "Content-Type", 12) == 0) {
			if (part->type[0] || !copy_value(part->type, sizeof part->type, v, (size_t)(vend - v)))
				return BAD("Content-Type de partie invalide.");
		}
		p = crlf + 2;
	}
	if (!disp)
		return BAD("Une partie n’a pas de Content-Disposition.");
	return true;
}

bool multipart_parse(const char *content_type, const char *body, size_t len, struct multipart *mp,
		     struct err *e)
{
	char delim[4 + MULTIPART_MAX_BOUNDARY] = "\r\n--";
	size_t blen = 0, dlen;
	const char *p = body, *end = body + len;

	mp->n = 0;
	mp->boundary[0] = '\0';
	if (!boundary_of(content_type, delim + 4, &blen, e))
		return false;
	dlen = 4 + blen;
	memcpy(mp->boundary, delim + 4, blen);
	mp->boundary[blen] = '\0';
	/* the first delimiter, at the very start (its CRLF is the body's start) */
	if (!body || len < dlen - 2 || memcmp(p, delim + 2, dlen - 2) != 0)
		return BAD("Le formulaire ne commence pas par son délimiteur.");
	p += dlen - 2;
	for (;;) {
		struct multipart_part *part;
		const char *d;

		if (end - p >= 2 && p[0] == '-' && p[1] == '-') {   /* the close delimiter */
			p += 2;
			if (p == end || (end - p == 2 && p[0] == '\r' && p[1] == '\n'))
				return true;
			mp->n = 0;
			return BAD("Des données suivent la fin du formulaire.");
		}
		if (end - p < 2 || p[0] != '\r' || p[1] != '\n') {
			mp->n = 0;
			return BAD(p == end ? "Le formulaire n’a pas de délimiteur final." :
					      "Un délimiteur est suivi d’autre chose qu’une fin de ligne.");
		}
		p += 2;
		if (mp->n == MULTIPART_MAX_PARTS) {
			mp->n = 0;
			return BAD("Trop de champs dans le formulaire (%d au plus).", MULTIPART_MAX_PARTS);
		}
		part = &mp->parts[mp->n];
		memset(part, 0, sizeof *part);
		if (!part_headers(&p, end, part, e)) {
			mp->n = 0;
			return false;
		}
		d = memmem(p, (size_t)(end - p), delim, dlen);
		if (!d) {
			mp->n = 0;
			return BAD("Le formulaire n’a pas de délimiteur final.");
		}
		part->data = (const unsigned char *)p;
		part->len = (size_t)(d - p);
		mp->n++;
		p = d + dlen;
	}
}

const struct multipart_part *multipart_get(const struct multipart *mp, const char *name)
{
	for (size_t i = 0; i < mp->n; i++)
		if (strcmp(mp->parts[i].name, name) == 0)
			return &mp->parts[i];
	return NULL;
}
