/*
 * markdown.c — CommonMark to safe HTML (markdown.h).
 *
 * libcmark parses (without CMARK_OPT_UNSAFE, so its renderer already
 * omits raw HTML and the URLs it calls dangerous); then one walk over the
 * tree collects the nodes we rewrite ourselves, and a second pass
 * rewrites them: a tree must not change while an iterator walks it.
 * Links become custom inline nodes whose opening tag we write (escaped
 * href, rel), so the policy on URLs is ours (tpl_url_safe), not the
 * renderer's.
 */
#include "core/markdown.h"
#include "core/template.h"
#include "core/text.h"

#include <cmark.h>
#include <stdlib.h>
#include <string.h>

#define CMARK_OPTS (CMARK_OPT_DEFAULT | CMARK_OPT_VALIDATE_UTF8)

static bool url_allowed(const char *url)
{
	if (!url)
		return false;
	if (url[0] == '#') {
		for (const char *p = url; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				return false;
		return true;
	}
	return tpl_url_safe(url);
}

/* Moves `node`'s children before it, then frees it. */
static void unwrap(cmark_node *node)
{
	cmark_node *child;
	while ((child = cmark_node_first_child(node)) != NULL)
		cmark_node_insert_before(node, child);
	cmark_node_free(node);
}

/* Appends the text of `node`'s descendants (text and code) to `out`. */
static void plain_text(cmark_node *node, struct buf *out)
{
	cmark_iter *it = cmark_iter_new(node);
	cmark_event_type ev;

	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);
		cmark_node_type t = cmark_node_get_type(n);
		if (ev == CMARK_EVENT_ENTER && (t == CMARK_NODE_TEXT || t == CMARK_NODE_CODE)) {
			buf_str(out, cmark_node_get_literal(n));
			buf_str(out, " ");
		}
	}
	cmark_iter_free(it);
}

/* A link we allow: a custom inline with our own <a …> and </a>. */
static void rewrite_link(cmark_node *link)
{
	const char *url = cmark_node_get_url(link);
	const char *title = cmark_node_get_title(link);
	cmark_node *a = cmark_node_new(CMARK_NODE_CUSTOM_INLINE);
	struct buf open = { 0 };
	cmark_node *child;

	buf_str(&open, "<a href=\"");
	tpl_escape_html(&open, url, strlen(url));
	buf_str(&open, "\"");
	if (title && *title) {
		buf_str(&open, " title=\"");
		tpl_escape_html(&open, title, strlen(title));
		buf_str(&open, "\"");
	}
	if (strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0)
		buf_str(&open, " rel=\"noopener noreferrer\"");
	buf_str(&open, ">");
	cmark_node_set_on_enter(a, open.data);
	cmark_node_set_on_exit(a, "</a>");
	buf_free(&open);
	cmark_node_insert_before(link, a);
	while ((child = cmark_node_first_child(link)) != NULL)
		cmark_node_append_child(a, child);
	cmark_node_free(link);
}

/* One level down, an id from the text, and an anchor link at its end.
 * `seen` collects the ids given so far, "\n"-separated, to keep them
 * unique ("-2", "-3"…). */
static void rewrite_heading(cmark_node *h, struct buf *seen)
{
	struct buf text = { 0 }, id = { 0 }, html = { 0 }, key = { 0 };
	int level = cmark_node_get_heading_level(h);
	cmark_node *anchor;

	if (level < 6)
		cmark_node_set_heading_level(h, level + 1);
	plain_text(h, &text);
	buf_str(&id, "section-");
	text_slug(&id, text.data ? text.data : "", 60);
	for (int n = 2;; n++) {
		key.len = 0;
		buf_printf(&key, "\n%s\n", id.data);
		if (!seen->data || !strstr(seen->data, key.data))
			break;
		/* drop the previous "-N" we added, if any, and try the next */
		char *dash = n > 2 ? strrchr(id.data, '-') : NULL;
		if (dash) {
			id.len = (size_t)(dash - id.data);
			id.data[id.len] = '\0';
		}
		buf_printf(&id, "-%d", n);
	}
	buf_add(seen, key.data, key.len);
	buf_printf(&html, "<a class=\"anchor\" id=\"%s\" href=\"#%s\" aria-hidden=\"true\" tabindex=\"-1\">#</a>",
		   id.data, id.data);
	anchor = cmark_node_new(CMARK_NODE_CUSTOM_INLINE);
	cmark_node_set_on_enter(anchor, html.data);
	cmark_node_set_on_exit(anchor, "");
	cmark_node_prepend_child(h, anchor);
	buf_free(&text);
	buf_free(&id);
	buf_free(&html);
	buf_free(&key);
}

bool markdown_render(const char *src, size_t len, struct buf *out)
{
	cmark_node *doc, **todo = NULL;
	size_t n = 0, cap = 0;
	struct buf seen = { 0 };
	cmark_iter *it;
	cmark_event_type ev;
	char *html;

	if (len > MARKDOWN_MAX_SOURCE)
		return false;
	doc = cmark_parse_document(src, len, CMARK_OPTS);
	if (!doc)
		return false;
	it = cmark_iter_new(doc);
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *node = cmark_iter_get_node(it);
		switch (cmark_node_get_type(node)) {
		case CMARK_NODE_LINK:
		case CMARK_NODE_IMAGE:
		case CMARK_NODE_HEADING:
		case CMARK_NODE_HTML_BLOCK:
		case CMARK_NODE_HTML_INLINE:
			if (ev != CMARK_EVENT_ENTER)
				break;
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				todo = realloc(todo, cap * sizeof *todo);
				if (!todo)
					abort();
			}
			todo[n++] = node;
			break;
		default:
			break;
		}
	}
	cmark_iter_free(it);

	/* Last first: an inner node is rewritten before the one holding it. */
	for (size_t i = n; i-- > 0;) {
		cmark_node *node = todo[i];
		switch (cmark_node_get_type(node)) {
		case CMARK_NODE_HTML_BLOCK:
		case CMARK_NODE_HTML_INLINE:
			cmark_node_free(node);
			todo[i] = NULL;
			break;
		case CMARK_NODE_LINK:
			if (url_allowed(cmark_node_get_url(node)))
				rewrite_link(node);
			else
				unwrap(node);
			todo[i] = NULL;
			break;
		case CMARK_NODE_IMAGE:
			if (!url_allowed(cmark_node_get_url(node)))
				unwrap(node);
			todo[i] = NULL;
			break;
		default:
			break;
		}
	}
	/* headings (never freed above) in document order, so that "-2" goes
	 * to the second one of the same text */
	for (size_t i = 0; i < n; i++)
		if (todo[i])
			rewrite_heading(todo[i], &seen);
	free(todo);
	buf_free(&seen);

	html = cmark_render_html(doc, CMARK_OPTS);
	cmark_node_free(doc);
	if (!html)
		return false;
	buf_str(out, html);
	free(html);
	return true;
}

static void count_word(const char *w, size_t wlen, void *ctx)
{
	(void)w;
	(void)wlen;
	(*(size_t *)ctx)++;
}

int markdown_reading_minutes(const char *src, size_t len)
{
	size_t words = 0;
	text_words(src, len, 1, count_word, &words);
	return words == 0 ? 1 : (int)((words + 199) / 200);
}
