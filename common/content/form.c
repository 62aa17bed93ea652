/*
 * form.c — the checks the public forms share. See content/form.h.
 */
#include "content/form.h"
#include "core/text.h"

#include <string.h>

bool content_phone_check(const char *phone, size_t max_bytes, struct err *e)
{
	size_t digits = 0;

	if (text_blank(phone))
		return true;
	if (strlen(phone) > max_bytes)
		return err_set(e, 400, "validation_failed", "phone", "Ce numéro de téléphone est trop long.");
	for (const char *p = phone; *p; p++) {
		if (*p >= '0' && *p <= '9')
			digits++;
		else if (!strchr(" .-+()", *p))
			return err_set(e, 400, "validation_failed", "phone",
				       "Un numéro de téléphone ne contient que des chiffres, espaces, points, tirets et « + ».");
	}
	if (digits < 6)
		return err_set(e, 400, "validation_failed", "phone", "Ce numéro de téléphone est trop court.");
	return true;
}
