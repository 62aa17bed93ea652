/*
 * Configuration: env file parsing, environment precedence, production
 * secrets, generated development secrets, CORS defaults.
 */
#include "core/config.h"
#include "tap.h"

#include <stdlib.h>
#include <unistd.h>

static char dir[] = "/tmp/cwc-unit-config-XXXXXX";

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
}

int main(void)
{
	char err[512] = "", path[256], data[256];

	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof path, "%s/cwc.env", dir);
	snprintf(data, sizeof data, "%s/var", dir);
	write_file(path,
		   "# comment\n"
		   "export NEXTAUTH_URL=\"https://www.cafe.example\"\n"
		   "LOG_LEVEL = debug\n"
		   "CWC_WORKERS=3\n"
		   "REDIS_URL='redis://10.0.0.1:6380/2'\n");
	setenv("CWC_ENV_FILE", path, 1);
	setenv("CWC_DATA_DIR", data, 1);
	setenv("REDIS_URL", "redis://127.0.0.1:7000/0", 1);
	unsetenv("CWC_ENV");
	unsetenv("NODE_ENV");
	unsetenv("MONGODB_URI");
	unsetenv("CORS_ORIGINS");
	unsetenv("NEXTAUTH_SECRET");
	unsetenv("JWT_SECRET");

	ok(cfg_load(err, sizeof err), "development config loads (%s)", err);
	is_str(cfg->site_url, "https://www.cafe.example", "quoted value with export");
	is_str(cfg->log_level, "debug", "spaces around = are trimmed");
	is_int(cfg->workers, 3, "numbers are parsed");
	is_str(cfg->redis_url, "redis://127.0.0.1:7000/0", "the environment wins over the file");
	is_str(cfg->admin_url, "https://admin.cafe.example", "admin URL derived from www");
	ok(!cfg->production, "development by default");
	ok(strlen(cfg->nextauth_secret) >= 32, "a development secret is generated");
	ok(!cfg->store_is_mongodb, "embedded store without MONGODB_URI");
	ok(strstr(cfg->store_uri, "/var/cwc.sqlite3") != NULL, "store file under the data dir");
	ok(cfg_origin_allowed("https://www.cafe.example"), "CORS default: the site");
	ok(cfg_origin_allowed("https://cafe.example"), "CORS default: the bare domain");
	ok(cfg_origin_allowed("https://admin.cafe.example"), "CORS default: admin");
	ok(!cfg_origin_allowed("https://evil.example"), "CORS default: nothing else");
	ok(!cfg_origin_allowed("https://www.cafe.example/"), "origins match exactly");

	char secret[128];
	snprintf(secret, sizeof secret, "%s", cfg->nextauth_secret);
	ok(cfg_load(err, sizeof err), "config loads again");
	is_str(cfg->nextauth_secret, secret, "the development secret is stable across programs");

	setenv("CORS_ORIGINS", "https://a.example, https://b.example/path", 1);
	ok(cfg_load(err, sizeof err), "config with CORS_ORIGINS");
	ok(cfg_origin_allowed("https://b.example"), "listed origins are allowed (path ignored)");
	ok(!cfg_origin_allowed("https://www.cafe.example"), "the list replaces the default");

	setenv("CWC_ENV", "production", 1);
	ok(!cfg_load(err, sizeof err), "production without secrets refuses to start");
	ok(strstr(err, "NEXTAUTH_SECRET") != NULL, "and names the variable (%s)", err);
	setenv("NEXTAUTH_SECRET", "0123456789abcdef0123456789abcdef", 1);
	ok(!cfg_load(err, sizeof err), "still missing JWT_SECRET");
	ok(strstr(err, "JWT_SECRET") != NULL, "names JWT_SECRET");
	setenv("JWT_SECRET", "short", 1);
	ok(!cfg_load(err, sizeof err) && strstr(err, "too short"), "a short secret is refused");
	setenv("JWT_SECRET", "fedcba9876543210fedcba9876543210", 1);
	ok(cfg_load(err, sizeof err), "production with secrets loads (%s)", err);
	ok(cfg->production, "production mode");
	is_str(cfg->site_url, "https://www.cafe.example", "still reads the file");

	setenv("CWC_WORKERS", "many", 1);
	ok(!cfg_load(err, sizeof err) && strstr(err, "CWC_WORKERS"), "a bad number names the variable");
	is_str(cfg->env_name, "production", "a failed reload keeps the previous configuration");
	unsetenv("CWC_WORKERS");

	setenv("CWC_ENV_FILE", "/nonexistent/cwc.env", 1);
	ok(!cfg_load(err, sizeof err) && strstr(err, "/nonexistent/cwc.env"), "a missing env file is named");

	cfg_free();
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return tap_done();
}
