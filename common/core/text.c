/*
 * text.c — accent folding, slugs and words of French text (text.h).
 */
#include "core/text.h"

#include <string.h>

/* Writes the ASCII letter(s) of a folded code point into `out` (NUL-
 * terminated) and returns how many; 0 when it separates words. */
static size_t fold_cp(unsigned cp, char out[3])
{
	/* U+00C0 … U+00FF */
	static const char *const latin1[64] = {
		"a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
		"d", "n", "o", "o", "o", "o", "o", NULL, "o", "u", "u", "u", "u", "y", "th", "ss",
		"a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
		"d", "n", "o", "o", "o", "o", "o", NULL, "o", "u", "u", "u", "u", "y", "th", "y",
	};
	const char *f = NULL;

	if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9')) {
		out[0] = (char)cp;
		out[1] = '\0';
		return 1;
	}
	if (cp >= 'A' && cp <= 'Z') {
		out[0] = (char)(cp + 32);
		out[1] = '\0';
		return 1;
	}
	if (cp >= 0xC0 && cp <= 0xFF)
		f = latin1[cp - 0xC0];
	else if (cp == 0x152 || cp == 0x153)
		f = "oe";
	else if (cp == 0x178)
		f = "y";
	if (!f)
		return 0;
	strcpy(out, f);
	return strlen(f);
}

/* Decodes one UTF-8 character at s[*i] (advancing *i); an invalid byte
 * decodes as U+FFFD and is skipped alone. */
static unsigned next_cp(const unsigned char *s, size_t len, size_t *i)
{
	unsigned c = s[*i];
	size_t n = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 :
		   (c & 0xF8) == 0xF0 ? 3 : 4;
	unsigned cp;

	if (n == 0) {
		(*i)++;
		return c;
	}
	if (n == 4 || *i + n >= len) {
		(*i)++;
		return 0xFFFD;
	}
	cp = c & (0x3F >> n);
	for (size_t k = 1; k <= n; k++) {
		if ((s[*i + k] & 0xC0) != 0x80) {
			(*i)++;
			return 0xFFFD;
		}
		cp = cp << 6 | (s[*i + k] & 0x3F);
	}
	*i += n + 1;
	return cp;
}

void text_words(const char *s, size_t len, size_t min_len,
		void (*word)(const char *w, size_t wlen, void *ctx), void *ctx)
{
	struct buf w = { 0 };
	size_t i = 0;
	char f[3];

	for (;;) {
		bool end = i >= len;
		size_t n = end ? 0 : fold_cp(next_cp((const unsigned char *)s, len, &i), f);
		if (n) {
			buf_add(&w, f, n);
			continue;
		}
		if (w.len > 0 && w.len >= min_len)
			word(w.data, w.len, ctx);
		w.len = 0;
		if (end)
			break;
	}
	buf_free(&w);
}

struct join {
	struct buf *out;
	char sep;
	size_t start;
};

static void join_word(const char *w, size_t wlen, void *ctx)
{
	struct join *j = ctx;
	if (j->out->len > j->start)
		buf_add(j->out, &j->sep, 1);
	buf_add(j->out, w, wlen);
}

void text_fold(struct buf *out, const char *s, size_t len)
{
	struct join j = { out, ' ', out->len };
	text_words(s, len, 1, join_word, &j);
	buf_add(out, "", 0);  /* terminated, even when nothing was added */
}

void text_slug(struct buf *out, const char *s, size_t max)
{
	size_t start = out->len;
	struct join j = { out, '-', start };

	text_words(s, strlen(s), 1, join_word, &j);
	buf_add(out, "", 0);  /* terminated, even when nothing was added */
	if (out->len - start > max) {
		size_t cut = start + max;
		size_t k = cut;
		while (k > start + max / 2 && out->data[k] != '-')
			k--;
		if (out->data[k] == '-')
			cut = k;
		out->len = cut;
		out->data[cut] = '\0';
	}
}

bool text_blank(const char *s)
{
	for (; s && *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
			return false;
	return true;
}
