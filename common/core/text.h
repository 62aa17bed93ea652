/*
 * text.h — French text folded for comparison: lower case without accents
 * ("Café Crème" → "cafe creme"), URL slugs ("Le café, c'est l'été !" →
 * "le-cafe-c-est-l-ete"), the words of a text for a search index, and
 * whether a typed field is blank.
 *
 * Folding knows the Latin-1 Supplement and Latin Extended-A letters a
 * French text uses (àâäçéèêëîïôöùûüÿœæ and their capitals); any other
 * non-ASCII character separates words.
 */
#ifndef CWC_TEXT_H
#define CWC_TEXT_H

#include "core/buf.h"

#include <stdbool.h>
#include <stddef.h>

/* Appends `s` (`len` bytes of UTF-8) to `out` folded: ASCII letters and
 * digits lower-cased, accented letters without their accent, every other
 * run of characters one space; no leading or trailing space. */
void text_fold(struct buf *out, const char *s, size_t len);

/* Appends the slug of `s` to `out`: the folded words joined by '-', cut
 * at `max` bytes (on a word boundary when one is near). Empty when `s`
 * has no letter or digit. */
void text_slug(struct buf *out, const char *s, size_t max);

/* Calls `word(w, len, ctx)` for each folded word of `s` of at least
 * `min_len` bytes, in order (duplicates included). */
void text_words(const char *s, size_t len, size_t min_len,
		void (*word)(const char *w, size_t wlen, void *ctx), void *ctx);

/* True when `s` is NULL, empty or only spaces, tabs and line breaks:
 * a form field left blank. */
bool text_blank(const char *s);

#endif
