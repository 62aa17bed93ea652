/*
 * cli.h — the one main() of the command-line tools (cwc-ctl, cwc-cron,
 * cwc-backup): `PROGRAM COMMAND [ARGS]`.
 *
 * A tool is a table of commands; cli_main() prints the usage (`-h`,
 * `--help`, `help`, or no command), refuses an unknown command, loads the
 * apps' configuration, starts the JSON logs under the command's service
 * name, runs the optional setup and then the command, and closes the
 * process's connections (conn_close()) and the configuration.
 *
 * Exit status, for every tool: 0 done, 1 failed (the reason on stderr or
 * in the log), 2 bad usage.
 */
#ifndef CWC_CLI_H
#define CWC_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct cli_command {
	const char *name;
	const char *args;      /* synopsis of the arguments, for the usage */
	const char *help;      /* one line */
	const char *service;   /* the "service" of its log lines; NULL: the tool's */
	int (*run)(int argc, char **argv);   /* argv[0] is the command's name */
};

struct cli {
	const char *program;   /* "cwc-ctl" */
	const struct cli_command *commands;
	size_t n_commands;
	const char *footer;    /* printed after the list of commands, or NULL */
	/* Runs after the configuration is loaded, before the command; false
	 * (the reason printed) exits with 1. NULL: nothing to do. */
	bool (*setup)(const struct cli_command *cmd);
};

#define CLI_COUNT(a) (sizeof (a) / sizeof *(a))

/* The whole of a tool's main(). */
int cli_main(const struct cli *tool, int argc, char **argv);

/* Prints "usage: PROGRAM COMMAND ARGS" of the running command to stderr;
 * returns 2, the exit status of bad usage. */
int cli_usage(void);

/* Prints "PROGRAM: message" to stderr;
 * returns 1, the exit status of a failure. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
