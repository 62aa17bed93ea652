/*
 * page.h — server-rendered HTML pages: the layout around a page's body,
 * escaping, and the error pages (404 / 500) that leak no detail.
 */
#ifndef CWC_PAGE_H
#define CWC_PAGE_H

#include "core/buf.h"
#include "web/http.h"

/* Appends `s` HTML-escaped to `b`. */
void page_escape(struct buf *b, const char *s);

/* Finishes the response with the site's layout: `title` (escaped) and
 * `body_html` (already HTML, trusted). */
void page_send(struct http_req *req, int status, const char *title,
	       const char *body_html);

/* The same, with a script (an ASSET_… URL, loaded deferred) or NULL. */
void page_send_script(struct http_req *req, int status, const char *title,
		      const char *body_html, const char *script);

/* Percent-encodes `s` for a query value. Caller frees. */
char *page_url_encode(const char *s);

/* The 404 page, and a generic error page carrying the request id. */
void page_not_found(struct http_req *req);
void page_error(struct http_req *req, int status);

#endif
