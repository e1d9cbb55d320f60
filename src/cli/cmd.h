/*
 * cmd.h — the CLI's subcommands (main.c dispatches to them).  Each returns
 * the process exit status: 0 ok, 1 failed, 2 bad usage.
 */
#ifndef EDDY_CMD_H
#define EDDY_CMD_H

#include <stddef.h>

int   cmd_run(int argc, char **argv);    /* argv[0] = "run" */
int   cmd_demo(int argc, char **argv);   /* argv[0] = "demo" */
char *cmd_read_file(const char *path, size_t *len);
/* A job's notice callback for the CLI: "eddy: <msg>" on stderr. */
void  cmd_notice_stderr(void *ctx, const char *msg);

#endif
