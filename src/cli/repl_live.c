/*
 * repl_live.c — a bare SELECT in the shell: a continuous query whose
 * result is shown as it changes, until its input ends, its LIMIT is
 * reached, or Ctrl-C or q.  Three result modes (SET
 * 'sql-client.execution.result-mode'): a table refreshed in place (on a
 * terminal; rows identified by the query's unique key, or by all their
 * values when the result updates without one), the changelog (+I[…] lines,
 * also every pipe), and a tableau grid with an op column.
 *
 * In table mode the status line ticks twice a second (time, records read)
 * even while no row comes; when the query ends, a table longer than the
 * screen goes through the pager (repl_pager.c).  Keys other than q typed
 * while the query runs, and every key after Ctrl-C or q, are kept for the
 * next prompt (Repl.typeahead; after the stop they stay in the terminal).
 *
 * Running jobs' notices ("waiting for topic …") go to the table's status
 * line while a table is shown, so that nothing shifts the screen under
 * it; otherwise to stderr (live_notice).
 */
#include "repl_shared.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define RESULT_MAX_ROWS 100000   /* table mode keeps at most this many rows (oldest dropped first) */
#define CELL_MAX_COLS   40       /* table mode: widest column, in terminal columns */

typedef enum ResultMode {
    RM_TABLE,             /* a table refreshed in place (terminal only) */
    RM_CHANGELOG,         /* +I[…] lines, one per change (also every pipe) */
    RM_TABLEAU,           /* rows in a grid as they arrive, with the op column */
} ResultMode;

typedef struct ResRow {
    char  *key;           /* identity: the unique key's values, or the whole row */
    char **cells;         /* printed values */
    bool   live;          /* false once deleted (compacted away later) */
} ResRow;

struct Query {
    Repl            *r;       /* the session */
    ResultMode       mode;    /* how rows are shown */
    int              ncols;   /* result width */
    const char     **names;   /* column names (the plan's) */
    bool            *keycol;  /* per column: part of the unique key */
    bool            *right;   /* per column: right-aligned (numbers) */
    int             *widths;  /* tableau: per column width */
    long long        limit;   /* LIMIT, or -1 */
    eddy_job        *job;     /* the query's job */
    const char      *bootstrap; /* for eddy_job_run */
    volatile int     stop;    /* set to end the query */
    int              done;    /* set (atomically) when eddy_job_run returned */
    int              rc;      /* its result */
    pthread_mutex_t  mu;      /* guards everything below, and stdout while the query runs */
    int64_t          nchanges;/* changes received (what LIMIT counts) */
    bool             limit_hit; /* LIMIT reached */
    bool             keyed;   /* table mode: rows identified by the query's unique key */
    bool             multiset;/* table mode: updating without a key: rows identified by all values */
    ResRow          *rows;    /* table mode: the result, in arrival order */
    int              nrows;   /* used entries (live or not) */
    int              caprows; /* capacity */
    int              nlive;   /* live rows */
    int              first_live; /* no live row before this index */
    int             *slots;   /* hash of keys: row index + 1, 0 = empty */
    int              nslots;  /* power of two */
    int              nused;   /* occupied slots */
    bool             dirty;   /* changed since the last draw */
    int              drawn;   /* lines the last draw left on the screen */
    int64_t          last_draw; /* when (mono_ms) */
    int64_t          t0;      /* start time (ms) */
    char             note[160]; /* table mode: the latest notice of a job, until rows flow */
    StrBuf           notices; /* table mode: every notice, "eddy: …" lines, shown after the table if still relevant */
};

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static void row_clear(ResRow *row, int ncols)
{
    for (int c = 0; c < ncols; c++) free(row->cells[c]);
    free(row->cells);
    free(row->key);
    row->cells = NULL;
    row->key = NULL;
    row->live = false;
}

/* Drops deleted rows (keeping order) and rebuilds the key hash. */
static void table_rehash(Query *q)
{
    int n = 0;
    for (int i = 0; i < q->nrows; i++) {
        if (q->rows[i].live) q->rows[n++] = q->rows[i];
        else row_clear(&q->rows[i], q->ncols);
    }
    q->nrows = n;
    q->first_live = 0;
    if (!q->keyed && !q->multiset) return;
    int want = 64;
    while (want < 4 * (n + 1)) want *= 2;
    free(q->slots);
    q->slots = xcalloc((size_t)want, sizeof *q->slots);
    q->nslots = want;
    q->nused = 0;
    for (int i = 0; i < n; i++) {
        size_t m = (size_t)want - 1, h = (size_t)hash_str(q->rows[i].key) & m;
        while (q->slots[h]) h = (h + 1) & m;
        q->slots[h] = i + 1;
        q->nused++;
    }
}

static int table_find(const Query *q, const char *key)
{
    if (!q->nslots) return -1;
    size_t m = (size_t)q->nslots - 1, h = (size_t)hash_str(key) & m;
    for (; q->slots[h]; h = (h + 1) & m) {
        const ResRow *row = &q->rows[q->slots[h] - 1];
        if (row->live && strcmp(row->key, key) == 0) return q->slots[h] - 1;
    }
    return -1;
}

static void table_kill(Query *q, int i)
{
    row_clear(&q->rows[i], q->ncols);
    q->nlive--;
    int dead = q->nrows - q->nlive;
    if (dead > 1024 && dead > q->nlive) table_rehash(q);
}

static void table_append(Query *q, char *key, char **cells)
{
    if ((q->keyed || q->multiset) && 2 * (q->nused + 1) > q->nslots) table_rehash(q);
    if (q->nrows == q->caprows) {
        q->caprows = q->caprows ? 2 * q->caprows : 64;
        q->rows = xrealloc(q->rows, sizeof *q->rows * (size_t)q->caprows);
    }
    int i = q->nrows++;
    q->rows[i] = (ResRow){key, cells, true};
    q->nlive++;
    if (q->keyed || q->multiset) {
        size_t m = (size_t)q->nslots - 1, h = (size_t)hash_str(key) & m;
        while (q->slots[h]) h = (h + 1) & m;
        q->slots[h] = i + 1;
        q->nused++;
    }
    while (q->nlive > RESULT_MAX_ROWS) {
        while (!q->rows[q->first_live].live) q->first_live++;
        table_kill(q, q->first_live);
    }
}

/* Applies one change ("+I", "-U", "+U" or "-D") to the materialised result (table mode). */
static void table_apply(Query *q, const char *kind, char *key, char **cells)
{
    bool add = kind[0] == '+';
    if (q->keyed) {
        int at = table_find(q, key);
        bool del = strcmp(kind, "-D") == 0;
        if (strcmp(kind, "-U") == 0 || (del && at < 0)) goto drop;   /* the +U that follows replaces it */
        if (del) {
            table_kill(q, at);
            goto drop;
        }
        if (at >= 0) {
            ResRow *row = &q->rows[at];
            for (int c = 0; c < q->ncols; c++) free(row->cells[c]);
            free(row->cells);
            row->cells = cells;
            free(key);
            return;
        }
        table_append(q, key, cells);
        return;
    }
    if (add) {
        table_append(q, key, cells);
        return;
    }
    int at = table_find(q, key);
    if (at >= 0) table_kill(q, at);
drop:
    for (int c = 0; c < q->ncols; c++) free(cells[c]);
    free(cells);
    free(key);
}

/* The status line's live part: records the job has read so far. */
static void status_counts(Query *q, StrBuf *b)
{
    if (!q->job) return;
    eddy_job_stats st;
    eddy_job_get_stats(q->job, &st);
    char a[32];
    sb_printf(b, ", %s record%s read", group_digits(a, sizeof a, st.records_in), st.records_in == 1 ? "" : "s");
}

/* The table (header, rule, at most maxrows live rows, the status line) in
 * out, each line cut to tcols - 1 columns.  Returns its lines. */
static int table_render(Query *q, StrBuf *out, int maxrows, int tcols, const char *status)
{
    int shown = q->nlive < maxrows ? q->nlive : maxrows;
    if (shown < q->nlive && shown > 1) shown--;   /* room for "... more rows" */
    int *w = xcalloc((size_t)q->ncols, sizeof *w);
    for (int c = 0; c < q->ncols; c++) w[c] = text_cols(q->names[c], strlen(q->names[c]));
    int seen = 0;
    for (int i = q->first_live; i < q->nrows && seen < shown; i++) {
        if (!q->rows[i].live) continue;
        seen++;
        for (int c = 0; c < q->ncols; c++) {
            int cw = text_cols(q->rows[i].cells[c], strlen(q->rows[i].cells[c]));
            if (cw > w[c]) w[c] = cw;
        }
    }
    for (int c = 0; c < q->ncols; c++)
        if (w[c] > CELL_MAX_COLS) w[c] = CELL_MAX_COLS;
    StrBuf line = {0};
    int nlines = 0;
    for (int c = 0; c < q->ncols; c++) {
        sb_puts(&line, c ? " | " : " ");
        put_fit(&line, q->names[c], strlen(q->names[c]), w[c], q->right[c]);
    }
    put_line(out, line.s, line.len, tcols - 1);
    nlines++;
    line.len = 0;
    for (int c = 0; c < q->ncols; c++) {
        sb_puts(&line, c ? "-+-" : "-");
        for (int k = 0; k < w[c]; k++) sb_putc(&line, '-');
    }
    sb_putc(&line, '-');
    put_line(out, line.s, line.len, tcols - 1);
    nlines++;
    seen = 0;
    for (int i = q->first_live; i < q->nrows && seen < shown; i++) {
        if (!q->rows[i].live) continue;
        seen++;
        line.len = 0;
        for (int c = 0; c < q->ncols; c++) {
            sb_puts(&line, c ? " | " : " ");
            put_fit(&line, q->rows[i].cells[c], strlen(q->rows[i].cells[c]), w[c], q->right[c]);
        }
        put_line(out, line.s, line.len, tcols - 1);
        nlines++;
    }
    line.len = 0;
    char a[32], b[32];
    if (shown < q->nlive) sb_printf(&line, "(%s more rows not shown) ", group_digits(a, sizeof a, q->nlive - shown));
    sb_printf(&line, "(%s row%s, %s change%s, %.1f s", group_digits(a, sizeof a, q->nlive), q->nlive == 1 ? "" : "s",
              group_digits(b, sizeof b, q->nchanges), q->nchanges == 1 ? "" : "s", (double)(mono_ms() - q->t0) / 1000.0);
    status_counts(q, &line);
    sb_printf(&line, "%s%s)%s%s", status ? "; " : "", status ? status : "", q->note[0] ? " " : "", q->note);
    sb_puts(out, c_dim(q->r));   /* cut first, then colour: the cut must not drop the colour's end */
    if (text_cols(line.s, line.len) <= tcols - 1) sb_putn(out, line.s, line.len);
    else put_fit(out, line.s, line.len, tcols - 1, false);
    sb_puts(out, c_off(q->r));
    sb_putc(out, '\n');
    nlines++;
    sb_free(&line);
    free(w);
    return nlines;
}

/* Redraws the live table in place, as much of it as the screen holds. */
static void table_draw(Query *q, const char *status)
{
    int trows, tcols;
    term_size(&trows, &tcols);
    int maxrows = trows - 4;
    if (maxrows < 1) maxrows = 1;
    StrBuf out = {0};
    if (q->drawn) sb_printf(&out, "\r\033[%dA\033[J", q->drawn);
    int nlines = table_render(q, &out, maxrows, tcols, status);
    fputs(out.s, stdout);
    fflush(stdout);
    q->drawn = nlines;
    q->dirty = false;
    q->last_draw = mono_ms();
    sb_free(&out);
}

/* The query has ended: the whole table in place of the live one — through
 * the pager when it is longer than the screen (repl_pager.c). */
static void table_final(Query *q, const char *status)
{
    int trows, tcols;
    term_size(&trows, &tcols);
    if (q->nlive <= trows - 4 || q->nlive <= 1) {
        table_draw(q, status);
        return;
    }
    if (q->drawn) {
        printf("\r\033[%dA\033[J", q->drawn);
        q->drawn = 0;
    }
    StrBuf out = {0};
    table_render(q, &out, q->nlive, tcols, status);
    pager_show(q->r, out.s, out.len);
    sb_free(&out);
}

/* Tableau column widths, Flink-like: wide enough for the type's values. */
static int type_width(const eddy_column *c)
{
    switch (c->type) {
    case EDDY_TYPE_BOOLEAN: return 5;
    case EDDY_TYPE_TINYINT: return 4;
    case EDDY_TYPE_SMALLINT: return 6;
    case EDDY_TYPE_INT: return 11;
    case EDDY_TYPE_BIGINT: return 20;
    case EDDY_TYPE_FLOAT:
    case EDDY_TYPE_DOUBLE: return 14;
    case EDDY_TYPE_DECIMAL: return c->precision + 2;
    case EDDY_TYPE_DATE: return 10;
    case EDDY_TYPE_TIMESTAMP:
    case EDDY_TYPE_TIMESTAMP_LTZ: return 20 + c->precision;
    case EDDY_TYPE_STRING:
    case EDDY_TYPE_BYTES: return c->length > 0 && c->length < 30 ? c->length : 20;
    default: return 10;
    }
}

static bool type_is_numeric(eddy_type t)
{
    return t == EDDY_TYPE_TINYINT || t == EDDY_TYPE_SMALLINT || t == EDDY_TYPE_INT || t == EDDY_TYPE_BIGINT ||
           t == EDDY_TYPE_FLOAT || t == EDDY_TYPE_DOUBLE || t == EDDY_TYPE_DECIMAL;
}

static void tableau_rule(Query *q, StrBuf *b)
{
    sb_puts(b, "+----+");
    for (int c = 0; c < q->ncols; c++) {
        for (int k = 0; k < q->widths[c] + 2; k++) sb_putc(b, '-');
        sb_putc(b, '+');
    }
    sb_putc(b, '\n');
}

static void tableau_header(Query *q)
{
    StrBuf b = {0};
    tableau_rule(q, &b);
    sb_puts(&b, "| op |");
    for (int c = 0; c < q->ncols; c++) {
        sb_putc(&b, ' ');
        put_fit(&b, q->names[c], strlen(q->names[c]), q->widths[c], q->right[c]);
        sb_puts(&b, " |");
    }
    sb_putc(&b, '\n');
    tableau_rule(q, &b);
    fputs(b.s, stdout);
    fflush(stdout);
    sb_free(&b);
}

/* Printed values (NULL for SQL NULL), with control characters made
 * harmless for a terminal. */
static char **row_cells(const eddy_change *ch)
{
    char **cells = xcalloc((size_t)ch->ncols, sizeof *cells);
    for (int c = 0; c < ch->ncols; c++) {
        cells[c] = str_dup(ch->values[c] ? ch->values[c] : "NULL");
        for (char *p = cells[c]; *p; p++)
            if ((unsigned char)*p < 0x20) *p = ' ';
    }
    return cells;
}

/* Identity of a row in the materialised result. */
static char *row_key(const Query *q, const eddy_change *ch, char **cells)
{
    StrBuf k = {0};
    for (int c = 0; c < q->ncols && (q->keyed || q->multiset); c++) {
        if (q->keyed && !q->keycol[c]) continue;
        sb_putc(&k, ch->values[c] ? '\2' : '\1');
        sb_puts(&k, cells[c]);
        sb_putc(&k, '\x1f');
    }
    return sb_take(&k);
}

/* Called on the query's thread for each change of the result. */
static void query_row(void *ctx, const eddy_change *ch)
{
    Query *q = ctx;
    pthread_mutex_lock(&q->mu);
    if (q->limit >= 0 && q->nchanges >= q->limit) {
        q->stop = 1;
        pthread_mutex_unlock(&q->mu);
        return;
    }
    q->nchanges++;
    if (q->mode == RM_CHANGELOG) {
        printf("%s\n", ch->text);
    } else if (q->mode == RM_TABLEAU) {
        char **cells = row_cells(ch);
        StrBuf b = {0};
        sb_printf(&b, "| %s |", ch->kind);
        for (int c = 0; c < ch->ncols; c++) {
            sb_putc(&b, ' ');
            put_fit(&b, cells[c], strlen(cells[c]), q->widths[c], q->right[c]);
            sb_puts(&b, " |");
            free(cells[c]);
        }
        free(cells);
        sb_putc(&b, '\n');
        fputs(b.s, stdout);
        sb_free(&b);
    } else {
        char **cells = row_cells(ch);
        table_apply(q, ch->kind, row_key(q, ch, cells), cells);
        q->dirty = true;
        q->note[0] = 0;   /* rows flow: whatever the job was waiting for has come */
    }
    if (q->limit >= 0 && q->nchanges >= q->limit) {
        q->limit_hit = true;
        q->stop = 1;
    }
    pthread_mutex_unlock(&q->mu);
}

void live_notice(void *ctx, const char *msg)
{
    Repl *r = ctx;
    pthread_mutex_lock(&r->live_mu);
    Query *q = r->live;
    if (q) {
        pthread_mutex_lock(&q->mu);
        sb_printf(&q->notices, "eddy: %s\n", msg);
        snprintf(q->note, sizeof q->note, "%s", msg);
        for (char *p = q->note; *p; p++)
            if ((unsigned char)*p < 0x20) *p = ' ';
        q->dirty = true;
        pthread_mutex_unlock(&q->mu);
    } else {
        fprintf(stderr, "eddy: %s\n", msg);
    }
    pthread_mutex_unlock(&r->live_mu);
}

/* A line of a 'print' table of a background job: to the terminal, or,
 * while a live table is shown, after it with the notices. */
void live_print(void *ctx, const char *line, int to_stderr)
{
    Repl *r = ctx;
    pthread_mutex_lock(&r->live_mu);
    Query *q = r->live;
    if (q) {
        pthread_mutex_lock(&q->mu);
        sb_printf(&q->notices, "%s\n", line);
        pthread_mutex_unlock(&q->mu);
    } else {
        fprintf(to_stderr ? stderr : stdout, "%s\n", line);
        fflush(to_stderr ? stderr : stdout);
    }
    pthread_mutex_unlock(&r->live_mu);
}

/* The query's own notices: its Query is the callbacks' context. */
static void query_notice(void *ctx, const char *msg) { live_notice(((Query *)ctx)->r, msg); }
static void query_print(void *ctx, const char *line, int to_stderr) { live_print(((Query *)ctx)->r, line, to_stderr); }

static void *query_thread(void *arg)
{
    Query *q = arg;
    q->rc = eddy_job_run(q->job, q->bootstrap, &q->stop);
    __atomic_store_n(&q->done, 1, __ATOMIC_RELEASE);
    wake();
    return NULL;
}

static ResultMode result_mode(const Repl *r, const eddy_plan *p)
{
    const char *m = eddy_plan_setting(p, "sql-client.execution.result-mode");
    if (m && strcmp(m, "tableau") == 0) return RM_TABLEAU;
    if (m && strcmp(m, "changelog") == 0) return RM_CHANGELOG;
    /* 'table' refreshes in place: only on a terminal.  A script gets the changelog. */
    return r->interactive ? RM_TABLE : RM_CHANGELOG;
}

/* Shows or hides the live table whose status line takes notices. */
static void set_live(Repl *r, Query *q)
{
    pthread_mutex_lock(&r->live_mu);
    r->live = q;
    pthread_mutex_unlock(&r->live_mu);
}

static Query *query_new(Repl *r, const eddy_plan *p)
{
    Query *q = xcalloc(1, sizeof *q);
    q->r = r;
    q->ncols = eddy_plan_column_count(p);
    q->limit = eddy_plan_limit(p);
    q->mode = result_mode(r, p);
    q->keyed = eddy_plan_key(p) >= 0;
    q->multiset = !q->keyed && eddy_plan_changelog(p) != EDDY_CHANGELOG_APPEND;
    q->bootstrap = eddy_plan_bootstrap(p) ? NULL : r->bootstrap;
    q->names = xcalloc((size_t)q->ncols, sizeof *q->names);
    q->keycol = xcalloc((size_t)q->ncols, sizeof *q->keycol);
    q->right = xcalloc((size_t)q->ncols, sizeof *q->right);
    q->widths = xcalloc((size_t)q->ncols, sizeof *q->widths);
    for (int c = 0; c < q->ncols; c++) {
        eddy_column col;
        eddy_plan_column(p, c, &col);
        q->names[c] = col.name;
        q->keycol[c] = col.key;
        q->right[c] = type_is_numeric(col.type);
        int wn = text_cols(col.name, strlen(col.name));
        int wt = type_width(&col);
        q->widths[c] = wn > wt ? wn : wt;
    }
    pthread_mutex_init(&q->mu, NULL);
    q->t0 = mono_ms();
    return q;
}

static void query_free(Query *q)
{
    for (int k = 0; k < q->nrows; k++)
        if (q->rows[k].live) row_clear(&q->rows[k], q->ncols);
    free(q->rows);
    free(q->slots);
    free(q->names);
    free(q->keycol);
    free(q->right);
    free(q->widths);
    sb_free(&q->notices);
    pthread_mutex_destroy(&q->mu);
    eddy_job_free(q->job);
    free(q);
}

int live_run(Repl *r, eddy_script *s, int i)
{
    const eddy_plan *p = eddy_script_plan(s, i);
    Query *q = query_new(r, p);
    char err[1024];
    eddy_job_options o = {.on_change = query_row, .ctx = q, .on_notice = query_notice, .on_print = query_print};
    q->job = eddy_job_new(p, &o, err, sizeof err);
    if (!q->job) {
        print_error(r, "%s", err);
        query_free(q);
        return ST_ERR;
    }
    if (q->limit == 0) q->stop = 1;

    /* While the query runs the keyboard only stops it (Ctrl-C, or q). */
    struct termios saved;
    bool tty_changed = false;
    if (r->interactive && tcgetattr(STDIN_FILENO, &saved) == 0) {
        struct termios t = saved;
        t.c_lflag &= ~(tcflag_t)(ECHO | ICANON);
        t.c_lflag |= ISIG | NOFLSH;   /* Ctrl-C must not discard half a frame of output */
        t.c_cc[VMIN] = 1;
        t.c_cc[VTIME] = 0;
        tcsetattr(STDIN_FILENO, TCSANOW, &t);
        tty_changed = true;
    }
    if (r->interactive && q->mode != RM_TABLE) {
        fprintf(stderr, "%s(continuous query; Ctrl-C or q stops it)%s\n", c_dim(r), c_off(r));
    }
    if (q->mode == RM_TABLEAU) tableau_header(q);
    /* Table mode redraws in place: a line on stderr (a job's "waiting for
     * topic …") would shift the screen.  Notices go to the status line
     * while the query runs (until rows flow), and are printed after it if
     * they still hold. */
    if (q->mode == RM_TABLE) {
        set_live(r, q);
        fputs("\033[?25l", stdout);   /* no cursor blinking over the table */
        table_draw(q, "Ctrl-C or q stops it");
    }
    if (r->interactive) g_sigint = 0;
    pthread_t tid;
    bool cancelled = false;
    if (spawn(&tid, query_thread, q)) {
        print_error(r, "cannot start a thread for the query");
        q->rc = -1;
        goto out;
    }
    while (!__atomic_load_n(&q->done, __ATOMIC_ACQUIRE)) {
        /* The keyboard is read only until the query is asked to stop: keys
         * typed after that (after Ctrl-C or q) stay for the next prompt. */
        bool keys = r->interactive && !q->stop;
        struct pollfd pf[2] = {{g_wake[0], POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
        int n = poll(pf, keys ? 2 : 1, 100);
        if (n > 0 && (pf[0].revents & POLLIN)) drain_wake();
        if (g_sigint || g_sigterm) {
            if (!q->stop) cancelled = true;
            q->stop = 1;
            if (r->interactive) g_sigint = 0;   /* at the prompt Ctrl-C ends the query only; in a script, the script */
        }
        if (n > 0 && keys && !q->stop && (pf[1].revents & POLLIN)) {
            char buf[64];
            ssize_t k = read(STDIN_FILENO, buf, sizeof buf);
            for (ssize_t x = 0; x < k; x++) {
                if (q->stop) {
                    sb_putc(&r->typeahead, buf[x]);   /* after the q: the next prompt's */
                } else if (buf[x] == 'q' || buf[x] == 'Q') {
                    cancelled = true;
                    q->stop = 1;
                } else {
                    sb_putc(&r->typeahead, buf[x]);   /* typed ahead: kept for the next prompt */
                }
            }
        }
        pthread_mutex_lock(&q->mu);
        /* Redrawn when rows changed, and every half second anyway: the
         * status line's time and records read keep moving while no row comes. */
        int64_t since = mono_ms() - q->last_draw;
        if (q->mode == RM_TABLE && ((q->dirty && since >= 100) || since >= 500)) table_draw(q, "Ctrl-C or q stops it");
        fflush(stdout);
        if (ferror(stdout)) {
            r->out_closed = true;
            q->stop = 1;
        }
        pthread_mutex_unlock(&q->mu);
    }
    pthread_join(tid, NULL);
out:
    if (tty_changed) tcsetattr(STDIN_FILENO, TCSANOW, &saved);   /* before a pager takes the terminal */
    if (q->mode == RM_TABLE) {
        set_live(r, NULL);
        const char *why = q->rc ? "failed" : q->limit_hit ? "LIMIT reached" : cancelled ? "cancelled" : "input finished";
        fputs("\033[?25h", stdout);
        table_final(q, why);
        fflush(stdout);
        if (q->notices.len && q->note[0]) fputs(q->notices.s, stderr);   /* still relevant: the query ended while waiting */
    } else if (q->mode == RM_TABLEAU) {
        StrBuf b = {0};
        if (q->nchanges) tableau_rule(q, &b);
        else sb_puts(&b, "Empty set\n");
        char a[32];
        if (q->nchanges) sb_printf(&b, "Received a total of %s row%s\n", group_digits(a, sizeof a, q->nchanges), q->nchanges == 1 ? "" : "s");
        fputs(b.s, stdout);
        sb_free(&b);
    } else if (r->interactive) {
        char a[32];
        fprintf(stderr, "%s(%s change%s; %s)%s\n", c_dim(r), group_digits(a, sizeof a, q->nchanges), q->nchanges == 1 ? "" : "s",
                q->rc ? "failed" : q->limit_hit ? "LIMIT reached" : cancelled ? "cancelled" : "input finished", c_off(r));
    }
    fflush(stdout);
    if (ferror(stdout)) r->out_closed = true;
    int status = ST_OK;
    if (q->rc) {
        const char *why = eddy_job_errmsg(q->job);
        print_error(r, "query failed: %s", why[0] ? why : "unknown reason");
        status = ST_ERR;
    }
    if ((g_sigint || g_sigterm) && !r->interactive) status = ST_QUIT;
    query_free(q);
    if (r->out_closed) return ST_QUIT;
    return status;
}
