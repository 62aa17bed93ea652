/*
 * log.h — JSON lines on stderr (SPEC §10).
 *
 * One object per line: time, level, service, pid, requestId (while a
 * request is being served), msg, and any extra fields. LOG_LEVEL filters.
 * Nothing here allocates on the caller's behalf; a line longer than the
 * internal buffer is cut, never lost entirely.
 */
#ifndef CWC_LOG_H
#define CWC_LOG_H

#include <stdarg.h>
#include <stdbool.h>

enum log_level { LL_DEBUG = 0, LL_INFO, LL_WARN, LL_ERROR };

/* `service`: "site", "admin", "relay", "cwc-backup"…; `level`: a LOG_LEVEL
 * string ("debug", "info", "warn", "error"; unknown → info). */
void log_init(const char *service, const char *level);

/* The request id put in every line until cleared with NULL. */
void log_set_request_id(const char *request_id);

bool log_enabled(enum log_level level);

/* printf-style message. */
void log_write(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_vwrite(enum log_level level, const char *fmt, va_list ap);

#define log_debug(...) log_write(LL_DEBUG, __VA_ARGS__)
#define log_info(...)  log_write(LL_INFO, __VA_ARGS__)
#define log_warn(...)  log_write(LL_WARN, __VA_ARGS__)
#define log_error(...) log_write(LL_ERROR, __VA_ARGS__)

/* The access-log line of one request. */
void log_access(const char *method, const char *path, int status,
		double duration_ms);

#endif
