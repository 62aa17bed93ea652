/*
 * cwc-ctl — accounts and roles from the command line (SPEC §4, §10):
 * `cwc-ctl COMMAND [ARGS]`, reading the apps' configuration (cfg_load)
 * and their store.
 *
 * Passwords are never arguments (they would show in `ps` and shell
 * history): they are read from stdin when it is not a terminal (one line),
 * else prompted twice without echo.
 *
 * Exit status: 0 done, 1 failed (the reason on stderr), 2 bad usage.
 */
#include "content/event.h"
#include "account/account.h"
#include "core/doc.h"
#include "account/api.h"
#include "content/article.h"
#include "booking/booking.h"
#include "booking/calendar.h"
#include "booking/catalogue.h"
#include "content/menu.h"
#include "booking/claims.h"
#include "core/buf.h"
#include "cli.h"
#include "core/config.h"
#include "core/log.h"
#include "account/password.h"
#include "web/probe.h"
#include "web/route.h"
#include "store/store.h"
#include "conn/conn.h"
#include "migrate/migrate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static int cmd_create_admin(int argc, char **argv);
static int cmd_reset_password(int argc, char **argv);
static int cmd_set_role(int argc, char **argv);
static int cmd_show_user(int argc, char **argv);
static int cmd_import_admins(int argc, char **argv);
static int cmd_seed(int argc, char **argv);
static int cmd_ensure_indexes(int argc, char **argv);
static int cmd_closure(int argc, char **argv);
static int cmd_booking_status(int argc, char **argv);
static int cmd_booking_claims(int argc, char **argv);
static int cmd_health(int argc, char **argv);
static int cmd_migrate(int argc, char **argv);

static const struct cli_command commands[] = {
	{ "create-admin", "EMAIL [--role SLUG] [--name GIVEN_NAME]",
	  "create an active back-office account (role admin unless --role)",
	  NULL, cmd_create_admin },
	{ "reset-password", "EMAIL",
	  "set a new password and end every session of the account",
	  NULL, cmd_reset_password },
	{ "set-role", "EMAIL ROLE", "give the account a role: dev, admin, staff, client",
	  NULL, cmd_set_role },
	{ "show-user", "EMAIL",
	  "print the account as JSON (role, state, password scheme; no secrets)",
	  NULL, cmd_show_user },
	{ "import-admins", "[--file FILE]",
	  "move the legacy `admins` collection (or a mongoexport JSON-lines FILE of it) into users",
	  NULL, cmd_import_admins },
	{ "seed", "", "create the system roles, the demo accounts, the café's catalogue and menu (idempotent)",
	  NULL, cmd_seed },
	{ "ensure-indexes", "", "create the store's declared indexes (idempotent)",
	  NULL, cmd_ensure_indexes },
	{ "closure", "YYYY-MM-DD [HH:MM HH:MM] REASON",
	  "close the café that day (or between two times of it) for bookings",
	  NULL, cmd_closure },
	{ "booking-status", "CONFIRMATION_NUMBER STATUS [REASON]",
	  "move a booking as staff: confirmed, cancelled, completed, no-show",
	  NULL, cmd_booking_status },
	{ "booking-claims", "",
	  "claim the slots of imported live bookings (once, after importing the original's data)",
	  NULL, cmd_booking_claims },
	{ "migrate", "DUMP_DIR [--dry-run]",
	  "bring a mongodump of the original system's database to our model (idempotent; "
	  "--dry-run writes nothing); docs/operations.md",
	  NULL, cmd_migrate },
	{ "health", "ADDRESS [--timeout SECONDS]",
	  "ask one instance for its health, not through Caddy: a FastCGI socket "
	  "(path or host:port) or http://host:port of a relay; exit 0 when it answers 200",
	  NULL, cmd_health },
};

static int fail_account(const char *what, const struct err *e)
{
	return cli_fail("%s: %s", what, e->message);
}

static int fail_store(const char *what, const store_error_t *se)
{
	return cli_fail("%s: %s", what, se->message);
}

/* ---- password input -------------------------------------------------- */

static bool read_line(FILE *in, char *out, size_t outlen, size_t *len)
{
	size_t n;

	if (!fgets(out, (int)outlen, in))
		return false;
	n = strlen(out);
	if (n && out[n - 1] == '\n')
		out[--n] = '\0';
	else if (!feof(in))
		return false;   /* longer than the buffer */
	if (n && out[n - 1] == '\r')
		out[--n] = '\0';
	*len = n;
	return true;
}

static bool prompt(FILE *tty, const char *label, char *out, size_t outlen, size_t *len)
{
	struct termios old, quiet;
	bool ok, echo_off;

	fprintf(stderr, "%s", label);
	fflush(stderr);
	echo_off = tcgetattr(fileno(tty), &old) == 0;
	if (echo_off) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
	}
	ok = read_line(tty, out, outlen, len);
	if (echo_off)
		tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fprintf(stderr, "\n");
	return ok;
}

/* The new password: a line of stdin, or typed twice at the terminal. */
static bool read_password(char *out, size_t outlen, size_t *len)
{
	struct err e;
	char again[PASSWORD_MAX_BYTES + 2];
	size_t again_len;
	bool ok;

	if (!isatty(STDIN_FILENO)) {
		if (!read_line(stdin, out, outlen, len)) {
			fprintf(stderr, "cwc-ctl: no password on stdin (or longer than %d bytes)\n",
				PASSWORD_MAX_BYTES);
			return false;
		}
	} else {
		if (!prompt(stdin, "New password: ", out, outlen, len) ||
		    !prompt(stdin, "Again: ", again, sizeof again, &again_len)) {
			fprintf(stderr, "cwc-ctl: no password\n");
			return false;
		}
		ok = again_len == *len && memcmp(again, out, *len) == 0;
		explicit_bzero(again, sizeof again);
		if (!ok) {
			fprintf(stderr, "cwc-ctl: the two passwords differ\n");
			return false;
		}
	}
	if (!account_check_password(out, *len, "password", &e)) {
		fprintf(stderr, "cwc-ctl: %s\n", e.message);
		return false;
	}
	return true;
}

/* ---- commands -------------------------------------------------------- */

static bool find_user(store_t *st, const char *email_in, bson_t *user, int *rc)
{
	char email[ACCOUNT_EMAIL_MAX + 1];
	store_error_t se = { 0 };
	bool found = false;

	if (!account_email_normalise(email_in, strlen(email_in), email, sizeof email)) {
		fprintf(stderr, "cwc-ctl: \"%s\" is not a valid email address\n", email_in);
		*rc = 1;
		return false;
	}
	if (!account_find_by_email(st, email, user, &found, &se)) {
		*rc = fail_store("find the account", &se);
		return false;
	}
	if (!found) {
		fprintf(stderr, "cwc-ctl: no account with the email %s\n", email);
		*rc = 1;
		return false;
	}
	return true;
}

static int cmd_create_admin(int argc, char **argv)
{
	store_t *st = conn_store(NULL);
	const char *email = NULL, *slug = "admin", *name = NULL;
	char pw[PASSWORD_MAX_BYTES + 2];
	size_t len;
	struct err e;
	bson_oid_t id;
	char hex[25];
	int rc = 1;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--role") == 0 && i + 1 < argc)
			slug = argv[++i];
		else if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
			name = argv[++i];
		else if (argv[i][0] != '-' && !email)
			email = argv[i];
		else
			return cli_usage();
	}
	if (!email)
		return cli_usage();
	if (account_role_from_slug(slug) == ROLE_PUBLIC) {
		fprintf(stderr, "cwc-ctl: unknown role \"%s\" (dev, admin, staff, client)\n", slug);
		return 2;
	}
	if (!read_password(pw, sizeof pw, &len))
		goto done;
	if (!account_create_active(st, email, pw, len, slug, name, account_now_ms(), &id, &e)) {
		rc = fail_account(email, &e);
		goto done;
	}
	bson_oid_to_string(&id, hex);
	printf("created %s (%s), role %s\n", email, hex, slug);
	rc = 0;
done:
	explicit_bzero(pw, sizeof pw);
	return rc;
}

static int cmd_reset_password(int argc, char **argv)
{
	store_t *st = conn_store(NULL);
	bson_t user = BSON_INITIALIZER;
	char pw[PASSWORD_MAX_BYTES + 2];
	size_t len;
	struct err e;
	store_error_t se = { 0 };
	bson_oid_t id;
	int rc = 1;

	if (argc != 2)
		return cli_usage();
	if (!find_user(st, argv[1], &user, &rc) || !doc_oid(&user, "_id", &id))
		goto done;
	if (!read_password(pw, sizeof pw, &len)) {
		rc = 1;
		goto done;
	}
	if (!account_set_password(st, &id, pw, len, account_now_ms(), &e)) {
		rc = fail_account(argv[1], &e);
		goto done;
	}
	if (!session_end_all(st, &id, NULL, &se)) {
		rc = fail_store("end the sessions", &se);
		goto done;
	}
	printf("password changed for %s; its sessions are ended\n", doc_str(&user, "email"));
	rc = 0;
done:
	explicit_bzero(pw, sizeof pw);
	bson_destroy(&user);
	return rc;
}

static int cmd_set_role(int argc, char **argv)
{
	store_t *st = conn_store(NULL);
	bson_t user = BSON_INITIALIZER;
	store_error_t se = { 0 };
	bson_oid_t id, role_id;
	bson_t *filter = NULL, *update = NULL;
	bool found = false;
	int rc = 1;

	if (argc != 3)
		return cli_usage();
	if (account_role_from_slug(argv[2]) == ROLE_PUBLIC) {
		fprintf(stderr, "cwc-ctl: unknown role \"%s\" (dev, admin, staff, client)\n", argv[2]);
		return 2;
	}
	if (!find_user(st, argv[1], &user, &rc) || !doc_oid(&user, "_id", &id))
		goto done;
	rc = 1;
	if (!account_role_id(st, argv[2], account_now_ms(), &role_id, &found, &se) || !found) {
		rc = fail_store("find the role", &se);
		goto done;
	}
	filter = BCON_NEW("_id", BCON_OID(&id));
	update = BCON_NEW("$set", "{", "role", BCON_OID(&role_id),
			  "updatedAt", BCON_DATE_TIME(account_now_ms()), "}");
	if (!store_update_one(st, "users", filter, update, false, NULL, &se)) {
		rc = fail_store("set the role", &se);
		goto done;
	}
	printf("%s is now %s\n", doc_str(&user, "email"), argv[2]);
	rc = 0;
done:
	bson_destroy(&user);
	if (filter)
		bson_destroy(filter);
	if (update)
		bson_destroy(update);
	return rc;
}

static int cmd_show_user(int argc, char **argv)
{
	store_t *st = conn_store(NULL);
	bson_t user = BSON_INITIALIZER;
	store_error_t se = { 0 };
	json_object *o;
	bson_iter_t it;
	int role, rc = 1;

	if (argc != 2)
		return cli_usage();
	if (!find_user(st, argv[1], &user, &rc))
		goto done;
	if (!account_user_role(st, &user, &role, &se)) {
		rc = fail_store("find the role", &se);
		goto done;
	}
	o = account_profile_json(&user, role);
	json_object_object_add(o, "pendingActivation",
			       json_object_new_boolean(account_is_pending(&user)));
	json_object_object_add(o, "passwordScheme", json_object_new_string(
		password_scheme_name(password_scheme(doc_str(&user, "password")))));
	json_object_object_add(o, "hasDashboardPin", json_object_new_boolean(
		bson_iter_init_find(&it, &user, "dashboardPin")));
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						      JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	rc = 0;
done:
	bson_destroy(&user);
	return rc;
}

struct import_tally {
	int imported, existing, invalid;
};

static bool import_one(store_t *st, const bson_t *doc, struct import_tally *t)
{
	enum account_import_outcome out;
	store_error_t se = { 0 };

	if (!account_import_admin(st, doc, account_now_ms(), &out, &se)) {
		fail_store("import", &se);
		return false;
	}
	if (out == ACCOUNT_IMPORTED)
		t->imported++;
	else if (out == ACCOUNT_ALREADY_THERE)
		t->existing++;
	else
		t->invalid++;
	return true;
}

/* Documents of a mongoexport file: one Extended JSON document per line. */
static bool import_file(store_t *st, const char *path, struct import_tally *t)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long lineno = 0;
	bool ok = true;

	if (!f) {
		fprintf(stderr, "cwc-ctl: %s: %s\n", path, strerror(errno));
		return false;
	}
	while (ok && (n = getline(&line, &cap, f)) >= 0) {
		bson_t doc;
		bson_error_t be;
		lineno++;
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r' ||
			     line[n - 1] == ' '))
			line[--n] = '\0';
		if (n == 0)
			continue;
		if (!bson_init_from_json(&doc, line, n, &be)) {
			fprintf(stderr, "cwc-ctl: %s:%ld: not a JSON document: %s\n",
				path, lineno, be.message);
			ok = false;
			break;
		}
		ok = import_one(st, &doc, t);
		bson_destroy(&doc);
	}
	free(line);
	fclose(f);
	return ok;
}

/* The `admins` collection, read whole first (it is small) so that no
 * cursor is open while users are written. */
static bool import_collection(store_t *st, struct import_tally *t)
{
	store_error_t se = { 0 };
	store_cursor_t *cur = store_find(st, "admins", NULL, NULL, &se);
	bson_t **docs = NULL;
	size_t n = 0;
	const bson_t *doc;
	bool ok = true;

	if (!cur)
		return fail_store("read admins", &se) == 0;
	while (store_cursor_next(cur, &doc)) {
		bson_t **grown = realloc(docs, (n + 1) * sizeof *docs);
		if (!grown)
			abort();
		docs = grown;
		docs[n++] = bson_copy(doc);
	}
	if (store_cursor_error(cur, &se)) {
		fail_store("read admins", &se);
		ok = false;
	}
	store_cursor_destroy(cur);
	for (size_t i = 0; ok && i < n; i++)
		ok = import_one(st, docs[i], t);
	for (size_t i = 0; i < n; i++)
		bson_destroy(docs[i]);
	free(docs);
	return ok;
}

static int cmd_import_admins(int argc, char **argv)
{
	store_t *st = conn_store(NULL);
	struct import_tally t = { 0 };
	bool ok;

	if (argc == 3 && strcmp(argv[1], "--file") == 0)
		ok = import_file(st, argv[2], &t);
	else if (argc == 1)
		ok = import_collection(st, &t);
	else
		return cli_usage();
	printf("imported %d, already there %d, skipped (invalid) %d\n",
	       t.imported, t.existing, t.invalid);
	return ok ? 0 : 1;
}

static void seed_report(const char *line)
{
	printf("%s\n", line);
}

static int cmd_seed(int argc, char **argv)
{
	store_t *st = conn_store(NULL);
	static const struct {
		const char *slug, *env_email, *env_password, *email, *password, *name;
	} demo[] = {
		{ "admin", "CWC_DEMO_ADMIN_EMAIL", "CWC_DEMO_ADMIN_PASSWORD",
		  "admin@coworkingcafe.local", "cafe-admin-2026", "Admin" },
		{ "staff", "CWC_DEMO_STAFF_EMAIL", "CWC_DEMO_STAFF_PASSWORD",
		  "staff@coworkingcafe.local", "cafe-staff-2026", "Équipe" },
		{ "client", "CWC_DEMO_CLIENT_EMAIL", "CWC_DEMO_CLIENT_PASSWORD",
		  "client@coworkingcafe.local", "cafe-client-2026", "Client" },
	};
	store_error_t se = { 0 };
	int rc = 0;

	if (argc != 1)
		return cli_usage();
	if (cfg->production) {
		fprintf(stderr, "cwc-ctl: seed creates demo accounts with known passwords: "
			"not in production (use create-admin)\n");
		return 1;
	}
	if (!account_ensure_roles(st, account_now_ms(), &se))
		return fail_store("roles", &se);
	printf("roles: dev, admin, staff, client\n");
	for (size_t i = 0; i < sizeof demo / sizeof *demo; i++) {
		const char *email = cfg_get(demo[i].env_email, demo[i].email);
		const char *pw = cfg_get(demo[i].env_password, demo[i].password);
		struct err e;
		if (account_create_active(st, email, pw, strlen(pw), demo[i].slug,
					  demo[i].name, account_now_ms(), NULL, &e))
			printf("created %s (%s)\n", email, demo[i].slug);
		else if (e.status == 409)
			printf("exists  %s (left as it is)\n", email);
		else
			rc = fail_account(email, &e);
	}
	if (rc == 0 && !booking_seed_catalogue(st, account_now_ms(), seed_report, &se))
		return fail_store("catalogue", &se);
	if (rc == 0) {   /* upcoming events, free and paid */
		struct err e = { 0 };
		if (!event_seed(st, account_now_ms(), seed_report, &e)) {
			fprintf(stderr, "cwc-ctl: seed events: %s\n", e.message);
			rc = 1;
		}
	}
	if (rc == 0) {   /* the blog's categories and a dozen articles */
		struct err e = { 0 };
		if (!article_seed(st, account_now_ms(), seed_report, &e)) {
			fprintf(stderr, "cwc-ctl: blog: %s\n", e.message);
			rc = 1;
		}
	}
	if (rc == 0 && !menu_seed(st, account_now_ms(), seed_report, &se))
		return fail_store("menu", &se);
	return rc;
}

static int cmd_ensure_indexes(int argc, char **argv)
{
	store_t *st = conn_store(NULL);
	store_error_t se = { 0 };

	if (argc != 1)
		return cli_usage();
	if (!store_ensure_indexes(st, &se))
		return fail_store("ensure-indexes", &se);
	printf("indexes ensured (%s store)\n", store_backend_name(st));
	return 0;
}

static int cmd_closure(int argc, char **argv)
{
	store_t *st = conn_store(NULL);
	store_error_t se = { 0 };
	struct booking_closure c = { .full_day = true };
	int reason_at = 2;

	if (argc != 3 && argc != 5)
		return cli_usage();
	if (!booking_parse_date(argv[1], &c.day))
		return cli_fail("closure: %s is not a date YYYY-MM-DD", argv[1]);
	if (argc == 5) {
		c.full_day = false;
		reason_at = 4;
		if (!booking_parse_time(argv[2], false, &c.start_min) ||
		    !booking_parse_time(argv[3], true, &c.end_min) || c.end_min <= c.start_min)
			return cli_fail("closure: %s–%s is not a time window", argv[2], argv[3]);
	}
	if (!buf_fmt(c.reason, sizeof c.reason, "%s", argv[reason_at]))
		return cli_fail("closure: the reason is too long");
	if (!booking_hours_add_closure(st, &c, account_now_ms(), &se))
		return fail_store("closure", &se);
	printf("closed %s%s%s%s%s: %s\n", argv[1], c.full_day ? "" : " ", c.full_day ? "" : argv[2],
	       c.full_day ? "" : "–", c.full_day ? "" : argv[3], c.reason);
	return 0;
}

static int cmd_booking_status(int argc, char **argv)
{
	store_t *st = conn_store(NULL);
	store_error_t se = { 0 };
	struct booking_actor staff = { .staff = true };
	struct err e = { 0 };
	bson_t b, after;
	bool found = false;

	if (argc != 3 && argc != 4)
		return cli_usage();
	if (!booking_find(st, argv[1], &b, &found, &se))
		return fail_store("booking-status", &se);
	if (!found) {
		bson_destroy(&b);
		return cli_fail("booking-status: no booking %s", argv[1]);
	}
	if (!booking_transition(st, &b, argv[2], &staff, argc == 4 ? argv[3] : NULL,
				account_now_ms(), &after, &e)) {
		bson_destroy(&b);
		return cli_fail("booking-status: %s", e.message);
	}
	printf("%s: %s → %s\n", argv[1], doc_str(&b, "status"), doc_str(&after, "status"));
	bson_destroy(&b);
	bson_destroy(&after);
	return 0;
}

static int cmd_booking_claims(int argc, char **argv)
{
	store_t *st = conn_store(NULL);
	store_error_t se = { 0 };
	int claimed = 0, conflicts = 0;

	if (argc != 1)
		return cli_usage();
	if (!booking_claims_backfill(st, account_now_ms(), &claimed, &conflicts, seed_report, &se))
		return fail_store("booking-claims", &se);
	printf("claimed the slots of %d booking%s; %d in conflict (listed above)\n", claimed,
	       claimed == 1 ? "" : "s", conflicts);
	return 0;
}

/* What rolling updates and healthchecks run (docs/operations.md): one
 * line on stdout, the status and the start of the answer. */
static int cmd_health(int argc, char **argv)
{
	char detail[256];
	int timeout_s = 5, status;

	if (argc == 4 && strcmp(argv[2], "--timeout") == 0)
		timeout_s = atoi(argv[3]);
	else if (argc != 2)
		return cli_usage();
	if (timeout_s <= 0 || timeout_s > 600)
		return cli_usage();
	status = probe_health(argv[1], timeout_s * 1000, detail, sizeof detail);
	if (status < 0)
		return cli_fail("%s: %s", argv[1], detail);
	printf("%d %s\n", status, detail);
	return status == 200 ? 0 : 1;
}

static int cmd_migrate(int argc, char **argv)
{
	const char *dir = NULL;
	bool dry = false;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dry-run") == 0)
			dry = true;
		else if (argv[i][0] != '-' && !dir)
			dir = argv[i];
		else
			return cli_usage();
	}
	if (!dir)
		return cli_usage();
	return migrate_run(conn_store(NULL), dir, dry, account_now_ms(), stdout);
}

/* The unique indexes (users.email, roles.slug) are what make account
 * creation safe: ensure them, as the apps do at start-up. Every command
 * then finds the store open (conn_store()), except `health`, which asks
 * an instance and never the store. */
static bool open_store(const struct cli_command *cmd)
{
	store_error_t se = { 0 };
	store_t *st;

	if (cmd->run == cmd_health)
		return true;
	st = conn_store(&se);
	if (st && cmd->run == cmd_migrate)
		return true;   /* it ensures them itself, unless a dry run */

	if (!st || !store_ensure_indexes(st, &se)) {
		cli_fail("cannot use the store: %s", se.message);
		return false;
	}
	return true;
}

static const struct cli tool = {
	.program = "cwc-ctl",
	.commands = commands,
	.n_commands = CLI_COUNT(commands),
	.footer = "Passwords are read from stdin when it is not a terminal, else prompted for.",
	.setup = open_store,
};

int main(int argc, char **argv)
{
	return cli_main(&tool, argc, argv);
}
