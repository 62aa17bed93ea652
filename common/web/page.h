/*
 * page.h — server-rendered HTML pages: every page is a template of the
 * app's template folders (web/template.h) rendered inside layout.html,
 * and the error pages (404 / 500) that leak no detail.
 *
 * A page's data is one json-c object (page_data() starts it):
 *   page     {title, description, canonical, script, jsonLd}: the layout's
 *            head block (description, canonical, script and jsonLd only
 *            when set; jsonLd from tpl_json_script())
 *   site     {name, url, service, staff (the back office)}
 *   assets   {css, icon, adminCss (back office only)}
 *   signedIn true when a session came with the request
 *   nav      {SECTION: true} for the menu (page_section())
 *   closure  {message}: the closure banner's slot (absent: no banner)
 *   content  the rendered page template (set by page_render(): the layout
 *            inserts it with {{{content}}})
 * The templates of both apps share layout.html, head.html and the error
 * pages (common/web/templates); each app has its header.html and
 * footer.html (fcgi-apps/<app>/templates).
 */
#ifndef CWC_PAGE_H
#define CWC_PAGE_H

#include "web/http.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

/* Loads this process's page templates from `dirs` (NULL-terminated, under
 * cfg->template_dir), replacing those loaded before. Returns false with
 * the file and line of the first error in `err`. */
bool page_templates_load(const char *const *dirs, char *err, size_t errlen);
void page_templates_free(void);

/* A new page data object (see above) titled `title`; the caller adds to it
 * and hands it to page_render(). */
json_object *page_data(struct http_req *req, const char *title);

/* Marks the page as part of the menu's `section` ("home", "messages"…):
 * nav.SECTION is true, so the menu says aria-current="page" there. */
void page_section(json_object *data, const char *section);

/* Sets page.KEY of a page data object (description, canonical, script…)
 * to a copy of `value`. */
void page_set(json_object *data, const char *key, const char *value);

/* Sets page.jsonLd to `ld` (taken) as tpl_json_script() writes it. */
void page_set_json_ld(json_object *data, json_object *ld);

/* Renders the template `name` with `data` (taken: freed here) inside
 * layout.html and finishes the response with `status`. */
void page_render(struct http_req *req, int status, const char *name,
		 json_object *data);

/* Renders the template `name` alone, without the layout, as
 * `content_type` (robots.txt, sitemap.xml) with `status`; takes `data`. */
void page_render_plain(struct http_req *req, int status, const char *content_type,
		       const char *name, json_object *data);

/* The 404 page, and a generic error page carrying the request id. */
void page_not_found(struct http_req *req);
void page_error(struct http_req *req, int status);

#endif
