/*
 * flags.c — reading a command line by the command's flag table, and the
 * usage text generated from the same table (flags.h).  Values are checked
 * and parsed by base/options.c, as WITH options and SET keys are.
 */
#include "flags.h"

#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

/* "eddy" or "eddy run": how messages name the command. */
static void cmd_title(const CmdSpec *c, char *buf, size_t cap)
{
    snprintf(buf, cap, "eddy%s%s", *c->name ? " " : "", c->name);
}

static int usage_error(const CmdSpec *c, const char *msg)
{
    char title[64];
    cmd_title(c, title, sizeof title);
    fprintf(stderr, "%s: %s\n(see %s --help)\n", title, msg, title);
    return 2;
}

static const OptionDef *flag_by_name(const OptionDef *flags, const char *name, size_t len)
{
    for (const OptionDef *d = flags; d->name; d++)
        if (strlen(d->name) == len && strncmp(d->name, name, len) == 0) return d;
    return NULL;
}

static const OptionDef *flag_by_letter(const OptionDef *flags, char letter)
{
    for (const OptionDef *d = flags; d->name; d++)
        if (d->letter && d->letter == letter) return d;
    return NULL;
}

/* "a, b or c" */
static void enum_choices(const OptEnum *values, StrBuf *out)
{
    for (const OptEnum *v = values; v->text; v++)
        sb_printf(out, "%s%s", v == values ? "" : v[1].text ? ", " : " or ", v->text);
}

int flags_parse(const CmdSpec *c, void *opts, int argc, char **argv, FlagArgs *a)
{
    char err[600], label[80];
    unsigned given = 0;
    bool only_args = false;
    memset(a, 0, sizeof *a);
    a->v = argv + 1;
    opt_defaults(c->flags, opts, NULL);
    for (int i = 1; i < argc; i++) {
        char *arg = argv[i];
        if (only_args || arg[0] != '-' || !arg[1]) {
            a->v[a->n++] = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            only_args = true;
            continue;
        }
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            flags_usage(c, stdout);
            return 0;
        }
        const char *eq = NULL;
        const OptionDef *d = NULL;
        if (arg[1] == '-') {
            eq = strchr(arg + 2, '=');
            d = flag_by_name(c->flags, arg + 2, eq ? (size_t)(eq - arg - 2) : strlen(arg + 2));
        } else if (!arg[2]) {
            d = flag_by_letter(c->flags, arg[1]);
        }
        if (!d) {
            snprintf(err, sizeof err, "unknown option '%.*s'", eq ? (int)(eq - arg) : (int)strlen(arg), arg);
            return usage_error(c, err);
        }
        snprintf(label, sizeof label, "--%s", d->name);
        const char *value = eq ? eq + 1 : d->type == OPT_BOOL ? "true" : i + 1 < argc ? argv[++i] : NULL;
        if (!value || !*value) {
            snprintf(err, sizeof err, "%s needs a value (%s)", label, d->metavar ? d->metavar : "VALUE");
            return usage_error(c, err);
        }
        if (d->type == OPT_LIST) {
            OptList *l = (OptList *)((char *)opts + d->to[0].offset);
            if (!l->v && !(l->v = calloc((size_t)argc, sizeof *l->v))) abort();
        }
        if (d->type == OPT_ENUM && !opt_enum_find(d->values, value)) {
            StrBuf vals = {0};
            enum_choices(d->values, &vals);
            snprintf(err, sizeof err, "%s must be %s, not '%s'", label, vals.s, value);
            sb_free(&vals);
            return usage_error(c, err);
        }
        if (!opt_set(d, label, value, opts, NULL, err, sizeof err)) return usage_error(c, err);
        given |= 1u << (d - c->flags);
    }
    for (const OptionDef *d = c->flags; d->name; d++) {
        unsigned bit = 1u << (d - c->flags);
        const char *env = d->env && !(given & bit) ? getenv(d->env) : NULL;
        if (env && *env) {
            snprintf(label, sizeof label, "$%s", d->env);
            if (!opt_set(d, label, env, opts, NULL, err, sizeof err)) return usage_error(c, err);
            a->from_env |= bit;
        } else if (d->required && !(given & bit)) {
            snprintf(err, sizeof err, "--%s is required", d->name);
            return usage_error(c, err);
        }
    }
    if (a->n < c->minargs) {
        snprintf(err, sizeof err, "missing %s", c->args);
        return usage_error(c, err);
    }
    if (c->maxargs >= 0 && a->n > c->maxargs) {
        snprintf(err, sizeof err, "unexpected argument '%s'", a->v[c->maxargs]);
        return usage_error(c, err);
    }
    return -1;
}

bool flags_from_env(const CmdSpec *c, const FlagArgs *a, const char *name)
{
    const OptionDef *d = flag_by_name(c->flags, name, strlen(name));
    return d && (a->from_env & (1u << (d - c->flags)));
}

/* What a flag's line says after its help: values, default, whether it repeats. */
static void flag_notes(const OptionDef *d, StrBuf *out)
{
    size_t start = out->len;
    if (d->required) sb_puts(out, "required");
    if (d->type == OPT_ENUM) {
        sb_puts(out, out->len > start ? "; " : "");
        opt_enum_list(out, d->values, ", ");
    }
    if (d->type == OPT_LIST) sb_printf(out, "%srepeatable", out->len > start ? "; " : "");
    if (d->deflt || d->env || d->otherwise) {
        sb_printf(out, "%sdefault: ", out->len > start ? "; " : "");
        if (d->deflt) sb_puts(out, d->deflt);
        else if (d->env) sb_printf(out, "$%s%s%s", d->env, d->otherwise ? ", or " : "", d->otherwise ? d->otherwise : "");
        else sb_puts(out, d->otherwise);
    }
}

void flags_lines(const OptionDef *flags, FILE *f)
{
    for (const OptionDef *d = flags; d->name; d++) {
        StrBuf left = {0}, notes = {0};
        if (d->letter) sb_printf(&left, "-%c, ", d->letter);
        sb_printf(&left, "--%s", d->name);
        if (d->type != OPT_BOOL) sb_printf(&left, " %s", d->metavar ? d->metavar : "VALUE");
        flag_notes(d, &notes);
        fprintf(f, "  %-24s %s%s%s%s\n", left.s, d->doc, notes.len ? " (" : "", notes.len ? notes.s : "", notes.len ? ")" : "");
        sb_free(&left);
        sb_free(&notes);
    }
    fprintf(f, "  %-24s %s\n", "-h, --help", "show this help");
}

/* "run [options] FILE.sql" */
static void synopsis(const CmdSpec *c, StrBuf *out)
{
    sb_printf(out, "%s%s[options]", c->name, *c->name ? " " : "");
    if (c->args) sb_printf(out, " %s", c->args);
}

void flags_usage(const CmdSpec *c, FILE *f)
{
    StrBuf syn = {0};
    synopsis(c, &syn);
    fprintf(f, "usage: eddy %s\n", syn.s);
    sb_free(&syn);
    if (c->about) fprintf(f, "%s\n", c->about);
    fputs("\noptions:\n", f);
    flags_lines(c->flags, f);
}

void flags_summary(const CmdSpec *const *cmds, int n, FILE *f)
{
    for (int i = 0; i < n; i++) {
        StrBuf syn = {0};
        synopsis(cmds[i], &syn);
        if (syn.len <= 28) fprintf(f, "  %-28s %s\n", syn.s, cmds[i]->summary);
        else fprintf(f, "  %s\n  %-28s %s\n", syn.s, "", cmds[i]->summary);
        sb_free(&syn);
    }
}

/* roff text: backslashes doubled, a leading '.' or '\'' guarded, '-' as \-. */
static void roff(const char *s, FILE *f)
{
    if (*s == '.' || *s == '\'') fputs("\\&", f);
    for (; *s; s++) {
        if (*s == '\\') fputs("\\e", f);
        else if (*s == '-') fputs("\\-", f);
        else if (*s == '\n') fputs("\n.br\n", f);
        else fputc(*s, f);
    }
}

static void man_flags(const OptionDef *flags, FILE *f)
{
    for (const OptionDef *d = flags; d->name; d++) {
        StrBuf notes = {0};
        fputs(".TP\n.B ", f);
        if (d->letter) fprintf(f, "\\-%c, ", d->letter);
        fputs("\\-\\-", f);
        roff(d->name, f);
        if (d->type != OPT_BOOL) {
            fputs(" \\fI", f);
            roff(d->metavar ? d->metavar : "VALUE", f);
            fputs("\\fR", f);
        }
        fputc('\n', f);
        roff(d->doc, f);
        flag_notes(d, &notes);
        if (notes.len) {
            fputs(" (", f);
            roff(notes.s, f);
            fputc(')', f);
        }
        fputc('\n', f);
        sb_free(&notes);
    }
}

void flags_man(const CmdSpec *shell, const CmdSpec *const *cmds, int n, const char *version, FILE *f)
{
    fprintf(f, ".TH EDDY 1 \"\" \"eddy %s\" \"User Commands\"\n", version);
    fputs(".SH NAME\neddy \\- SQL over Kafka streams: Flink SQL compiled to a continuous job\n.SH SYNOPSIS\n", f);
    fputs(".B eddy\n[\\fIoptions\\fR]\n.br\n.B eddy\n\\fIcommand\\fR [\\fIoptions\\fR] ...\n", f);
    fputs(".SH DESCRIPTION\nWithout a command, ", f);
    roff(shell->summary, f);
    fputs(".\nWith a command:\n", f);
    for (int i = 0; i < n; i++) {
        StrBuf syn = {0};
        synopsis(cmds[i], &syn);
        fputs(".TP\n.B eddy ", f);
        roff(syn.s, f);
        fputc('\n', f);
        roff(cmds[i]->summary, f);
        fputc('\n', f);
        sb_free(&syn);
    }
    fputs(".TP\n.B eddy help options\ndocument every WITH option and SET key\n", f);
    fputs(".TP\n.B eddy help functions\nlist the built\\-in functions\n", f);
    fputs(".TP\n.B eddy help \\fIcommand\\fR\nthe options of a command\n", f);
    fputs(".SH OPTIONS OF THE SHELL\n", f);
    man_flags(shell->flags, f);
    for (int i = 0; i < n; i++) {
        fputs(".SH EDDY ", f);
        for (const char *c = cmds[i]->name; *c; c++) fputc(*c >= 'a' && *c <= 'z' ? *c - 32 : *c, f);
        fputc('\n', f);
        if (cmds[i]->about) {
            roff(cmds[i]->about, f);
            fputc('\n', f);
        }
        man_flags(cmds[i]->flags, f);
    }
    fputs(".SH ENVIRONMENT\n.TP\n.B EDDY_BOOTSTRAP\nthe Kafka bootstrap server when \\-\\-bootstrap is not given\n"
          ".TP\n.B EDDY_REGISTRY\nthe Schema Registry URL when \\-\\-registry is not given\n"
          ".TP\n.B EDDY_PARALLELISM\nthe worker threads of eddy run when \\-\\-parallelism is not given (else 1)\n", f);
    fputs(".SH FILES\n.TP\n.I JOB.db\na job's state file (SQLite): operator state and source offsets, "
          "checkpointed together; see README.md, \"The state file\"\n"
          ".TP\n.I JOB.db.d/\na job run as tasks (\\-\\-parallelism): a state file per task, s<stage>\\-t<task>.db\n", f);
    fputs(".SH SEE ALSO\nThe README of the eddy sources: the SQL eddy accepts, the embedding API (eddy.h), "
          "the test\\-file format, monitoring.\n", f);
}

void flags_bash_completion(const CmdSpec *shell, const CmdSpec *const *cmds, int n, FILE *f)
{
    fputs("# bash completion for eddy (generated by `eddy help completion`)\n_eddy()\n{\n"
          "    local cur=${COMP_WORDS[COMP_CWORD]} cmd=${COMP_WORDS[1]}\n"
          "    if [ \"$COMP_CWORD\" -eq 1 ]; then\n        COMPREPLY=($(compgen -W \"", f);
    for (int i = 0; i < n; i++) fprintf(f, "%s ", cmds[i]->name);
    fputs("help --help --version", f);
    for (const OptionDef *d = shell->flags; d->name; d++) fprintf(f, " --%s", d->name);
    fputs("\" -- \"$cur\"))\n        return\n    fi\n    case $cmd in\n", f);
    for (int i = 0; i < n; i++) {
        fprintf(f, "    %s)\n        if [[ $cur == -* ]]; then\n            COMPREPLY=($(compgen -W \"--help", cmds[i]->name);
        for (const OptionDef *d = cmds[i]->flags; d->name; d++) fprintf(f, " --%s", d->name);
        fputs("\" -- \"$cur\"))\n        else\n            COMPREPLY=($(compgen -f -- \"$cur\"))\n        fi\n        ;;\n", f);
    }
    fputs("    help)\n        COMPREPLY=($(compgen -W \"options functions", f);
    for (int i = 0; i < n; i++) fprintf(f, " %s", cmds[i]->name);
    fputs("\" -- \"$cur\"))\n        ;;\n    *)\n        COMPREPLY=($(compgen -f -- \"$cur\"))\n        ;;\n    esac\n}\n"
          "complete -F _eddy eddy\n", f);
}
