/*
 * template.c — the Mustache engine of template.h.
 *
 * A template compiles to a flat array of nodes: text, a variable, a
 * section (its body is the nodes that follow it, up to `end`), a partial.
 * Whitespace is settled at compile time as the spec says (standalone lines
 * disappear); the indentation of a standalone partial is applied while
 * rendering: each of the partial's non-empty source lines gets it, which
 * is what the spec (and pystache) do by re-indenting the partial's text.
 */
#include "core/template.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 100          /* nested sections + partials while rendering */
#define MAX_NAME 200           /* bytes of a tag's name */

enum node_op { OP_TEXT, OP_VAR, OP_RAW, OP_SECTION, OP_INVERTED, OP_PARTIAL };

struct node {
	enum node_op op;
	bool bol;              /* starts a non-empty source line (indentation goes here) */
	int line;              /* of the tag, for messages */
	const char *text;      /* OP_TEXT: into the template's source */
	size_t len;
	char **path;           /* the name split at dots; npath 0: "." */
	size_t npath;
	char *name;            /* as written (messages, partials) */
	size_t end;            /* OP_SECTION / OP_INVERTED: index past the body */
	char *indent;          /* OP_PARTIAL: NULL unless standalone */
	const struct tpl *partial;
};

struct tpl {
	char *name;
	char *file;
	char *src;
	bool html;
	struct node *nodes;
	size_t n, cap;
};

struct tpl_set {
	struct tpl **t;
	size_t n, cap;
};

static void fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		abort();
	return p;
}

static char *xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (!p)
		abort();
	return p;
}

/* ---- compiling ------------------------------------------------------ */

static void node_free(struct node *nd)
{
	for (size_t i = 0; i < nd->npath; i++)
		free(nd->path[i]);
	free(nd->path);
	free(nd->name);
	free(nd->indent);
}

static void tpl_free(struct tpl *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		node_free(&t->nodes[i]);
	free(t->nodes);
	free(t->name);
	free(t->file);
	free(t->src);
	free(t);
}

static struct node *push_node(struct tpl *t, enum node_op op, int line)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 32;
		t->nodes = realloc(t->nodes, t->cap * sizeof *t->nodes);
		if (!t->nodes)
			abort();
	}
	struct node *nd = &t->nodes[t->n++];
	memset(nd, 0, sizeof *nd);
	nd->op = op;
	nd->line = line;
	return nd;
}

static bool at_bol(const char *src, size_t pos)
{
	return (pos == 0 || src[pos - 1] == '\n') && src[pos] != '\n' && src[pos] != '\0';
}

static void add_text(struct tpl *t, size_t from, size_t to, int line)
{
	if (to <= from)
		return;
	struct node *nd = push_node(t, OP_TEXT, line);
	nd->text = t->src + from;
	nd->len = to - from;
	nd->bol = at_bol(t->src, from);
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Splits a tag's name at dots into nd->path; "." is the empty path. */
static bool set_name(struct node *nd, const char *name, size_t len)
{
	nd->name = xstrndup(name, len);
	if (len == 1 && name[0] == '.')
		return true;
	size_t parts = 1;
	for (size_t i = 0; i < len; i++)
		parts += name[i] == '.';
	nd->path = xcalloc(parts, sizeof *nd->path);
	for (size_t i = 0, start = 0; i <= len; i++) {
		if (i < len && name[i] != '.')
			continue;
		if (i == start)
			return false;      /* "a..b", ".a", "a." */
		nd->path[nd->npath++] = xstrndup(name + start, i - start);
		start = i + 1;
	}
	return true;
}

static bool name_ok(const char *s, size_t n, bool partial)
{
	if (n == 0 || n > MAX_NAME)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == '{' || s[i] == '}' ||
		    (!partial && strchr("#^/!>&=", s[i])))
			return false;
	return true;
}

static bool compile(struct tpl *t, char *err, size_t errlen)
{
	const char *src = t->src;
	size_t len = strlen(src), pos = 0, text_start = 0;
	size_t open_sections[MAX_DEPTH];
	size_t depth = 0;
	int line = 1;
	const char *counted = src;    /* lines are counted up to here */

	for (;;) {
		const char *o = strstr(src + pos, "{{");
		if (!o)
			break;
		for (; counted < o; counted++)
			line += *counted == '\n';
		size_t at = (size_t)(o - src);
		char kind = src[at + 2];
		const char *closer = "}}";
		size_t body = at + 2;
		if (kind == '{') {
			closer = "}}}";
			body++;
		} else if (kind && strchr("#^/!>&=", kind)) {
			body++;
		} else {
			kind = '\0';
		}
		const char *c = strstr(src + body, closer);
		if (!c) {
			fail(err, errlen, "%s:%d: unclosed tag \"%.20s\"", t->file, line, o);
			return false;
		}
		size_t tag_end = (size_t)(c - src) + strlen(closer);
		const char *name = src + body;
		size_t name_len = (size_t)(c - name);
		while (name_len && (unsigned char)*name <= ' ')
			name++, name_len--;
		while (name_len && (unsigned char)name[name_len - 1] <= ' ')
			name_len--;
		if (kind == '=') {
			fail(err, errlen, "%s:%d: set-delimiter tags are not supported",
			     t->file, line);
			return false;
		}
		if (kind == '!' && memmem(name, name_len, "{{", 2)) {
			fail(err, errlen, "%s:%d: a comment cannot hold a tag (it ends "
			     "at the tag's }})", t->file, line);
			return false;
		}
		if (kind != '!' && !name_ok(name, name_len, kind == '>')) {
			fail(err, errlen, "%s:%d: bad tag \"%.*s\"", t->file, line,
			     (int)(tag_end - at > 40 ? 40 : tag_end - at), o);
			return false;
		}

		/* standalone: only blanks around the tag on its line */
		bool standalone = false;
		size_t line_start = at, next = tag_end;
		if (kind && strchr("#^/!>", kind)) {
			while (line_start > 0 && src[line_start - 1] != '\n')
				line_start--;
			bool blank_before = line_start >= text_start;
			for (size_t i = line_start; blank_before && i < at; i++)
				blank_before = is_blank(src[i]);
			size_t after = tag_end;
			while (after < len && is_blank(src[after]))
				after++;
			if (blank_before && after < len && src[after] == '\r' &&
			    after + 1 < len && src[after + 1] == '\n')
				after++;
			if (blank_before && (after == len || src[after] == '\n')) {
				standalone = true;
				next = after < len ? after + 1 : len;
			}
		}
		add_text(t, text_start, standalone ? line_start : at, line);

		struct node *nd;
		switch (kind) {
		case '!':
			break;
		case '#':
		case '^':
			if (depth == MAX_DEPTH) {
				fail(err, errlen, "%s:%d: sections nested too deeply", t->file, line);
				return false;
			}
			nd = push_node(t, kind == '#' ? OP_SECTION : OP_INVERTED, line);
			open_sections[depth++] = t->n - 1;
			nd->bol = !standalone && at_bol(src, at);
			if (!set_name(nd, name, name_len)) {
				fail(err, errlen, "%s:%d: bad name \"%.*s\"", t->file, line,
				     (int)name_len, name);
				return false;
			}
			break;
		case '/': {
			if (!depth) {
				fail(err, errlen, "%s:%d: {{/%.*s}} closes no section", t->file,
				     line, (int)name_len, name);
				return false;
			}
			struct node *open = &t->nodes[open_sections[depth - 1]];
			if (strlen(open->name) != name_len || memcmp(open->name, name, name_len)) {
				fail(err, errlen, "%s:%d: {{/%.*s}} closes {{%c%s}} of line %d",
				     t->file, line, (int)name_len, name,
				     open->op == OP_SECTION ? '#' : '^', open->name, open->line);
				return false;
			}
			open->end = t->n;
			depth--;
			break;
		}
		case '>':
			nd = push_node(t, OP_PARTIAL, line);
			nd->name = xstrndup(name, name_len);
			if (standalone)
				nd->indent = xstrndup(src + line_start, at - line_start);
			else
				nd->bol = at_bol(src, at);
			break;
		default:          /* '\0' '{' '&' */
			nd = push_node(t, kind ? OP_RAW : OP_VAR, line);
			nd->bol = at_bol(src, at);
			if (!set_name(nd, name, name_len)) {
				fail(err, errlen, "%s:%d: bad name \"%.*s\"", t->file, line,
				     (int)name_len, name);
				return false;
			}
		}
		pos = text_start = next;
	}
	if (depth) {
		struct node *open = &t->nodes[open_sections[depth - 1]];
		fail(err, errlen, "%s:%d: {{%c%s}} is never closed", t->file, open->line,
		     open->op == OP_SECTION ? '#' : '^', open->name);
		return false;
	}
	add_text(t, text_start, len, line);
	return true;
}

struct tpl_set *tpl_set_new(void)
{
	return xcalloc(1, sizeof(struct tpl_set));
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && strcmp(s + n - m, suffix) == 0;
}

bool tpl_set_add(struct tpl_set *set, const char *name, const char *file,
		 const char *src, char *err, size_t errlen)
{
	struct tpl *t;
	const struct tpl *dup = tpl_find(set, name);

	if (!file)
		file = name;
	if (dup) {
		fail(err, errlen, "%s: a template called %s exists already (%s)",
		     file, name, dup->file);
		return false;
	}
	t = xcalloc(1, sizeof *t);
	t->name = xstrndup(name, strlen(name));
	t->file = xstrndup(file, strlen(file));
	t->src = xstrndup(src, strlen(src));
	t->html = !ends_with(name, ".txt");
	if (!compile(t, err, errlen)) {
		tpl_free(t);
		return false;
	}
	if (set->n == set->cap) {
		set->cap = set->cap ? 2 * set->cap : 16;
		set->t = realloc(set->t, set->cap * sizeof *set->t);
		if (!set->t)
			abort();
	}
	set->t[set->n++] = t;
	return true;
}

bool tpl_set_link(struct tpl_set *set, char *err, size_t errlen)
{
	for (size_t i = 0; i < set->n; i++) {
		struct tpl *t = set->t[i];
		for (size_t j = 0; j < t->n; j++) {
			struct node *nd = &t->nodes[j];
			if (nd->op != OP_PARTIAL)
				continue;
			nd->partial = tpl_find(set, nd->name);
			if (!nd->partial) {
				fail(err, errlen, "%s:%d: no partial \"%s\"", t->file, nd->line,
				     nd->name);
				return false;
			}
		}
	}
	return true;
}

void tpl_set_free(struct tpl_set *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->n; i++)
		tpl_free(set->t[i]);
	free(set->t);
	free(set);
}

const struct tpl *tpl_find(const struct tpl_set *set, const char *name)
{
	for (size_t i = 0; set && name && i < set->n; i++)
		if (strcmp(set->t[i]->name, name) == 0)
			return set->t[i];
	return NULL;
}

const char *tpl_name_at(const struct tpl_set *set, size_t i)
{
	return set && i < set->n ? set->t[i]->name : NULL;
}

static char *read_file(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	struct buf b = { 0 };
	char chunk[8192];
	size_t n;

	if (!f) {
		fail(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_add(&b, chunk, n);
	bool bad = ferror(f);
	fclose(f);
	buf_add(&b, "", 0);
	if (bad || strlen(b.data) != b.len) {
		fail(err, errlen, "%s: %s", path, bad ? "read error" : "contains a NUL byte");
		buf_free(&b);
		return NULL;
	}
	return b.data;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds every template file of `dir` (shown as `shown` in messages). */
static bool load_dir(struct tpl_set *set, const char *dir, const char *shown,
		     char *err, size_t errlen)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0;
	bool ok = true;

	if (!d) {
		fail(err, errlen, "%s: %s", shown, strerror(errno));
		return false;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' ||
		    !(ends_with(e->d_name, ".html") || ends_with(e->d_name, ".txt")))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			names = realloc(names, cap * sizeof *names);
			if (!names)
				abort();
		}
		names[n++] = xstrndup(e->d_name, strlen(e->d_name));
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof *names, by_name);
	for (size_t i = 0; i < n; i++) {
		struct buf path = { 0 }, file = { 0 };
		buf_printf(&path, "%s/%s", dir, names[i]);
		buf_printf(&file, "%s/%s", shown, names[i]);
		char *src = ok ? read_file(path.data, err, errlen) : NULL;
		if (ok && (!src || !tpl_set_add(set, names[i], file.data, src, err, errlen)))
			ok = false;
		free(src);
		buf_free(&path);
		buf_free(&file);
		free(names[i]);
	}
	free(names);
	return ok;
}

struct tpl_set *tpl_set_load(const char *root, const char *const *dirs,
			     char *err, size_t errlen)
{
	struct tpl_set *set = tpl_set_new();

	for (size_t i = 0; dirs && dirs[i]; i++) {
		struct buf dir = { 0 };
		if (root && dirs[i][0] != '/')
			buf_printf(&dir, "%s/%s", root, dirs[i]);
		else
			buf_str(&dir, dirs[i]);
		bool ok = load_dir(set, dir.data, dirs[i], err, errlen);
		buf_free(&dir);
		if (!ok)
			goto fail;
	}
	if (tpl_set_link(set, err, errlen))
		return set;
fail:
	tpl_set_free(set);
	return NULL;
}

/* ---- rendering ------------------------------------------------------ */

struct render {
	bool html;
	unsigned flags;
	struct buf *out;
	json_object *stack[MAX_DEPTH + 1];
	size_t depth;
	char *err;
	size_t errlen;
	bool failed;
};

void tpl_escape_html(struct buf *out, const char *s, size_t len)
{
	size_t run = 0;

	for (size_t i = 0; i < len; i++) {
		const char *rep;
		switch (s[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: continue;
		}
		buf_add(out, s + run, i - run);
		buf_str(out, rep);
		run = i + 1;
	}
	buf_add(out, s + run, len - run);
}

/* Resolves a node's name on the context stack; false: not found. */
static bool lookup(const struct render *r, const struct node *nd, json_object **v)
{
	if (!nd->npath) {
		*v = r->stack[r->depth - 1];
		return true;
	}
	size_t i = r->depth;
	for (;;) {
		if (i == 0)
			return false;
		json_object *ctx = r->stack[--i];
		if (json_object_is_type(ctx, json_type_object) &&
		    json_object_object_get_ex(ctx, nd->path[0], v))
			break;
	}
	for (size_t p = 1; p < nd->npath; p++) {
		json_object *ctx = *v;
		if (!json_object_is_type(ctx, json_type_object) ||
		    !json_object_object_get_ex(ctx, nd->path[p], v))
			return false;
	}
	return true;
}

static bool truthy(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null: return false;
	case json_type_boolean: return json_object_get_boolean(v);
	case json_type_int: return json_object_get_int64(v) != 0;
	case json_type_double: return json_object_get_double(v) != 0.0;
	case json_type_string: return json_object_get_string_len(v) > 0;
	case json_type_array: return json_object_array_length(v) > 0;
	case json_type_object: return json_object_object_length(v) > 0;
	}
	return false;
}

static void write_indent(struct render *r, const char *indent)
{
	if (indent && *indent)
		buf_str(r->out, indent);
}

static void write_text(struct render *r, const struct node *nd, const char *indent)
{
	if (!indent || !*indent) {
		buf_add(r->out, nd->text, nd->len);
		return;
	}
	size_t from = 0;
	for (size_t i = 0; i < nd->len; i++) {
		if (nd->text[i] != '\n' || i + 1 == nd->len || nd->text[i + 1] == '\n')
			continue;
		buf_add(r->out, nd->text + from, i + 1 - from);
		buf_str(r->out, indent);
		from = i + 1;
	}
	buf_add(r->out, nd->text + from, nd->len - from);
}

static void write_value(struct render *r, json_object *v, bool escape)
{
	const char *s;
	size_t len;

	if (!v)
		return;
	if (json_object_is_type(v, json_type_string)) {
		s = json_object_get_string(v);
		len = (size_t)json_object_get_string_len(v);
	} else {
		s = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
						   JSON_C_TO_STRING_NOSLASHESCAPE);
		len = strlen(s);
	}
	if (escape)
		tpl_escape_html(r->out, s, len);
	else
		buf_add(r->out, s, len);
}

static bool push(struct render *r, json_object *v, const struct tpl *t, int line)
{
	if (r->depth > MAX_DEPTH) {
		fail(r->err, r->errlen, "%s:%d: nested too deeply while rendering",
		     t->file, line);
		r->failed = true;
		return false;
	}
	r->stack[r->depth++] = v;
	return true;
}

static void render_range(struct render *r, const struct tpl *t, size_t from,
			 size_t to, const char *indent, int level);

static void render_partial(struct render *r, const struct tpl *t,
			   const struct node *nd, const char *indent, int level)
{
	if (level >= MAX_DEPTH) {
		fail(r->err, r->errlen, "%s:%d: partials nested too deeply while rendering",
		     t->file, nd->line);
		r->failed = true;
		return;
	}
	if (!nd->indent) {
		render_range(r, nd->partial, 0, nd->partial->n, NULL, level + 1);
		return;
	}
	if (!indent || !*indent) {
		render_range(r, nd->partial, 0, nd->partial->n, nd->indent, level + 1);
		return;
	}
	struct buf both = { 0 };
	buf_str(&both, indent);
	buf_str(&both, nd->indent);
	render_range(r, nd->partial, 0, nd->partial->n, both.data, level + 1);
	buf_free(&both);
}

static void render_range(struct render *r, const struct tpl *t, size_t from,
			 size_t to, const char *indent, int level)
{
	json_object *v;

	for (size_t i = from; i < to && !r->failed; i++) {
		const struct node *nd = &t->nodes[i];
		if (nd->bol && nd->op != OP_TEXT)
			write_indent(r, indent);
		switch (nd->op) {
		case OP_TEXT:
			if (nd->bol)
				write_indent(r, indent);
			write_text(r, nd, indent);
			break;
		case OP_VAR:
		case OP_RAW:
			if (lookup(r, nd, &v)) {
				write_value(r, v, nd->op == OP_VAR && r->html);
			} else if (r->flags & TPL_STRICT) {
				fail(r->err, r->errlen, "%s:%d: {{%s}} has no value", t->file,
				     nd->line, nd->name);
				r->failed = true;
			}
			break;
		case OP_SECTION:
			if (!lookup(r, nd, &v) || !truthy(v)) {
				/* nothing */
			} else if (json_object_is_type(v, json_type_array)) {
				size_t n = json_object_array_length(v);
				for (size_t k = 0; k < n && !r->failed; k++) {
					if (!push(r, json_object_array_get_idx(v, k), t, nd->line))
						break;
					render_range(r, t, i + 1, nd->end, indent, level + 1);
					r->depth--;
				}
			} else if (push(r, v, t, nd->line)) {
				render_range(r, t, i + 1, nd->end, indent, level + 1);
				r->depth--;
			}
			i = nd->end - 1;
			break;
		case OP_INVERTED:
			if (!lookup(r, nd, &v) || !truthy(v))
				render_range(r, t, i + 1, nd->end, indent, level + 1);
			i = nd->end - 1;
			break;
		case OP_PARTIAL:
			render_partial(r, t, nd, indent, level);
			break;
		}
	}
}

bool tpl_render(const struct tpl *t, json_object *data, unsigned flags,
		struct buf *out, char *err, size_t errlen)
{
	struct render r = {
		.html = t->html, .flags = flags, .out = out,
		.err = err, .errlen = errlen,
	};

	r.stack[r.depth++] = data;
	render_range(&r, t, 0, t->n, NULL, 0);
	buf_add(out, "", 0);       /* out->data is a string even when empty */
	return !r.failed;
}

/* ---- helpers -------------------------------------------------------- */

void tpl_json_script(struct buf *out, json_object *v)
{
	const char *s = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
						       JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t run = 0, len = strlen(s);

	for (size_t i = 0; i < len; i++) {
		const char *rep = NULL;
		size_t skip = 1;
		unsigned char c = (unsigned char)s[i];
		if (c == '<')
			rep = "\\u003c";
		else if (c == '>')
			rep = "\\u003e";
		else if (c == '&')
			rep = "\\u0026";
		else if (c == 0xE2 && i + 2 < len && (unsigned char)s[i + 1] == 0x80 &&
			 ((unsigned char)s[i + 2] == 0xA8 || (unsigned char)s[i + 2] == 0xA9)) {
			rep = (unsigned char)s[i + 2] == 0xA8 ? "\\u2028" : "\\u2029";
			skip = 3;
		}
		if (!rep)
			continue;
		buf_add(out, s + run, i - run);
		buf_str(out, rep);
		run = i + skip;
		i += skip - 1;
	}
	buf_add(out, s + run, len - run);
}

char *tpl_url_encode(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buf b = { 0 };

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~/", *p)) {
			buf_add(&b, (const char *)p, 1);
		} else {
			char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };
			buf_add(&b, e, 3);
		}
	}
	buf_add(&b, "", 0);
	return b.data;
}

bool tpl_url_safe(const char *url)
{
	if (!url || !*url)
		return false;
	for (const char *p = url; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '\\')
			return false;
	if (url[0] == '/')
		return url[1] != '/';
	return strncmp(url, "https://", 8) == 0 || strncmp(url, "http://", 7) == 0 ||
	       strncmp(url, "mailto:", 7) == 0;
}
