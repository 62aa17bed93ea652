/*
 * buf.h — a growable byte buffer, always NUL-terminated: how responses,
 * pages and mails are built.
 *
 *   struct buf b = { 0 };  buf_str(&b, "…");  buf_printf(&b, "%d", n);
 *   … use b.data / b.len …  buf_free(&b);
 *
 * Allocation failure aborts (there is no sane way on in a request).
 */
#ifndef CWC_BUF_H
#define CWC_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct buf {
	char *data;     /* NULL until something is added */
	size_t len, cap;
};

void buf_add(struct buf *b, const char *s, size_t n);
void buf_str(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* snprintf into a fixed array `dst` of `n` bytes: false when the text did
 * not fit (it is then cut, still NUL-terminated). Use it instead of a bare
 * snprintf so that every truncation is either checked or visibly ignored
 * with a (void) cast. */
bool buf_fmt(char *dst, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Characters (code points) of the valid UTF-8 text s[0..len): what the
 * input limits of the API count. */
size_t buf_utf8_chars(const char *s, size_t len);
/* Frees the memory and empties the buffer. */
void buf_free(struct buf *b);

#endif
