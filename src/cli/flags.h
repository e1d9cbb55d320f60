/*
 * flags.h — every eddy command's command line, by table.
 *
 * A command declares itself in a CmdSpec: its arguments, a line of summary
 * and its flags as an option table (base/options.h, the same machinery as
 * WITH options and SET keys: types, value parsing, range checks, defaults,
 * documentation).  flags_parse reads argv by that table into the command's
 * options struct; flags_usage prints the command's --help from it, and
 * flags_summary the command list of `eddy --help`.  No command looks at
 * argv itself.
 */
#ifndef EDDY_FLAGS_H
#define EDDY_FLAGS_H

#include <stdbool.h>
#include <stdio.h>

#include "options.h"

/* The text of a number given by a macro, for a flag's deflt. */
#define FLAG_TEXT(x) FLAG_TEXT_(x)
#define FLAG_TEXT_(x) #x

/* The flags every command that talks to Kafka or a Schema Registry spells
 * the same way: rows of a flag table, T the options struct, f its field,
 * otherwise the documentation of where the value comes from without one. */
#define FLAG_BOOTSTRAP(T, f, otherwise_)                                                                   \
    {.name = "bootstrap", .type = OPT_STRING, .to = {OPT_FIELD(T, f)}, .metavar = "HOST:PORT",            \
     .env = "EDDY_BOOTSTRAP", .otherwise = otherwise_, .doc = "Kafka bootstrap server"}
#define FLAG_REGISTRY(T, f)                                                                                \
    {.name = "registry", .type = OPT_STRING, .to = {OPT_FIELD(T, f)}, .metavar = "URL",                   \
     .env = "EDDY_REGISTRY", .otherwise = "SET 'avro-confluent.url'",                                     \
     .doc = "Schema Registry: tables from '<topic>-value' and the default 'avro-confluent.url'"}

/* --http: the monitoring endpoint (eddy_monitor_start). */
#define FLAG_HTTP(T, f, otherwise_)                                                                        \
    {.name = "http", .type = OPT_STRING, .to = {OPT_FIELD(T, f)}, .metavar = "HOST:PORT",                 \
     .env = "EDDY_HTTP", .otherwise = otherwise_,                                                          \
     .doc = "serve Prometheus /metrics, /healthz, /jobs and the dashboard at / (port 0: a free one)"}

typedef struct CmdSpec {
    const char      *name;     /* "run"; "" for the shell (plain `eddy`) */
    const char      *args;     /* its arguments in the synopsis ("FILE.sql"), or NULL for none */
    int              minargs;  /* fewest arguments */
    int              maxargs;  /* most arguments; -1 = any number */
    const char      *summary;  /* one line for `eddy --help` */
    const char      *about;    /* a paragraph for `eddy CMD --help`, or NULL */
    const OptionDef *flags;    /* its flags (ends with a NULL name); each row's fields are in the options struct */
    int (*main)(int argc, char **argv); /* runs it; argv[0] is the command's name; returns the exit status */
} CmdSpec;

/* What is left of argv once the flags are read. */
typedef struct FlagArgs {
    char   **v;           /* the arguments that are not flags (pointing into argv) */
    int      n;           /* count */
    unsigned from_env;    /* bit i: flag i took its value from its environment variable */
} FlagArgs;

/*
 * Reads argv[1..argc) into opts by c's flags: first every default, then
 * the flags given (--name VALUE, --name=VALUE, -x VALUE; a boolean flag
 * takes no value; "--" ends the flags), then, for a flag not given, its
 * environment variable when that is set and not empty.  opts must start
 * zeroed: a flag with no default that is not given stays 0.  Returns -1 when the command
 * should go on, with its arguments in *a; otherwise the exit status: 0
 * after -h/--help (the usage printed to stdout), 2 after a usage error
 * (printed to stderr, naming the flag).  An OPT_LIST field's v is
 * allocated here; the caller frees it.
 */
int  flags_parse(const CmdSpec *c, void *opts, int argc, char **argv, FlagArgs *a);
/* The command's --help: synopsis, about text, one line per flag. */
void flags_usage(const CmdSpec *c, FILE *f);
/* One line per flag (with -h, --help last), as in flags_usage. */
void flags_lines(const OptionDef *flags, FILE *f);
/* The synopsis and summary of each command, two columns, for `eddy --help`. */
void flags_summary(const CmdSpec *const *cmds, int n, FILE *f);
/* The man page eddy(1) in roff, and a bash completion script, made from the
 * same tables as every --help (the build generates both). */
void flags_man(const CmdSpec *shell, const CmdSpec *const *cmds, int n, const char *version, FILE *f);
void flags_bash_completion(const CmdSpec *shell, const CmdSpec *const *cmds, int n, FILE *f);
/* Whether the flag called name took its value from its environment variable. */
bool flags_from_env(const CmdSpec *c, const FlagArgs *a, const char *name);

#endif
