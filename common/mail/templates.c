/*
 * templates.c — the French mails of the café, and their renderer.
 * See templates.h for the syntax.
 *
 * To add a mail: add one entry to `templates` below (name, subject, HTML
 * body, text body), call mail_enqueue(st, "name", to, vars, n, &err) where
 * it happens, and add its expected rendering to t/unit/mail.c. The layout
 * (header, card, signature) is shared: a template holds its body only.
 * Keep the HTML simple and inline-styled (mail clients ignore <style> and
 * external CSS), and keep both parts saying the same thing.
 */
#include "mail/templates.h"
#include "core/config.h"
#include "web/page.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The call-to-action button, inline-styled for mail clients. */
#define BUTTON_STYLE "display:inline-block;background:#7a4b2a;color:#ffffff;" \
	"padding:12px 22px;border-radius:6px;text-decoration:none;font-weight:bold"
#define LINK_STYLE "color:#7a4b2a;word-break:break-all"

#define HTML_BUTTON(label) \
	"<p style=\"text-align:center;margin:28px 0\"><a href=\"{{link}}\" " \
	"style=\"" BUTTON_STYLE "\">" label "</a></p>\n"
#define HTML_LINK_FALLBACK \
	"Si le bouton ne fonctionne pas, copiez cette adresse dans votre " \
	"navigateur&nbsp;:<br><a href=\"{{link}}\" style=\"" LINK_STYLE "\">{{link}}</a>"
#define HTML_HELLO "<p>Bonjour{{#givenName}} {{givenName}}{{/givenName}},</p>\n"
#define TEXT_HELLO "Bonjour{{#givenName}} {{givenName}}{{/givenName}},\n\n"

static const struct mail_template templates[] = {
{
	.name = "activation",
	.subject = "Activez votre compte CoworKing Café",
	.html =
		HTML_HELLO
		"<p>Merci de votre inscription au CoworKing Café&nbsp;! Pour activer "
		"votre compte, cliquez sur le bouton ci-dessous.</p>\n"
		HTML_BUTTON("Activer mon compte")
		"<p>Ce lien est valable 48&nbsp;heures. " HTML_LINK_FALLBACK "</p>\n"
		"<p>Vous n’êtes pas à l’origine de cette inscription&nbsp;? Ignorez "
		"simplement ce message&nbsp;: aucun compte ne sera activé.</p>\n",
	.text =
		TEXT_HELLO
		"Merci de votre inscription au CoworKing Café ! Pour activer votre\n"
		"compte, ouvrez ce lien :\n"
		"\n"
		"{{link}}\n"
		"\n"
		"Ce lien est valable 48 heures.\n"
		"\n"
		"Vous n’êtes pas à l’origine de cette inscription ? Ignorez\n"
		"simplement ce message : aucun compte ne sera activé.\n",
},
{
	.name = "password_reset",
	.subject = "Réinitialisation de votre mot de passe",
	.html =
		HTML_HELLO
		"<p>Vous avez demandé à réinitialiser le mot de passe de votre compte "
		"CoworKing Café. Cliquez sur le bouton ci-dessous pour en choisir un "
		"nouveau.</p>\n"
		HTML_BUTTON("Choisir un nouveau mot de passe")
		"<p>Ce lien est valable 1&nbsp;heure et ne sert qu’une fois. "
		HTML_LINK_FALLBACK "</p>\n"
		"<p>Vous n’avez rien demandé&nbsp;? Ignorez ce message&nbsp;: votre "
		"mot de passe actuel reste valable.</p>\n",
	.text =
		TEXT_HELLO
		"Vous avez demandé à réinitialiser le mot de passe de votre compte\n"
		"CoworKing Café. Pour en choisir un nouveau, ouvrez ce lien :\n"
		"\n"
		"{{link}}\n"
		"\n"
		"Ce lien est valable 1 heure et ne sert qu’une fois.\n"
		"\n"
		"Vous n’avez rien demandé ? Ignorez ce message : votre mot de passe\n"
		"actuel reste valable.\n",
},
{
	.name = "password_changed",
	.subject = "Votre mot de passe a été modifié",
	.html =
		HTML_HELLO
		"<p>Le mot de passe de votre compte CoworKing Café vient d’être "
		"modifié.</p>\n"
		"<p>C’est bien vous&nbsp;? Vous n’avez rien à faire.</p>\n"
		"<p><strong>Si ce n’est pas vous</strong>, contactez-nous sans attendre "
		"à <a href=\"mailto:{{contactEmail}}\" style=\"" LINK_STYLE "\">"
		"{{contactEmail}}</a>&nbsp;: nous vous aiderons à sécuriser votre "
		"compte.</p>\n",
	.text =
		TEXT_HELLO
		"Le mot de passe de votre compte CoworKing Café vient d’être modifié.\n"
		"\n"
		"C’est bien vous ? Vous n’avez rien à faire.\n"
		"\n"
		"Si ce n’est pas vous, contactez-nous sans attendre à\n"
		"{{contactEmail}} : nous vous aiderons à sécuriser votre compte.\n",
},
{
	/* `cwc-cron mail-test TO`: checks the transport end to end. */
	.name = "test",
	.subject = "Test d’envoi — CoworKing Café",
	.html =
		"<p>Bonjour,</p>\n"
		"<p>Ce message de test a été envoyé par la plateforme du CoworKing "
		"Café{{#note}} ({{note}}){{/note}}. S’il vous parvient, l’envoi des "
		"e-mails fonctionne.</p>\n",
	.text =
		"Bonjour,\n"
		"\n"
		"Ce message de test a été envoyé par la plateforme du CoworKing\n"
		"Café{{#note}} ({{note}}){{/note}}. S’il vous parvient, l’envoi des\n"
		"e-mails fonctionne.\n",
},
};

/* The café's layout around every HTML body: {{subject}} is the rendered
 * subject, and the body goes between the two halves. */
static const char layout_head[] =
	"<!doctype html>\n"
	"<html lang=\"fr\"><head><meta charset=\"utf-8\">\n"
	"<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n"
	"<title>{{subject}}</title></head>\n"
	"<body style=\"margin:0;padding:0;background:#f4efe9\">\n"
	"<div style=\"max-width:560px;margin:0 auto;padding:24px 16px;"
	"font-family:Helvetica,Arial,sans-serif;font-size:16px;line-height:1.5;"
	"color:#2b2118\">\n"
	"<p style=\"margin:0 0 16px;font-size:20px;font-weight:bold;"
	"color:#7a4b2a\">CoworKing Café</p>\n"
	"<div style=\"background:#ffffff;border-radius:8px;padding:8px 24px\">\n";
static const char layout_foot[] =
	"</div>\n"
	"<p style=\"margin:16px 0 0;font-size:13px;color:#6b5d52;"
	"text-align:center\">CoworKing Café — <a href=\"{{siteUrl}}\" "
	"style=\"color:#6b5d52\">{{siteUrl}}</a></p>\n"
	"</div>\n"
	"</body></html>\n";
static const char text_signature[] =
	"\n"
	"-- \n"
	"CoworKing Café\n"
	"{{siteUrl}}\n";

const struct mail_template *mail_template_find(const char *name)
{
	for (size_t i = 0; name && i < sizeof templates / sizeof *templates; i++)
		if (strcmp(templates[i].name, name) == 0)
			return &templates[i];
	return NULL;
}

const struct mail_template *mail_template_at(size_t i)
{
	return i < sizeof templates / sizeof *templates ? &templates[i] : NULL;
}

/* ---- the renderer ---------------------------------------------------- */


static const char *var_lookup(const struct mail_var *vars, size_t nvars,
			      const char *name, size_t len, bool *defined)
{
	for (size_t i = 0; i < nvars; i++)
		if (vars[i].key && strlen(vars[i].key) == len &&
		    memcmp(vars[i].key, name, len) == 0) {
			*defined = true;
			return vars[i].value ? vars[i].value : "";
		}
	*defined = false;
	return "";
}

static bool name_ok(const char *s, size_t n)
{
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(s[i] == '_' || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
			return false;
	return true;
}

struct render {
	const struct mail_var *vars;
	size_t nvars;
	bool html;
	struct buf out;
	char *errbuf;
	size_t errlen;
};

static bool render_range(struct render *r, const char *s, size_t n)
{
	const char *end = s + n;

	while (s < end) {
		const char *open = memmem(s, (size_t)(end - s), "{{", 2);
		if (!open) {
			buf_add(&r->out, s, (size_t)(end - s));
			return true;
		}
		buf_add(&r->out, s, (size_t)(open - s));
		const char *tag = open + 2;
		const char *close = memmem(tag, (size_t)(end - tag), "}}", 2);
		if (!close) {
			snprintf(r->errbuf, r->errlen, "unclosed {{ at \"%.20s\"", open);
			return false;
		}
		char kind = *tag;
		const char *name = kind == '#' || kind == '^' || kind == '/' ? tag + 1 : tag;
		size_t len = (size_t)(close - name);
		if (!name_ok(name, len)) {
			snprintf(r->errbuf, r->errlen, "bad tag {{%.*s}}",
				 (int)(close - tag > 40 ? 40 : close - tag), tag);
			return false;
		}
		bool defined;
		const char *value = var_lookup(r->vars, r->nvars, name, len, &defined);
		if (kind == '/') {
			snprintf(r->errbuf, r->errlen, "{{/%.*s}} without its opening tag",
				 (int)len, name);
			return false;
		}
		if (kind == '#' || kind == '^') {
			/* the block runs to the first {{/name}}; blocks of the same
			 * name do not nest */
			char closing[72];
			snprintf(closing, sizeof closing, "{{/%.*s}}", (int)len, name);
			const char *inner = close + 2;
			const char *stop = memmem(inner, (size_t)(end - inner),
						  closing, strlen(closing));
			if (!stop) {
				snprintf(r->errbuf, r->errlen, "{{%c%.*s}} is never closed",
					 kind, (int)len, name);
				return false;
			}
			bool set = *value != '\0';
			if (set == (kind == '#') &&
			    !render_range(r, inner, (size_t)(stop - inner)))
				return false;
			s = stop + strlen(closing);
			continue;
		}
		if (!defined) {
			snprintf(r->errbuf, r->errlen, "unknown variable {{%.*s}}",
				 (int)len, name);
			return false;
		}
		if (r->html)
			page_escape(&r->out, value);
		else
			buf_add(&r->out, value, strlen(value));
		s = close + 2;
	}
	return true;
}

char *mail_render(const char *tpl, const struct mail_var *vars, size_t nvars,
		  bool html, char *errbuf, size_t errlen)
{
	struct render r = {
		.vars = vars, .nvars = nvars, .html = html,
		.errbuf = errbuf, .errlen = errlen,
	};

	if (!render_range(&r, tpl, strlen(tpl))) {
		free(r.out.data);
		return NULL;
	}
	buf_add(&r.out, "", 0);   /* an empty template still gives "" */
	return r.out.data;
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

/* Concatenates three rendered pieces; frees them. */
static char *join3(char *a, char *b, char *c)
{
	char *out = NULL;

	if (a && b && c && asprintf(&out, "%s%s%s", a, b, c) < 0)
		abort();
	free(a);
	free(b);
	free(c);
	return out;
}

bool mail_render_template(const char *name, const struct mail_var *vars,
			  size_t nvars, struct mail_rendered *out,
			  char *errbuf, size_t errlen)
{
	const struct mail_template *t = mail_template_find(name);
	struct mail_var *all;
	size_t n = 0;
	char err[256] = "";

	memset(out, 0, sizeof *out);
	if (!t) {
		snprintf(errbuf, errlen, "no mail template called \"%s\"",
			 name ? name : "(null)");
		return false;
	}
	/* the caller's values first: they win over the built-ins */
	all = calloc(nvars + 3, sizeof *all);
	if (!all)
		abort();
	for (size_t i = 0; i < nvars; i++)
		all[n++] = vars[i];
	all[n++] = (struct mail_var){ "siteUrl", cfg ? cfg->site_url : "" };
	all[n++] = (struct mail_var){ "contactEmail", cfg ? cfg->contact_email : "" };

	out->subject = mail_render(t->subject, all, n, false, err, sizeof err);
	if (!out->subject)
		goto fail;
	/* a subject is one header line */
	for (char *p = out->subject; *p; p++)
		if (*p == '\r' || *p == '\n' || *p == '\t')
			*p = ' ';
	all[n++] = (struct mail_var){ "subject", out->subject };

	char *head = mail_render(layout_head, all, n, true, err, sizeof err);
	char *body = head ? mail_render(t->html, all, n, true, err, sizeof err) : NULL;
	char *foot = body ? mail_render(layout_foot, all, n, true, err, sizeof err) : NULL;
	out->html = join3(head, body, foot);
	if (!out->html)
		goto fail;

	body = mail_render(t->text, all, n, false, err, sizeof err);
	char *sig = body ? mail_render(text_signature, all, n, false, err, sizeof err) : NULL;
	out->text = join3(body, sig, strdup(""));
	if (!out->text)
		goto fail;
	free(all);
	return true;
fail:
	snprintf(errbuf, errlen, "mail template \"%s\": %s", name, err);
	mail_rendered_free(out);
	free(all);
	return false;
}
