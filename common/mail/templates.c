/*
 * templates.c — renders the café's mails from common/mail/templates.
 * See templates.h.
 *
 * To add a mail: add NAME.subject.txt, NAME.html and NAME.txt to
 * common/mail/templates, call mail_enqueue(st, "NAME", to, vars, &err)
 * where it happens, and add its expected rendering to t/unit/mail.c.
 * Keep the HTML simple and inline-styled (mail clients ignore <style> and
 * external CSS), and keep both parts saying the same thing.
 */
#include "mail/templates.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/template.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUBJECT_SUFFIX ".subject.txt"

static struct tpl_set *templates;     /* this process's */

bool mail_templates_load(char *err, size_t errlen)
{
	static const char *const dirs[] = { "common/mail/templates", NULL };
	struct tpl_set *set = tpl_set_load(cfg ? cfg->template_dir : ".", dirs,
					   err, errlen);

	if (!set)
		return false;
	tpl_set_free(templates);
	templates = set;
	return true;
}

void mail_templates_free(void)
{
	tpl_set_free(templates);
	templates = NULL;
}

static bool loaded(char *err, size_t errlen)
{
	return templates || mail_templates_load(err, errlen);
}

bool mail_template_exists(const char *name)
{
	char file[160], err[256];

	return name && loaded(err, sizeof err) &&
	       buf_fmt(file, sizeof file, "%s" SUBJECT_SUFFIX, name) &&
	       tpl_find(templates, file);
}

const char *mail_template_at(size_t i)
{
	static char name[128];
	const char *t;
	char err[256];

	if (!loaded(err, sizeof err))
		return NULL;
	for (size_t k = 0; (t = tpl_name_at(templates, k)); k++) {
		size_t n = strlen(t), m = strlen(SUBJECT_SUFFIX);
		if (n <= m || strcmp(t + n - m, SUBJECT_SUFFIX) != 0 || i--)
			continue;
		if (!buf_fmt(name, sizeof name, "%.*s", (int)(n - m), t))
			return NULL;
		return name;
	}
	return NULL;
}

void mail_rendered_free(struct mail_rendered *r)
{
	if (!r)
		return;
	free(r->subject);
	free(r->html);
	free(r->text);
	r->subject = r->html = r->text = NULL;
}

/* Renders `name` with `data` into a new string; NULL with err filled. */
static char *render(const char *name, json_object *data, char *err, size_t errlen)
{
	const struct tpl *t = tpl_find(templates, name);
	struct buf b = { 0 };

	if (!t) {
		snprintf(err, errlen, "no template %s", name);
		return NULL;
	}
	if (!tpl_render(t, data, TPL_STRICT, &b, err, errlen)) {
		buf_free(&b);
		return NULL;
	}
	return b.data;
}

/* Renders the body `name` inside `layout`, with the body as "content". */
static char *render_in(const char *layout, const char *name, json_object *data,
		       char *err, size_t errlen)
{
	char *body = render(name, data, err, errlen);

	if (!body)
		return NULL;
	json_object_object_add(data, "content", json_object_new_string(body));
	free(body);
	return render(layout, data, err, errlen);
}

char *mail_render_subject(const char *name, json_object *vars, char *err,
			  size_t errlen)
{
	char file[160];
	char *subject;

	if (!loaded(err, errlen))
		return NULL;
	if (!name || !buf_fmt(file, sizeof file, "%s" SUBJECT_SUFFIX, name) ||
	    !tpl_find(templates, file)) {
		snprintf(err, errlen, "no mail template called \"%s\"", name ? name : "(null)");
		return NULL;
	}
	if (!(subject = render(file, vars, err, errlen)))
		return NULL;
	/* a subject is one header line */
	size_t n = strlen(subject);
	while (n && (subject[n - 1] == '\n' || subject[n - 1] == '\r'))
		subject[--n] = '\0';
	for (char *p = subject; *p; p++)
		if (*p == '\r' || *p == '\n' || *p == '\t')
			*p = ' ';
	return subject;
}

bool mail_render_template(const char *name, json_object *vars,
			  struct mail_rendered *out, char *errbuf, size_t errlen)
{
	json_object *data = NULL;
	char err[256] = "", file[160];

	memset(out, 0, sizeof *out);
	if (!loaded(err, sizeof err))
		goto fail;
	if (!name || !buf_fmt(file, sizeof file, "%s" SUBJECT_SUFFIX, name) ||
	    !tpl_find(templates, file)) {
		snprintf(errbuf, errlen, "no mail template called \"%s\"",
			 name ? name : "(null)");
		return false;
	}
	/* the built-ins, then the caller's values over them */
	data = json_object_new_object();
	json_object_object_add(data, "siteUrl",
			       json_object_new_string(cfg ? cfg->site_url : ""));
	json_object_object_add(data, "contactEmail",
			       json_object_new_string(cfg ? cfg->contact_email : ""));
	if (vars) {
		json_object_object_foreach(vars, key, value)
			json_object_object_add(data, key, json_object_get(value));
	}

	if (!(out->subject = mail_render_subject(name, data, err, sizeof err)))
		goto fail;
	json_object_object_add(data, "subject", json_object_new_string(out->subject));

	(void)buf_fmt(file, sizeof file, "%s.html", name);
	if (!(out->html = render_in("layout.html", file, data, err, sizeof err)))
		goto fail;
	(void)buf_fmt(file, sizeof file, "%s.txt", name);
	if (!(out->text = render_in("layout.txt", file, data, err, sizeof err)))
		goto fail;
	json_object_put(data);
	return true;
fail:
	snprintf(errbuf, errlen, "mail template \"%s\": %s", name ? name : "(null)", err);
	mail_rendered_free(out);
	json_object_put(data);
	return false;
}
