/*
 * cwc-cron — the café's scheduled jobs (SPEC §7, §10): `cwc-cron JOB [ARGS]`.
 *
 * Each job is one entry of `jobs` below: a name, its arguments, a line of
 * help, the service name its log lines carry, and the function that runs
 * it. Jobs read the apps' configuration, are idempotent and safe to run
 * twice at once (cron may overlap a slow run). Exit status: 0 done, 1 the
 * job failed (the reason is logged), 2 bad usage.
 *
 * `outbox` is the mail sender: one pass over the due mails, or with
 * --follow the mailer daemon (polls every CWC_MAIL_POLL_MS, 1000; SIGTERM
 * or SIGINT stop it after the mail in progress; SIGHUP reloads the
 * configuration and the transport).
 */
#include "cli.h"
#include "account/account.h"
#include "core/config.h"
#include "core/log.h"
#include "mail/mail.h"
#include "mail/templates.h"
#include "booking/booking.h"
#include "booking/money.h"
#include "booking/jobs.h"
#include "booking/calendar.h"
#include "mail/transport.h"
#include "mail/outbox.h"
#include "store/store.h"
#include "conn/conn.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int job_outbox(int argc, char **argv);
static int job_outbox_list(int argc, char **argv);
static int job_outbox_retry(int argc, char **argv);
static int job_mail_test(int argc, char **argv);
static int job_expire_holds(int argc, char **argv);
static int job_purge_expired(int argc, char **argv);
static int job_place_holds(int argc, char **argv);
static int job_reminders(int argc, char **argv);
static int job_attendance(int argc, char **argv);
static int job_daily_report(int argc, char **argv);

static const struct cli_command jobs[] = {
	{ "outbox", "[--follow]",
	  "send the mails that are due; --follow: keep running (the mailer)",
	  "mailer", job_outbox },
	{ "outbox-list", "[pending|sending|sent|failed] [--full]",
	  "print the outbox as JSON lines (bodies with --full)",
	  "cwc-cron", job_outbox_list },
	{ "outbox-retry", "[ID]",
	  "put failed mails (or the one with this id) back in the queue",
	  "cwc-cron", job_outbox_retry },
	{ "mail-test", "TO [TEMPLATE [KEY=VALUE...]] | --list",
	  "queue a test mail (or any template, for a preview) to TO",
	  "cwc-cron", job_mail_test },
	{ "expire-holds", "",
	  "cancel the pending bookings whose payment hold ran out, freeing their slots; "
	  "retry the card steps Stripe could not take",
	  "cwc-cron", job_expire_holds },
	{ "purge-expired", "",
	  "remove expired sessions and tokens (what TTL indexes do, for a "
	  "MongoDB-compatible server without them)",
	  "cwc-cron", job_purge_expired },
	{ "place-holds", "",
	  "place the card holds of bookings due within holdLeadDays, from their saved cards",
	  "cwc-cron", job_place_holds },
	{ "reminders", "[--today YYYY-MM-DD]",
	  "mail the \"rappel J-1\" of tomorrow's confirmed bookings (once each)",
	  "cwc-cron", job_reminders },
	{ "attendance", "[--today YYYY-MM-DD]",
	  "list yesterday's bookings nobody marked to the staff; with autoNoShow, "
	  "mark them no-show (the fee captured)",
	  "cwc-cron", job_attendance },
	{ "daily-report", "[--today YYYY-MM-DD]",
	  "mail the day's report to the staff (arrivals, tomorrow, to validate, "
	  "holds lapsing, money moved)",
	  "cwc-cron", job_daily_report },
	/* §10: backup (bin/cwc-backup). */
};

/* ---- outbox ------------------------------------------------------------- */

static volatile sig_atomic_t stop_requested, reload_requested;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_requested = 1;
	else
		stop_requested = 1;
}

static void set_handler(int sig, void (*fn)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);   /* no SA_RESTART: a signal cuts the sleep short */
	sigaction(sig, &sa, NULL);
}

/* Sleeps `ms`, or less when a signal arrives. */
static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	if (!stop_requested && !reload_requested)
		nanosleep(&ts, NULL);
}

static void log_stats(const struct outbox_stats *s, const char *when)
{
	if (s->sent || s->retried || s->failed || s->dropped)
		log_info("outbox %s: %d sent, %d to retry, %d failed, %d requests "
			 "with nothing to send", when, s->sent, s->retried, s->failed,
			 s->dropped);
}

/* CWC_MAIL_POLL_MS, 50 ms to 1 min; 1 s otherwise. */
static long poll_ms(void)
{
	long v = atol(cfg_get("CWC_MAIL_POLL_MS", "1000"));

	return v >= 50 && v <= 60000 ? v : 1000;
}

static mail_transport_t *open_transport(void)
{
	char err[256];
	mail_transport_t *t = mail_transport_open(err, sizeof err);

	if (!t)
		log_error("mail transport: %s", err);
	else
		log_info("mail transport: %s (%s)", mail_transport_name(t),
			 mail_transport_target(t));
	return t;
}

/* Mail requests (forgot password, resend activation) are turned into mails
 * here, where the accounts are known: see account_mail_resolve(). */
static int resolve_account_mail(store_t *st, const char *template_name,
				const char *to, struct mail_rendered *out,
				char *errbuf, size_t errlen)
{
	return account_mail_resolve(st, template_name, to, account_now_ms(), out,
				    NULL, errbuf, errlen);
}

/* SIGHUP: the configuration again, then a transport built from it. */
static void reload(mail_transport_t **t, struct outbox_opts *o, long *poll)
{
	char err[256];
	struct outbox_opts no;

	reload_requested = 0;
	if (!cfg_load(err, sizeof err)) {
		log_error("reload refused, keeping the running configuration: %s", err);
		return;
	}
	log_init("mailer", cfg->log_level);
	if (outbox_opts_load(&no, err, sizeof err)) {
		no.resolve = resolve_account_mail;
		*o = no;
	} else {
		log_error("reload: %s (keeping the previous value)", err);
	}
	*poll = poll_ms();
	mail_transport_t *nt = open_transport();
	if (nt) {
		mail_transport_close(*t);
		*t = nt;
	}
	conn_close();   /* the store is opened again, maybe elsewhere */
	log_info("configuration reloaded");
}

static int job_outbox(int argc, char **argv)
{
	struct outbox_opts o;
	struct outbox_stats total = { 0 };
	store_error_t e = { 0 };
	mail_transport_t *t;
	bool follow = false, indexed = false;
	long poll, retry_ms = 1000;
	char err[256];
	int rc = 0;

	if (argc == 2 && strcmp(argv[1], "--follow") == 0)
		follow = true;
	else if (argc != 1)
		return cli_usage();
	if (!outbox_opts_load(&o, err, sizeof err)) {
		log_error("%s", err);
		return 1;
	}
	o.resolve = resolve_account_mail;
	poll = poll_ms();
	if (o.lock_seconds <= 20)
		log_warn("CWC_MAIL_LOCK_SECONDS=%d is not longer than a delivery may "
			 "take (20 s): two senders could deliver the same mail",
			 o.lock_seconds);
	if (!(t = open_transport()))
		return 1;

	if (!follow) {
		store_t *st = conn_store(&e);
		if (!st) {
			rc = 1;
		} else {
			if (!outbox_ensure_indexes(st, &e))
				log_warn("outbox index: %s", e.message);
			if (!outbox_run(st, t, &o, NULL, &total, &e)) {
				log_error("outbox: %s", e.message);
				rc = 1;
			}
		}
		log_stats(&total, "pass");
		mail_transport_close(t);
		return rc;
	}

	set_handler(SIGTERM, on_signal);
	set_handler(SIGINT, on_signal);
	set_handler(SIGHUP, on_signal);
	signal(SIGPIPE, SIG_IGN);
	log_info("mailer started (poll %ld ms, backoff %d s, %d attempts, lock %d s)",
		 poll, o.backoff_seconds, o.max_attempts, o.lock_seconds);
	while (!stop_requested) {
		struct outbox_stats pass = { 0 };
		if (reload_requested) {
			reload(&t, &o, &poll);
			indexed = false;
		}
		store_t *st = conn_store(&e);
		if (st && !indexed) {
			indexed = outbox_ensure_indexes(st, &e);
			if (!indexed)
				log_warn("outbox index: %s", e.message);
		}
		if (!st || !outbox_run(st, t, &o, &stop_requested, &pass, &e)) {
			if (st)
				log_error("outbox: %s", e.message);
			conn_close();    /* opened again on the next round */
			pause_ms(retry_ms);
			retry_ms = retry_ms < 30000 ? retry_ms * 2 : 30000;
			continue;
		}
		retry_ms = 1000;
		total.sent += pass.sent;
		total.retried += pass.retried;
		total.failed += pass.failed;
		total.dropped += pass.dropped;
		pause_ms(poll);
	}
	log_info("mailer stopping: %d sent, %d to retry, %d failed since start",
		 total.sent, total.retried, total.failed);
	mail_transport_close(t);
	return 0;
}

/* ---- outbox-list, outbox-retry ----------------------------------------- */

static int job_outbox_list(int argc, char **argv)
{
	static const char *const states[] = { "pending", "sending", "sent", "failed" };
	bson_t filter = BSON_INITIALIZER, sort = BSON_INITIALIZER, proj = BSON_INITIALIZER;
	store_find_opts_t fo = { .sort = &sort };
	store_error_t e = { 0 };
	store_cursor_t *cur;
	const bson_t *doc;
	bool full = false;
	int rc = 0;

	for (int i = 1; i < argc; i++) {
		bool known = false;
		for (size_t s = 0; s < 4; s++)
			if (strcmp(argv[i], states[s]) == 0 && !bson_has_field(&filter, "status")) {
				BSON_APPEND_UTF8(&filter, "status", argv[i]);
				known = true;
			}
		if (strcmp(argv[i], "--full") == 0)
			full = known = true;
		if (!known) {
			bson_destroy(&filter);
			bson_destroy(&sort);
			bson_destroy(&proj);
			return cli_usage();
		}
	}
	BSON_APPEND_INT32(&sort, "createdAt", 1);
	if (!full) {
		BSON_APPEND_INT32(&proj, "html", 0);
		BSON_APPEND_INT32(&proj, "text", 0);
		fo.projection = &proj;
	}
	store_t *st = conn_store(&e);
	cur = st ? store_find(st, OUTBOX_COLLECTION, &filter, &fo, &e) : NULL;
	if (!cur) {
		rc = 1;
		if (st)
			log_error("outbox-list: %s", e.message);
	} else {
		while (store_cursor_next(cur, &doc)) {
			char *json = bson_as_relaxed_extended_json(doc, NULL);
			printf("%s\n", json);
			bson_free(json);
		}
		if (store_cursor_error(cur, &e)) {
			log_error("outbox-list: %s", e.message);
			rc = 1;
		}
		store_cursor_destroy(cur);
	}
	bson_destroy(&filter);
	bson_destroy(&sort);
	bson_destroy(&proj);
	return rc;
}

static int job_outbox_retry(int argc, char **argv)
{
	store_error_t e = { 0 };
	int64_t n;

	if (argc > 2)
		return cli_usage();
	store_t *st = conn_store(&e);
	if (!st)
		return 1;
	if (!outbox_requeue_failed(st, argc == 2 ? argv[1] : NULL, &n, &e)) {
		log_error("outbox-retry: %s", e.message);
		return 1;
	}
	printf("%lld mail%s back in the queue\n", (long long)n, n == 1 ? "" : "s");
	return 0;
}

/* ---- purge-expired --------------------------------------------------------- */

/* Harmless where TTL indexes work (they left nothing to remove); needed
 * where they do not (the store warned at start-up). */
static int job_purge_expired(int argc, char **argv)
{
	store_error_t e = { 0 };
	int64_t n = 0;
	struct timespec now;
	store_t *st;

	if (argc != 1)
		return cli_usage();
	st = conn_store(&e);
	if (!st) {
		log_error("purge-expired: %s", e.message);
		return 1;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	if (!store_purge_expired(st, (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000, &n, &e)) {
		log_error("purge-expired: %s", e.message);
		return 1;
	}
	log_info("purge-expired: %lld expired documents removed", (long long)n);
	printf("%lld expired document%s removed\n", (long long)n, n == 1 ? "" : "s");
	return 0;
}

/* ---- mail-test ------------------------------------------------------------ */

static int job_mail_test(int argc, char **argv)
{
	json_object *vars;
	store_error_t e = { 0 };
	const char *template_name = "test";
	char host[128] = "?", note[200], err[512];
	int rc;

	if (argc == 2 && strcmp(argv[1], "--list") == 0) {
		const char *name;
		if (!mail_templates_load(err, sizeof err)) {
			fprintf(stderr, "cwc-cron mail-test: %s\n", err);
			return 1;
		}
		for (size_t i = 0; (name = mail_template_at(i)); i++) {
			char *subject = mail_render_subject(name, NULL, err, sizeof err);
			printf("%-20s %s\n", name, subject ? subject : err);
			free(subject);
		}
		return 0;
	}
	if (argc < 2)
		return cli_usage();
	if (argc >= 3)
		template_name = argv[2];
	vars = json_object_new_object();
	for (int i = 3; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		if (!eq || eq == argv[i]) {
			fprintf(stderr, "cwc-cron mail-test: \"%s\" is not KEY=VALUE\n", argv[i]);
			json_object_put(vars);
			return 2;
		}
		*eq = '\0';
		json_object_object_add(vars, argv[i], json_object_new_string(eq + 1));
	}
	if (strcmp(template_name, "test") == 0) {
		gethostname(host, sizeof host - 1);
		snprintf(note, sizeof note, "cwc-cron mail-test sur %s", host);
		json_object_object_add(vars, "note", json_object_new_string(note));
	}
	store_t *st = conn_store(&e);
	if (!st) {
		json_object_put(vars);
		return 1;
	}
	rc = 0;
	if (!mail_enqueue(st, template_name, argv[1], vars, &e)) {
		fprintf(stderr, "cwc-cron mail-test: %s\n", e.message);
		rc = e.code == STORE_ERR_BAD_VALUE ? 2 : 1;
	} else {
		printf("queued \"%s\" for %s\n", template_name, argv[1]);
	}
	json_object_put(vars);
	return rc;
}

/* ---- main ------------------------------------------------------------------ */

static const struct cli tool = {
	.program = "cwc-cron",
	.commands = jobs,
	.n_commands = CLI_COUNT(jobs),
};

/* ---- bookings ------------------------------------------------------------ */

static int job_expire_holds(int argc, char **argv)
{
	store_error_t se = { 0 };
	store_t *st;
	struct timespec ts;
	int n = 0;

	if (argc != 1)
		return cli_usage();
	st = conn_store(&se);
	if (!st)
		return cli_fail("expire-holds: %s", se.message);
	clock_gettime(CLOCK_REALTIME, &ts);
	if (!booking_expire_holds(st, (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, &n, &se))
		return cli_fail("expire-holds: %s", se.message);
	printf("expired %d pending booking%s\n", n, n == 1 ? "" : "s");
	{	/* card steps that failed after their move (Stripe was down) */
		struct err e = { 0 };
		int done = 0, failed = 0;
		if (cfg->stripe_secret_key && *cfg->stripe_secret_key &&
		    !booking_money_retry(st, (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, &done, &failed, &e))
			return cli_fail("expire-holds: %s", e.message);
		if (done || failed)
			printf("card steps retried: %d done, %d failed\n", done, failed);
	}
	return 0;
}

static int job_place_holds(int argc, char **argv)
{
	store_error_t se = { 0 };
	struct err e = { 0 };
	store_t *st;
	struct timespec ts;
	int placed = 0, failed = 0;

	if (argc != 1)
		return cli_usage();
	st = conn_store(&se);
	if (!st)
		return cli_fail("place-holds: %s", se.message);
	clock_gettime(CLOCK_REALTIME, &ts);
	if (!booking_money_place_holds(st, (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000,
				       &placed, &failed, &e))
		return cli_fail("place-holds: %s", e.message);
	printf("placed %d hold%s, %d failed\n", placed, placed == 1 ? "" : "s", failed);
	return 0;
}

/* ---- reminders, attendance, daily-report (booking/jobs.h) ----------------------- */

/* Now, and the Paris day the job runs for: today, or --today YYYY-MM-DD
 * (a day missed, run again). False: bad usage. */
static bool job_day(int argc, char **argv, int64_t *now, int64_t *today)
{
	struct timespec ts;
	int minute;

	clock_gettime(CLOCK_REALTIME, &ts);
	*now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	booking_paris_local(*now, today, &minute);
	if (argc == 3 && strcmp(argv[1], "--today") == 0)
		return booking_parse_date(argv[2], today);
	return argc == 1;
}

typedef bool (*booking_job_fn)(store_t *, int64_t, int64_t, struct booking_job_stats *,
			       struct err *);

static int run_booking_job(const char *name, booking_job_fn fn, int argc, char **argv)
{
	struct booking_job_stats s;
	store_error_t se = { 0 };
	struct err e = { 0 };
	int64_t now, today;
	char day[11];
	store_t *st;

	if (!job_day(argc, argv, &now, &today))
		return cli_usage();
	st = conn_store(&se);
	if (!st)
		return cli_fail("%s: %s", name, se.message);
	booking_format_date(today, day);
	if (!fn(st, today, now, &s, &e) && !s.failed)
		return cli_fail("%s: %s", name, e.message);
	printf("%s %s: %d done, %d done already, %d failed", name, day, s.done, s.skipped, s.failed);
	if (fn == booking_job_attendance)
		printf(", %d listed", s.listed);
	printf("\n");
	log_info("%s %s: %d done, %d done already, %d failed", name, day, s.done, s.skipped, s.failed);
	return s.failed ? 1 : 0;   /* a rerun finishes what failed */
}

static int job_reminders(int argc, char **argv)
{
	return run_booking_job("reminders", booking_job_reminders, argc, argv);
}

static int job_attendance(int argc, char **argv)
{
	return run_booking_job("attendance", booking_job_attendance, argc, argv);
}

static int job_daily_report(int argc, char **argv)
{
	return run_booking_job("daily-report", booking_job_daily_report, argc, argv);
}

int main(int argc, char **argv)
{
	return cli_main(&tool, argc, argv);
}
