/*
 * cli.c — the command-line tools' main(). See cli.h.
 */
#include "cli.h"

#include "conn/conn.h"
#include "core/config.h"
#include "core/log.h"

#include <stdarg.h>
#include <string.h>

/* The tool and command being run: the usage and error messages name them. */
static const struct cli *current_tool;
static const struct cli_command *current_cmd;

static void usage(const struct cli *tool, FILE *f)
{
	fprintf(f, "usage: %s COMMAND [ARGS]\n\ncommands:\n", tool->program);
	for (size_t i = 0; i < tool->n_commands; i++)
		fprintf(f, "  %s %s\n      %s\n", tool->commands[i].name,
			tool->commands[i].args, tool->commands[i].help);
	if (tool->footer)
		fprintf(f, "\n%s\n", tool->footer);
}

int cli_usage(void)
{
	fprintf(stderr, "usage: %s %s %s\n", current_tool->program, current_cmd->name,
		current_cmd->args);
	return 2;
}

int cli_fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", current_tool->program);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

int cli_main(const struct cli *tool, int argc, char **argv)
{
	char err[512];
	int rc = 1;

	current_tool = tool;
	if (argc < 2) {
		usage(tool, stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(tool, stdout);
		return 0;
	}
	for (size_t i = 0; i < tool->n_commands; i++)
		if (strcmp(tool->commands[i].name, argv[1]) == 0)
			current_cmd = &tool->commands[i];
	if (!current_cmd) {
		fprintf(stderr, "%s: unknown command \"%s\"\n", tool->program, argv[1]);
		usage(tool, stderr);
		return 2;
	}
	if (!cfg_load(err, sizeof err)) {
		fprintf(stderr, "%s: %s\n", tool->program, err);
		return 1;
	}
	log_init(current_cmd->service ? current_cmd->service : tool->program,
		 cfg->log_level);
	if (!tool->setup || tool->setup(current_cmd))
		rc = current_cmd->run(argc - 1, argv + 1);
	conn_close();
	cfg_free();
	return rc;
}
