/*
 * repl.h — `eddy` with no command: the interactive SQL shell.
 *
 * On a terminal it is a line editor (libedit) with history and completion
 * that runs each statement as it is completed by ';': DDL and SET against
 * the session's engine, a bare SELECT as a live continuous query, an INSERT
 * as a background job.  With standard input not a terminal it runs the
 * script it is given, with plain output and no escape codes.  See
 * docs/repl.md.
 */
#ifndef EDDY_REPL_H
#define EDDY_REPL_H

/* argv[0] is the program or command name; the options follow
 * (--bootstrap H:P, --continue-on-error, --dev-broker, --help).
 * Returns the exit status: 0 ok, 1 a statement or job failed, 2 bad usage. */
int repl_main(int argc, char **argv);

#endif
