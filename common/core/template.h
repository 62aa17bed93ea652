/*
 * template.h — the one template engine of pages and mails: Mustache
 * (https://mustache.github.io/mustache.5.html), compiled once into a flat
 * node array and rendered from json-c objects into a struct buf.
 *
 * What it implements (the spec's core, minus set-delimiters):
 *   {{name}}             the value, HTML-escaped in .html templates:
 *                        & < > " ' become &amp; &lt; &gt; &quot; &#39;
 *   {{{name}}} {{&name}} the value as it is: only for HTML the C code
 *                        produced and sanitised (a rendered page body,
 *                        tpl_json_script()'s output)
 *   {{a.b.c}}            dotted names; {{.}} the current item
 *   {{#name}}…{{/name}}  once per item of a list, once with an object or a
 *                        truthy value pushed on the context
 *   {{^name}}…{{/name}}  when the value is missing or falsy
 *   {{> file.html}}      a partial (another file of the set), indented as
 *                        its standalone tag is
 *   {{! comment }}
 * Standalone tags (alone on their line) take the whole line with them.
 * Falsy, as in pystache (the reference the differential test compares
 * with): missing, null, false, 0, "", [] and {}. Interpolated numbers are
 * written as json-c writes them; null and missing as nothing.
 *
 * Files: a set is loaded from directories of `*.html` and `*.txt` files;
 * a template's name is its file name ("layout.html"). .html templates
 * escape for HTML; .txt ones (mail text, subjects) write values as they
 * are. A partial renders with the escaping of the template that includes
 * it. Every error names the file and line ("home.html:12: …").
 *
 * Sets are loaded when a process starts (the FastCGI server checks them in
 * the master and loads them in each worker: see server.h) and are
 * read-only afterwards.
 */
#ifndef CWC_TEMPLATE_H
#define CWC_TEMPLATE_H

#include "core/buf.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

struct tpl_set;
struct tpl;

/* An empty set; add templates with tpl_set_add() then tpl_set_link(). */
struct tpl_set *tpl_set_new(void);

/* Compiles `src` (copied) as the template `name` ("x.html", or "x.txt"
 * for a template that does not escape: any name but *.txt escapes); `file` is what error messages call it (NULL: the name). Returns false
 * with "file:line: reason" in `err` on a syntax error or a duplicate name;
 * the set is unchanged then. */
bool tpl_set_add(struct tpl_set *set, const char *name, const char *file,
		 const char *src, char *err, size_t errlen);

/* Resolves every partial. Returns false with "file:line: no partial
 * \"x\"" in `err` when one is missing. */
bool tpl_set_link(struct tpl_set *set, char *err, size_t errlen);

/* Loads every *.html and *.txt file of `dirs` (a NULL-terminated list;
 * relative paths are taken from `root` when it is not NULL), compiles and
 * links them. Returns a set (free with tpl_set_free()), or NULL with the
 * file and line of the first error in `err` (a missing directory, a
 * syntax error, a missing partial, two files of the same name). */
struct tpl_set *tpl_set_load(const char *root, const char *const *dirs,
			     char *err, size_t errlen);

void tpl_set_free(struct tpl_set *set);

/* The template `name` of `set`, or NULL. Owned by the set. */
const struct tpl *tpl_find(const struct tpl_set *set, const char *name);

/* The names of a set's templates in load order; NULL past the end. */
const char *tpl_name_at(const struct tpl_set *set, size_t i);

enum tpl_flags {
	/* a {{variable}} whose name resolves to nothing is an error (mails:
	 * a typo must fail in the tests, not reach a customer) */
	TPL_STRICT = 1 << 0,
};

/* Appends `t` rendered with `data` (any json-c value, borrowed; NULL is an
 * empty context) to `out`. Returns false only under TPL_STRICT, with
 * "file:line: {{name}} has no value" in `err`; `out` then holds a part. */
bool tpl_render(const struct tpl *t, json_object *data, unsigned flags,
		struct buf *out, char *err, size_t errlen);

/* ---- helpers for what HTML escaping alone does not cover ------------- */

/* Appends `s` escaped for HTML text and attribute values (what {{name}}
 * does in a .html template). */
void tpl_escape_html(struct buf *out, const char *s, size_t len);

/* Appends `v` as JSON that is safe inside <script type="application/ld+json">
 * (inserted with {{{…}}}): < > & and U+2028 / U+2029 are written as \uXXXX
 * escapes, so no "</script>" or "<!--" can close the element. */
void tpl_json_script(struct buf *out, json_object *v);

/* Percent-encodes `s` for a URL's path or query value (unreserved
 * characters and '/' stay). Caller frees. */
char *tpl_url_encode(const char *s);

/* True when `url` is safe as an href/src: a local path ("/x", not "//x"),
 * or an absolute http:, https: or mailto: URL. Anything else (javascript:,
 * data:, a protocol-relative URL) must not be put in an attribute. */
bool tpl_url_safe(const char *url);

#endif
