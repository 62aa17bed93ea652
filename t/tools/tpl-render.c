/*
 * tpl-render — renders one template with the engine of web/template.h,
 * for t/templates-differential.t (which renders the same input with
 * pystache and compares). Built with the sanitizers.
 *
 *   tpl-render [--strict] DIR[:DIR…] NAME DATA.json
 *       loads every template of the folders (as the apps do), renders NAME
 *   tpl-render --case CASE.json
 *       CASE is {"template": "…", "partials": {"name": "…"}, "data": …,
 *       "name": "main.html"} (the mustache spec's test shape)
 * Writes the output to stdout; a load or render error goes to stderr
 * with exit status 1.
 */
#include "core/template.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(void)
{
	fprintf(stderr, "usage: tpl-render [--strict] DIR[:DIR…] NAME DATA.json\n"
		"       tpl-render --case CASE.json\n");
	return 2;
}

static json_object *read_json(const char *path)
{
	json_object *o = json_object_from_file(path);

	if (!o && strcmp(path, "/dev/null") != 0)
		fprintf(stderr, "tpl-render: %s: %s\n", path, json_util_get_last_err());
	return o;
}

int main(int argc, char **argv)
{
	struct tpl_set *set = NULL;
	json_object *data = NULL, *root = NULL;
	const char *name;
	unsigned flags = 0;
	char err[512] = "";
	struct buf out = { 0 };
	int rc = 1;

	if (argc > 1 && strcmp(argv[1], "--strict") == 0) {
		flags |= TPL_STRICT;
		argc--, argv++;
	}
	if (argc == 3 && strcmp(argv[1], "--case") == 0) {
		json_object *tpl, *partials, *nm;
		if (!(root = read_json(argv[2])))
			goto done;
		set = tpl_set_new();
		name = json_object_object_get_ex(root, "name", &nm) ?
			json_object_get_string(nm) : "main.html";
		json_object_object_get_ex(root, "data", &data);
		if (!json_object_object_get_ex(root, "template", &tpl) ||
		    !tpl_set_add(set, name, NULL, json_object_get_string(tpl), err, sizeof err))
			goto fail;
		if (json_object_object_get_ex(root, "partials", &partials)) {
			json_object_object_foreach(partials, pname, psrc)
				if (!tpl_set_add(set, pname, NULL, json_object_get_string(psrc),
						 err, sizeof err))
					goto fail;
		}
		if (!tpl_set_link(set, err, sizeof err))
			goto fail;
	} else if (argc == 4) {
		const char *dirs[16];
		size_t n = 0;
		for (char *save = NULL, *d = strtok_r(argv[1], ":", &save);
		     d && n < 15; d = strtok_r(NULL, ":", &save))
			dirs[n++] = d;
		dirs[n] = NULL;
		name = argv[2];
		if (!(set = tpl_set_load(NULL, dirs, err, sizeof err)))
			goto fail;
		if (!(root = read_json(argv[3])))
			goto done;
		data = root;
	} else {
		return usage();
	}
	const struct tpl *t = tpl_find(set, name);
	if (!t) {
		snprintf(err, sizeof err, "no template %s", name);
		goto fail;
	}
	if (!tpl_render(t, data, flags, &out, err, sizeof err))
		goto fail;
	fwrite(out.data, 1, out.len, stdout);
	rc = 0;
	goto done;
fail:
	fprintf(stderr, "tpl-render: %s\n", err);
done:
	buf_free(&out);
	tpl_set_free(set);
	json_object_put(root);
	return rc;
}
