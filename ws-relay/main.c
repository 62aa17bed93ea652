/*
 * main.c — bin/ws-relay: WebSocket relay of chat events (SPEC §1, §6).
 *
 * Start-up: configuration (common/core/config.h), JSON logs as "relay", then a
 * libuv loop of our own that libwebsockets joins as a foreign loop and the
 * Redis connections share. The store (common/conn/conn.h) is opened on first use,
 * by the first authenticated upgrade. Listens on CWC_RELAY_LISTEN (host:port, IPv4;
 * an empty host, "*" or 0.0.0.0 means every interface). A bad setting
 * stops start-up with a message; an unreachable Redis does not (the
 * subscriber retries, /health says 503 meanwhile).
 *
 * Signals are ours (lws does not install handlers on a foreign loop):
 * SIGINT/SIGTERM stop: refuse new sockets, close open ones with 1001,
 * give them RELAY_SHUTDOWN_GRACE_MS to go, destroy the lws context, let
 * the loop run until every handle is closed, exit 0 (a second signal cuts
 * the grace short). SIGHUP reloads nothing and says so.
 *
 * Optional tuning (seconds): CWC_RELAY_PING_INTERVAL (default 30) — a
 * socket silent that long is pinged; CWC_RELAY_IDLE_TIMEOUT (default 75) —
 * one that has not proved alive (pong or traffic) that long is dropped.
 * Both are applied by session_sweep() every RELAY_SWEEP_MS, not by lws'
 * own validity timers: lws 4.1 keeps those in one sorted list that every
 * pong re-enters from the head, O(sockets) each, which at 10,000 sockets
 * cost the relay ~2 s of CPU per ping round (bench/relay).
 * CWC_RELAY_MAX_USER_SOCKETS (default RELAY_MAX_USER_SOCKETS, 20): open
 * sockets one user may have on this relay; more upgrades are refused.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "core/config.h"
#include "core/log.h"
#include "relay.h"
#include "relay_mask.h"
#include "relay_redis.h"
#include "relay_revoke.h"
#include "relay_session.h"
#include "conn/conn.h"

#define RELAY_MAX_FDS 65536
#define RELAY_MAX_HEADERS 8192   /* bytes of request headers (cookies…) */

struct relay relay;

static uv_signal_t sig_int, sig_term, sig_hup;
static uv_timer_t stop_timer, sweep_timer;
/* No lws validity timers at all (zeros): lws 4.1 would otherwise apply
 * its default (ping after 300 s) and re-sort a timer on every frame
 * received. Pings and idle hang-ups are session_sweep()'s. */
static const lws_retry_bo_t no_lws_validity = { .secs_since_valid_ping = 0 };
static uint64_t stop_started;
static bool stop_now;

/* lws' own messages, into our log. lws calls many client mistakes errors,
 * so they are warnings here; its warnings and notices are debug. */
static void relay_lws_log(int level, const char *line)
{
	int n = (int)strlen(line);

	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == ' '))
		n--;
	if (level & LLL_ERR)
		log_warn("lws: %.*s", n, line);
	else
		log_debug("lws: %.*s", n, line);
}

/* "host:port" → iface (NULL = every interface) and port. */
static bool relay_parse_listen(const char *listen, char *host, size_t hostlen,
			       int *port)
{
	const char *colon = strrchr(listen, ':');
	char *end;
	long p;

	if (!colon || strchr(listen, '[') || colon - listen >= (long)hostlen)
		return false;
	p = strtol(colon + 1, &end, 10);
	if (*end || end == colon + 1 || p <= 0 || p > 65535)
		return false;
	snprintf(host, hostlen, "%.*s", (int)(colon - listen), listen);
	*port = (int)p;
	return true;
}

static bool relay_idle_policy(char *err, size_t errlen)
{
	long ping = strtol(cfg_get("CWC_RELAY_PING_INTERVAL", "30"), NULL, 10);
	long idle = strtol(cfg_get("CWC_RELAY_IDLE_TIMEOUT", "75"), NULL, 10);

	if (ping < 1 || idle <= ping || idle > 65535) {
		snprintf(err, errlen, "CWC_RELAY_PING_INTERVAL (%ld) and "
			 "CWC_RELAY_IDLE_TIMEOUT (%ld) must be seconds with "
			 "1 <= ping < timeout <= 65535", ping, idle);
		return false;
	}
	relay.ping_ms = (uint64_t)ping * 1000;
	relay.idle_ms = (uint64_t)idle * 1000;
	return true;
}

static bool relay_socket_cap(char *err, size_t errlen)
{
	const char *v = cfg_get("CWC_RELAY_MAX_USER_SOCKETS", "");
	char *end;
	long n = *v ? strtol(v, &end, 10) : RELAY_MAX_USER_SOCKETS;

	if (*v && (*end || n < 1 || n > RELAY_MAX_FDS)) {
		snprintf(err, errlen, "CWC_RELAY_MAX_USER_SOCKETS (\"%s\") must be "
			 "a number of sockets from 1 to %d", v, RELAY_MAX_FDS);
		return false;
	}
	relay.max_user_sockets = (unsigned)n;
	return true;
}

/* Each socket is a file descriptor: take what the hard limit allows (lws
 * sizes its tables from the soft limit, so before creating the context). */
static void relay_raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	if (rl.rlim_cur >= RELAY_MAX_FDS || rl.rlim_cur == rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max < RELAY_MAX_FDS ? rl.rlim_max : RELAY_MAX_FDS;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		log_warn("cannot raise the open-file limit: %s", strerror(errno));
}

/* Closes everything on the loop, which uv_run() then finishes. */
static void relay_close_all(void)
{
	uv_close((uv_handle_t *)&stop_timer, NULL);
	uv_close((uv_handle_t *)&sweep_timer, NULL);
	relay_revoke_close();
	uv_close((uv_handle_t *)&sig_int, NULL);
	uv_close((uv_handle_t *)&sig_term, NULL);
	uv_close((uv_handle_t *)&sig_hup, NULL);
	if (relay.lws)
		lws_context_destroy(relay.lws);  /* sets relay.lws to NULL */
}

static void relay_stop_poll(uv_timer_t *t)
{
	if (relay.sessions.count && !stop_now &&
	    uv_now(relay.loop) - stop_started < RELAY_SHUTDOWN_GRACE_MS)
		return;
	if (relay.sessions.count)
		log_warn("%u sockets still open after the grace period",
			 relay.sessions.count);
	relay_close_all();
}

static void relay_stop(int signum)
{
	if (relay.shutting_down) {
		stop_now = true;
		return;
	}
	relay.shutting_down = true;
	log_info("%s: stopping, closing %u sockets", strsignal(signum),
		 relay.sessions.count);
	relay_redis_stop();
	session_close_all(RELAY_CLOSE_GOING_AWAY, "server shutting down");
	stop_started = uv_now(relay.loop);
	uv_timer_start(&stop_timer, relay_stop_poll, 0, 50);
}

static void relay_on_sweep(uv_timer_t *t)
{
	session_sweep();
}

static void relay_on_signal(uv_signal_t *h, int signum)
{
	switch (signum) {
	case SIGHUP:
		log_info("SIGHUP: the relay has nothing to reload");
		break;
	default:
		relay_stop(signum);
		break;
	}
}

int main(int argc, char **argv)
{
	struct lws_context_creation_info info;
	char err[256], host[128];
	void *foreign_loops[1];
	uv_loop_t loop;
	int port, rc;

	if (!cfg_load(err, sizeof err)) {
		fprintf(stderr, "ws-relay: %s\n", err);
		return 1;
	}
	log_init("relay", cfg->log_level);
	if (!relay_parse_listen(cfg->relay_listen, host, sizeof host, &port)) {
		log_error("CWC_RELAY_LISTEN \"%s\" is not host:port (IPv4)",
			  cfg->relay_listen);
		return 1;
	}
	if (!relay_idle_policy(err, sizeof err) ||
	    !relay_socket_cap(err, sizeof err) ||
	    !relay_redis_init(cfg->redis_url, err, sizeof err)) {
		log_error("%s", err);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	relay_raise_fd_limit();

	uv_loop_init(&loop);
	relay.loop = &loop;
	uv_signal_init(&loop, &sig_int);
	uv_signal_init(&loop, &sig_term);
	uv_signal_init(&loop, &sig_hup);
	uv_signal_start(&sig_int, relay_on_signal, SIGINT);
	uv_signal_start(&sig_term, relay_on_signal, SIGTERM);
	uv_signal_start(&sig_hup, relay_on_signal, SIGHUP);
	uv_timer_init(&loop, &stop_timer);
	uv_timer_init(&loop, &sweep_timer);
	relay_revoke_init(&loop);

	lws_set_log_level(LLL_ERR | LLL_WARN |
			  (log_enabled(LL_DEBUG) ? LLL_NOTICE : 0), relay_lws_log);
	memset(&info, 0, sizeof info);
	info.options = LWS_SERVER_OPTION_LIBUV |
		LWS_SERVER_OPTION_EXPLICIT_VHOSTS |
		LWS_SERVER_OPTION_DISABLE_IPV6 |
		LWS_SERVER_OPTION_VALIDATE_UTF8 |
		LWS_SERVER_OPTION_UV_NO_SIGSEGV_SIGFPE_SPIN;
	foreign_loops[0] = &loop;
	info.foreign_loops = foreign_loops;
	info.port = port;
	info.iface = !host[0] || !strcmp(host, "*") || !strcmp(host, "0.0.0.0")
		? NULL : host;
	info.protocols = session_protocols;
	info.server_string = "cwc-relay";
	info.retry_and_idle_policy = &no_lws_validity;
	info.max_http_header_data = RELAY_MAX_HEADERS;
	info.pcontext = &relay.lws;
	relay.lws = lws_create_context(&info);
	if (!relay.lws) {
		log_error("cannot start libwebsockets on libuv (is the plugin "
			  "package libwebsockets-evlib-uv installed?)");
		rc = 1;
	} else if (!lws_create_vhost(relay.lws, &info)) {
		log_error("cannot listen on %s (address in use?)",
			  cfg->relay_listen);
		rc = 1;
	} else {
		relay_redis_start(&loop);
		uv_timer_start(&sweep_timer, relay_on_sweep, RELAY_SWEEP_MS,
			       RELAY_SWEEP_MS);
		log_info("listening on %s: WebSocket /ws, health /health; events "
			 "from redis channel %s", cfg->relay_listen, CONN_EVENTS_CHANNEL);
		rc = 0;
	}
	if (rc)
		relay_close_all();

	uv_run(&loop, UV_RUN_DEFAULT);

	if (uv_loop_close(&loop) != 0)
		log_warn("event loop closed with handles still open");
	if (!rc)
		log_info("stopped");
	conn_close();
	relay_mask_free();
	cfg_free();
	return rc;
}
