/*
 * cwc-backup — dumps and restores the store in mongodump's directory
 * format (SPEC §10), on either backend, reading the apps' configuration:
 *
 *   cwc-backup dump [--out DIR] [--keep N]
 *   cwc-backup restore DUMP_DIR [--drop]
 *   cwc-backup list [--out DIR]
 *
 * A dump is DIR/<UTC time>/<db>/<collection>.bson.gz (the documents,
 * concatenated BSON, gzip) and <collection>.metadata.json.gz (the indexes,
 * canonical Extended JSON): what `mongodump --gzip` writes, so that
 * `mongorestore --gzip` reads ours and we read theirs (uncompressed ones
 * too). See docs/backup.md.
 *
 * Safety:
 *   - a dump is written under DIR/.tmp-<time>-<pid> and renamed into place
 *     once every file and folder is fsync'ed: a folder named like a dump is
 *     complete. A failed dump removes its temporary folder; --keep only
 *     ever deletes folders named like a dump.
 *   - a restore reads and checks the whole dump (every file decompresses,
 *     every document is valid BSON the store accepts, every metadata file
 *     parses) and the target store (no non-empty collection unless --drop,
 *     no conflicting index) before it writes anything; when a write fails
 *     all the same, it drops again what it wrote.
 *   - documents are streamed (a cursor when dumping, batches of at most
 *     BATCH_DOCS / BATCH_BYTES when restoring), never a whole collection.
 *
 * Exit status: 0 done, 1 failed (the reason on stderr), 2 bad usage.
 */
#include "backup/backup.h"
#include "cli.h"

#include "conn/conn.h"
#include "core/config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>


/* Set by SIGINT/SIGTERM/SIGHUP; long loops check it and stop cleanly. */
volatile sig_atomic_t backup_interrupted;

static void on_signal(int sig)
{
	(void) sig;
	backup_interrupted = 1;
}

/* ---- command line ---------------------------------------------------------- */

/* A whole number from 1 to BACKUP_KEEP_MAX, else 0. */
static long parse_keep(const char *s)
{
	char *end;
	long v;

	if (!s || *s < '0' || *s > '9')
		return 0;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 1 || v > BACKUP_KEEP_MAX)
		return 0;
	return v;
}

/* The dumps' folder: --out DIR, else $CWC_DATA_DIR/backups. Free with free(). */
static char *out_dir(const char *out)
{
	return out ? backup_strdup(out) : backup_path_join(cfg->data_dir, "backups");
}

static void catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static int cmd_dump(int argc, char **argv)
{
	const char *out = NULL, *v;
	long keep = 0;
	char *dir;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--out") == 0 && i + 1 < argc && argv[i + 1][0]) {
			out = argv[++i];
		} else if (strcmp(argv[i], "--keep") == 0 && i + 1 < argc) {
			if (!(keep = parse_keep(argv[++i]))) {
				fprintf(stderr, "cwc-backup: --keep takes a number from 1 to %d\n",
					BACKUP_KEEP_MAX);
				return 2;
			}
		} else {
			return cli_usage();
		}
	}
	if (!keep) {
		v = cfg_get("CWC_BACKUP_KEEP", NULL);
		keep = v ? parse_keep(v) : BACKUP_KEEP_DEFAULT;
		if (!keep) {
			fprintf(stderr, "cwc-backup: CWC_BACKUP_KEEP must be a number from 1 to %d "
				"(it is \"%s\")\n", BACKUP_KEEP_MAX, v);
			return 1;
		}
	}
	catch_signals();
	dir = out_dir(out);
	rc = backup_dump(dir, keep);
	free(dir);
	return rc;
}

static int cmd_restore(int argc, char **argv)
{
	const char *dump_dir = NULL;
	bool drop = false;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--drop") == 0)
			drop = true;
		else if (argv[i][0] != '-' && !dump_dir)
			dump_dir = argv[i];
		else
			return cli_usage();
	}
	if (!dump_dir)
		return cli_usage();
	catch_signals();
	return backup_restore(dump_dir, drop);
}

static int cmd_list(int argc, char **argv)
{
	const char *out = NULL;
	char *dir;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--out") == 0 && i + 1 < argc && argv[i + 1][0])
			out = argv[++i];
		else
			return cli_usage();
	}
	dir = out_dir(out);
	rc = backup_list(dir);
	free(dir);
	return rc;
}

static const struct cli_command commands[] = {
	{ "dump", "[--out DIR] [--keep N]",
	  "write every collection to DIR/<UTC time>/<db>/ (mongodump --gzip format), then keep "
	  "the newest N dumps of DIR (default: $CWC_DATA_DIR/backups, CWC_BACKUP_KEEP or 14)",
	  NULL, cmd_dump },
	{ "restore", "DUMP_DIR [--drop]",
	  "load a dump (ours or mongodump's, .bson or .bson.gz) into the configured store; "
	  "refuses non-empty collections unless --drop, which replaces them",
	  NULL, cmd_restore },
	{ "list", "[--out DIR]", "the dumps of DIR with their sizes", NULL, cmd_list },
};

static const struct cli tool = {
	.program = "cwc-backup",
	.commands = commands,
	.n_commands = CLI_COUNT(commands),
	.footer = "The store is the apps' (MONGODB_URI, else the embedded one under CWC_DATA_DIR).",
};

int main(int argc, char **argv)
{
	return cli_main(&tool, argc, argv);
}
