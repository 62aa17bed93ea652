/*
 * templates.h — the French mails and the small renderer that fills
 * them (SPEC §5). mail_enqueue() (mail.c) is the only caller in the apps;
 * the functions are public so that the unit tests and `cwc-cron mail-test`
 * can render a template without a store.
 *
 * Template syntax, in the subject, the HTML and the text of a template:
 *   {{name}}               the value of `name` (HTML-escaped in the HTML part;
 *                          CR, LF and tabs become spaces in the subject)
 *   {{#name}}…{{/name}}    the block when `name` is set and not empty
 *   {{^name}}…{{/name}}    the block when `name` is missing or empty
 * A {{name}} that neither the caller nor the built-ins define is an error,
 * so a typo in a template fails in the tests instead of reaching a customer.
 * Built-in variables: siteUrl (NEXTAUTH_URL), contactEmail (CONTACT_EMAIL).
 */
#ifndef CWC_MAIL_TEMPLATES_H
#define CWC_MAIL_TEMPLATES_H

#include "mail/mail.h"

#include <stdbool.h>
#include <stddef.h>

struct mail_template {
	const char *name;       /* what mail_enqueue() is given: "activation"… */
	const char *subject;
	const char *html;       /* the body only: the layout is added around it */
	const char *text;       /* the body only: the signature is added after */
};

/* The template called `name`, or NULL. */
const struct mail_template *mail_template_find(const char *name);

/* Every template, for listings (`cwc-cron mail-test --list`). */
const struct mail_template *mail_template_at(size_t i);   /* NULL past the end */

/* Renders `tpl` with `vars` (see the file comment); `html` escapes the
 * values for HTML. Returns a new string (caller frees), or NULL with the
 * reason in `errbuf` (unknown variable, unclosed block). */
char *mail_render(const char *tpl, const struct mail_var *vars, size_t nvars,
		  bool html, char *errbuf, size_t errlen);

struct mail_rendered {
	char *subject;          /* one line, UTF-8 */
	char *html;             /* a whole HTML document */
	char *text;             /* plain text with the signature */
};

/* Renders the template `name` with the caller's `vars` plus the built-ins
 * (which the caller's own values override), inside the café's layout.
 * Needs `cfg` loaded. On success fills `out` (free with
 * mail_rendered_free()); on error returns false with `errbuf` filled and
 * `out` all NULL. */
bool mail_render_template(const char *name, const struct mail_var *vars,
			  size_t nvars, struct mail_rendered *out,
			  char *errbuf, size_t errlen);
void mail_rendered_free(struct mail_rendered *r);

#endif
