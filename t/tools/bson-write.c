/*
 * bson-write — writes a BSON file as mongodump does (documents one after
 * the other, nothing else) from MongoDB Extended JSON, one document per
 * line of stdin ({"$oid": …}, {"$date": …}, {"$numberInt": …}…). Tests
 * build synthetic dumps of the original database with it (t/ops-migrate.t).
 * Built with the sanitizers.
 *
 *   bson-write FILE < lines.jsonl
 *       Empty lines are skipped. Exit 0, quietly; 1 on a line that is not a JSON document (the line number on
 *       stderr), or a write error; 2 on bad usage.
 */
#include <bson/bson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long lineno = 0;
	FILE *out;
	int rc = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: bson-write FILE < documents.jsonl\n");
		return 2;
	}
	out = fopen(argv[1], "wb");
	if (!out) {
		perror(argv[1]);
		return 1;
	}
	while ((n = getline(&line, &cap, stdin)) >= 0) {
		bson_t doc;
		bson_error_t be;

		lineno++;
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n == 0)
			continue;
		if (!bson_init_from_json(&doc, line, n, &be)) {
			fprintf(stderr, "bson-write: line %ld: %s\n", lineno, be.message);
			goto done;
		}
		if (fwrite(bson_get_data(&doc), 1, doc.len, out) != doc.len) {
			bson_destroy(&doc);
			perror(argv[1]);
			goto done;
		}
		bson_destroy(&doc);
	}
	rc = 0;
done:
	free(line);
	if (fclose(out) != 0 && rc == 0) {
		perror(argv[1]);
		rc = 1;
	}
	return rc;
}
