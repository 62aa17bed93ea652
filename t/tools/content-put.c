/*
 * content-put — writes blog categories and articles through the content
 * domain (content/article.h), for the tests: dozens of articles without
 * a back office. Reads {"categories": […], "articles": […]} (JSON) on
 * stdin; uses the apps' configuration (the environment). An article's
 * `publishedAt` is milliseconds since the epoch. Built with the
 * sanitizers. Exit status 0 done, 1 failed (the reason on stderr).
 */
#include "account/account.h"
#include "conn/conn.h"
#include "content/article.h"
#include "core/buf.h"
#include "core/config.h"

#include <stdio.h>
#include <stdlib.h>

int main(void)
{
	char errbuf[256];
	struct buf in = { 0 };
	char chunk[65536];
	size_t n;
	json_object *root, *list;
	struct err e = { 0 };
	int rc = 0;

	if (!cfg_load(errbuf, sizeof errbuf)) {
		fprintf(stderr, "content-put: %s\n", errbuf);
		return 1;
	}
	while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0)
		buf_add(&in, chunk, n);
	root = in.data ? json_tokener_parse(in.data) : NULL;
	buf_free(&in);
	if (!root || !conn_store(NULL)) {
		fprintf(stderr, "content-put: bad JSON on stdin, or no store\n");
		return 1;
	}
	if (json_object_object_get_ex(root, "categories", &list))
		for (size_t i = 0; rc == 0 && i < json_object_array_length(list); i++)
			if (!article_category_put(conn_store(NULL), account_now_ms(),
						  json_object_array_get_idx(list, i), &e))
				rc = 1;
	if (json_object_object_get_ex(root, "articles", &list))
		for (size_t i = 0; rc == 0 && i < json_object_array_length(list); i++)
			if (!article_put(conn_store(NULL), account_now_ms(),
					 json_object_array_get_idx(list, i), &e))
				rc = 1;
	if (rc)
		fprintf(stderr, "content-put: %s\n", e.message);
	json_object_put(root);
	conn_close();
	return rc;
}
