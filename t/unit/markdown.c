/*
 * markdown.c — the Markdown renderer (core/markdown.h) against hostile
 * sources, and the text folding it and the search share (core/text.h).
 */
#include "core/markdown.h"
#include "core/text.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *render(const char *src)
{
	char *r;
	struct buf out = { 0 };
	if (!markdown_render(src, strlen(src), &out))
		return strdup("(refused)");
	if (!out.data)
		buf_str(&out, "");
	r = out.data;
	return r;
}

/* `html` has none of the forbidden fragments (case-insensitive). */
static bool clean(const char *html)
{
	static const char *const bad[] = {
		"<script", "=\"javascript:", "=\"data:", "=\"vbscript:", "onerror", "onclick",
		"onload", "<iframe", "<img src=\"\"", "<style", "<svg", "<!--",
	};
	char *low = strdup(html);
	bool ok_ = true;
	for (char *p = low; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p += 32;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		if (strstr(low, bad[i])) {
			diag("found %s in %s", bad[i], html);
			ok_ = false;
		}
	free(low);
	return ok_;
}

static void hostile(void)
{
	static const char *const src[] = {
		"<script>alert(1)</script>",
		"Hello <script>alert(1)</script> world",
		"<img src=x onerror=alert(1)>",
		"para <b onclick=\"alert(1)\">bold</b>",
		"<iframe src=\"https://evil.example\"></iframe>",
		"[clic](javascript:alert(1))",
		"[clic](JaVaScRiPt:alert(1))",
		"[clic](  javascript:alert(1)  )",
		"[clic](java\tscript:alert(1))",
		"[clic](&#106;avascript:alert(1))",
		"[clic](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
		"![x](data:image/png;base64,iVBORw0KGgo=)",
		"![x](javascript:alert(1))",
		"<javascript:alert(1)>",
		"[a]: javascript:alert(1)\n\n[clic][a]",
		"[[[[[[[[clic](javascript:alert(1))]]]]]]]",
		"[![img](javascript:x)](javascript:y)",
		"<style>body{display:none}</style>",
		"<svg onload=alert(1)>",
		"<!-- comment --><a href=\"javascript:x\">a</a>",
		"`<script>` stays code",
		"[x](vbscript:msgbox)",
		"[x](//evil.example/path)",
		"<a href=\"https://ok.example\" onclick=\"x()\">a</a>",
	};
	for (size_t i = 0; i < sizeof src / sizeof *src; i++) {
		char *html = render(src[i]);
		ok(clean(html), "hostile source %zu rendered clean", i);
		free(html);
	}
	char *html = render("`<script>` stays code");
	ok(strstr(html, "<code>&lt;script&gt;</code>"), "code keeps the text, escaped");
	free(html);
	html = render("[clic](javascript:alert(1)) after");
	ok(strstr(html, "clic after") && !strstr(html, "<a"),
	   "a refused link keeps its text: %s", html);
	free(html);
}

static void links_and_headings(void)
{
	char *html = render("[site](https://example.com/a?b=1&c=\"2\") and [local](/blog/x) and [frag](#top)");
	ok(strstr(html, "<a href=\"https://example.com/a?b=1&amp;c=&quot;2&quot;\" rel=\"noopener noreferrer\">site</a>"),
	   "external link escaped, rel noopener: %s", html);
	ok(strstr(html, "<a href=\"/blog/x\">local</a>"), "local link kept, no rel");
	ok(strstr(html, "<a href=\"#top\">frag</a>"), "fragment link kept");
	free(html);

	html = render("[x](https://ok.example \"a \\\"title\\\" <b>\")");
	ok(strstr(html, "title=\"a &quot;title&quot; &lt;b&gt;\""), "title escaped: %s", html);
	free(html);

	html = render("# Le café d’été\n\n## Le café d’été\n\ntext");
	ok(strstr(html, "<h2><a class=\"anchor\" id=\"section-le-cafe-d-ete\" href=\"#section-le-cafe-d-ete\""),
	   "h1 becomes h2 with an id from folded text: %s", html);
	ok(strstr(html, "<h3><a class=\"anchor\" id=\"section-le-cafe-d-ete-2\""),
	   "same heading text gets a distinct id");
	free(html);

	html = render("![Une tasse](/static/cup.jpg \"t\")");
	ok(strstr(html, "<img src=\"/static/cup.jpg\" alt=\"Une tasse\""), "local image kept: %s", html);
	free(html);
}

static void sizes(void)
{
	size_t n = 1024 * 1024;
	char *stars = malloc(n + 1);
	struct buf out = { 0 };
	struct timespec a, b;

	memset(stars, '*', n);
	stars[n] = '\0';
	clock_gettime(CLOCK_MONOTONIC, &a);
	ok(markdown_render(stars, n, &out), "1 MB of '*' renders");
	clock_gettime(CLOCK_MONOTONIC, &b);
	double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	ok(s < 10, "… in bounded time (%.2f s, sanitizer build)", s);
	buf_free(&out);
	for (size_t i = 0; i < n; i++)
		stars[i] = "[]("[i % 3];
	ok(markdown_render(stars, n, &out), "1 MB of nested brackets renders");
	ok(out.data && clean(out.data), "… clean");
	buf_free(&out);
	free(stars);

	char *big = malloc(MARKDOWN_MAX_SOURCE + 2);
	memset(big, 'a', MARKDOWN_MAX_SOURCE + 1);
	big[MARKDOWN_MAX_SOURCE + 1] = '\0';
	ok(!markdown_render(big, MARKDOWN_MAX_SOURCE + 1, &out) && out.len == 0,
	   "a source above the maximum is refused");
	free(big);

	const char bad_utf8[] = "caf\xc3 \xff\xfe [x](/a)";
	ok(markdown_render(bad_utf8, sizeof bad_utf8 - 1, &out), "invalid UTF-8 renders (replaced)");
	buf_free(&out);
}

static void text(void)
{
	struct buf b = { 0 };
	text_fold(&b, "Café CRÈME, œuvre à l'Été !", strlen("Café CRÈME, œuvre à l'Été !"));
	is_str(b.data, "cafe creme oeuvre a l ete", "fold: accents, case, punctuation");
	b.len = 0;
	text_slug(&b, "  Le café, c'est l'été !  ", 80);
	is_str(b.data, "le-cafe-c-est-l-ete", "slug");
	b.len = 0;
	text_slug(&b, "un-deux-trois-quatre-cinq", 12);
	is_str(b.data, "un-deux", "slug cut on a word boundary");
	b.len = 0;
	text_slug(&b, "!!! ???", 80);
	is_str(b.data, "", "slug of no word is empty");
	buf_free(&b);
	is_int(markdown_reading_minutes("un deux trois", 13), 1, "reading time at least 1 min");
	struct buf w = { 0 };
	for (int i = 0; i < 401; i++)
		buf_str(&w, "mot ");
	is_int(markdown_reading_minutes(w.data, w.len), 3, "401 words: 3 minutes");
	buf_free(&w);
}

int main(void)
{
	hostile();
	links_and_headings();
	sizes();
	text();
	return tap_done();
}
