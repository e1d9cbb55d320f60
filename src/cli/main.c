/*
 * main.c — the `eddy` command line.  Each subcommand is a thin layer over
 * the library (include/eddy.h); `eddy gen` and `eddy broker` still live in
 * src/connect (connect_cmds.h).  The CLI is the only place that prints
 * errors and chooses exit codes (0 ok, 1 failed, 2 usage).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy.h"
#include "cmd.h"
#include "cmd_test.h"
#include "connect_cmds.h"
#include "repl.h"

static const char usage[] =
    "usage: eddy [--bootstrap H:P] [--registry URL] [--continue-on-error]\n"
    "                              the SQL shell; runs a script from stdin when it is not a terminal\n"
    "       eddy <command> [options]\n"
    "\n"
    "commands:\n"
    "  demo [--rate R] [--seconds S] [--avro]\n"
    "                              broker + generator + the reference job + a live table\n"
    "  run [--bootstrap H:P] [--registry URL] [--state FILE] [--reset-state] [--bounded] FILE.sql\n"
    "                              run a script's INSERT jobs (and SELECTs) until Ctrl-C\n"
    "  test [--update] [--broker] FILE.test...\n"
    "                              run query regression tests in memory (--broker: also over Kafka)\n"
    "  explain [--json] FILE.sql   compile a script and print its operator plans\n"
    "  broker [--partitions N] [--topic NAME[:N]]...\n"
    "                              run a development Kafka broker and Schema Registry on 127.0.0.1\n"
    "  gen orders --topic T [--count N] [--rate R] [--seed S] [--bootstrap H:P]\n"
    "             [--format json|avro-confluent --registry URL]\n"
    "                              produce the reference order events\n"
    "  help options                document every WITH option and SET key\n"
    "  help functions              list the built-in functions\n"
    "  --version                   print the version\n"
    "  --help                      this text\n"
    "\n"
    "FILE may be '-' for standard input.\n";

/* Reads a whole file (or stdin for "-"); NULL with errno set on failure. */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (n == cap) {
            cap *= 2;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                if (f != stdin) fclose(f);
                errno = ENOMEM;
                return NULL;
            }
            buf = nb;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0) break;
    }
    int err = ferror(f);
    if (f != stdin) fclose(f);
    if (err) {
        free(buf);
        errno = EIO;
        return NULL;
    }
    *len = n;
    return buf;
}

static void print_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
        else if (*p < 0x20) fprintf(f, "\\u%04x", *p);
        else fputc(*p, f);
    }
    fputc('"', f);
}

static int cmd_explain(int argc, char **argv)
{
    int json = 0;
    const char *path = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) json = 1;
        else if (!path) path = argv[i];
        else {
            fprintf(stderr, "eddy explain: one file at a time (got '%s' too)\n", argv[i]);
            return 2;
        }
    }
    if (!path) {
        fputs("eddy explain: which file? usage: eddy explain [--json] FILE.sql\n", stderr);
        return 2;
    }
    size_t len;
    char *sql = read_file(path, &len);
    if (!sql) {
        fprintf(stderr, "eddy explain: cannot read %s: %s\n", path, strerror(errno));
        return 1;
    }
    eddy_engine *e = eddy_engine_new();
    eddy_script *s;
    int rc = eddy_compile(e, sql, len, strcmp(path, "-") == 0 ? "<stdin>" : path, &s);
    if (rc) {
        fputs(eddy_errtext(e), stderr);
        eddy_engine_free(e);
        free(sql);
        return 1;
    }
    int nplans = 0;
    for (int i = 0; i < eddy_script_count(s); i++) nplans += eddy_script_plan(s, i) != NULL;
    if (json) fputs("{\"plans\": [", stdout);
    int shown = 0;
    for (int i = 0; i < eddy_script_count(s); i++) {
        const eddy_plan *p = eddy_script_plan(s, i);
        if (!p) continue;
        char *text = eddy_plan_explain(p, json ? EDDY_JSON : EDDY_TEXT);
        if (json) {
            const char *kind = eddy_script_kind(s, i) == EDDY_STMT_INSERT ? "INSERT"
                             : eddy_script_kind(s, i) == EDDY_STMT_SELECT ? "SELECT" : "EXPLAIN";
            printf("%s\n{\"line\": %d, \"statement\": \"%s\", \"name\": ", shown ? "," : "", eddy_script_line(s, i), kind);
            print_json_string(stdout, eddy_plan_name(p));
            fputs(", \"plan\": ", stdout);
            text[strcspn(text, "\0")] = 0;
            size_t tl = strlen(text);
            if (tl && text[tl - 1] == '\n') text[tl - 1] = 0;
            printf("%s}", text);
        } else {
            if (nplans > 1) printf("%s-- line %d\n", shown ? "\n" : "", eddy_script_line(s, i));
            fputs(text, stdout);
        }
        eddy_free(text);
        shown++;
    }
    if (json) fputs("\n]}\n", stdout);
    if (!nplans && !json) fputs("(no INSERT or SELECT statement: nothing to plan)\n", stdout);
    eddy_script_free(s);
    eddy_engine_free(e);
    free(sql);
    return 0;
}

int main(int argc, char **argv)
{
    /* No command, or only options (--bootstrap, --registry, …): the SQL shell. */
    if (argc < 2 || (argv[1][0] == '-' && strcmp(argv[1], "--help") != 0 && strcmp(argv[1], "-h") != 0 &&
                     strcmp(argv[1], "--version") != 0))
        return repl_main(argc, argv);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage, stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("eddy %s\n", eddy_version());
        return 0;
    }
    if (strcmp(argv[1], "explain") == 0) return cmd_explain(argc - 2, argv + 2);
    if (strcmp(argv[1], "broker") == 0) return broker_main(argc - 1, argv + 1);
    if (strcmp(argv[1], "run") == 0) return cmd_run(argc - 1, argv + 1);
    if (strcmp(argv[1], "demo") == 0) return cmd_demo(argc - 1, argv + 1);
    if (strcmp(argv[1], "test") == 0) return cmd_test_main(argc - 1, argv + 1);
    if (strcmp(argv[1], "gen") == 0) return gen_main(argc - 1, argv + 1);
    if (strcmp(argv[1], "help") == 0 && argc >= 3 && strcmp(argv[2], "functions") == 0) {
        char *doc = eddy_functions_doc();
        fputs(doc, stdout);
        eddy_free(doc);
        return 0;
    }
    if (strcmp(argv[1], "help") == 0 && argc >= 3 && strcmp(argv[2], "options") == 0) {
        char *doc = eddy_options_doc();
        fputs(doc, stdout);
        eddy_free(doc);
        return 0;
    }
    fprintf(stderr, "eddy: unknown command '%s'\n\n%s", argv[1], usage);
    return 2;
}
