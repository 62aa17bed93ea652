/*
 * migrate.h — `cwc-ctl migrate DUMP_DIR [--dry-run]`: brings a mongodump
 * of the original system's database to our model, in the configured
 * store (embedded or MongoDB). docs/operations.md ("Migrating from the
 * original system") tells the operator's side; migrate.c the rules.
 *
 * In short: the dump's shape is checked first (users.bson and
 * bookings.bson of the original, every file readable BSON; .bson.gz
 * files of `mongodump --gzip` are read too) and nothing is
 * written when it is not the original's. Then every document of every
 * collection is either converted (inserted, updated in place, or found
 * already converted: a second run changes nothing, as documents keep their
 * `_id`) or reported (collection, id, why) without stopping; the last line
 * adds up: documents in = converted + reported.
 */
#ifndef CWC_MIGRATE_H
#define CWC_MIGRATE_H

#include "store/store.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Runs the migration of the dump folder `dump_dir` (a mongodump output
 * folder holding one database folder, or that database folder itself)
 * into `st`. With `dry_run`, reads the store but writes nothing. What it
 * does goes to `out`, one line per fact. Returns the exit status: 0 done
 * (documents may have been reported), 1 refused (not the original's shape)
 * or failed (the store), with the reason on stderr. */
int migrate_run(store_t *st, const char *dump_dir, bool dry_run, int64_t now, FILE *out);

#endif
