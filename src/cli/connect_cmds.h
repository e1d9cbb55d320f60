/*
 * connect_cmds.h — what the CLI still takes from src/connect: the `eddy
 * gen` and `eddy broker` commands and the flag-table parser they share
 * with `eddy run`, `eddy demo` and the shell.  They are implemented in
 * src/connect/gen.c and broker_cmd.c (declared there in gen.h) until the
 * flag table and those two commands move into the CLI; this header repeats
 * only the declarations the CLI calls, so that the CLI's include path
 * holds no runtime folder.  It goes away with that move.
 */
#ifndef EDDY_CONNECT_CMDS_H
#define EDDY_CONNECT_CMDS_H

#include <stddef.h>
#include <stdio.h>

#include "eddy.h"

/* Regions `--regions` may choose from (gen.h). */
#define GEN_MAX_REGIONS EDDY_GEN_MAX_REGIONS

/* How a flag's value is parsed and stored (gen.h: gen_flag_kind). */
typedef enum gen_flag_kind {
    GEN_FLAG_STRING, /* const char *, pointing into argv */
    GEN_FLAG_INT,    /* int64_t: decimal, fully consumed, within min..max */
    GEN_FLAG_UINT,   /* uint64_t: decimal, fully consumed, no sign */
    GEN_FLAG_DOUBLE, /* double: finite, fully consumed, within min..max */
    GEN_FLAG_LIST,   /* a repeatable flag */
} gen_flag_kind;

/* One flag: parsing rule, destination and its line of usage text (gen.h). */
typedef struct gen_flag {
    const char *name;    /* long name without the dashes */
    gen_flag_kind kind;  /* how the value is parsed */
    size_t offset;       /* offsetof the destination in the options struct */
    double min, max;     /* inclusive range for INT and DOUBLE */
    const char *metavar; /* placeholder in the usage text */
    const char *help;    /* one line of usage text */
} gen_flag;

/* Parses argv[1..] into opts by the table: 0, 1 for -h/--help, or -1 with
 * a message naming the flag in err (gen.h: gen_flags_parse). */
int gen_flags_parse(const gen_flag *flags, size_t nflags, void *opts, int argc, char **argv, const char **positional, char *err,
                    size_t errlen);
/* Prints the table as usage lines. */
void gen_flags_usage(FILE *f, const gen_flag *flags, size_t nflags);

/* `eddy gen …` and `eddy broker …` (argv[0] = the command); exit status. */
int gen_main(int argc, char **argv);
int broker_main(int argc, char **argv);

#endif
