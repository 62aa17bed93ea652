/*
 * server.c — pre-forked FastCGI master and worker loop. See server.h.
 */
#include "web/server.h"
#include "core/config.h"
#include "core/log.h"
#include "conn/conn.h"

#include <errno.h>
#include <fcgiapp.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DRAIN_SECONDS 10
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 30000
#define YOUNG_DEATH_MS 2000

struct worker_slot {
	pid_t pid;             /* 0: free slot */
	int generation;
	double started_ms;
	bool ready;
	bool asked_to_stop;
};

struct master {
	const struct app *app;
	const char *listen_addr;
	int listen_fd;
	struct stat listen_stat;  /* the unix socket's file, to remove only ours */
	int workers_wanted;
	int workers_opt;       /* -w, which wins over the configuration */
	int generation;
	struct worker_slot *slots;
	int nslots;
	int sigpipe[2];        /* signal handler → loop */
	int readypipe[2];      /* worker → master: "I am ready" (its pid) */
	bool draining;
	double drain_deadline;
	bool reloading;        /* new generation starting, old one still serving */
	double reload_deadline;
	int crash_streak;
	double respawn_at;     /* 0: nothing scheduled */
};

static int sig_fd = -1;               /* write end of the self-pipe */
static volatile sig_atomic_t worker_stop;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void on_signal(int sig)
{
	int saved = errno;
	unsigned char c = (unsigned char)sig;

	if (sig == SIGTERM || sig == SIGINT || sig == SIGQUIT)
		worker_stop = 1;
	if (sig_fd >= 0) {
		ssize_t unused = write(sig_fd, &c, 1);
		(void)unused;
	}
	errno = saved;
}

static void set_handler(int sig, void (*fn)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = fn;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

static bool make_pipe(int p[2])
{
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
		return false;
	return true;
}

/* ---- the worker ---------------------------------------------------- */

void server_handle(const struct app *app, struct http_req *req, char **env,
		   struct FCGX_Request *fcgx)
{
	bool ok = http_req_init(req, env);

	req->fcgx = fcgx;
	log_set_request_id(req->request_id);
	if (ok)
		route_dispatch(app, req);
	http_flush(req);
	log_access(req->method_name, req->path ? req->path : "", req->status,
		   (double)(now_ms() - req->started_ms));
	log_set_request_id(NULL);
}

static void notify_ready(int fd)
{
	pid_t pid = getpid();
	ssize_t unused = write(fd, &pid, sizeof pid);
	(void)unused;
}

/* Ends the request; a connection the web server asked to keep is closed
 * too (one request per connection keeps the accept loop simple). */
static void release_connection(FCGX_Request *fr)
{
	FCGX_Finish_r(fr);
	if (fr->ipcFd >= 0)
		close(fr->ipcFd);
	fr->ipcFd = -1;
}

/* Serves one accepted connection `fd`. */
static void serve_connection(struct master *m, FCGX_Request *fr, int fd)
{
	struct http_req req;

	/* libfcgi reads this connection instead of accepting one; with
	 * keepConnection set, FCGX_Accept_r's opening FCGX_Finish_r does
	 * not close it */
	fr->ipcFd = fd;
	fr->keepConnection = 1;
	if (FCGX_Accept_r(fr) < 0) {
		release_connection(fr);
		return;
	}
	server_handle(m->app, &req, fr->envp, fr);
	http_req_free(&req);
	release_connection(fr);
}

/* True when the master has removed the unix socket's file (it drains,
 * see stop_listening()): no new connection can reach the socket. */
static bool socket_file_gone(const struct master *m)
{
	struct stat now;

	if (!m->listen_stat.st_ino)
		return false;    /* a TCP listener, or no file to compare */
	return stat(m->listen_addr, &now) != 0 || now.st_ino != m->listen_stat.st_ino ||
	       now.st_dev != m->listen_stat.st_dev;
}

/* On a stop signal while the master drains: the connections the kernel
 * already queued on the socket (sent before the master removed the
 * socket's file) are served before the worker exits, so that a drain
 * loses none. No new one can arrive, so this ends. On a reload the socket
 * stays and the new workers serve what is queued: an old worker leaves
 * at once (draining there could last as long as clients keep coming). */
static void drain_backlog(struct master *m, FCGX_Request *fr)
{
	int fd;

	if (!socket_file_gone(m))
		return;
	while ((fd = accept4(m->listen_fd, NULL, NULL, SOCK_CLOEXEC)) >= 0)
		serve_connection(m, fr, fd);
}

static int worker_main(struct master *m, int ready_fd)
{
	FCGX_Request fr;
	int stop_pipe[2];
	long served = 0;

	/* the master's pipes are not ours */
	close(m->sigpipe[0]);
	close(m->sigpipe[1]);
	close(m->readypipe[0]);
	if (!make_pipe(stop_pipe))
		return 70;
	sig_fd = stop_pipe[1];
	worker_stop = 0;
	set_handler(SIGTERM, on_signal);
	set_handler(SIGINT, on_signal);
	set_handler(SIGQUIT, on_signal);
	set_handler(SIGHUP, SIG_IGN);
	set_handler(SIGCHLD, SIG_DFL);
	set_handler(SIGPIPE, SIG_IGN);

	if (m->app->templates_load) {
		char err[512];
		if (!m->app->templates_load(err, sizeof err)) {
			log_error("templates: %s", err);
			return 3;
		}
	}
	if (m->app->worker_start && !m->app->worker_start())
		return 3;
	notify_ready(ready_fd);
	close(ready_fd);

	FCGX_Init();
	FCGX_InitRequest(&fr, m->listen_fd, 0);
	while (!worker_stop) {
		struct pollfd pf[2] = {
			{ .fd = m->listen_fd, .events = POLLIN },
			{ .fd = stop_pipe[0], .events = POLLIN },
		};
		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_error("poll: %s", strerror(errno));
			break;
		}
		if (worker_stop || (pf[1].revents & POLLIN))
			break;
		if (!(pf[0].revents & POLLIN))
			continue;
		int fd = accept4(m->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;      /* another worker took it (EAGAIN), or it went away */
		serve_connection(m, &fr, fd);
		if (cfg->max_requests && ++served >= cfg->max_requests) {
			log_info("recycling after %ld requests", served);
			break;
		}
	}
	if (worker_stop)
		drain_backlog(m, &fr);
	if (m->app->worker_stop)
		m->app->worker_stop();
	if (m->app->templates_free)
		m->app->templates_free();
	conn_close();
	return 0;
}

/* ---- the master ---------------------------------------------------- */

static struct worker_slot *free_slot(struct master *m)
{
	for (int i = 0; i < m->nslots; i++)
		if (!m->slots[i].pid)
			return &m->slots[i];
	m->slots = realloc(m->slots, (size_t)(m->nslots + 8) * sizeof *m->slots);
	if (!m->slots)
		abort();
	memset(m->slots + m->nslots, 0, 8 * sizeof *m->slots);
	m->nslots += 8;
	return &m->slots[m->nslots - 8];
}

static bool spawn(struct master *m)
{
	struct worker_slot *w = free_slot(m);
	pid_t master = getpid();
	pid_t pid = fork();

	if (pid < 0) {
		log_error("fork: %s", strerror(errno));
		return false;
	}
	if (pid == 0) {
		/* A master that dies without stopping its workers (SIGKILL, a
		 * crash) must not leave them holding the socket: the kernel
		 * sends them SIGTERM (finish the request, exit). */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != master)
			_exit(0);
		int rc = worker_main(m, m->readypipe[1]);
		cfg_free();
		_exit(rc);
	}
	w->pid = pid;
	w->generation = m->generation;
	w->started_ms = now_ms();
	w->ready = false;
	w->asked_to_stop = false;
	return true;
}

static int count_workers(struct master *m, int generation, bool ready_only)
{
	int n = 0;

	for (int i = 0; i < m->nslots; i++)
		if (m->slots[i].pid && (generation < 0 || m->slots[i].generation == generation) &&
		    (!ready_only || m->slots[i].ready))
			n++;
	return n;
}

static void signal_workers(struct master *m, int sig, int older_than_generation)
{
	for (int i = 0; i < m->nslots; i++) {
		struct worker_slot *w = &m->slots[i];
		if (!w->pid || w->generation >= older_than_generation)
			continue;
		kill(w->pid, sig);
		w->asked_to_stop = true;
	}
}

static void fill_workers(struct master *m)
{
	if (m->draining)
		return;
	while (count_workers(m, m->generation, false) < m->workers_wanted) {
		if (m->respawn_at && now_ms() < m->respawn_at)
			return;
		m->respawn_at = 0;
		if (!spawn(m))
			return;
	}
}

static void reap(struct master *m)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		struct worker_slot *w = NULL;
		for (int i = 0; i < m->nslots; i++)
			if (m->slots[i].pid == pid)
				w = &m->slots[i];
		if (!w)
			continue;
		bool expected = w->asked_to_stop || m->draining;
		bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
		double lived = now_ms() - w->started_ms;

		if (WIFSIGNALED(status) && !expected)
			log_error("worker %d crashed (signal %d, %s)", (int)pid,
				  WTERMSIG(status), strsignal(WTERMSIG(status)));
		else if (!clean && !expected)
			log_error("worker %d exited with status %d", (int)pid,
				  WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		if (!clean && !expected && lived < YOUNG_DEATH_MS) {
			int delay = BACKOFF_MIN_MS << (m->crash_streak < 9 ? m->crash_streak : 9);
			if (delay > BACKOFF_MAX_MS)
				delay = BACKOFF_MAX_MS;
			m->crash_streak++;
			m->respawn_at = now_ms() + delay;
			log_warn("worker died young; next start in %d ms", delay);
		} else if (clean || lived >= YOUNG_DEATH_MS) {
			m->crash_streak = 0;
		}
		w->pid = 0;
	}
}

static void read_ready(struct master *m)
{
	pid_t pid;

	while (read(m->readypipe[0], &pid, sizeof pid) == (ssize_t)sizeof pid)
		for (int i = 0; i < m->nslots; i++)
			if (m->slots[i].pid == pid)
				m->slots[i].ready = true;
}

/* Loads the templates once in the master and frees them: a syntax error
 * or a missing partial is found before any worker starts. */
static bool check_templates(const struct app *app, char *err, size_t errlen)
{
	if (!app->templates_load)
		return true;
	bool ok = app->templates_load(err, errlen);
	if (app->templates_free)
		app->templates_free();
	return ok;
}

static void start_reload(struct master *m)
{
	char err[512];

	if (!cfg_load(err, sizeof err)) {
		log_error("reload: configuration refused, keeping the old one: %s", err);
		return;
	}
	log_init(m->app->service, cfg->log_level);
	if (!check_templates(m->app, err, sizeof err)) {
		log_error("reload: templates refused, keeping the old workers: %s", err);
		return;
	}
	m->workers_wanted = m->workers_opt > 0 ? m->workers_opt : cfg->workers;
	m->generation++;
	m->reloading = true;
	m->reload_deadline = now_ms() + DRAIN_SECONDS * 1000.0;
	m->respawn_at = 0;
	m->crash_streak = 0;
	log_info("reload: starting generation %d", m->generation);
	fill_workers(m);
}

static void check_reload(struct master *m)
{
	if (!m->reloading)
		return;
	if (count_workers(m, m->generation, true) >= m->workers_wanted ||
	    now_ms() >= m->reload_deadline) {
		signal_workers(m, SIGTERM, m->generation);
		m->reloading = false;
		log_info("reload: generation %d serving", m->generation);
	}
}

static bool is_unix_path(const char *addr)
{
	return addr[0] == '/' || addr[0] == '.';
}

static int open_listener(const char *addr)
{
	int fd;

	if (is_unix_path(addr)) {
		struct sockaddr_un sun;
		/* a stale socket from a crash: remove it unless someone answers */
		int probe = socket(AF_UNIX, SOCK_STREAM, 0);
		memset(&sun, 0, sizeof sun);
		sun.sun_family = AF_UNIX;
		snprintf(sun.sun_path, sizeof sun.sun_path, "%s", addr);
		if (probe >= 0 && connect(probe, (struct sockaddr *)&sun, sizeof sun) == 0) {
			close(probe);
			log_error("%s is in use by another server", addr);
			return -1;
		}
		if (probe >= 0)
			close(probe);
		unlink(addr);
	}
	mode_t old = umask(0117);    /* socket 0660: the app's user and group (Caddy) */
	fd = FCGX_OpenSocket(addr, 1024);
	umask(old);
	if (fd < 0) {
		log_error("cannot listen on %s: %s", addr, strerror(errno));
		return -1;
	}
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

/* Removes the unix socket's file when it is still ours (a new instance may
 * already listen at the same path): from then on a web server's connect
 * fails at once (and Caddy tries another instance), while what is queued
 * is served by the draining workers. A TCP listener stays open until the
 * master exits. */
static void stop_listening(struct master *m)
{
	struct stat now;

	if (!is_unix_path(m->listen_addr) || !m->listen_stat.st_ino)
		return;
	if (stat(m->listen_addr, &now) == 0 && now.st_ino == m->listen_stat.st_ino &&
	    now.st_dev == m->listen_stat.st_dev)
		unlink(m->listen_addr);
	m->listen_stat.st_ino = 0;
}

/* Checks the store in a child process so the master holds no driver state. */
static bool check_store(void)
{
	int p[2];
	pid_t pid;
	char msg[512] = "";
	int status = 0;

	if (pipe(p) < 0)
		return false;
	pid = fork();
	if (pid == 0) {
		char err[512];
		close(p[0]);
		bool ok = conn_store_check(err, sizeof err);
		if (!ok) {
			ssize_t unused = write(p[1], err, strlen(err));
			(void)unused;
		}
		conn_close();
		_exit(ok ? 0 : 1);
	}
	close(p[1]);
	ssize_t n = read(p[0], msg, sizeof msg - 1);
	msg[n > 0 ? n : 0] = '\0';
	close(p[0]);
	waitpid(pid, &status, 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return true;
	log_error("store check failed: %s", msg[0] ? msg : "the check crashed");
	return false;
}

static int master_loop(struct master *m)
{
	fill_workers(m);
	for (;;) {
		double now = now_ms(), wake = -1;
		if (m->respawn_at)
			wake = m->respawn_at;
		if (m->draining && (wake < 0 || m->drain_deadline < wake))
			wake = m->drain_deadline;
		if (m->reloading && (wake < 0 || m->reload_deadline < wake))
			wake = m->reload_deadline;
		int timeout = wake < 0 ? -1 : (wake <= now ? 0 : (int)(wake - now) + 1);
		struct pollfd pf[2] = {
			{ .fd = m->sigpipe[0], .events = POLLIN },
			{ .fd = m->readypipe[0], .events = POLLIN },
		};
		if (poll(pf, 2, timeout) < 0 && errno != EINTR)
			return 1;
		unsigned char sig;
		while (read(m->sigpipe[0], &sig, 1) == 1) {
			if (sig == SIGHUP && !m->draining)
				start_reload(m);
			if ((sig == SIGTERM || sig == SIGINT || sig == SIGQUIT) && !m->draining) {
				log_info("stopping: draining %d workers", count_workers(m, -1, false));
				stop_listening(m);
				m->draining = true;
				m->drain_deadline = now_ms() + DRAIN_SECONDS * 1000.0;
				signal_workers(m, SIGTERM, m->generation + 1);
			}
		}
		read_ready(m);
		reap(m);
		check_reload(m);
		if (m->draining) {
			if (count_workers(m, -1, false) == 0)
				return 0;
			if (now_ms() >= m->drain_deadline) {
				log_warn("drain timeout: killing %d workers", count_workers(m, -1, false));
				signal_workers(m, SIGKILL, m->generation + 1);
				m->drain_deadline = now_ms() + 1000;
			}
			continue;
		}
		fill_workers(m);
	}
}

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-l unix-path|host:port] [-w workers] | -r\n", prog);
}

/* -r: the route table on stdout, one route a line — methods (comma-
 * separated), pattern, minimum role (0 public … 4 dev), flags (the enum
 * route_flags bits) — for tests that check every route's door
 * (t/roles-crawler.t) and for a reader. */
static void print_routes(const struct app *app)
{
	static const unsigned methods[] = {
		HTTP_GET, HTTP_HEAD, HTTP_POST, HTTP_PUT, HTTP_PATCH, HTTP_DELETE, HTTP_OPTIONS,
	};

	for (size_t i = 0; i < app->nroutes; i++) {
		const struct route *r = &app->routes[i];
		bool first = true;

		for (size_t m = 0; m < sizeof methods / sizeof *methods; m++)
			if (r->methods & methods[m]) {
				printf("%s%s", first ? "" : ",", http_method_name(methods[m]));
				first = false;
			}
		printf("\t%s\t%d\t%u\n", r->pattern, r->min_role, r->flags);
	}
}

int server_main(const struct app *app, int argc, char **argv)
{
	struct master m = { .app = app, .listen_fd = -1 };
	const char *listen_opt = NULL;
	int workers_opt = 0, opt, rc;
	char err[512];

	while ((opt = getopt(argc, argv, "l:w:rh")) != -1) {
		switch (opt) {
		case 'l': listen_opt = optarg; break;
		case 'w': workers_opt = atoi(optarg); break;
		case 'r': print_routes(app); return 0;
		default: usage(argv[0]); return 2;
		}
	}
	log_init(app->service, getenv("LOG_LEVEL"));
	if (!cfg_load(err, sizeof err)) {
		log_error("configuration: %s", err);
		fprintf(stderr, "%s: %s\n", app->service, err);
		return 1;
	}
	log_init(app->service, cfg->log_level);
	if (app->config_check && !app->config_check(err, sizeof err)) {
		log_error("configuration: %s", err);
		fprintf(stderr, "%s: %s\n", app->service, err);
		cfg_free();
		return 1;
	}
	set_handler(SIGPIPE, SIG_IGN);
	if (!check_templates(app, err, sizeof err)) {
		log_error("templates: %s", err);
		fprintf(stderr, "%s: %s\n", app->service, err);
		cfg_free();
		return 1;
	}
	if (!check_store()) {
		fprintf(stderr, "%s: the store cannot be used (see the log)\n", app->service);
		cfg_free();
		return 1;
	}
	/* a copy: a reload (SIGHUP) replaces the configuration's memory */
	m.listen_addr = strdup(listen_opt ? listen_opt : app->listen_addr());
	m.workers_opt = workers_opt;
	m.workers_wanted = workers_opt > 0 ? workers_opt : cfg->workers;
	m.listen_fd = open_listener(m.listen_addr);
	if (m.listen_fd >= 0 && is_unix_path(m.listen_addr) &&
	    stat(m.listen_addr, &m.listen_stat) != 0)
		m.listen_stat.st_ino = 0;
	if (m.listen_fd < 0 || !make_pipe(m.sigpipe) || !make_pipe(m.readypipe)) {
		free((char *)m.listen_addr);
		cfg_free();
		return 1;
	}
	sig_fd = m.sigpipe[1];
	set_handler(SIGCHLD, on_signal);
	set_handler(SIGHUP, on_signal);
	set_handler(SIGTERM, on_signal);
	set_handler(SIGINT, on_signal);
	set_handler(SIGQUIT, on_signal);
	log_info("listening on %s with %d workers (%s, store %s)", m.listen_addr,
		 m.workers_wanted, cfg->env_name, cfg->store_is_mongodb ? "mongodb" : "sqlite");

	rc = master_loop(&m);

	stop_listening(&m);
	close(m.listen_fd);
	log_info("stopped");
	free((char *)m.listen_addr);
	free(m.slots);
	cfg_free();
	return rc;
}
