/*
 * page.c — see page.h.
 */
#include "web/page.h"
#include "assets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>




void page_escape(struct buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': buf_str(b, "&lt;"); break;
		case '>': buf_str(b, "&gt;"); break;
		case '&': buf_str(b, "&amp;"); break;
		case '"': buf_str(b, "&quot;"); break;
		case '\'': buf_str(b, "&#39;"); break;
		default: buf_add(b, s, 1);
		}
	}
}

void page_send(struct http_req *req, int status, const char *title,
	       const char *body_html)
{
	page_send_script(req, status, title, body_html, NULL);
}

void page_send_script(struct http_req *req, int status, const char *title,
		      const char *body_html, const char *script)
{
	struct buf b = { 0 };

	buf_str(&b, "<!doctype html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\">"
		 "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
		 "<title>");
	page_escape(&b, title);
	buf_str(&b, " — CoworKing Café</title>"
		 "<link rel=\"stylesheet\" href=\"" ASSET_SITE_CSS "\">");
	if (script) {
		buf_str(&b, "<script defer src=\"");
		page_escape(&b, script);
		buf_str(&b, "\"></script>");
	}
	buf_str(&b, "</head>\n<body>"
		 "<header><a href=\"/\">CoworKing Café</a></header>\n<main>");
	buf_str(&b, body_html);
	buf_str(&b, "</main>\n</body></html>\n");
	http_add_header(req, "Cache-Control", "no-cache");
	http_send(req, status, "text/html; charset=utf-8", b.data, b.len);
	free(b.data);
}

char *page_url_encode(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = malloc(3 * strlen(s) + 1), *o = out;

	if (!out)
		abort();
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~/", *p)) {
			*o++ = (char)*p;
		} else {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		}
	}
	*o = '\0';
	return out;
}

void page_not_found(struct http_req *req)
{
	page_send(req, 404, "Page introuvable",
		  "<h1>Page introuvable</h1><p>Cette page n’existe pas ou a été déplacée."
		  " <a href=\"/\">Retour à l’accueil</a></p>");
}

void page_error(struct http_req *req, int status)
{
	char body[512];

	if (status == 403)
		snprintf(body, sizeof body,
			 "<h1>Accès refusé</h1><p>Votre compte ne donne pas accès à cette page."
			 " <a href=\"/\">Retour à l’accueil</a></p>");
	else
		snprintf(body, sizeof body,
			 "<h1>Une erreur est survenue</h1><p>Merci de réessayer dans un instant."
			 " Référence : <code>%s</code></p>", req->request_id);
	page_send(req, status, "Erreur", body);
}
