/*
 * markdown.h — Markdown (CommonMark, libcmark) to HTML that is safe to
 * insert in a page with {{{…}}}: the one renderer of the platform (blog
 * articles, the back office's preview, texts of etc/content).
 *
 * What comes out:
 *   - no raw HTML: HTML blocks and inline tags in the source are dropped
 *     (libcmark's safe mode, and the nodes removed before rendering);
 *   - links and images only to what tpl_url_safe() accepts (a local path,
 *     http:, https:, mailto:) or a "#fragment"; any other link keeps its
 *     text and loses its link, any other image becomes its alt text;
 *   - links to another site get rel="noopener noreferrer";
 *   - headings one level down (the page has the <h1>; "#" gives <h2>),
 *     each with an id from its text and an anchor link to it.
 */
#ifndef CWC_MARKDOWN_H
#define CWC_MARKDOWN_H

#include "core/buf.h"

#include <stdbool.h>
#include <stddef.h>

/* Sources longer than this are refused (an article is a few dozen KB). */
#define MARKDOWN_MAX_SOURCE (2 * 1024 * 1024)

/* Appends the HTML of `src` (`len` bytes; invalid UTF-8 is replaced) to
 * `out`. False, with nothing appended, when `len` exceeds
 * MARKDOWN_MAX_SOURCE or libcmark fails to allocate. */
bool markdown_render(const char *src, size_t len, struct buf *out);

/* Minutes to read `src` at 200 words a minute, rounded up, at least 1. */
int markdown_reading_minutes(const char *src, size_t len);

#endif
