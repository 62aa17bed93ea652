/*
 * json_body.c — fuzz target: the one JSON body parser of the apps
 * (http_req_read_body() + http_req_parse_json(), common/web/http.c), its
 * UTF-8 check and the member it names when a value is not UTF-8.
 *
 * Input: the raw body of a POST with Content-Type application/json.
 * Checks: the parse either gives an object whose every string and member
 * name is well-formed UTF-8 (by an independent validator), or finishes a
 * 400/413 JSON error that fuzz_check_response() accepts, naming in
 * `field` a member of the body; http_utf8_valid() agrees with the
 * independent validator on the raw bytes.
 */
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_init("fuzz", "error");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *env[] = {
		"REQUEST_METHOD=POST", "REQUEST_URI=/api/auth/register",
		"CONTENT_TYPE=application/json; charset=utf-8", NULL,
	};
	struct http_req req;
	bool utf8 = http_utf8_valid((const char *)data, size);

	fuzz_check(utf8 == fuzz_utf8_ok(data, size),
		   "http_utf8_valid() says %d for %zu bytes", utf8, size);
	if (!http_req_init(&req, env))
		fuzz_fail("a well-formed request line is refused");
	if (http_req_read_body(&req, (const char *)data, size) &&
	    http_req_parse_json(&req)) {
		fuzz_check(!req.finished, "a parsed body also has a response");
		fuzz_check(json_object_is_type(req.json, json_type_object),
			   "the body parsed to a non-object");
		fuzz_check(fuzz_json_utf8_ok(req.json),
			   "a parsed body holds a string that is not UTF-8");
	} else {
		json_object *o, *err, *field;
		const char *body;

		fuzz_check_response(&req);
		fuzz_check(req.status == 400 || req.status == 413,
			   "a bad body answered %d", req.status);
		body = strstr(req.out.data, "\r\n\r\n") + 4;
		o = json_tokener_parse(body);
		/* a field that is neither scrubbed ('?') nor holding a NUL
		 * names a member of the body, when the body is kept */
		if (json_object_object_get_ex(o, "error", &err) &&
		    json_object_object_get_ex(err, "field", &field) &&
		    json_object_is_type(req.json, json_type_object) &&
		    !strchr(json_object_get_string(field), '?') &&
		    strlen(json_object_get_string(field)) ==
		    (size_t)json_object_get_string_len(field))
			fuzz_check(json_object_object_get_ex(req.json,
					json_object_get_string(field), NULL),
				   "error.field names no member of the body");
		json_object_put(o);
	}
	http_req_free(&req);
	return 0;
}
