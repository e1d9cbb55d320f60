/*
 * cmd.h — the CLI's commands (main.c dispatches to them).  Each is a
 * CmdSpec (flags.h): its flags, arguments and help text, and its main,
 * which returns the process exit status: 0 ok, 1 failed, 2 bad usage.
 */
#ifndef EDDY_CMD_H
#define EDDY_CMD_H

#include <stddef.h>
#include <stdio.h>
#include "flags.h"

extern const CmdSpec run_cmd;      /* eddy run FILE.sql (cmd_run.c) */
extern const CmdSpec demo_cmd;     /* eddy demo (cmd_run.c) */
extern const CmdSpec test_cmd;     /* eddy test FILE.test... (cmd_test.c) */
extern const CmdSpec explain_cmd;  /* eddy explain FILE.sql (main.c) */
extern const CmdSpec broker_cmd;   /* eddy broker (cmd_broker.c) */
extern const CmdSpec gen_cmd;      /* eddy gen orders (cmd_gen.c) */
extern const CmdSpec shell_cmd;    /* eddy, the SQL shell (repl.c) */

int   cmd_run(int argc, char **argv);    /* argv[0] = "run" */
int   cmd_demo(int argc, char **argv);   /* argv[0] = "demo" */
int   cmd_broker(int argc, char **argv); /* argv[0] = "broker" */
int   cmd_gen(int argc, char **argv);    /* argv[0] = "gen" */
/* A whole file, or standard input for "-"; NULL with errno set. */
char *cmd_read_file(const char *path, size_t *len);
/* `eddy help TOPIC` (main.c), also the shell's `help TOPIC`: the usage for
 * NULL, a command's options, "options", "functions", "man", "completion"
 * into f.  0, or 2 when there is no such topic (nothing printed). */
int   cmd_help(const char *topic, FILE *f);
/* `eddy broker --port N` (cmd_broker_relay.c): relay_listen takes
 * 127.0.0.1:port (before the cluster starts, so that the cluster's own
 * ports cannot take it), relay_run then relays each connection to the first
 * of upstreams ("127.0.0.1:P1,127.0.0.1:P2", the cluster's bootstrap list)
 * that accepts it.  0, or -1 with err. */
typedef struct BrokerRelay BrokerRelay;
int         relay_listen(int port, BrokerRelay **out, char *err, size_t errlen);
int         relay_run(BrokerRelay *r, const char *upstreams, char *err, size_t errlen);
/* "127.0.0.1:PORT". */
const char *relay_address(const BrokerRelay *r);
/* Closes every connection and the port (NULL-safe). */
void        relay_free(BrokerRelay *r);
/* A job's notice callback for the CLI: "eddy: <msg>" on stderr. */
void  cmd_notice_stderr(void *ctx, const char *msg);
/* A job's print callback for the CLI: the lines of 'print' tables, to stdout (or stderr). */
void  cmd_print_line(void *ctx, const char *line, int to_stderr);
/* The same, or NULL after saying on stderr that command c cannot read it. */
char *cmd_read_script(const CmdSpec *c, const char *path, size_t *len);

#endif
