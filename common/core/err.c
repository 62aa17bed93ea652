/*
 * err.c — the one error type for clients. See err.h.
 */
#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>

bool err_set(struct err *e, int status, const char *code, const char *field,
	     const char *fmt, ...)
{
	va_list ap;

	e->status = status;
	e->code = code;
	snprintf(e->field, sizeof e->field, "%s", field ? field : "");
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof e->message, fmt, ap);
	va_end(ap);
	return false;
}
