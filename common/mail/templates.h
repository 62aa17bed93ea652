/*
 * templates.h — the French mails of the café (SPEC §5), templates of
 * common/mail/templates rendered by web/template.h. mail_enqueue()
 * (mail.c) is the only caller in the apps; the functions are public so
 * that the unit tests and `cwc-cron mail-test` can render a mail without
 * a store.
 *
 * A mail NAME is three files: NAME.subject.txt, NAME.html (the body: it
 * is rendered inside layout.html as {{{content}}}) and NAME.txt (inside
 * layout.txt, which adds the signature). Values come from a json-c
 * object, HTML-escaped in the .html files; a {{variable}} that neither
 * the caller nor the built-ins define is an error (the mails render with
 * TPL_STRICT), so a typo fails in the tests instead of reaching a
 * customer. Built-ins: siteUrl (NEXTAUTH_URL), contactEmail
 * (CONTACT_EMAIL), and subject (the rendered subject) in the layouts.
 */
#ifndef CWC_MAIL_TEMPLATES_H
#define CWC_MAIL_TEMPLATES_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

/* Loads common/mail/templates (under cfg->template_dir) into this
 * process, replacing what was loaded. Returns false with the file and
 * line of the first error in `err`. mail_render_template() loads them on
 * first use when nobody did. */
bool mail_templates_load(char *err, size_t errlen);
void mail_templates_free(void);

/* True when a mail called `name` exists (loads the templates when
 * needed). */
bool mail_template_exists(const char *name);

/* The name of the i-th mail ("activation"…), NULL past the end; loads
 * the templates when needed (NULL too when they cannot be loaded). */
const char *mail_template_at(size_t i);

struct mail_rendered {
	char *subject;          /* one line, UTF-8 */
	char *html;             /* a whole HTML document */
	char *text;             /* plain text with the signature */
};

/* Renders the mail `name` with the caller's `vars` (an object, borrowed;
 * NULL: none) plus the built-ins (which the caller's own values
 * override). Needs `cfg` loaded. On success fills `out` (free with
 * mail_rendered_free()); on error returns false with `errbuf` filled and
 * `out` all NULL. */
/* The subject alone of the mail `name` (one line; caller frees), or NULL
 * with `err` filled. */
char *mail_render_subject(const char *name, json_object *vars, char *err,
			  size_t errlen);

bool mail_render_template(const char *name, json_object *vars,
			  struct mail_rendered *out, char *errbuf, size_t errlen);
void mail_rendered_free(struct mail_rendered *r);

#endif
