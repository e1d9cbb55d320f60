/*
 * repl.c — the SQL shell: `eddy` with no command.  The session and the
 * statement loop.
 *
 * What lives here: the session (one engine, its settings and tables as the
 * user is told about them), reading statements (the line editor on a
 * terminal, plain lines from a pipe, whole files for \i and SOURCE),
 * cutting them at the ';' that ends each one (eddy_statement_end: a ';'
 * inside a string or a comment does not count), meta commands (help,
 * quit, \i), running each statement, and repl_main.  A bare SELECT goes to
 * repl_live.c, an INSERT to repl_jobs.c; line editing and completion are
 * in repl_edit.c.  What does not live here: SQL semantics (the library,
 * through include/eddy.h).  Threads and signals: see repl_shared.h.
 */
#include "repl.h"
#include "repl_shared.h"

#include <ctype.h>
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cmd.h"

#define SOURCE_MAX_DEPTH 16      /* \i inside \i … */

/* One source of statements: the terminal, stdin, or a file. */
typedef struct Input {
    const char *name;     /* in messages: "<stdin>", the file name */
    bool        typed;    /* typed at the prompt: history, per-statement line numbers */
    int         lineno;   /* lines read so far */
    StrBuf      buf;      /* the statement being collected */
    int         buf_line; /* line number of its first line */
} Input;

const char *c_err(const Repl *r) { return r->color ? "\033[1;31m" : ""; }
const char *c_dim(const Repl *r) { return r->color ? "\033[2m" : ""; }
const char *c_off(const Repl *r) { return r->color ? "\033[0m" : ""; }

FILE *info_out(const Repl *r) { return r->interactive ? stdout : stderr; }

void print_error(Repl *r, const char *fmt, ...)
{
    fflush(stdout);
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%serror:%s ", c_err(r), c_off(r));
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* ------------------------------------------------------------------ */
/* Statements                                                           */

static void print_output(const char *out)
{
    if (!out) return;
    fputs(out, stdout);
    size_t n = strlen(out);
    if (n && out[n - 1] != '\n') fputc('\n', stdout);
}

void table_names(Repl *r, StrList *out)
{
    eddy_table_info t;
    for (int i = 0; eddy_table(r->e, i, &t) == EDDY_OK; i++) strlist_add(out, t.name);
}

/* The SET values in force, as SET shows them ("'k' = 'v'"), and their keys. */
static void settings_refresh(Repl *r, StrList *lines, StrList *keys)
{
    const char *k, *v;
    for (int i = 0; eddy_setting(r->e, i, &k, &v) == EDDY_OK; i++) {
        StrBuf b = {0};
        sb_printf(&b, "'%s' = '%s'", k, v);
        strlist_add(lines, b.s);
        strlist_add(keys, k);
        sb_free(&b);
    }
}

/* Says what a DDL statement did, from the table names before and after. */
static void report_ddl(Repl *r, bool created)
{
    if (!r->interactive) return;
    StrList now = {0};
    table_names(r, &now);
    const StrList *from = created ? &r->tables_before : &now, *to = created ? &now : &r->tables_before;
    bool said = false;
    for (int i = 0; i < to->n; i++)
        if (!strlist_has(from, to->v[i])) {
            printf("%s table '%s'.\n", created ? "Created" : "Dropped", to->v[i]);
            said = true;
        }
    if (!said) puts("OK.");
    strlist_free(&now);
}

/* Says what SET or RESET changed, from the settings before and after. */
static void report_settings(Repl *r)
{
    StrList now = {0}, keys = {0};
    settings_refresh(r, &now, &keys);
    if (r->interactive) {
        bool said = false;
        for (int i = 0; i < now.n; i++)
            if (!strlist_has(&r->settings, now.v[i])) {
                printf("Set %s.\n", now.v[i]);
                said = true;
            }
        for (int i = 0; i < r->setting_keys.n; i++)
            if (!strlist_has(&keys, r->setting_keys.v[i])) {
                printf("Reset '%s'.\n", r->setting_keys.v[i]);
                said = true;
            }
        if (!said) puts("OK.");
    }
    strlist_free(&r->settings);
    strlist_free(&r->setting_keys);
    r->settings = now;
    r->setting_keys = keys;
}

static int exec_stmt(Repl *r, eddy_script *s, int i, bool *kept)
{
    const char *out = eddy_script_output(s, i);
    switch (eddy_script_kind(s, i)) {
    case EDDY_STMT_CREATE_TABLE:
    case EDDY_STMT_DROP_TABLE:
        if (out) print_output(out);
        else report_ddl(r, eddy_script_kind(s, i) == EDDY_STMT_CREATE_TABLE);
        return ST_OK;
    case EDDY_STMT_SET:
    case EDDY_STMT_RESET:
        if (out) {
            if (!*out && r->interactive) puts("No session settings (every key has its default; `eddy help options` lists them).");
            print_output(out);
            return ST_OK;
        }
        report_settings(r);
        return ST_OK;
    case EDDY_STMT_SHOW_TABLES:
        if (out && !*out && r->interactive) puts("No tables. CREATE TABLE makes one.");
        print_output(out);
        return ST_OK;
    case EDDY_STMT_DESCRIBE:
    case EDDY_STMT_EXPLAIN:
        print_output(out);
        return ST_OK;
    case EDDY_STMT_SHOW_JOBS:
        jobs_show(r);
        return ST_OK;
    case EDDY_STMT_STOP_JOB:
        return jobs_stop(r, out ? out : "");
    case EDDY_STMT_CREATE_VIEW:
    case EDDY_STMT_DROP_VIEW:
    case EDDY_STMT_CREATE_FUNCTION:
    case EDDY_STMT_DROP_FUNCTION:
    case EDDY_STMT_ALTER_TABLE:
        if (out) print_output(out);
        else if (r->interactive) puts("OK.");
        return ST_OK;
    case EDDY_STMT_SHOW:
        if (out && !*out && r->interactive) puts("None.");
        print_output(out);
        return ST_OK;
    case EDDY_STMT_SHOW_JOB:
        return jobs_describe(r, out ? out : "");
    case EDDY_STMT_INSERT:
        if (!eddy_script_plan(s, i)) {   /* CREATE TABLE IF NOT EXISTS … AS of an existing table */
            if (out) print_output(out);
            return ST_OK;
        }
        return jobs_start(r, s, i, kept);
    case EDDY_STMT_SELECT:
        return live_run(r, s, i);
    }
    return ST_OK;
}

/* Shows the compile error: with its file position in scripts, and as
 * "error: …" plus the line and caret at the prompt. */
static void print_compile_error(Repl *r, const Input *in, bool multiline)
{
    fflush(stdout);
    const char *t = eddy_errtext(r->e);
    if (!in->typed) {
        fputs(t, stderr);
        return;
    }
    const char *nl = strchr(t, '\n');
    fprintf(stderr, "%serror:%s %s", c_err(r), c_off(r), eddy_errmsg(r->e));
    if (multiline && eddy_errline(r->e) > 0) fprintf(stderr, " (line %d)", eddy_errline(r->e));
    fputc('\n', stderr);
    if (nl && eddy_errline(r->e) > 0) fputs(nl + 1, stderr);
}

/* The words a statement starts with, upper-cased and joined by one space
 * (comments and ';' left out), at most cap bytes. */
static void lead_words(const char *text, size_t len, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < len && o + 2 < cap;) {
        if (text[i] == '-' && i + 1 < len && text[i + 1] == '-') {
            while (i < len && text[i] != '\n') i++;
            continue;
        }
        if (!isalpha((unsigned char)text[i])) {
            if (!isspace((unsigned char)text[i]) && text[i] != ';') break;
            i++;
            continue;
        }
        if (o) out[o++] = ' ';
        while (i < len && (isalnum((unsigned char)text[i]) || text[i] == '_') && o + 1 < cap) out[o++] = (char)toupper((unsigned char)text[i++]);
    }
    out[o] = 0;
}

static int exec_sql(Repl *r, const Input *in, const char *text, size_t len, int line, int col);

/* BEGIN STATEMENT SET; … END; typed statement by statement: each INSERT is
 * checked when typed and kept; END runs them all as one job (one plan, its
 * shared sources read once).  *handled says whether text was part of it. */
static int statement_set_step(Repl *r, const Input *in, const char *text, size_t len, int line, int col, bool *handled)
{
    char w[64];
    lead_words(text, len, w, sizeof w);
    *handled = true;
    if (strcmp(w, "BEGIN STATEMENT SET") == 0) {
        if (r->in_set) {
            print_error(r, "a statement set is already open: INSERT statements, then END;");
            return ST_ERR;
        }
        r->in_set = true;
        r->set_count = 0;
        sb_free(&r->set_sql);
        sb_puts(&r->set_sql, "BEGIN STATEMENT SET;\n");
        if (r->interactive) puts("Statement set begun: INSERT statements, then END; runs them as one job.");
        return ST_OK;
    }
    if (!r->in_set) {
        *handled = false;
        return ST_OK;
    }
    if (strcmp(w, "END") == 0) {
        r->in_set = false;
        if (r->set_count == 0) {
            sb_free(&r->set_sql);
            print_error(r, "the statement set is empty: nothing to run");
            return ST_ERR;
        }
        sb_puts(&r->set_sql, "END;\n");
        StrBuf sql = r->set_sql;
        r->set_sql = (StrBuf){0};
        int st = exec_sql(r, in, sql.s, sql.len, 1, 1);
        sb_free(&sql);
        return st;
    }
    if (strncmp(w, "INSERT", 6) != 0 && strncmp(w, "EXECUTE INSERT", 14) != 0) {
        print_error(r, "only INSERT statements belong in a statement set (END; runs it)");
        return ST_ERR;
    }
    /* Checked now, against the catalog as it is, with its own positions. */
    StrBuf src = {0};
    for (int i = 1; i < line; i++) sb_putc(&src, '\n');
    for (int i = 1; i < col; i++) sb_putc(&src, ' ');
    sb_putn(&src, text, len);
    eddy_script *s;
    int rc = eddy_compile(r->e, src.s, src.len, in->name, &s);
    sb_free(&src);
    if (rc) {
        print_compile_error(r, in, memchr(text, '\n', len) != NULL);
        return ST_ERR;
    }
    eddy_script_free(s);
    sb_putn(&r->set_sql, text, len);
    sb_putc(&r->set_sql, '\n');
    r->set_count++;
    if (r->interactive) printf("Added to the statement set (%d INSERT%s; END; runs %s).\n", r->set_count, r->set_count == 1 ? "" : "s",
                               r->set_count == 1 ? "it" : "them");
    return ST_OK;
}

/* Compiles and runs one statement.  `line` and `col` place its first byte
 * in its input, so that messages point into the file or the script. */
static int exec_sql(Repl *r, const Input *in, const char *text, size_t len, int line, int col)
{
    bool in_set;
    int set_status = statement_set_step(r, in, text, len, line, col, &in_set);
    if (in_set) return set_status;
    StrBuf src = {0};
    for (int i = 1; i < line; i++) sb_putc(&src, '\n');
    for (int i = 1; i < col; i++) sb_putc(&src, ' ');
    sb_putn(&src, text, len);
    eddy_script *s;
    strlist_free(&r->tables_before);
    if (r->interactive) table_names(r, &r->tables_before);
    r->catalog_dirty = true;   /* DDL, and tables a Schema Registry supplies */
    int rc = eddy_compile(r->e, src.s, src.len, in->name, &s);
    if (rc) {
        size_t t = len;
        while (t && isspace((unsigned char)text[t - 1])) t--;
        print_compile_error(r, in, memchr(text, '\n', t) != NULL);
        sb_free(&src);
        return ST_ERR;
    }
    sb_free(&src);
    int status = ST_OK;
    bool kept = false;
    /* One statement per call (the input was cut at each ';'), so a job
     * that keeps the script is the only user of it. */
    for (int i = 0; i < eddy_script_count(s) && status == ST_OK; i++) status = exec_stmt(r, s, i, &kept);
    if (!kept) eddy_script_free(s);
    fflush(stdout);
    return status;
}

/* ------------------------------------------------------------------ */
/* Input: lines to statements, meta commands                            */

static int run_file(Repl *r, const char *path);

static const char help_text[] =
    "Statements end with ';' and may span lines:\n"
    "  CREATE TABLE t (col TYPE, ...) [WITH ('k' = 'v', ...)];   DROP TABLE [IF EXISTS] t;\n"
    "  SHOW TABLES;   DESCRIBE t;   EXPLAIN INSERT ... | SELECT ...;\n"
    "  CREATE VIEW v AS SELECT ...;   SHOW VIEWS;   SHOW CREATE TABLE t;   SHOW FUNCTIONS;\n"
    "  WITH a AS (SELECT ...) SELECT ...;   VALUES (1, 'a');   SELECT 1;\n"
    "  BEGIN STATEMENT SET; INSERT ...; INSERT ...; END;   several INSERTs as one job\n"
    "  SET 'key' = 'value';   SET;   RESET ['key'];     (`eddy help options` lists the keys)\n"
    "  SELECT ... FROM t ...;        a continuous query shown live until Ctrl-C (or q);\n"
    "                                LIMIT n ends it after n changes\n"
    "  INSERT INTO t SELECT ...;     starts a background job and returns at once\n"
    "  SHOW JOBS;   STOP JOB 'id';   jobs, and stopping one (it flushes and checkpoints)\n"
    "  SHOW JOB 'id';                a job's counters and per-operator statistics\n"
    "                                (DESCRIBE JOB 'id' is the same)\n"
    "\n"
    "Result modes: SET 'sql-client.execution.result-mode' = 'table' (default: a table\n"
    "  refreshed in place) | 'changelog' (+I/-U/+U/-D rows) | 'tableau' (a grid with an op column).\n"
    "Jobs keep no state unless SET 'state.path' = 'file.db' names a state file.\n"
    "Kafka: --bootstrap, EDDY_BOOTSTRAP or SET 'properties.bootstrap.servers' = 'host:port'.\n"
    "\n"
    "Commands: help, quit or exit (or Ctrl-D), \\i FILE or SOURCE 'FILE' (run a file's statements),\n"
    "  \\pset pager on|off (or SET 'sql-client.display.pager'): page results longer than the screen.\n"
    "Help: help options (WITH options and SET keys), help functions, help COMMAND (run, test, broker, ...),\n"
    "  the same as `eddy help …` on the command line.\n"
    "Start-up: ~/.eddyrc runs first (--no-rc skips it), then -i FILE (--init FILE).\n"
    "Keys: Tab completes keywords, tables and columns; Up/Down recall history (~/.eddy_history);\n"
    "  Ctrl-C discards the statement being typed, or cancels a running query.\n";

/* Matches a meta command word at the start of s (case-insensitive), then
 * the end or white space; *arg is what follows. */
static bool meta_word(const char *s, const char *w, const char **arg)
{
    size_t n = strlen(w);
    if (strncasecmp(s, w, n) != 0) return false;
    if (s[n] && !isspace((unsigned char)s[n])) return false;
    *arg = s + n;
    while (isspace((unsigned char)**arg)) (*arg)++;
    return true;
}

/* \pset pager [on|off] (psql's): the same as SET 'sql-client.display.pager'. */
static int pset(Repl *r, const char *arg)
{
    const char *v;
    if (!meta_word(arg, "pager", &v)) {
        print_error(r, "\\pset %s: eddy knows only \\pset pager [on|off]", arg);
        return ST_ERR;
    }
    bool on = !pager_enabled(r);   /* \pset pager alone toggles, as in psql */
    if (*v) {
        if (strcasecmp(v, "on") == 0 || strcasecmp(v, "true") == 0) on = true;
        else if (strcasecmp(v, "off") == 0 || strcasecmp(v, "false") == 0) on = false;
        else {
            print_error(r, "\\pset pager %s: on or off", v);
            return ST_ERR;
        }
    }
    char sql[80];
    snprintf(sql, sizeof sql, "SET 'sql-client.display.pager' = '%s';", on ? "true" : "false");
    eddy_script *sc;
    if (eddy_compile(r->e, sql, strlen(sql), "<pset>", &sc)) {
        print_error(r, "%s", eddy_errmsg(r->e));
        return ST_ERR;
    }
    eddy_script_free(sc);
    strlist_free(&r->settings);   /* SET shows it as any SET */
    strlist_free(&r->setting_keys);
    settings_refresh(r, &r->settings, &r->setting_keys);
    if (r->interactive) printf("Pager %s.\n", on ? "on (results longer than the screen are paged)" : "off (results are printed whole)");
    return ST_OK;
}

/* help, quit, \i and SOURCE: *handled says whether text was one. */
static int try_meta(Repl *r, const char *text, bool *handled)
{
    char *copy = str_dup(text);
    char *s = trim(copy, true);
    const char *arg;
    int status = ST_OK;
    *handled = true;
    if ((meta_word(s, "help", &arg) || meta_word(s, "\\h", &arg)) && !*arg) {
        pager_show(r, help_text, sizeof help_text - 1);
    } else if (meta_word(s, "help", &arg) || meta_word(s, "\\h", &arg)) {
        /* help options, help functions, help run, …: what `eddy help TOPIC` prints. */
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        if (!f) abort();
        int rc = cmd_help(arg, f);
        fclose(f);
        if (rc == 0) {
            pager_show(r, text, len);
        } else {
            print_error(r, "no help on '%s' (help lists the statements; help options, help functions, help COMMAND)", arg);
            status = ST_ERR;
        }
        free(text);
    } else if (meta_word(s, "\\pset", &arg)) {
        status = pset(r, arg);
    } else if ((strcmp(s, "\\?") == 0 || strcmp(s, "?") == 0)) {
        pager_show(r, help_text, sizeof help_text - 1);
    } else if ((meta_word(s, "quit", &arg) || meta_word(s, "exit", &arg)) && !*arg) {
        status = ST_QUIT;
    } else if (strcmp(s, "\\q") == 0) {
        status = ST_QUIT;
    } else if ((meta_word(s, "\\i", &arg) || meta_word(s, "\\include", &arg) || meta_word(s, "source", &arg)) && *arg) {
        /* SOURCE 'file.sql' (a SQL string, '' for a quote) or a bare path. */
        StrBuf path = {0};
        size_t n = strlen(arg);
        if (arg[0] == '\'' && n >= 2 && arg[n - 1] == '\'') {
            for (size_t i = 1; i + 1 < n; i++) {
                if (arg[i] == '\'' && arg[i + 1] == '\'') i++;
                sb_putc(&path, arg[i]);
            }
        } else {
            sb_puts(&path, arg);
        }
        sb_putc(&path, 0);
        status = run_file(r, path.s);
        sb_free(&path);
    } else if (s[0] == '\\') {
        /* Not SQL either: say so rather than wait for a ';'. */
        print_error(r, "%s: %s", s, strncmp(s, "\\i", 2) == 0 ? "which file? (\\i FILE)" : "unknown command (help lists them)");
        status = ST_ERR;
    } else {
        *handled = false;
    }
    free(copy);
    return status;
}

/* Where statements end: offsets just past each ';' that closes a
 * statement (eddy_statement_end).  Returns how many; *tail is set when a
 * statement follows the last of them without its ';' (or the text ends
 * inside a string, identifier or comment). */
static int statement_ends(const char *text, size_t len, size_t **ends, bool *tail)
{
    int n = 0, cap = 0;
    size_t pos = 0, end;
    eddy_statement_end_kind k;
    *ends = NULL;
    while ((k = eddy_statement_end(text + pos, len - pos, &end)) == EDDY_SQL_END) {
        if (n == cap) {
            cap = cap ? 2 * cap : 8;
            *ends = xrealloc(*ends, sizeof **ends * (size_t)cap);
        }
        pos += end;
        (*ends)[n++] = pos;
    }
    *tail = k == EDDY_SQL_PARTIAL;
    return n;
}

static bool stop_on_error(const Repl *r, const Input *in) { return !r->continue_on_error && !in->typed; }

/* Runs the statements collected in in->buf: all of them, or (at the end
 * of the input) also a last one without ';'. */
static int run_buffer(Repl *r, Input *in, bool at_eof)
{
    const char *text = in->buf.s ? in->buf.s : "";
    size_t len = in->buf.len;
    size_t *ends;
    bool tail;
    int n = statement_ends(text, len, &ends, &tail);
    int status = ST_OK;
    size_t start = 0;
    int line = in->buf_line, col = 1;
    for (int k = 0; k <= n && status != ST_QUIT; k++) {
        size_t end = k < n ? ends[k] : len;
        if (k == n && !at_eof) break;
        /* Skip leading white space so the statement's position is its first token's. */
        while (start < end && isspace((unsigned char)text[start])) {
            if (text[start] == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
            start++;
        }
        if (start < end) {
            char *chunk = strndup(text + start, end - start);
            if (!chunk) abort();
            bool handled;
            int st = try_meta(r, chunk, &handled);
            if (!handled) st = exec_sql(r, in, text + start, end - start, line, col);
            free(chunk);
            if (st == ST_ERR) {
                r->had_error = true;
                if (stop_on_error(r, in)) status = ST_ERR;
            } else if (st == ST_QUIT) {
                status = ST_QUIT;
            }
            if (status != ST_OK) break;
        }
        for (size_t i = start; i < end; i++) {
            if (text[i] == '\n') {
                line++;
                col = 1;
            } else if (((unsigned char)text[i] & 0xC0) != 0x80) {
                col++;
            }
        }
        start = end;
    }
    free(ends);
    return status;
}

static void input_reset(Input *in)
{
    in->buf.len = 0;
    if (in->buf.s) in->buf.s[0] = 0;
}

/* Feeds one line (without its newline).  Runs what it completes. */
static int feed_line(Repl *r, Input *in, const char *line)
{
    if (in->typed && in->buf.len == 0) in->lineno = 0;   /* at the prompt, lines count per statement */
    in->lineno++;
    if (in->buf.len == 0) {
        char *copy = str_dup(line);
        char *s = trim(copy, false);
        bool blank = !*s;
        free(copy);
        if (blank) return ST_OK;
        bool handled;
        int st = try_meta(r, line, &handled);
        if (handled) {
            if (in->typed) edit_history_add(r, line);
            if (st == ST_ERR) {
                r->had_error = true;
                return stop_on_error(r, in) ? ST_ERR : ST_OK;
            }
            return st;
        }
        in->buf_line = in->lineno;
    }
    sb_puts(&in->buf, line);
    sb_putc(&in->buf, '\n');
    size_t *ends;
    bool tail;
    int n = statement_ends(in->buf.s, in->buf.len, &ends, &tail);
    free(ends);
    bool complete = n > 0 && !tail;   /* nothing but white space and comments after the last ';' */
    if (!complete) return ST_OK;
    if (in->typed) edit_history_add(r, in->buf.s);
    int st = run_buffer(r, in, false);
    input_reset(in);
    return st;
}

/* End of an input: runs a last statement that has no ';'. */
static int finish_input(Repl *r, Input *in)
{
    int st = ST_OK;
    char *copy = str_dup(in->buf.s ? in->buf.s : "");
    bool blank = !*trim(copy, false);
    free(copy);
    if (!blank) st = run_buffer(r, in, true);
    input_reset(in);
    return st;
}

static int run_file(Repl *r, const char *path)
{
    if (r->depth >= SOURCE_MAX_DEPTH) {
        print_error(r, "%s: files run each other too deeply (more than %d levels)", path, SOURCE_MAX_DEPTH);
        return ST_ERR;
    }
    size_t len;
    char *text = cmd_read_file(path, &len);
    if (!text) {
        print_error(r, "cannot read %s: %s", path, strerror(errno));
        return ST_ERR;
    }
    r->depth++;
    Input in = {.name = path};
    int st = ST_OK;
    size_t start = 0;
    while (start < len && st == ST_OK && !g_sigterm) {
        size_t end = start;
        while (end < len && text[end] != '\n') end++;
        char *line = strndup(text + start, end - start);
        if (!line) abort();
        st = feed_line(r, &in, line);
        free(line);
        start = end + 1;
    }
    if (st == ST_OK) st = finish_input(r, &in);
    sb_free(&in.buf);
    free(text);
    r->depth--;
    return st;
}

/* ------------------------------------------------------------------ */
/* Reading stdin without a terminal                                     */

typedef struct LineReader {
    int    fd;            /* where lines come from */
    char  *buf;           /* bytes read and not yet returned */
    size_t len;           /* their count */
    size_t cap;           /* capacity */
    bool   eof;           /* no more bytes */
} LineReader;

/* 1 and *line (the caller frees it), 2 when that line holds a NUL byte, 0
 * at the end, -1 when a signal stops the wait. */
static int lr_next(LineReader *lr, char **line)
{
    for (;;) {
        char *nl = lr->len ? memchr(lr->buf, '\n', lr->len) : NULL;
        if (nl || (lr->eof && lr->len)) {
            size_t n = nl ? (size_t)(nl - lr->buf) : lr->len;
            bool nul = memchr(lr->buf, '\0', n) != NULL;
            *line = strndup(lr->buf, n);
            if (!*line) abort();
            size_t used = nl ? n + 1 : n;
            memmove(lr->buf, lr->buf + used, lr->len - used);
            lr->len -= used;
            return nul ? 2 : 1;
        }
        if (lr->eof) return 0;
        if (g_sigint || g_sigterm) return -1;
        struct pollfd pf[2] = {{lr->fd, POLLIN, 0}, {g_wake[0], POLLIN, 0}};
        int n = poll(pf, 2, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            lr->eof = true;
            continue;
        }
        if (pf[1].revents & POLLIN) drain_wake();
        if (!(pf[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        if (lr->cap - lr->len < 4096) {
            lr->cap = lr->cap ? 2 * lr->cap : 8192;
            lr->buf = xrealloc(lr->buf, lr->cap);
        }
        ssize_t k = read(lr->fd, lr->buf + lr->len, lr->cap - lr->len);
        if (k < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (k <= 0) lr->eof = true;
        else lr->len += (size_t)k;
    }
}

/* ------------------------------------------------------------------ */
/* The two loops                                                        */

static void interactive_loop(Repl *r)
{
    Input in = {.name = "<input>", .typed = true};
    for (;;) {
        jobs_poll(r);
        if (g_sigterm) break;
        r->cont = in.buf.len > 0;
        r->pending = in.buf.len ? in.buf.s : NULL;
        fflush(stdout);
        char *line = edit_gets(r);
        r->pending = NULL;
        if (!line && g_sigint) {   /* Ctrl-C: drop what was typed, keep the session */
            g_sigint = 0;
            input_reset(&in);
            fputs("^C\n", stdout);
            continue;
        }
        if (!line) {
            if (!g_sigterm) fputc('\n', stdout);   /* Ctrl-D */
            break;
        }
        int st = feed_line(r, &in, line);
        free(line);
        if (st == ST_QUIT || r->out_closed) break;
    }
    sb_free(&in.buf);
}

static void script_loop(Repl *r)
{
    LineReader lr = {.fd = STDIN_FILENO};
    Input in = {.name = "<stdin>"};
    int st = ST_OK;
    char *line;
    int got;
    long lineno = 0;
    while ((got = lr_next(&lr, &line)) > 0) {
        lineno++;
        if (got == 2) {   /* a NUL byte: text, not SQL — say so rather than stop silently at it */
            free(line);
            print_error(r, "standard input, line %ld: a NUL byte (is this a binary file?)", lineno);
            r->had_error = true;
            st = ST_ERR;
            break;
        }
        /* A UTF-8 byte-order mark before the first statement (an editor's) is no SQL. */
        const char *text = lineno == 1 && strncmp(line, "\xEF\xBB\xBF", 3) == 0 ? line + 3 : line;
        st = feed_line(r, &in, text);
        free(line);
        jobs_poll(r);
        if (r->had_error && !r->continue_on_error) st = ST_ERR;
        if (st != ST_OK || g_sigint || g_sigterm || r->out_closed) break;
    }
    if (got == 0 && st == ST_OK && !g_sigint && !g_sigterm) {
        st = finish_input(r, &in);
        /* Like `eddy run`: jobs run until they finish or SIGINT/SIGTERM. */
        if (st == ST_OK && jobs_running(r)) {
            fprintf(stderr, "eddy: end of input; %d job%s running until SIGINT or SIGTERM\n", jobs_running(r),
                    jobs_running(r) == 1 ? "" : "s");
            while (jobs_running(r) && !g_sigint && !g_sigterm) {
                struct pollfd pf = {g_wake[0], POLLIN, 0};
                if (poll(&pf, 1, 500) > 0) drain_wake();
                jobs_poll(r);
            }
        }
    }
    free(lr.buf);
    sb_free(&in.buf);
}

/* ~/.eddyrc (unless --no-rc), then -i FILE: run before the prompt or the
 * script.  An error stops a script (its statements are not run); at the
 * prompt it is reported and the session goes on.  ST_QUIT when one of them
 * said quit, or a script should not go on. */
static int run_startup(Repl *r, const char *init, bool no_rc)
{
    const char *home = getenv("HOME");
    int st = ST_OK;
    if (!no_rc && home && *home) {
        StrBuf path = {0};
        sb_printf(&path, "%s/.eddyrc", home);
        if (access(path.s, F_OK) == 0) {
            fprintf(info_out(r), "%s%s: running %s (--no-rc skips it)%s\n", r->interactive ? c_dim(r) : "", r->interactive ? "Start-up" : "eddy",
                    path.s, r->interactive ? c_off(r) : "");
            st = run_file(r, path.s);
        }
        sb_free(&path);
    }
    if (st == ST_OK && init) st = run_file(r, init);
    if (st == ST_QUIT || (st == ST_ERR && !r->interactive)) return ST_QUIT;
    return ST_OK;
}

/* ------------------------------------------------------------------ */

typedef struct ReplOpts {
    const char *bootstrap;  /* --bootstrap */
    const char *registry;   /* --registry */
    bool        continue_on_error; /* --continue-on-error */
    bool        dev_broker; /* --dev-broker */
    const char *http;       /* --http HOST:PORT */
    const char *init;       /* -i/--init FILE: run before the prompt */
    bool        no_rc;      /* --no-rc: skip ~/.eddyrc */
} ReplOpts;

static const OptionDef repl_flags[] = {
    FLAG_BOOTSTRAP(ReplOpts, bootstrap, "on a terminal, a development broker in this process"),
    FLAG_REGISTRY(ReplOpts, registry),
    {.name = "continue-on-error", .type = OPT_BOOL, .to = {OPT_FIELD(ReplOpts, continue_on_error)},
     .doc = "in a script, run the remaining statements after an error (exit status 1)"},
    {.name = "dev-broker", .type = OPT_BOOL, .to = {OPT_FIELD(ReplOpts, dev_broker)},
     .doc = "start a development broker even when not on a terminal"},
    FLAG_HTTP(ReplOpts, http, "no HTTP endpoint"),
    {.name = "init", .letter = 'i', .type = OPT_STRING, .to = {OPT_FIELD(ReplOpts, init)}, .metavar = "FILE",
     .doc = "run FILE's statements before the prompt (or before the script on stdin)"},
    {.name = "no-rc", .type = OPT_BOOL, .to = {OPT_FIELD(ReplOpts, no_rc)}, .doc = "do not run ~/.eddyrc at start"},
    {0},
};

const CmdSpec shell_cmd = {
    .name = "", .flags = repl_flags, .main = repl_main,
    .summary = "the SQL shell; runs a script from stdin when it is not a terminal",
    .about = "On a terminal, the SQL shell.  With standard input not a terminal (eddy < FILE.sql),\n"
             "runs the script: plain output, stops at the first error.",
};

int repl_main(int argc, char **argv)
{
    ReplOpts o = {0};
    FlagArgs args;
    int prc = flags_parse(&shell_cmd, &o, argc, argv, &args);
    if (prc >= 0) return prc;
    char err[512];
    setlocale(LC_CTYPE, "");
    if (strcmp(nl_langinfo(CODESET), "UTF-8") == 0) g_ellipsis = "\xe2\x80\xa6";

    Repl repl = {0}, *r = &repl;
    r->interactive = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
    r->color = r->interactive && !getenv("NO_COLOR") && isatty(STDERR_FILENO);
    r->continue_on_error = o.continue_on_error;
    pthread_mutex_init(&r->live_mu, NULL);
    install_signals();
    r->e = eddy_engine_new();
    if (!r->e) {
        fputs("eddy: out of memory\n", stderr);
        pthread_mutex_destroy(&r->live_mu);
        return 1;
    }
    if (o.registry && eddy_engine_set_registry(r->e, o.registry) != EDDY_OK) {
        fprintf(stderr, "eddy: schema registry '%s' is not an http:// or https:// URL\n", o.registry);
        eddy_engine_free(r->e);
        pthread_mutex_destroy(&r->live_mu);
        return 2;
    }
    const char *from = flags_from_env(&shell_cmd, &args, "bootstrap") ? "EDDY_BOOTSTRAP" : "--bootstrap";
    r->bootstrap = o.bootstrap;
    if (!r->bootstrap && (r->interactive || o.dev_broker)) {
        sigset_t old;
        block_async_signals(&old);
        int brc = eddy_broker_start(1, 4, &r->broker, err, sizeof err);
        restore_signals(&old);
        if (brc) {
            fprintf(stderr, "eddy: cannot start the development broker: %s\n", err);
        } else {
            r->bootstrap = eddy_broker_bootstrap(r->broker);
            from = NULL;
        }
    }
    if (o.http) {
        if (eddy_monitor_start(o.http, &r->monitor, err, sizeof err)) {
            fprintf(stderr, "eddy: --http: %s\n", err);
            jobs_free(r);
            eddy_engine_free(r->e);
            eddy_broker_free(r->broker);
            pthread_mutex_destroy(&r->live_mu);
            return 2;
        }
        fprintf(r->interactive ? stdout : stderr, "%sjobs are shown at %s (Prometheus metrics at %smetrics, health at %shealthz)\n",
                r->interactive ? "Monitoring: " : "eddy: ", eddy_monitor_url(r->monitor), eddy_monitor_url(r->monitor),
                eddy_monitor_url(r->monitor));
    }
    if (r->interactive) {
        printf("eddy %s: Flink SQL over Kafka. Statements end with ';'. Type 'help' for help, 'quit' or Ctrl-D to leave.\n",
               eddy_version());
        if (r->broker)
            printf("Kafka: a development broker started in this process at %s (in memory: it stops when you quit).\n"
                   "       Sample orders: eddy gen orders --topic orders_raw --rate 20 --bootstrap %s\n",
                   r->bootstrap, r->bootstrap);
        else if (r->bootstrap)
            printf("Kafka: %s (%s)\n", r->bootstrap, from);
        else
            puts("Kafka: none (use --bootstrap, EDDY_BOOTSTRAP or SET 'properties.bootstrap.servers').");
        if (o.registry) printf("Schema Registry: %s\n", o.registry);
        edit_init(r);
        if (run_startup(r, o.init, o.no_rc) == ST_OK && !r->out_closed) interactive_loop(r);
    } else {
        if (r->broker) fprintf(stderr, "eddy: development broker at %s\n", r->bootstrap);
        if (run_startup(r, o.init, o.no_rc) == ST_OK && !r->out_closed) script_loop(r);
    }
    jobs_stop_all(r);
    jobs_free(r);
    eddy_monitor_free(r->monitor);
    edit_end(r);
    strlist_free(&r->tables_before);
    strlist_free(&r->settings);
    strlist_free(&r->setting_keys);
    sb_free(&r->set_sql);   /* a statement set never ended runs nothing */
    sb_free(&r->typeahead);
    eddy_engine_free(r->e);
    eddy_broker_free(r->broker);
    pthread_mutex_destroy(&r->live_mu);
    fflush(stdout);
    for (int i = 0; i < 2; i++)
        if (g_wake[i] >= 0) close(g_wake[i]);
    g_wake[0] = g_wake[1] = -1;
    return r->had_error && !r->interactive ? 1 : 0;
}

