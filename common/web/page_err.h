/*
 * page_err.h — the French a page shows for a domain error. The domains
 * answer `struct err` with a stable `code`, the `field` it concerns and
 * an English `message` (for programs: the JSON API sends it as is); every
 * site page that shows such an error (account forms, the /booking funnel,
 * a booking's page) takes its sentence from here, by code and field, so
 * one error reads the same everywhere.
 */
#ifndef CWC_PAGE_ERR_H
#define CWC_PAGE_ERR_H

#include "core/err.h"

#include <stddef.h>

/* The sentence to show next to e->field, or NULL when there is none for
 * that field and code (then page_err_text() is shown above the form).
 * Static storage, or `buf` (of `len`) for one that names a length. */
const char *page_err_field_text(const struct err *e, char *buf, size_t len);

/* The sentence for `e`: page_err_field_text() when there is one, else the
 * one of its code (429: "réessayez dans N minutes", written into `buf`
 * of `len`), else a general one ("momentanément indisponible" for a 5xx).
 * Never NULL. */
const char *page_err_text(const struct err *e, char *buf, size_t len);

#endif
