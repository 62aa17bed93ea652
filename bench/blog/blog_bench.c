/*
 * blog_bench — the blog's costs that do not need HTTP (SPEC §8):
 *
 *   blog_bench [ARTICLES]      default 10,000, in a fresh embedded store
 *
 *   - Markdown: a 20 KB article rendered by core/markdown.h (libcmark,
 *     then our sanitising and heading anchors), against plain libcmark
 *     (cmark_markdown_to_html, safe mode) on the same text in the same
 *     run: the ratio is what our pass costs on top;
 *   - search: ARTICLES public articles written by article_put() (title,
 *     excerpt and ~250 words each; searchTerms indexed), p50/p99 of
 *     article_list() with a query (a common word, two words, a rare one,
 *     one typed without its accent), against the first page of the plain
 *     list (/blog) measured in the same run.
 * CWC_BENCH_SAMPLES sets the queries per measure (default 200).
 */
#include "content/article.h"
#include "core/buf.h"
#include "core/markdown.h"
#include "store/store.h"

#include <cmark.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1DULL;
}

static const char *const words[] = {
	"café", "travail", "journée", "table", "lumière", "réunion", "écran", "projet", "équipe", "client",
	"terrasse", "thé", "gâteau", "salle", "réservation", "quartier", "Strasbourg", "vélo", "tram", "atelier",
	"soirée", "musique", "livre", "idée", "conseil", "pause", "matin", "après-midi", "semaine", "mois",
	"crème", "chocolat", "cannelle", "menthe", "citron", "fenêtre", "chaise", "prise", "wifi", "casque",
};
#define NWORDS (sizeof words / sizeof *words)

static void text(struct buf *b, int n)
{
	for (int i = 0; i < n; i++)
		buf_printf(b, "%s%s", i ? " " : "", words[rnd() % NWORDS]);
}

struct lat {
	double p50, p99;
};

static struct lat measure(store_t *st, int64_t now, const char *q, int samples)
{
	double *t = malloc((size_t)samples * sizeof *t);
	struct lat l;

	for (int i = 0; i < samples; i++) {
		struct article_query aq = { NULL, q, 1, ARTICLE_PER_PAGE };
		json_object *items = NULL;
		int64_t total = 0;
		struct err e = { 0 };
		double t0 = now_s();
		if (!article_list(st, now, &aq, &items, &total, NULL, &e)) {
			fprintf(stderr, "blog_bench: search: %s\n", e.message);
			exit(1);
		}
		t[i] = now_s() - t0;
		json_object_put(items);
	}
	qsort(t, (size_t)samples, sizeof *t, cmp_d);
	l.p50 = t[samples / 2] * 1e3;
	l.p99 = t[samples * 99 / 100] * 1e3;
	free(t);
	return l;
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/cwc-blog-bench-XXXXXX", path[256];
	int n = argc > 1 ? atoi(argv[1]) : 10000, samples = 200;
	const char *env = getenv("CWC_BENCH_SAMPLES");
	struct buf md = { 0 };
	store_error_t se = { 0 };
	store_t *st;
	int64_t now = (int64_t)time(NULL) * 1000;

	if (env && atoi(env) > 0)
		samples = atoi(env);
	if (n < 10)
		n = 10;

	/* ---- Markdown: a 20 KB article ---- */
	for (int s = 0; md.len < 20 * 1024; s++) {
		buf_printf(&md, "## Partie %d\n\n", s + 1);
		text(&md, 60);
		buf_str(&md, " avec du **gras**, de l’*italique* et un [lien](https://example.org/page).\n\n- ");
		text(&md, 8);
		buf_str(&md, "\n- ");
		text(&md, 8);
		buf_str(&md, "\n\n> ");
		text(&md, 20);
		buf_str(&md, "\n\n");
	}
	{
		int runs = 300;
		double t0 = now_s(), ours, plain;
		for (int i = 0; i < runs; i++) {
			struct buf out = { 0 };
			markdown_render(md.data, md.len, &out);
			buf_free(&out);
		}
		ours = (now_s() - t0) / runs;
		t0 = now_s();
		for (int i = 0; i < runs; i++)
			free(cmark_markdown_to_html(md.data, md.len, CMARK_OPT_SAFE));
		plain = (now_s() - t0) / runs;
		printf("markdown  %zu bytes: %.3f ms (plain libcmark %.3f ms: %.2fx)\n", md.len, ours * 1e3,
		       plain * 1e3, ours / plain);
	}

	/* ---- search over n articles ---- */
	if (!mkdtemp(dir)) {
		perror("blog_bench: mkdtemp");
		return 1;
	}
	snprintf(path, sizeof path, "%s/bench.sqlite3", dir);
	st = store_open(path, &se);
	if (!st || !store_ensure_indexes(st, &se)) {
		fprintf(stderr, "blog_bench: %s\n", se.message);
		return 1;
	}
	double t0 = now_s();
	for (int i = 0; i < n; i++) {
		struct buf title = { 0 }, body = { 0 }, slug = { 0 };
		struct err e = { 0 };
		json_object *a = json_object_new_object();
		text(&title, 6);
		if (i % 500 == 0)
			buf_str(&title, " zeppelin");   /* a rare word: 1 in 500 */
		text(&body, 250);
		buf_printf(&slug, "article-%d", i);
		json_object_object_add(a, "title", json_object_new_string(title.data));
		json_object_object_add(a, "slug", json_object_new_string(slug.data));
		json_object_object_add(a, "content", json_object_new_string(body.data));
		json_object_object_add(a, "status", json_object_new_string("published"));
		json_object_object_add(a, "publishedAt", json_object_new_int64(now - (int64_t)(n - i) * 60000));
		if (!article_put(st, now, a, &e)) {
			fprintf(stderr, "blog_bench: put: %s\n", e.message);
			return 1;
		}
		json_object_put(a);
		buf_free(&title);
		buf_free(&body);
		buf_free(&slug);
	}
	printf("articles  %d written in %.1f s\n", n, now_s() - t0);
	struct lat ref = measure(st, now, NULL, samples);
	printf("%-28s p50 %7.2f ms  p99 %7.2f ms\n", "list, page 1 (reference)", ref.p50, ref.p99);
	static const char *const queries[] = { "café", "terrasse menthe", "zeppelin", "creme chocolat", NULL };
	for (int i = 0; queries[i]; i++) {
		struct lat l = measure(st, now, queries[i], samples);
		char label[64];
		snprintf(label, sizeof label, "search \"%s\"", queries[i]);
		printf("%-28s p50 %7.2f ms  p99 %7.2f ms  (p50 %.1fx the list)\n", label, l.p50, l.p99, l.p50 / ref.p50);
	}
	store_close(st);
	buf_free(&md);
	{
		char cmd[300];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "blog_bench: could not remove %s\n", dir);
	}
	return 0;
}
