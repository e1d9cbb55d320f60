/*
 * repl_edit.c — the shell's line editor (libedit): the prompt, reading
 * keys while jobs may end in the background, history in ~/.eddy_history,
 * and Tab completion of keywords, functions, tables and columns, and of
 * SET keys and WITH options inside quotes.  What the text before the cursor
 * means comes from the library (eddy_completion_scan); the words from the
 * session's catalog (eddy_table*) and the library's names (eddy_names).
 * What does not live here: running what was typed (repl.c).
 */
#include "repl_shared.h"

#include <ctype.h>
#include <errno.h>
#include <histedit.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>
#include <wchar.h>

/* ------------------------------------------------------------------ */
/* Completion words: the catalog cache, and the library's names         */

static void catalog_clear(Repl *r)
{
    for (int i = 0; i < r->ntables; i++) {
        free(r->tables[i].name);
        strlist_free(&r->tables[i].cols);
    }
    free(r->tables);
    r->tables = NULL;
    r->ntables = 0;
}

static void catalog_refresh(Repl *r)
{
    catalog_clear(r);
    r->catalog_dirty = false;
    int n = eddy_table_count(r->e);
    r->tables = xcalloc((size_t)n, sizeof *r->tables);
    for (int i = 0; i < n; i++) {
        eddy_table_info t;
        if (eddy_table(r->e, i, &t) != EDDY_OK) continue;
        TableInfo *ti = &r->tables[r->ntables++];
        ti->name = str_dup(t.name);
        for (int c = 0; c < t.ncols; c++) {
            eddy_column col;
            if (eddy_table_column(r->e, i, c, &col) == EDDY_OK) strlist_add(&ti->cols, col.name);
        }
    }
}

static void add_word(void *ctx, const char *name)
{
    StrList *l = ctx;
    if (!strlist_has(l, name)) strlist_add(l, name);
}

/* Completion words that come from the engine's own tables. */
static void words_init(Repl *r)
{
    eddy_names(EDDY_NAMES_TABLE_OPTIONS, add_word, &r->with_keys);
    eddy_names(EDDY_NAMES_SETTINGS, add_word, &r->set_keys);
    if (strlist_has(&r->set_keys, "properties.")) strlist_add(&r->set_keys, "properties.bootstrap.servers");
    eddy_names(EDDY_NAMES_FUNCTIONS, add_word, &r->funcs);
}

/* ------------------------------------------------------------------ */
/* The prompt and the keys                                              */

static char *prompt_fn(EditLine *el)
{
    Repl *r;
    el_get(el, EL_CLIENTDATA, &r);
    return r->cont ? "   -> " : "eddy> ";
}

/* libedit's input: one character, waiting on the terminal and on the
 * wake-up pipe, so that Ctrl-C ends the wait (returns -1). */
static int getc_fn(EditLine *el, wchar_t *wc)
{
    mbstate_t mbs;
    memset(&mbs, 0, sizeof mbs);
    for (;;) {
        if (g_sigint || g_sigterm) return -1;
        if (g_winch) {
            g_winch = 0;
            el_resize(el);
        }
        struct pollfd pf[2] = {{STDIN_FILENO, POLLIN, 0}, {g_wake[0], POLLIN, 0}};
        int n = poll(pf, 2, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (pf[1].revents & POLLIN) {
            drain_wake();
            Repl *r;
            el_get(el, EL_CLIENTDATA, &r);
            if (jobs_ended(r)) {   /* a job ended while the prompt waits: say so now, then redraw */
                fputc('\n', stdout);
                fflush(stdout);
                jobs_poll(r);
                el_set(el, EL_REFRESH);
            }
        }
        if (g_sigint || g_sigterm) return -1;   /* keys typed after Ctrl-C belong to the next line */
        if (!(pf[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        unsigned char c;
        ssize_t k = read(STDIN_FILENO, &c, 1);
        if (k == 0) return 0;
        if (k < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            return -1;
        }
        size_t m = mbrtowc(wc, (const char *)&c, 1, &mbs);
        if (m == (size_t)-2) continue;   /* the rest of a multi-byte character follows */
        if (m == (size_t)-1) {
            memset(&mbs, 0, sizeof mbs);
            *wc = (wchar_t)c;
        }
        return 1;
    }
}

/* ------------------------------------------------------------------ */
/* Tab completion                                                       */

static const char *const sql_keywords[] = {
    "SELECT", "FROM", "WHERE", "GROUP", "BY", "HAVING", "LIMIT", "AS", "AND", "OR", "NOT", "NULL", "IS", "IN",
    "BETWEEN", "LIKE", "CASE", "WHEN", "THEN", "ELSE", "END", "CAST", "TRY_CAST", "DISTINCT", "ALL", "UNION", "CREATE",
    "TABLE", "DROP", "IF", "EXISTS", "INSERT", "INTO", "PRIMARY", "KEY", "ENFORCED", "WITH", "WATERMARK", "FOR",
    "TRUE", "FALSE", "SET", "RESET", "SHOW", "TABLES", "DESCRIBE", "EXPLAIN", "INTERVAL", "DATE", "TIMESTAMP",
    "METADATA", "VIRTUAL", "LOCAL", "TIME", "ZONE", "JOBS", "JOB", "STOP", "BOTH", "LEADING", "TRAILING",
    "BOOLEAN", "TINYINT", "SMALLINT", "INT", "INTEGER", "BIGINT", "FLOAT", "DOUBLE", "DECIMAL", "STRING",
    "VARCHAR", "CHAR", "BYTES", "TIMESTAMP_LTZ", "SECOND", "MINUTE", "HOUR", "DAY",
};

static bool needs_quotes(const char *name)
{
    if (!(isalpha((unsigned char)name[0]) || name[0] == '_')) return true;
    for (const char *p = name; *p; p++)
        if (!is_ident_char((unsigned char)*p)) return true;
    for (size_t i = 0; i < sizeof sql_keywords / sizeof sql_keywords[0]; i++)
        if (strcasecmp(sql_keywords[i], name) == 0) return true;
    return false;
}

static void add_candidate(StrList *c, const char *word, const char *prefix, size_t plen, bool lower, bool quote_ident)
{
    if (strncasecmp(word, prefix, plen) != 0) return;
    StrBuf b = {0};
    if (quote_ident && needs_quotes(word)) {
        sb_putc(&b, '`');
        for (const char *p = word; *p; p++) {
            if (*p == '`') sb_putc(&b, '`');
            sb_putc(&b, *p);
        }
        sb_putc(&b, '`');
        if (plen) {   /* a quoted name does not continue what was typed */
            sb_free(&b);
            return;
        }
    } else {
        for (const char *p = word; *p; p++) sb_putc(&b, lower ? (char)tolower((unsigned char)*p) : *p);
    }
    if (!strlist_has(c, b.s)) strlist_add(c, b.s);
    sb_free(&b);
}

static int cmp_ci(const void *a, const void *b) { return strcasecmp(*(char *const *)a, *(char *const *)b); }

static void show_candidates(const StrList *c)
{
    int trows, tcols, w = 0;
    term_size(&trows, &tcols);
    for (int i = 0; i < c->n; i++) {
        int n = text_cols(c->v[i], strlen(c->v[i]));
        if (n > w) w = n;
    }
    int per = tcols / (w + 2);
    if (per < 1) per = 1;
    fputc('\n', stdout);
    for (int i = 0; i < c->n; i++) {
        fprintf(stdout, "%-*s%s", w + 2, c->v[i], (i % per == per - 1 || i == c->n - 1) ? "\n" : "");
    }
    fflush(stdout);
}

static bool mentions(const eddy_completion *cx, const char *name)
{
    for (int i = 0; i < cx->nidents; i++)
        if (strcmp(cx->idents[i], name) == 0) return true;
    return false;
}

/* Tab: keywords, functions, tables and columns; SET keys and WITH options
 * inside quotes.  One match is inserted; several are narrowed to their
 * common prefix, else listed. */
static unsigned char complete_fn(EditLine *el, int ch)
{
    (void)ch;
    Repl *r;
    el_get(el, EL_CLIENTDATA, &r);
    const LineInfo *li = el_line(el);
    size_t before = (size_t)(li->cursor - li->buffer);
    StrBuf ctx = {0};
    if (r->pending) sb_puts(&ctx, r->pending);
    sb_putn(&ctx, li->buffer, before);
    sb_putc(&ctx, 0);
    ctx.len--;
    size_t end = ctx.len, st = end;
    while (st > 0 && (is_ident_char((unsigned char)ctx.s[st - 1]) || ctx.s[st - 1] == '.' || ctx.s[st - 1] == '-')) st--;
    bool quoted = st > 0 && ctx.s[st - 1] == '\'';
    if (!quoted) {
        st = end;
        while (st > 0 && is_ident_char((unsigned char)ctx.s[st - 1])) st--;
    }
    const char *prefix = ctx.s + st;
    size_t plen = end - st;
    if (r->catalog_dirty) catalog_refresh(r);
    eddy_completion cx;
    eddy_completion_scan(ctx.s, quoted ? st - 1 : st, &cx);
    bool lower = false, upper = false;
    for (size_t i = 0; i < plen; i++) {
        lower = lower || islower((unsigned char)prefix[i]);
        upper = upper || isupper((unsigned char)prefix[i]);
    }
    lower = lower && !upper;
    StrList c = {0};
    const char *suffix = quoted ? "'" : " ";
    bool dotted = !quoted && st > 0 && ctx.s[st - 1] == '.';
    if (quoted) {
        const StrList *keys = cx.set_statement ? &r->set_keys : cx.with_clause ? &r->with_keys : NULL;
        for (int i = 0; keys && i < keys->n; i++) add_candidate(&c, keys->v[i], prefix, plen, false, false);
    } else if (cx.table_next) {
        for (int i = 0; i < r->ntables; i++) add_candidate(&c, r->tables[i].name, prefix, plen, false, true);
    } else {
        bool mentioned = false;
        for (int i = 0; i < r->ntables; i++)
            if (mentions(&cx, r->tables[i].name)) mentioned = true;
        for (int i = 0; i < r->ntables; i++)
            if (!mentioned || mentions(&cx, r->tables[i].name))
                for (int k = 0; k < r->tables[i].cols.n; k++) add_candidate(&c, r->tables[i].cols.v[k], prefix, plen, false, true);
        /* Nothing typed yet in an expression: the columns are what one wants to see. */
        bool columns_only = plen == 0 && c.n > 0 && !cx.statement_start;
        if (!dotted && !columns_only) {
            for (int i = 0; i < r->ntables; i++) add_candidate(&c, r->tables[i].name, prefix, plen, false, true);
            if (!cx.statement_start) {
                for (int i = 0; i < r->funcs.n; i++) add_candidate(&c, r->funcs.v[i], prefix, plen, lower, false);
            } else {
                static const char *const meta[] = {"help", "quit", "exit", "source"};
                for (size_t i = 0; i < sizeof meta / sizeof meta[0]; i++)
                    add_candidate(&c, meta[i], prefix, plen, !upper, false);
            }
            for (size_t i = 0; i < sizeof sql_keywords / sizeof sql_keywords[0]; i++)
                add_candidate(&c, sql_keywords[i], prefix, plen, lower, false);
        }
    }
    eddy_completion_free(&cx);
    unsigned char res;
    if (c.n == 0) {
        res = CC_REFRESH_BEEP;
    } else if (c.n == 1) {
        el_deletestr(el, (int)plen);
        StrBuf ins = {0};
        sb_puts(&ins, c.v[0]);
        bool func = false;
        for (int i = 0; i < r->funcs.n && !quoted; i++) func = func || strcasecmp(r->funcs.v[i], c.v[0]) == 0;
        bool kw = false;
        for (size_t i = 0; i < sizeof sql_keywords / sizeof sql_keywords[0]; i++) kw = kw || strcasecmp(sql_keywords[i], c.v[0]) == 0;
        sb_puts(&ins, func && !kw ? "(" : suffix);
        el_insertstr(el, ins.s);
        sb_free(&ins);
        res = CC_REFRESH;
    } else {
        qsort(c.v, (size_t)c.n, sizeof *c.v, cmp_ci);
        size_t common = strlen(c.v[0]);
        for (int i = 1; i < c.n; i++) {
            size_t k = 0;
            while (k < common && c.v[i][k] && tolower((unsigned char)c.v[i][k]) == tolower((unsigned char)c.v[0][k])) k++;
            common = k;
        }
        if (common > plen) {
            el_deletestr(el, (int)plen);
            char *ins = strndup(c.v[0], common);
            if (!ins) abort();
            el_insertstr(el, ins);
            free(ins);
            res = CC_REFRESH;
        } else {
            show_candidates(&c);
            res = CC_REDISPLAY;
        }
    }
    strlist_free(&c);
    sb_free(&ctx);
    return res;
}

/* ------------------------------------------------------------------ */
/* History, and the editor's life                                       */

void edit_history_add(Repl *r, const char *text)
{
    if (!r->hist) return;
    char *copy = str_dup(text);
    char *s = trim(copy, false);
    if (!*s) {
        free(copy);
        return;
    }
    /* One entry, on one line when it has no -- comment that joining would break. */
    if (!strstr(s, "--")) {
        char *o = s;
        for (char *p = s; *p; p++) {
            if (*p == '\n' || *p == '\r' || *p == '\t') {
                while (o > s && o[-1] == ' ') o--;
                *o++ = ' ';
                while (isspace((unsigned char)p[1])) p++;
            } else {
                *o++ = *p;
            }
        }
        *o = 0;
    }
    HistEvent ev;
    history(r->hist, &ev, H_ENTER, s);
    if (r->histfile) {
        history(r->hist, &ev, H_SAVE, r->histfile);
        chmod(r->histfile, 0600);
    }
    free(copy);
}

void edit_init(Repl *r)
{
    words_init(r);
    r->hist = history_init();
    HistEvent ev;
    history(r->hist, &ev, H_SETSIZE, 2000);
    history(r->hist, &ev, H_SETUNIQUE, 1);
    const char *home = getenv("HOME");
    if (home && *home) {
        size_t n = strlen(home) + 32;
        r->histfile = xcalloc(n, 1);
        snprintf(r->histfile, n, "%s/.eddy_history", home);
        history(r->hist, &ev, H_LOAD, r->histfile);
    }
    r->el = el_init("eddy", stdin, stdout, stderr);
    el_set(r->el, EL_CLIENTDATA, r);
    el_set(r->el, EL_EDITOR, "emacs");
    el_set(r->el, EL_PROMPT, prompt_fn);
    el_set(r->el, EL_HIST, history, r->hist);
    el_set(r->el, EL_GETCFN, getc_fn);
    /* The wide call stores the names as given (the narrow one copies them and never frees the copies). */
    el_wset(r->el, EL_ADDFN, L"eddy-complete", L"complete a keyword, table or column", complete_fn);
    el_set(r->el, EL_BIND, "^I", "eddy-complete", NULL);
    if (home && *home) el_source(r->el, NULL);   /* ~/.editrc, as other libedit programs */
}

void edit_end(Repl *r)
{
    if (r->el) el_end(r->el);
    if (r->hist) history_end(r->hist);
    free(r->histfile);
    catalog_clear(r);
    strlist_free(&r->set_keys);
    strlist_free(&r->with_keys);
    strlist_free(&r->funcs);
}

char *edit_gets(Repl *r)
{
    /* libedit switches the terminal to raw mode only once the prompt is
     * out: keys typed in between would be echoed twice, and a Ctrl-D
     * eaten by the line discipline.  So the terminal is put in libedit's
     * kind of mode (no echo, byte by byte, signals kept) first. */
    struct termios cooked;
    bool raw = false;
    if (tcgetattr(STDIN_FILENO, &cooked) == 0) {
        struct termios t = cooked;
        t.c_lflag &= ~(tcflag_t)(ECHO | ICANON | IEXTEN);
        t.c_cc[VMIN] = 1;
        t.c_cc[VTIME] = 0;
        tcsetattr(STDIN_FILENO, TCSANOW, &t);
        raw = true;
    }
    if (r->typeahead.len) {   /* keys typed while a query ran: as if typed now */
        sb_putc(&r->typeahead, 0);
        el_push(r->el, r->typeahead.s);
        sb_free(&r->typeahead);
    }
    int n = 0;
    const char *line = el_gets(r->el, &n);
    if (raw) tcsetattr(STDIN_FILENO, TCSANOW, &cooked);   /* libedit restored its idea of cooked mode; make it exactly ours */
    if (!line) return NULL;
    char *copy = str_dup(line);
    size_t len = strlen(copy);
    while (len && (copy[len - 1] == '\n' || copy[len - 1] == '\r')) copy[--len] = 0;
    return copy;
}
