/*
 * main.c — the `eddy` command line: the table of commands (each a CmdSpec
 * with its flags, flags.h), dispatch, the top-level usage generated from
 * them, and `eddy explain`.  Each command is a thin layer over the library
 * (include/eddy.h); only the CLI prints errors and chooses exit codes
 * (0 ok, 1 failed, 2 usage).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy.h"
#include "cmd.h"
#include "cmd_test.h"
#include "repl.h"

/* Bytes of the UTF-8 sequence at p (1–4), or 0 when it is not valid. */
static int utf8_len(const unsigned char *p)
{
    int n = p[0] < 0x80 ? 1 : (p[0] & 0xE0) == 0xC0 && p[0] >= 0xC2 ? 2 : (p[0] & 0xF0) == 0xE0 ? 3
          : (p[0] & 0xF8) == 0xF0 && p[0] <= 0xF4 ? 4 : 0;
    for (int i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80) return 0;
    return n;
}

/* A JSON string; bytes that are not UTF-8 (a script's own text may hold
 * them) become U+FFFD, so the output is always valid JSON. */
static void print_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        int n = utf8_len(p);
        if (!n) {
            fputs("\\ufffd", f);
            p++;
            continue;
        }
        if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
        else if (*p < 0x20) fprintf(f, "\\u%04x", *p);
        else fwrite(p, 1, (size_t)n, f);
        p += n;
    }
    fputc('"', f);
}

typedef struct ExplainOpts {
    bool json;            /* --json */
} ExplainOpts;

static const OptionDef explain_flags[] = {
    {.name = "json", .type = OPT_BOOL, .to = {OPT_FIELD(ExplainOpts, json)}, .doc = "print the plans as JSON"},
    {0},
};

static int cmd_explain(int argc, char **argv);

const CmdSpec explain_cmd = {
    .name = "explain", .args = "FILE.sql", .minargs = 1, .maxargs = 1, .flags = explain_flags, .main = cmd_explain,
    .summary = "compile a script and print its operator plans",
    .about = "Compiles the script (no broker needed) and prints the plan of each INSERT and SELECT,\n"
             "with each operator's changelog kind.  FILE.sql may be '-' for standard input.",
};

static int cmd_explain(int argc, char **argv)
{
    ExplainOpts o = {0};
    FlagArgs args;
    int rc = flags_parse(&explain_cmd, &o, argc, argv, &args);
    if (rc >= 0) return rc;
    bool json = o.json;
    const char *path = args.v[0];
    size_t len;
    char *sql = cmd_read_script(&explain_cmd, path, &len);
    if (!sql) return 1;
    eddy_engine *e = eddy_engine_new();
    eddy_script *s;
    const char *shown_path = strcmp(path, "-") == 0 ? "<stdin>" : path;
    rc = eddy_compile(e, sql, len, shown_path, &s);
    if (rc) {
        fputs(eddy_errtext(e), stderr);
        if (json) {   /* a tool reading the JSON learns of the error too */
            fputs("{\"error\": {\"file\": ", stdout);
            print_json_string(stdout, shown_path);
            printf(", \"line\": %d, \"column\": %d, \"message\": ", eddy_errline(e), eddy_errcol(e));
            print_json_string(stdout, eddy_errmsg(e));
            fputs(", \"text\": ", stdout);
            print_json_string(stdout, eddy_errtext(e));
            fputs("}}\n", stdout);
        }
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

/* Every command but the shell, in the order `eddy --help` lists them. */
static const CmdSpec *const commands[] = {&demo_cmd, &run_cmd, &test_cmd, &explain_cmd, &broker_cmd, &gen_cmd};
#define NCOMMANDS (int)(sizeof commands / sizeof commands[0])

static void usage(FILE *f)
{
    fprintf(f, "usage: eddy [options]              %s\n"
               "       eddy <command> [options] ...\n\ncommands:\n", shell_cmd.summary);
    flags_summary(commands, NCOMMANDS, f);
    fputs("  help options                 document every WITH option and SET key\n"
          "  help functions               list the built-in functions\n"
          "  help COMMAND                 a command's options (also: help shell, help man, help completion)\n"
          "  --version                    print the version\n"
          "  --help                       this text\n"
          "\noptions of the shell:\n", f);
    flags_lines(shell_cmd.flags, f);
    fputs("\nA command's options: eddy <command> --help.  FILE may be '-' for standard input.\n", f);
}

int cmd_help(const char *topic, FILE *f)
{
    if (!topic || !*topic) {
        usage(f);
        return 0;
    }
    for (int i = 0; i < NCOMMANDS; i++)
        if (strcmp(topic, commands[i]->name) == 0) {
            flags_usage(commands[i], f);
            return 0;
        }
    if (strcmp(topic, "shell") == 0) {
        flags_usage(&shell_cmd, f);
        return 0;
    }
    if (strcmp(topic, "man") == 0) {
        flags_man(&shell_cmd, commands, NCOMMANDS, eddy_version(), f);
        return 0;
    }
    if (strcmp(topic, "completion") == 0) {
        flags_bash_completion(&shell_cmd, commands, NCOMMANDS, f);
        return 0;
    }
    if (strcmp(topic, "functions") == 0 || strcmp(topic, "options") == 0) {
        char *doc = topic[0] == 'f' ? eddy_functions_doc() : eddy_options_doc();
        fputs(doc, f);
        eddy_free(doc);
        return 0;
    }
    return 2;
}

int main(int argc, char **argv)
{
    /* No command, or only options (--bootstrap, --registry, …): the SQL shell. */
    if (argc < 2 || (argv[1][0] == '-' && strcmp(argv[1], "--help") != 0 && strcmp(argv[1], "-h") != 0 &&
                     strcmp(argv[1], "--version") != 0))
        return shell_cmd.main(argc, argv);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("eddy %s\n", eddy_version());
        return 0;
    }
    for (int i = 0; i < NCOMMANDS; i++)
        if (strcmp(argv[1], commands[i]->name) == 0) return commands[i]->main(argc - 1, argv + 1);
    if (strcmp(argv[1], "help") == 0) {
        int rc = cmd_help(argc >= 3 ? argv[2] : NULL, stdout);
        if (rc == 2) {
            fprintf(stderr, "eddy: no help on '%s'\n\n", argv[2]);
            usage(stderr);
        }
        return rc;
    }
    size_t an = strlen(argv[1]);
    if (an > 4 && strcmp(argv[1] + an - 4, ".sql") == 0) {   /* `eddy job.sql`: what was meant */
        fprintf(stderr, "eddy: unknown command '%s'; to run a script: eddy run %s\n", argv[1], argv[1]);
        return 2;
    }
    fprintf(stderr, "eddy: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
