/*
 * The template engine (web/template.h): what it refuses and how it says
 * so (file and line), escaping, strict rendering, the helpers for URLs and
 * JSON in <script>, and loading a folder. Rendering itself is compared
 * with pystache by t/templates-differential.t. Run under AddressSanitizer.
 */
#include "core/template.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool has(const char *hay, const char *needle)
{
	return hay && needle && strstr(hay, needle) != NULL;
}

/* Renders `src` as `name` with the JSON `data`; returns a new string or
 * NULL with `err` filled. */
static char *render(const char *name, const char *src, const char *data,
		    unsigned flags, char *err, size_t errlen)
{
	struct tpl_set *set = tpl_set_new();
	json_object *d = data ? json_tokener_parse(data) : NULL;
	struct buf out = { 0 };
	char *s = NULL;

	if (tpl_set_add(set, name, NULL, src, err, errlen) &&
	    tpl_set_link(set, err, errlen) &&
	    tpl_render(tpl_find(set, name), d, flags, &out, err, errlen))
		s = strdup(out.data);
	buf_free(&out);
	json_object_put(d);
	tpl_set_free(set);
	return s;
}

static void test_syntax_errors(void)
{
	static const struct { const char *src, *want; } bad[] = {
		{ "a\nb\n{{#items}}\n<li>{{name}}</li>\n", "page.html:3: {{#items}} is never closed" },
		{ "<ul>\n{{#items}}\n{{/item}}\n</ul>", "page.html:3: {{/item}} closes {{#items}} of line 2" },
		{ "{{^a}}{{#b}}{{/a}}{{/b}}", "page.html:1: {{/a}} closes {{#b}} of line 1" },
		{ "x\n\n{{/done}}", "page.html:3: {{/done}} closes no section" },
		{ "Bonjour\n{{name", "page.html:2: unclosed tag" },
		{ "{{{raw}}", "page.html:1: unclosed tag" },
		{ "{{=<% %>=}}", "page.html:1: set-delimiter tags are not supported" },
		{ "{{}}", "page.html:1: bad tag" },
		{ "{{na me}}", "page.html:1: bad tag" },
		{ "{{a..b}}", "page.html:1: bad name" },
		{ "\n{{! shows {{{content}}} here }}", "page.html:2: a comment cannot hold a tag" },
	};
	char err[256];

	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		err[0] = '\0';
		char *s = render("page.html", bad[i].src, "{}", 0, err, sizeof err);
		ok(!s && has(err, bad[i].want), "syntax error %zu refused (%s)", i + 1, err);
		free(s);
	}

	struct tpl_set *set = tpl_set_new();
	ok(tpl_set_add(set, "page.html", "fcgi-apps/site/templates/page.html",
		       "<h1>x</h1>\n\n  {{> header.html}}\n", err, sizeof err),
	   "a page with a partial compiles");
	ok(!tpl_set_link(set, err, sizeof err) &&
	   has(err, "fcgi-apps/site/templates/page.html:3: no partial \"header.html\""),
	   "a missing partial: file and line (%s)", err);
	ok(!tpl_set_add(set, "page.html", "other/page.html", "x", err, sizeof err) &&
	   has(err, "other/page.html") && has(err, "fcgi-apps/site/templates/page.html"),
	   "two templates of the same name are refused, naming both (%s)", err);
	tpl_set_free(set);
}

static void test_rendering(void)
{
	char err[256] = "";
	char *s;

	s = render("p.html", "<p title=\"{{v}}\">{{v}}</p>{{{v}}}{{& v}}",
		   "{\"v\": \"<script>&amp;\\\"'\"}", 0, err, sizeof err);
	is_str(s, "<p title=\"&lt;script&gt;&amp;amp;&quot;&#39;\">&lt;script&gt;&amp;amp;&quot;&#39;</p>"
	       "<script>&amp;\"'<script>&amp;\"'", "html: {{v}} escapes & < > \" ', {{{v}}} and {{&v}} do not");
	free(s);
	s = render("p.txt", "{{v}}", "{\"v\": \"<b>&\"}", 0, err, sizeof err);
	is_str(s, "<b>&", "txt: values as they are");
	free(s);
	s = render("p.html", "{{#list}}{{.}},{{/list}}|{{a.b.c}}|{{#a}}{{b.c}}{{/a}}|{{a.x.c}}",
		   "{\"list\": [1, \"é\", 2.5], \"a\": {\"b\": {\"c\": \"deep\"}}}", 0, err, sizeof err);
	is_str(s, "1,é,2.5,|deep|deep|", "lists, {{.}}, dotted names, a broken chain");
	free(s);
	s = render("p.html", "{{#z}}a{{/z}}{{#f}}b{{/f}}{{#e}}c{{/e}}{{#o}}d{{/o}}{{#n}}e{{/n}}"
		   "{{^z}}0{{/z}}{{^e}}1{{/e}}{{^o}}2{{/o}}{{^missing}}3{{/missing}}{{^t}}no{{/t}}",
		   "{\"z\": 0, \"f\": false, \"e\": \"\", \"o\": {}, \"n\": null, \"t\": \"x\"}",
		   0, err, sizeof err);
	is_str(s, "0123", "falsy: 0, false, \"\", {}, null and missing");
	free(s);
	s = render("p.html", "{{#a}}{{x}}{{/a}}", "{\"x\": \"outer\", \"a\": {\"y\": 1}}",
		   0, err, sizeof err);
	is_str(s, "outer", "a section's names fall back to the outer context");
	free(s);
	s = render("p.html", "<ul>\n  {{#items}}\n  <li>{{.}}</li>\n  {{/items}}\n</ul>\n",
		   "{\"items\": [\"a\", \"b\"]}", 0, err, sizeof err);
	is_str(s, "<ul>\n  <li>a</li>\n  <li>b</li>\n</ul>\n", "standalone lines disappear");
	free(s);

	s = render("m.txt", "Bonjour {{givenName}},\n{{lnik}}\n", "{\"givenName\": \"A\"}",
		   TPL_STRICT, err, sizeof err);
	ok(!s && has(err, "m.txt:2: {{lnik}} has no value"), "strict: a missing variable (%s)", err);
	free(s);
	s = render("m.txt", "{{#note}}{{note}}{{/note}}{{^x}}-{{/x}}", "{}", TPL_STRICT, err, sizeof err);
	is_str(s, "-", "strict: sections on missing names are fine");
	free(s);

	/* a partial that includes itself stops at a depth limit */
	struct tpl_set *set = tpl_set_new();
	struct buf out = { 0 };
	tpl_set_add(set, "loop.html", NULL, "x{{> loop.html}}", err, sizeof err);
	tpl_set_link(set, err, sizeof err);
	ok(!tpl_render(tpl_find(set, "loop.html"), NULL, 0, &out, err, sizeof err) &&
	   has(err, "too deeply"), "endless partial recursion is cut (%s)", err);
	buf_free(&out);
	tpl_set_free(set);
}

static void test_helpers(void)
{
	struct buf b = { 0 };
	json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(
		"</script><script>alert(1)</script> & <!-- \xe2\x80\xa8\xe2\x80\xa9 é"));
	tpl_json_script(&b, o);
	is_str(b.data, "{\"name\":\"\\u003c/script\\u003e\\u003cscript\\u003ealert(1)\\u003c/script\\u003e"
	       " \\u0026 \\u003c!-- \\u2028\\u2029 é\"}", "JSON for <script>: no < > & U+2028 U+2029 left");
	ok(!has(b.data, "</"), "… so no </script> can close the element");
	json_object *back = json_tokener_parse(b.data);
	json_object *name = NULL;
	ok(back && json_object_object_get_ex(back, "name", &name) &&
	   strcmp(json_object_get_string(name), json_object_get_string(
		   json_object_object_get(o, "name"))) == 0, "… and it is the same JSON value");
	json_object_put(back);
	json_object_put(o);
	buf_free(&b);

	char *e = tpl_url_encode("/dashboard/messages?x=a b&c=é\"<");
	is_str(e, "/dashboard/messages%3Fx%3Da%20b%26c%3D%C3%A9%22%3C", "url_encode");
	free(e);
	ok(tpl_url_safe("/a") && tpl_url_safe("https://x.test/a?b") && tpl_url_safe("mailto:a@b.c"),
	   "safe URLs: local paths, http(s), mailto");
	ok(!tpl_url_safe("javascript:alert(1)") && !tpl_url_safe("//evil.test") &&
	   !tpl_url_safe("data:text/html,x") && !tpl_url_safe("/\\evil.test") &&
	   !tpl_url_safe("") && !tpl_url_safe(NULL) && !tpl_url_safe("/a\nb"),
	   "unsafe URLs: javascript:, protocol-relative, data:, backslash, control characters");
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void test_load(void)
{
	char root[] = "/tmp/cwc-unit-tpl-XXXXXX";
	char dir[600], other[600], err[512] = "";
	struct tpl_set *set;

	if (!mkdtemp(root)) {
		skip("no temporary directory");
		return;
	}
	snprintf(dir, sizeof dir, "%s/pages", root);
	snprintf(other, sizeof other, "%s/shared", root);
	mkdir(dir, 0700);
	mkdir(other, 0700);
	write_file(dir, "home.html", "{{! the home }}\n<h1>{{title}}</h1>\n  {{> foot.html}}\n");
	write_file(other, "foot.html", "<footer>\n<p>{{title}}</p>\n</footer>\n");
	write_file(dir, "notes.md", "{{#never closed");   /* not a template: ignored */

	const char *dirs[] = { "pages", "shared", NULL };
	set = tpl_set_load(root, dirs, err, sizeof err);
	ok(set != NULL, "a folder loads (%s)", err);
	struct buf out = { 0 };
	json_object *d = json_tokener_parse("{\"title\": \"Café <&>\"}");
	ok(set && tpl_render(tpl_find(set, "home.html"), d, 0, &out, err, sizeof err),
	   "home.html renders");
	is_str(out.data, "<h1>Café &lt;&amp;&gt;</h1>\n  <footer>\n  <p>Café &lt;&amp;&gt;</p>\n  </footer>\n",
	       "with its partial from the other folder, indented");
	buf_free(&out);
	json_object_put(d);
	ok(!tpl_find(set, "notes.md"), "other files are not templates");
	tpl_set_free(set);

	write_file(dir, "broken.html", "<ul>\n{{#items}}\n<li>{{.}}</li>\n{{/itmes}}\n</ul>\n");
	set = tpl_set_load(root, dirs, err, sizeof err);
	ok(!set && has(err, "pages/broken.html:4: {{/itmes}} closes {{#items}} of line 2"),
	   "a syntax error names the file and line (%s)", err);
	tpl_set_free(set);
	write_file(dir, "broken.html", "x\n{{> nav.html}}\n");
	set = tpl_set_load(root, dirs, err, sizeof err);
	ok(!set && has(err, "pages/broken.html:2: no partial \"nav.html\""),
	   "a missing partial names the file and line (%s)", err);
	tpl_set_free(set);
	write_file(dir, "broken.html", "");
	write_file(other, "home.html", "");
	set = tpl_set_load(root, dirs, err, sizeof err);
	ok(!set && has(err, "shared/home.html") && has(err, "pages/home.html"),
	   "the same name in two folders is refused (%s)", err);
	tpl_set_free(set);
	const char *missing[] = { "nope", NULL };
	set = tpl_set_load(root, missing, err, sizeof err);
	ok(!set && has(err, "nope"), "a missing folder is refused (%s)", err);
	tpl_set_free(set);

	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	if (system(cmd) != 0)
		ok(0, "temporary directory removed");
}

int main(void)
{
	test_syntax_errors();
	test_rendering();
	test_helpers();
	test_load();
	return tap_done();
}
