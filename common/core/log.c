/*
 * log.c — JSON lines on stderr. See log.h.
 *
 * Each line is built in a stack buffer and written with one write(2), so
 * lines of concurrent workers never interleave (stderr is shared by every
 * process of an app). Strings are JSON-escaped here; nothing else in the
 * program has to think about it.
 */
#include "core/log.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_BYTES 4096

static char log_service[32] = "cwc";
static enum log_level log_min = LL_INFO;
static char log_request_id[72];

static const char *const level_names[] = { "debug", "info", "warn", "error" };

void log_init(const char *service, const char *level)
{
	snprintf(log_service, sizeof log_service, "%s", service);
	log_min = LL_INFO;
	for (int i = 0; level && i < 4; i++)
		if (strcasecmp(level, level_names[i]) == 0)
			log_min = (enum log_level)i;
	if (level && strcasecmp(level, "warning") == 0)
		log_min = LL_WARN;
}

void log_set_request_id(const char *request_id)
{
	snprintf(log_request_id, sizeof log_request_id, "%s",
		 request_id ? request_id : "");
}

bool log_enabled(enum log_level level)
{
	return level >= log_min;
}

struct line {
	char buf[LINE_MAX_BYTES];
	size_t len;
};

static void line_raw(struct line *l, const char *s, size_t n)
{
	if (n > sizeof l->buf - 3 - l->len)   /* keep room for "}\n" */
		n = sizeof l->buf - 3 - l->len;
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

static void line_str(struct line *l, const char *s)
{
	line_raw(l, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char esc[8];
		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			line_raw(l, esc, 2);
		} else if (*p == '\n') {
			line_raw(l, "\\n", 2);
		} else if (*p < 0x20 || *p == 0x7f) {
			snprintf(esc, sizeof esc, "\\u%04x", *p);
			line_raw(l, esc, 6);
		} else {
			line_raw(l, (const char *)p, 1);
		}
	}
	line_raw(l, "\"", 1);
}

static void line_key(struct line *l, const char *key)
{
	line_raw(l, l->len > 1 ? "," : "", l->len > 1);
	line_str(l, key);
	line_raw(l, ":", 1);
}

static void line_start(struct line *l, enum log_level level)
{
	struct timeval tv;
	struct tm tm;
	char ts[96], pid[24];

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, (long)(tv.tv_usec / 1000));
	snprintf(pid, sizeof pid, "%ld", (long)getpid());

	l->len = 0;
	line_raw(l, "{", 1);
	line_key(l, "time");
	line_str(l, ts);
	line_key(l, "level");
	line_str(l, level_names[level]);
	line_key(l, "service");
	line_str(l, log_service);
	line_key(l, "pid");
	line_raw(l, pid, strlen(pid));
	if (log_request_id[0]) {
		line_key(l, "requestId");
		line_str(l, log_request_id);
	}
}

static void line_end(struct line *l)
{
	l->buf[l->len++] = '}';
	l->buf[l->len++] = '\n';
	ssize_t unused = write(STDERR_FILENO, l->buf, l->len);
	(void)unused;
}

void log_vwrite(enum log_level level, const char *fmt, va_list ap)
{
	struct line l;
	char msg[LINE_MAX_BYTES / 2];

	if (!log_enabled(level))
		return;
	vsnprintf(msg, sizeof msg, fmt, ap);
	line_start(&l, level);
	line_key(&l, "msg");
	line_str(&l, msg);
	line_end(&l);
}

void log_write(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(level, fmt, ap);
	va_end(ap);
}

void log_access(const char *method, const char *path, int status,
		double duration_ms)
{
	struct line l;
	char num[32];

	if (!log_enabled(LL_INFO))
		return;
	line_start(&l, LL_INFO);
	line_key(&l, "msg");
	line_str(&l, "request");
	line_key(&l, "method");
	line_str(&l, method);
	line_key(&l, "path");
	line_str(&l, path);
	line_key(&l, "status");
	snprintf(num, sizeof num, "%d", status);
	line_raw(&l, num, strlen(num));
	line_key(&l, "durationMs");
	snprintf(num, sizeof num, "%.2f", duration_ms);
	line_raw(&l, num, strlen(num));
	line_end(&l);
}
