/*
 * engine.c — the compiler's half of the public API (include/eddy.h): an
 * engine holds a catalog and the session's settings; eddy_compile runs the
 * stages (parse → bind → plan) statement by statement and keeps the first
 * error.  Also here: the catalog, the settings and the plans as data for
 * callers (eddy_table*, eddy_setting*, eddy_plan_*), so that no caller
 * reads the internal structs.  Jobs are in exec/job_api.c, the SQL text
 * helpers for a shell in sql_text.c.
 */
#include "eddy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bind.h"
#include "catalog.h"
#include "connector.h"
#include "diag.h"
#include "func.h"
#include "options.h"
#include "stack.h"
#include "parse.h"
#include "plan.h"
#include "settings.h"

struct eddy_engine {
    Catalog   catalog;    /* tables */
    KeyValue *settings;   /* SET values (heap strings) */
    int       nsettings;  /* count */
    int       cap;        /* capacity of settings */
    ExecConfig config;    /* the settings, parsed (strings point into settings; rebuilt by every SET and RESET) */
    Arena     config_arena; /* what config holds that cannot point into settings (a time zone); reset with it */
    Diag      diag;       /* last error */
    int       errline;    /* its line, 0 = none */
    int       errcol;     /* its column */
    char     *errtext;    /* formatted with caret (heap) */
    CatalogProvider provider; /* tables from elsewhere (a Schema Registry), or NULL */
    char     *registry;   /* its default URL (heap), or NULL */
    char      hint[300];  /* " (did you mean …?)" of the last unknown name */
};

typedef struct ScriptStmt {
    eddy_stmt_kind kind;  /* statement kind */
    int            line;  /* line of its first token */
    Plan          *plan;  /* INSERT/SELECT/EXPLAIN */
    char          *output;/* text for the user (heap), or NULL */
} ScriptStmt;

struct eddy_script {
    ScriptStmt *stmts;    /* in order */
    int         n;        /* count */
};

const char *eddy_version(void) { return EDDY_VERSION; }

/* The Schema Registry's catalog provider (registry.c, part of the runtime).
 * A weak reference: when the runtime is linked in, SET 'avro-confluent.url'
 * alone makes topics known from the registry; the compiler alone (the fuzz
 * target) still links, without it.  eddy_engine_set_registry installs it
 * explicitly. */
extern int registry_table_ddl(const char *name, const char *url, char **ddl, char *err, size_t errlen) __attribute__((weak));

eddy_engine *eddy_engine_new(void)
{
    eddy_engine *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    catalog_init(&e->catalog);
    arena_init(&e->config_arena, 1024);
    exec_config_build(&e->config, NULL, 0, &e->config_arena);
    diag_clear(&e->diag);
    e->provider = registry_table_ddl;   /* NULL without the runtime */
    return e;
}

static void settings_clear(eddy_engine *e)
{
    for (int i = 0; i < e->nsettings; i++) {
        free((char *)e->settings[i].key);
        free((char *)e->settings[i].value);
    }
    e->nsettings = 0;
}

void eddy_engine_free(eddy_engine *e)
{
    if (!e) return;
    catalog_free(&e->catalog);
    arena_free(&e->config_arena);
    free(e->registry);
    settings_clear(e);
    free(e->settings);
    free(e->errtext);
    free(e);
}

int eddy_errcode(const eddy_engine *e) { return e->diag.code; }
const char *eddy_errmsg(const eddy_engine *e) { return e->diag.code ? e->diag.msg : ""; }
int eddy_errline(const eddy_engine *e) { return e->errline; }
int eddy_errcol(const eddy_engine *e) { return e->errcol; }
const char *eddy_errtext(const eddy_engine *e) { return e->errtext ? e->errtext : ""; }

/* Rebuilds the engine's parsed settings after a SET or RESET. */
static void engine_config(eddy_engine *e)
{
    arena_free(&e->config_arena);
    arena_init(&e->config_arena, 1024);
    exec_config_build(&e->config, e->settings, e->nsettings, &e->config_arena);
}

static void setting_put(eddy_engine *e, const char *key, const char *value)
{
    for (int i = 0; i < e->nsettings; i++)
        if (strcmp(e->settings[i].key, key) == 0) {
            free((char *)e->settings[i].value);
            e->settings[i].value = strdup(value);
            return;
        }
    if (e->nsettings == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 8;
        KeyValue *v = realloc(e->settings, sizeof *v * (size_t)e->cap);
        if (!v) abort();
        e->settings = v;
    }
    e->settings[e->nsettings].key = strdup(key);
    e->settings[e->nsettings].value = strdup(value);
    e->nsettings++;
}

static bool setting_del(eddy_engine *e, const char *key)
{
    for (int i = 0; i < e->nsettings; i++)
        if (strcmp(e->settings[i].key, key) == 0) {
            free((char *)e->settings[i].key);
            free((char *)e->settings[i].value);
            memmove(e->settings + i, e->settings + i + 1, sizeof *e->settings * (size_t)(e->nsettings - i - 1));
            e->nsettings--;
            return true;
        }
    return false;
}

static char *describe_table(const CatTable *t, const char *like)
{
    StrBuf b = {0};
    int w = 4, tw = 20;   /* widths of the name and type columns */
    for (int i = 0; i < t->ncols; i++) {
        if ((int)strlen(t->cols[i].name) > w) w = (int)strlen(t->cols[i].name);
        StrBuf ty = {0};
        Type tt = t->cols[i].type;
        tt.nullable = 1;
        type_print(&ty, tt);
        if ((int)ty.len > tw) tw = (int)ty.len;   /* TIMESTAMP_LTZ(3) *PROCTIME* */
        sb_free(&ty);
    }
    sb_printf(&b, "%-*s  %-*s %-5s %-4s %s\n", w, "name", tw, "type", "null", "key", "extras");
    for (int i = 0; i < t->ncols; i++) {
        const CatColumn *c = &t->cols[i];
        if (like && !catalog_like(c->name, like)) continue;   /* SHOW COLUMNS … LIKE */
        StrBuf ty = {0};
        Type tt = c->type;
        tt.nullable = 1;
        type_print(&ty, tt);
        bool pk = false;
        for (int k = 0; k < t->npk; k++) pk = pk || t->pk[k] == i;
        StrBuf ex = {0};
        if (c->kind == COL_METADATA) sb_printf(&ex, "METADATA FROM '%s'%s", c->meta_key, c->virtual_ ? " VIRTUAL" : "");
        if (c->kind == COL_COMPUTED) sb_puts(&ex, "computed");
        if (t->wm_col == i) sb_printf(&ex, "%sWATERMARK", ex.len ? ", " : "");
        sb_printf(&b, "%-*s  %-*s %-5s %-4s %s\n", w, c->name, tw, ty.s, c->type.nullable ? "YES" : "NO", pk ? "PRI" : "",
                  ex.s ? ex.s : "");
        sb_free(&ty);
        sb_free(&ex);
    }
    if (t->conn.kind == CONN_KAFKA)
        sb_printf(&b, "-- topic '%s', changelog.mode '%s', format '%s'\n", t->conn.topic, changelog_mode_name(t->conn.mode),
                  format_name(t->conn.value_format));
    else
        sb_printf(&b, "-- connector '%s', changelog.mode '%s'\n", t->conn.connector, changelog_mode_name(t->conn.mode));
    return sb_take(&b);
}

/* The script being compiled (for plans' runtime messages). */
typedef struct Source {
    const char *sql;      /* text */
    size_t      len;      /* length */
    const char *name;     /* file name or NULL */
    int         pos, end; /* the statement being compiled: its offsets in sql */
    int         line, col;/* and the line and column of pos */
} Source;

/* A new plan for the statement at src. */
static Plan *plan_for(const Source *src)
{
    Plan *p = plan_new();
    /* The statement's own text, not the whole script's: a script of n
     * statements would otherwise cost n copies of itself. */
    p->src = arena_strndup(&p->arena, src->sql + src->pos, (size_t)(src->end - src->pos));
    p->srclen = src->end - src->pos;
    p->srcpos = src->pos;
    p->srcline = src->line;
    p->srccol = src->col;
    p->srcname = arena_strdup(&p->arena, src->name);
    return p;
}

/* Binds and plans an INSERT or SELECT into a new plan. */
static int compile_query(eddy_engine *e, const AstStmt *st, const Source *src, Plan **out)
{
    Plan *p = plan_for(src);
    plan_set_settings(p, e->settings, e->nsettings);   /* first: the planner reads some (table.exec.mini-batch.enabled) */
    BindCtx bc = {.arena = &p->arena, .catalog = &e->catalog, .diag = &e->diag};
    int rc;
    if (st->kind == STMT_INSERT) {
        BInsert *ins;
        rc = bind_insert(&bc, st, &ins);
        if (!rc) rc = plan_insert(p, ins, &e->diag);
    } else {
        BQuery *q;
        rc = bind_query(&bc, st->query, &q);
        if (!rc) rc = plan_select(p, q, &e->diag);
    }
    if (rc) {
        plan_free(p);
        return rc;
    }
    if (plan_check_settings(p, &e->diag, st->kind == STMT_INSERT ? st->name_pos : st->pos)) {
        plan_free(p);
        return e->diag.code;
    }
    if (p->config.pipeline_name) p->name = p->config.pipeline_name;
    if (p->config.parallelism > 1 && plan_stages(p, &e->diag)) {   /* after the name: the internal topics carry it */
        plan_free(p);
        return e->diag.code;
    }
    *out = p;
    return 0;
}

void engine_set_provider(eddy_engine *e, CatalogProvider p, const char *url)
{
    e->provider = p;
    free(e->registry);
    e->registry = url ? strdup(url) : NULL;
}

/* The session's Schema Registry: SET 'avro-confluent.url', else the engine's. */
static const char *registry_url(const eddy_engine *e)
{
    return e->config.registry_url ? e->config.registry_url : e->registry;
}

/* A table the statement names but the catalog lacks: ask the provider (the
 * Schema Registry) before binding, and add what it knows as if by CREATE
 * TABLE.  The binder itself never leaves the process. */
static int provide_table(eddy_engine *e, const char *name, int pos)
{
    const char *url = registry_url(e);
    if (!name || !e->provider || !url || catalog_find(&e->catalog, name) || catalog_find_view(&e->catalog, name)) return 0;
    char *ddl = NULL, err[512];
    int rc = e->provider(name, url, &ddl, err, sizeof err);
    if (rc == 1) return 0;   /* not there either: the binder reports the unknown table */
    if (rc) return diag_error(&e->diag, DIAG_SEMANTIC, pos, "table '%s' has no CREATE TABLE and the schema registry could not be asked: %s", name, err);
    Arena a;
    arena_init(&a, 4096);
    PtrList stmts = {0};
    Diag d2;
    diag_clear(&d2);
    CatTable *t = NULL;
    Catalog *cat = &e->catalog;
    cat->registry_url = url;
    if (parse_script(&a, ddl, (int)strlen(ddl), &stmts, &d2) == 0 && stmts.n == 1)
        bind_create_table(cat, stmts.v[0], &d2, &t);
    cat->registry_url = NULL;
    arena_free(&a);
    free(ddl);
    if (!t) return diag_error(&e->diag, DIAG_SEMANTIC, pos, "table '%s' from the schema registry: %s", name, d2.code ? d2.msg : "not a table");
    catalog_add(cat, t);
    return 0;
}

static int provide_query(eddy_engine *e, const AstSelect *q);

/* The tables of the subqueries of a WHERE (IN (SELECT …), EXISTS (…)). */
static int provide_expr(eddy_engine *e, const AstExpr *x)
{
    if (!x) return 0;
    if (x->sub && provide_query(e, x->sub)) return e->diag.code;
    if (provide_expr(e, x->a) || provide_expr(e, x->b) || provide_expr(e, x->c)) return e->diag.code;
    for (int i = 0; i < x->nargs; i++)
        if (provide_expr(e, x->args[i])) return e->diag.code;
    return 0;
}

/* The tables of a FROM item: a table, both sides of a join, a subquery. */
static int provide_from(eddy_engine *e, const AstFrom *f)
{
    if (f->join) return provide_from(e, &f->join->left) || provide_from(e, &f->join->right) ? e->diag.code : 0;
    if (f->sub) return provide_query(e, f->sub);
    return provide_table(e, f->table, f->pos);
}

/* Every table a query reads: its FROM items (joined ones too), CTEs,
 * subqueries and UNION branches. */
static int provide_query(eddy_engine *e, const AstSelect *q)
{
    if (!q) return 0;
    for (int i = 0; i < q->nctes; i++)
        if (provide_query(e, q->ctes[i]->query)) return e->diag.code;
    if (q->union_left) return provide_query(e, q->union_left) || provide_query(e, q->union_right) ? e->diag.code : 0;
    return provide_from(e, &q->from) || provide_expr(e, q->where) ? e->diag.code : 0;
}

/* Every table a statement reads or writes. */
static int provide_tables(eddy_engine *e, const AstStmt *st)
{
    if (st->kind == STMT_EXPLAIN) st = st->inner;
    if (st->kind == STMT_INSERT || st->kind == STMT_DESCRIBE)
        if (provide_table(e, st->name, st->name_pos)) return e->diag.code;
    return st->kind == STMT_INSERT || st->kind == STMT_SELECT ? provide_query(e, st->query) : 0;
}

static int cmp_names(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }


/* ---- views, statement sets, CREATE TABLE … AS / LIKE, ALTER TABLE, SHOW ---- */

/* " (did you mean 'x'?)" for an unknown table or view name, or "". */
static const char *name_hint(eddy_engine *e, const char *name)
{
    char *buf = e->hint;
    int n = e->catalog.ntables + e->catalog.nviews;
    const char **v = xcalloc((size_t)(n ? n : 1), sizeof *v);
    for (int i = 0; i < e->catalog.ntables; i++) v[i] = e->catalog.tables[i]->name;
    for (int i = 0; i < e->catalog.nviews; i++) v[e->catalog.ntables + i] = e->catalog.views[i]->name;
    const char *best = bind_suggest(name, v, n);
    buf[0] = 0;
    if (best) snprintf(buf, sizeof e->hint, " (did you mean '%.250s'?)", best);
    free(v);
    return buf;
}

/* The SQL text of a new table's computed columns and watermark, from the
 * statement that created it (SHOW CREATE TABLE, ALTER TABLE and LIKE
 * rebuild tables from text). */
/* The source extent of an expression: its tokens' lowest and highest
 * offsets (AstExpr.pos names the operator of `a * 2`, not its start). */
static void expr_extent(const AstExpr *x, int *lo, int *hi)
{
    if (!x) return;
    if (x->pos < *lo) *lo = x->pos;
    if (x->end > *hi) *hi = x->end;
    if (x->kind == AX_LITERAL && x->lit == LIT_INTERVAL && x->text_pos > 0 && x->text_pos < *lo) *lo = x->text_pos;
    expr_extent(x->a, lo, hi);
    expr_extent(x->b, lo, hi);
    expr_extent(x->c, lo, hi);
    for (int i = 0; i < x->nargs; i++) expr_extent(x->args[i], lo, hi);
}

static void table_keep_texts(CatTable *t, const AstStmt *st, const char *sql)
{
    for (int i = 0; i < st->nelems; i++) {
        const AstTableElem *el = st->elems[i];
        const AstExpr *x = el->kind == TE_COLUMN && el->col->computed ? el->col->computed : el->kind == TE_WATERMARK ? el->wm_expr : NULL;
        if (!x) continue;
        int lo = x->pos, hi = x->end;
        expr_extent(x, &lo, &hi);
        if (hi <= lo) continue;
        const char *text = arena_strndup(&t->arena, sql + lo, (size_t)(hi - lo));
        if (el->kind == TE_WATERMARK) {
            t->wm_text = text;
            continue;
        }
        int c = cattable_column(t, el->col->name);
        if (c >= 0) t->cols[c].expr_text = text;
    }
}

/* A table from CREATE TABLE text the engine wrote (CTAS, LIKE, ALTER
 * TABLE): its error is reported at pos, after `what`. */
static int table_from_ddl(eddy_engine *e, const char *ddl, int pos, const char *what, CatTable **out)
{
    Arena a;
    arena_init(&a, 4096);
    PtrList stmts = {0};
    Diag d2;
    diag_clear(&d2);
    CatTable *t = NULL;
    e->catalog.registry_url = registry_url(e);
    if (parse_script(&a, ddl, (int)strlen(ddl), &stmts, &d2) == 0 && stmts.n == 1 && bind_create_table(&e->catalog, stmts.v[0], &d2, &t) == 0)
        table_keep_texts(t, stmts.v[0], ddl);
    e->catalog.registry_url = NULL;
    arena_free(&a);
    if (!t) return diag_error(&e->diag, d2.code ? d2.code : DIAG_SEMANTIC, pos, "%s: %s", what, d2.code ? d2.msg : "not a table");
    *out = t;
    return 0;
}

/* Several INSERTs as one plan: one job, one checkpoint; an INSERT reading a
 * table an earlier one reads shares its source (Plan.nshare). */
static int compile_set(eddy_engine *e, AstStmt *const *ins, int n, const Source *src, Plan **out)
{
    Plan *p = plan_for(src);
    plan_set_settings(p, e->settings, e->nsettings);   /* first: the planner reads some (table.exec.mini-batch.enabled) */
    BindCtx bc = {.arena = &p->arena, .catalog = &e->catalog, .diag = &e->diag};
    for (int i = 0; i < n; i++) {
        if (e->provider && provide_tables(e, ins[i])) break;
        BInsert *b;
        p->nshare = p->nsources;
        if (bind_insert(&bc, ins[i], &b) || plan_insert(p, b, &e->diag)) break;
    }
    if (e->diag.code) {
        plan_free(p);
        return e->diag.code;
    }
    if (plan_check_settings(p, &e->diag, n ? ins[0]->name_pos : 0)) {
        plan_free(p);
        return e->diag.code;
    }
    p->name = p->config.pipeline_name ? p->config.pipeline_name : "statement_set";
    if (p->config.parallelism > 1 && plan_stages(p, &e->diag)) {
        plan_free(p);
        return e->diag.code;
    }
    *out = p;
    return 0;
}

/* BEGIN STATEMENT SET; INSERT …; …; END; in a script: statements i..*j
 * (END's index) become one statement-set plan. */
static int script_set(eddy_engine *e, const AstStmt *const *v, int n, int i, int *j, Source *src, ScriptStmt *ss)
{
    if (v[i]->kind == STMT_END_SET) return diag_error(&e->diag, DIAG_SEMANTIC, v[i]->pos, "END without BEGIN STATEMENT SET");
    int k = i + 1;
    while (k < n && v[k]->kind == STMT_INSERT) k++;
    if (k == n) return diag_error(&e->diag, DIAG_SEMANTIC, v[i]->pos, "BEGIN STATEMENT SET without END");
    if (v[k]->kind != STMT_END_SET)
        return diag_error(&e->diag, DIAG_SEMANTIC, v[k]->pos, "only INSERT statements belong in a statement set (END; closes it)");
    if (k == i + 1) return diag_error(&e->diag, DIAG_SEMANTIC, v[k]->pos, "the statement set is empty: INSERT statements go between BEGIN STATEMENT SET and END");
    *j = k;
    src->end = v[k]->end > src->pos && (size_t)v[k]->end <= src->len ? v[k]->end : (int)src->len;
    ss->kind = EDDY_STMT_INSERT;
    return compile_set(e, (AstStmt *const *)v + i + 1, k - i - 1, src, &ss->plan);
}

static int exec_more(eddy_engine *e, const AstStmt *st, const Source *src, ScriptStmt *out);

static int exec_stmt(eddy_engine *e, const AstStmt *st, const Source *src, ScriptStmt *out)
{
    Diag *d = &e->diag;
    if (e->provider && provide_tables(e, st)) return d->code;
    if (st->kind >= STMT_CREATE_VIEW) return exec_more(e, st, src, out);
    switch (st->kind) {
    case STMT_CREATE_TABLE: {
        if (catalog_find_view(&e->catalog, st->name))
            return diag_error(d, DIAG_SEMANTIC, st->name_pos, "'%s' is a view; tables and views share one namespace", st->name);
        if (catalog_find(&e->catalog, st->name)) {
            if (st->if_exists) {
                out->output = strdup("table already exists, skipped\n");
                return 0;
            }
            return diag_error(d, DIAG_SEMANTIC, st->name_pos, "table '%s' already exists", st->name);
        }
        CatTable *t;
        e->catalog.registry_url = registry_url(e);   /* the default 'avro-confluent.url' */
        int brc = bind_create_table(&e->catalog, st, d, &t);
        e->catalog.registry_url = NULL;
        if (brc) return d->code;
        table_keep_texts(t, st, src->sql);
        catalog_add(&e->catalog, t);
        return 0;
    }
    case STMT_DROP_TABLE:
        if (catalog_find_view(&e->catalog, st->name))
            return diag_error(d, DIAG_SEMANTIC, st->name_pos, "'%s' is a view: DROP VIEW %s", st->name, st->name);
        if (!catalog_drop(&e->catalog, st->name) && !st->if_exists)
            return diag_error(d, DIAG_SEMANTIC, st->name_pos, "unknown table '%s'%s", st->name, name_hint(e, st->name));
        return 0;
    case STMT_INSERT:
    case STMT_SELECT:
        return compile_query(e, st, src, &out->plan);
    case STMT_EXPLAIN: {
        if (st->inner->kind == STMT_STATEMENT_SET) {
            if (compile_set(e, st->inner->set, st->inner->nset, src, &out->plan)) return d->code;
            StrBuf b = {0};
            explain_text(out->plan, &b);
            out->output = sb_take(&b);
            return 0;
        }
        if (st->inner->kind != STMT_INSERT && st->inner->kind != STMT_SELECT)
            return diag_error(d, DIAG_SEMANTIC, st->inner->pos, "EXPLAIN shows the plan of an INSERT, a SELECT or a statement set");
        if (compile_query(e, st->inner, src, &out->plan)) return d->code;
        StrBuf b = {0};
        explain_text(out->plan, &b);
        out->output = sb_take(&b);
        return 0;
    }
    case STMT_SET: {
        StrBuf b = {0};
        if (!st->key) {
            for (int i = 0; i < e->nsettings; i++) sb_printf(&b, "'%s' = '%s'\n", e->settings[i].key, e->settings[i].value);
            out->output = sb_take(&b);
            return 0;
        }
        const OptionDef *def = settings_find(st->key);
        if (!def) {
            if (connector_option_find(st->key))
                return diag_error(d, DIAG_OPTION, st->name_pos, "'%s' is a table option, not a session setting (use it in WITH)", st->key);
            return diag_error(d, DIAG_OPTION, st->name_pos, "unknown setting '%s' (see: eddy help options)", st->key);
        }
        if (opt_check_sql(def, st->key, st->value, st->value_pos, d)) return d->code;
        setting_put(e, st->key, st->value);
        engine_config(e);
        return 0;
    }
    case STMT_RESET:
        if (st->key && !settings_find(st->key))   /* as SET refuses it: a typo is never silently nothing */
            return diag_error(d, DIAG_OPTION, st->name_pos, "unknown setting '%s' (see: eddy help options)", st->key);
        if (!st->key) settings_clear(e);
        else setting_del(e, st->key);
        engine_config(e);
        return 0;
    case STMT_SHOW_TABLES: {
        StrBuf b = {0};
        int n = e->catalog.ntables;
        const char **names = xcalloc((size_t)n, sizeof *names);
        for (int i = 0; i < n; i++) names[i] = e->catalog.tables[i]->name;
        qsort(names, (size_t)n, sizeof *names, cmp_names);   /* sorted, as Flink lists them */
        for (int i = 0; i < n; i++) sb_printf(&b, "%s\n", names[i]);
        free(names);
        out->output = sb_take(&b);
        return 0;
    }
    case STMT_DESCRIBE: {
        const CatTable *t = catalog_find(&e->catalog, st->name);
        const CatView *v = t ? NULL : catalog_find_view(&e->catalog, st->name);
        if (v) {
            out->output = catalog_describe_view(v, NULL);
            return 0;
        }
        if (!t) return diag_error(d, DIAG_SEMANTIC, st->name_pos, "unknown table '%s'%s", st->name, name_hint(e, st->name));
        out->output = describe_table(t, NULL);
        return 0;
    }
    case STMT_SHOW_JOBS:
        return 0;
    case STMT_STOP_JOB:
    case STMT_SHOW_JOB:
        out->output = strdup(st->name);
        return 0;
    default:
        break;
    }
    return 0;
}

static const eddy_stmt_kind kind_map[] = {
    [STMT_CREATE_TABLE] = EDDY_STMT_CREATE_TABLE, [STMT_DROP_TABLE] = EDDY_STMT_DROP_TABLE,
    [STMT_INSERT] = EDDY_STMT_INSERT,             [STMT_SELECT] = EDDY_STMT_SELECT,
    [STMT_SET] = EDDY_STMT_SET,                   [STMT_RESET] = EDDY_STMT_RESET,
    [STMT_SHOW_TABLES] = EDDY_STMT_SHOW_TABLES,   [STMT_DESCRIBE] = EDDY_STMT_DESCRIBE,
    [STMT_EXPLAIN] = EDDY_STMT_EXPLAIN,           [STMT_SHOW_JOBS] = EDDY_STMT_SHOW_JOBS,
    [STMT_STOP_JOB] = EDDY_STMT_STOP_JOB,
    [STMT_CREATE_VIEW] = EDDY_STMT_CREATE_VIEW,   [STMT_DROP_VIEW] = EDDY_STMT_DROP_VIEW,
    [STMT_STATEMENT_SET] = EDDY_STMT_INSERT,       [STMT_BEGIN_SET] = EDDY_STMT_INSERT,
    [STMT_END_SET] = EDDY_STMT_INSERT,             [STMT_SHOW_VIEWS] = EDDY_STMT_SHOW,
    [STMT_SHOW_FUNCTIONS] = EDDY_STMT_SHOW,        [STMT_SHOW_COLUMNS] = EDDY_STMT_SHOW,
    [STMT_SHOW_CREATE] = EDDY_STMT_SHOW,           [STMT_CREATE_TABLE_AS] = EDDY_STMT_INSERT,
    [STMT_CREATE_TABLE_LIKE] = EDDY_STMT_CREATE_TABLE, [STMT_ALTER_SET] = EDDY_STMT_ALTER_TABLE,
    [STMT_ALTER_RESET] = EDDY_STMT_ALTER_TABLE,    [STMT_ALTER_RENAME] = EDDY_STMT_ALTER_TABLE,
    [STMT_SHOW_JOB] = EDDY_STMT_SHOW_JOB,
    [STMT_CREATE_FUNCTION] = EDDY_STMT_CREATE_FUNCTION, [STMT_DROP_FUNCTION] = EDDY_STMT_DROP_FUNCTION,
};

static int compile(eddy_engine *e, const char *sql, size_t len, const char *name, eddy_script **out);

typedef struct CompileCall {
    eddy_engine *e;
    const char  *sql;
    size_t       len;
    const char  *name;
    eddy_script **out;
    int          rc;
} CompileCall;

static void compile_call(void *p)
{
    CompileCall *c = p;
    c->rc = compile(c->e, c->sql, c->len, c->name, c->out);
}

/* On a stack of its own (stack.h): the passes recurse as deep as an
 * expression nests, which a caller's small thread stack may not hold. */
int eddy_compile(eddy_engine *e, const char *sql, size_t len, const char *name, eddy_script **out)
{
    CompileCall c = {e, sql, len, name, out, 0};
    stack_run_big(compile_call, &c);
    return c.rc;
}

static int compile(eddy_engine *e, const char *sql, size_t len, const char *name, eddy_script **out)
{
    if (!e || !out) return EDDY_EMISUSE;
    *out = NULL;
    diag_clear(&e->diag);
    e->errline = e->errcol = 0;
    free(e->errtext);
    e->errtext = NULL;
    if (!sql || len > (size_t)1 << 30) {
        diag_error(&e->diag, DIAG_SYNTAX, -1, "no SQL text, or text larger than 1 GiB");
        e->errtext = strdup("error: no SQL text, or text larger than 1 GiB\n");
        return EDDY_EMISUSE;
    }
    Arena a;
    arena_init(&a, 16384);
    PtrList stmts = {0};
    eddy_script *s = calloc(1, sizeof *s);
    if (!s) abort();
    int rc = parse_script(&a, sql, (int)len, &stmts, &e->diag);
    if (!rc && stmts.n) {
        s->stmts = calloc((size_t)stmts.n, sizeof *s->stmts);
        if (!s->stmts) abort();
        int at = 0, line = 1, col = 1;   /* positions in one pass over the script */
        for (int i = 0; i < stmts.n && !rc; i++) {
            const AstStmt *st = stmts.v[i];
            ScriptStmt *ss = &s->stmts[s->n++];
            ss->kind = kind_map[st->kind];
            if (st->pos >= at) {
                diag_linecol_advance(sql, len, at, st->pos, &line, &col);
                at = st->pos;
            } else {
                diag_linecol(sql, len, st->pos, &line, &col);
                at = st->pos;
            }
            ss->line = line;
            int end = st->end > st->pos && (size_t)st->end <= len ? st->end : (int)len;
            Source src = {sql, len, name, st->pos, end, line, col};
            if (st->kind == STMT_BEGIN_SET || st->kind == STMT_END_SET) {   /* BEGIN STATEMENT SET; INSERT …; …; END; */
                int j = i + 1;
                rc = script_set(e, (const AstStmt *const *)stmts.v, stmts.n, i, &j, &src, ss);
                i = j;
                continue;
            }
            rc = exec_stmt(e, st, &src, ss);
        }
    }
    arena_free(&a);
    if (rc) {
        eddy_script_free(s);
        if (e->diag.offset >= 0) diag_linecol(sql, len, e->diag.offset, &e->errline, &e->errcol);
        StrBuf b = {0};
        diag_format(&e->diag, name, sql, len, &b);
        e->errtext = sb_take(&b);
        return rc;
    }
    *out = s;
    return EDDY_OK;
}

int eddy_script_count(const eddy_script *s) { return s ? s->n : 0; }

static const ScriptStmt *stmt_at(const eddy_script *s, int i)
{
    return s && i >= 0 && i < s->n ? &s->stmts[i] : NULL;
}

eddy_stmt_kind eddy_script_kind(const eddy_script *s, int i)
{
    const ScriptStmt *st = stmt_at(s, i);
    return st ? st->kind : EDDY_STMT_SET;
}

int eddy_script_line(const eddy_script *s, int i)
{
    const ScriptStmt *st = stmt_at(s, i);
    return st ? st->line : 0;
}

const eddy_plan *eddy_script_plan(const eddy_script *s, int i)
{
    const ScriptStmt *st = stmt_at(s, i);
    return st ? (const eddy_plan *)st->plan : NULL;
}

const char *eddy_script_output(const eddy_script *s, int i)
{
    const ScriptStmt *st = stmt_at(s, i);
    return st ? st->output : NULL;
}

void eddy_script_free(eddy_script *s)
{
    if (!s) return;
    for (int i = 0; i < s->n; i++) {
        plan_free(s->stmts[i].plan);
        free(s->stmts[i].output);
    }
    free(s->stmts);
    free(s);
}

typedef struct ExplainCall {
    const Plan *p;
    eddy_format f;
    StrBuf      b;
} ExplainCall;

static void explain_call(void *p)
{
    ExplainCall *c = p;
    if (c->f == EDDY_JSON) {
        explain_json(c->p, &c->b);
        sb_putc(&c->b, '\n');
    } else {
        explain_text(c->p, &c->b);
    }
}

char *eddy_plan_explain(const eddy_plan *p, eddy_format f)
{
    if (!p) return NULL;
    ExplainCall c = {(const Plan *)p, f, {0}};
    stack_run_big(explain_call, &c);   /* as eddy_compile: expressions recurse */
    return sb_take(&c.b);
}

int eddy_plan_operator_count(const eddy_plan *p) { return p ? ((const Plan *)p)->nnodes : 0; }

const char *eddy_plan_name(const eddy_plan *p) { return p ? ((const Plan *)p)->name : NULL; }

/* ---- The catalog, settings and plans as data ---- */

static const eddy_type type_map[TY__COUNT] = {
    [TY_NULL] = EDDY_TYPE_NULL,           [TY_BOOLEAN] = EDDY_TYPE_BOOLEAN, [TY_TINYINT] = EDDY_TYPE_TINYINT,
    [TY_SMALLINT] = EDDY_TYPE_SMALLINT,   [TY_INT] = EDDY_TYPE_INT,         [TY_BIGINT] = EDDY_TYPE_BIGINT,
    [TY_FLOAT] = EDDY_TYPE_FLOAT,         [TY_DOUBLE] = EDDY_TYPE_DOUBLE,   [TY_DECIMAL] = EDDY_TYPE_DECIMAL,
    [TY_STRING] = EDDY_TYPE_STRING,       [TY_BYTES] = EDDY_TYPE_BYTES,     [TY_DATE] = EDDY_TYPE_DATE,
    [TY_TIMESTAMP] = EDDY_TYPE_TIMESTAMP, [TY_TIMESTAMP_LTZ] = EDDY_TYPE_TIMESTAMP_LTZ,
    [TY_INTERVAL] = EDDY_TYPE_INTERVAL,
    [TY_ROW] = EDDY_TYPE_ROW,             [TY_ARRAY] = EDDY_TYPE_ARRAY,     [TY_MAP] = EDDY_TYPE_MAP,
};
static const eddy_column_kind colkind_map[] = {
    [COL_PHYSICAL] = EDDY_COLUMN_PHYSICAL, [COL_COMPUTED] = EDDY_COLUMN_COMPUTED, [COL_METADATA] = EDDY_COLUMN_METADATA,
};
static const eddy_changelog mode_map[] = {
    [MODE_APPEND] = EDDY_CHANGELOG_APPEND, [MODE_UPSERT] = EDDY_CHANGELOG_UPSERT, [MODE_RETRACT] = EDDY_CHANGELOG_RETRACT,
};

static void column_fill(eddy_column *out, const char *name, Type t, bool key, ColKind kind)
{
    memset(out, 0, sizeof *out);
    out->name = name;
    out->type = t.kind < TY__COUNT ? type_map[t.kind] : EDDY_TYPE_NULL;
    if (t.kind == TY_DECIMAL || t.kind == TY_TIMESTAMP || t.kind == TY_TIMESTAMP_LTZ) out->precision = t.precision;
    if (t.kind == TY_DECIMAL) out->scale = t.scale;
    if (t.kind == TY_STRING || t.kind == TY_BYTES) out->length = t.len;
    out->nullable = t.nullable;
    out->key = key;
    out->kind = colkind_map[kind];
    StrBuf b = {0};
    t.nullable = 1;   /* nullability is a field of its own */
    type_print(&b, t);
    snprintf(out->sql_type, sizeof out->sql_type, "%s", b.s ? b.s : "");
    sb_free(&b);
}

static bool in_list(const int *v, int n, int x)
{
    for (int i = 0; i < n; i++)
        if (v[i] == x) return true;
    return false;
}

static void table_info_fill(eddy_table_info *out, const char *name, const Connector *conn, int ncols)
{
    *out = (eddy_table_info){name, conn->topic, mode_map[conn->mode], ncols, connector_name(conn)};
}

int eddy_table_count(const eddy_engine *e) { return e->catalog.ntables; }

int eddy_table(const eddy_engine *e, int i, eddy_table_info *out)
{
    if (!e || !out || i < 0 || i >= e->catalog.ntables) return EDDY_EMISUSE;
    const CatTable *t = e->catalog.tables[i];
    table_info_fill(out, t->name, &t->conn, t->ncols);
    return EDDY_OK;
}

int eddy_table_column(const eddy_engine *e, int i, int col, eddy_column *out)
{
    if (!e || !out || i < 0 || i >= e->catalog.ntables) return EDDY_EMISUSE;
    const CatTable *t = e->catalog.tables[i];
    if (col < 0 || col >= t->ncols) return EDDY_EMISUSE;
    const CatColumn *c = &t->cols[col];
    column_fill(out, c->name, c->type, in_list(t->pk, t->npk, col), c->kind);
    return EDDY_OK;
}

int eddy_setting_count(const eddy_engine *e) { return e->nsettings; }

int eddy_setting(const eddy_engine *e, int i, const char **key, const char **value)
{
    if (!e || !key || !value || i < 0 || i >= e->nsettings) return EDDY_EMISUSE;
    *key = e->settings[i].key;
    *value = e->settings[i].value;
    return EDDY_OK;
}

void eddy_names(eddy_names_kind kind, void (*fn)(void *ctx, const char *name), void *ctx)
{
    if (kind != EDDY_NAMES_FUNCTIONS) {
        if (kind == EDDY_NAMES_TABLE_OPTIONS) connector_option_names(fn, ctx);
        else
            for (const OptionDef *od = settings_options; od->name; od++) fn(ctx, od->name);
        return;
    }
    /* func.c keeps its table to itself; its documentation has one function
     * a line, the name first. */
    StrBuf doc = {0};
    func_document(&doc);
    for (char *line = doc.s; line && *line;) {
        char *next = line + strcspn(line, "\n");
        if (*next) *next++ = 0;
        line += strspn(line, " ");
        line[strcspn(line, " ")] = 0;
        if (*line) fn(ctx, line);
        line = next;
    }
    sb_free(&doc);
}

/* A plan's source and sink tables, as the planner lists them. */
static const PlanTable *plan_source_at(const Plan *p, int i) { return i >= 0 && i < p->nsources ? p->sources[i]->table : NULL; }
static const PlanTable *plan_sink_at(const Plan *p, int i) { return i >= 0 && i < p->nsinks ? p->sinks[i]->table : NULL; }

int eddy_plan_source_count(const eddy_plan *p) { return p ? ((const Plan *)p)->nsources : 0; }
int eddy_plan_sink_count(const eddy_plan *p) { return p ? ((const Plan *)p)->nsinks : 0; }

static int table_of(const PlanTable *t, eddy_table_info *out)
{
    if (!t || !out) return EDDY_EMISUSE;
    table_info_fill(out, t->name, &t->conn, t->ncols);
    return EDDY_OK;
}

int eddy_plan_source(const eddy_plan *p, int i, eddy_table_info *out) { return p ? table_of(plan_source_at((const Plan *)p, i), out) : EDDY_EMISUSE; }
int eddy_plan_sink(const eddy_plan *p, int i, eddy_table_info *out) { return p ? table_of(plan_sink_at((const Plan *)p, i), out) : EDDY_EMISUSE; }

int eddy_plan_column_count(const eddy_plan *p) { return p ? ((const Plan *)p)->root->ncols : 0; }

int eddy_plan_sink_column_count(const eddy_plan *ep, int sink)
{
    const Plan *p = (const Plan *)ep;
    return p && sink >= 0 && sink < p->nsinks ? p->sinks[sink]->node.ncols : 0;
}

int eddy_plan_sink_column(const eddy_plan *ep, int sink, int i, eddy_column *out)
{
    const Plan *p = (const Plan *)ep;
    if (!p || !out || sink < 0 || sink >= p->nsinks || i < 0 || i >= p->sinks[sink]->node.ncols) return EDDY_EMISUSE;
    const SinkPlan *sk = p->sinks[sink];
    const PlanTable *t = sk->table;
    int c = sk->sink_cols[i];
    column_fill(out, sk->node.cols[i].name, sk->node.cols[i].type, t->conn.mode == MODE_UPSERT && in_list(t->pk, t->npk, c), t->cols[c].kind);
    return EDDY_OK;
}

/* The result's columns, key and changelog: an INSERT's are its sink
 * table's (key = the upsert table's primary key), a SELECT's its own. */
int eddy_plan_column(const eddy_plan *ep, int i, eddy_column *out)
{
    const Plan *p = (const Plan *)ep;
    if (!p || !out || i < 0 || i >= p->root->ncols) return EDDY_EMISUSE;
    const PlanNode *r = p->root;
    if (p->nsinks) {
        const SinkPlan *sk = p->sinks[0];
        const PlanTable *t = sk->table;
        int c = sk->sink_cols[i];
        column_fill(out, r->cols[i].name, r->cols[i].type, t->conn.mode == MODE_UPSERT && in_list(t->pk, t->npk, c), t->cols[c].kind);
    } else {
        column_fill(out, r->cols[i].name, r->cols[i].type, r->has_key && in_list(r->key, r->nkey, i), COL_PHYSICAL);
    }
    return EDDY_OK;
}

int eddy_plan_key(const eddy_plan *ep)
{
    const Plan *p = (const Plan *)ep;
    if (!p) return -1;
    if (p->nsinks) {
        const PlanTable *t = p->sinks[0]->table;
        return t->conn.mode == MODE_UPSERT ? t->npk : -1;
    }
    return p->root->has_key ? p->root->nkey : -1;
}

eddy_changelog eddy_plan_changelog(const eddy_plan *ep)
{
    const Plan *p = (const Plan *)ep;
    if (!p) return EDDY_CHANGELOG_APPEND;
    if (p->nsinks) return mode_map[p->sinks[0]->table->conn.mode];
    const PlanNode *r = p->root;
    return !r->updating ? EDDY_CHANGELOG_APPEND : r->before ? EDDY_CHANGELOG_RETRACT : EDDY_CHANGELOG_UPSERT;
}

long long eddy_plan_limit(const eddy_plan *ep)
{
    const Plan *p = (const Plan *)ep;
    return p && !p->nsinks ? (long long)plan_collect(p->root)->limit : -1;
}

const char *eddy_plan_setting(const eddy_plan *ep, const char *key)
{
    const Plan *p = (const Plan *)ep;
    for (int i = 0; p && key && i < p->nsettings; i++)
        if (strcmp(p->settings[i].key, key) == 0) return p->settings[i].value;
    return NULL;
}

const char *eddy_plan_bootstrap(const eddy_plan *ep)
{
    const Plan *p = (const Plan *)ep;
    const char *bs = NULL;
    for (int s = 0; p && !bs && plan_source_at(p, s); s++) {
        const Connector *c = &plan_source_at(p, s)->conn;
        for (int i = 0; i < c->nprops; i++)
            if (strcmp(c->props[i].key, "bootstrap.servers") == 0) bs = c->props[i].value;   /* the last one counts */
    }
    return bs ? bs : eddy_plan_setting(ep, "properties.bootstrap.servers");
}

char *eddy_options_doc(void)
{
    StrBuf b = {0};
    sb_puts(&b, "Table options (CREATE TABLE ... WITH ('key' = 'value', ...)):\n\n");
    connector_document(&b);
    sb_puts(&b, "\nSession settings (SET 'key' = 'value'):\n\n");
    opt_document(settings_options, &b);
    return sb_take(&b);
}

char *eddy_functions_doc(void)
{
    StrBuf b = {0};
    func_document(&b);
    return sb_take(&b);
}

void eddy_free(void *p) { free(p); }

/* ---- the statements of views, CTAS, LIKE, ALTER TABLE and SHOW ---- */

static int create_view(eddy_engine *e, const AstStmt *st, const Source *src)
{
    Diag *d = &e->diag;
    Catalog *cat = &e->catalog;
    if (catalog_find(cat, st->name))
        return diag_error(d, DIAG_SEMANTIC, st->name_pos, "'%s' is a table; tables and views share one namespace", st->name);
    if (catalog_find_view(cat, st->name)) {
        if (st->if_exists) return 0;
        return diag_error(d, DIAG_SEMANTIC, st->name_pos, "view '%s' already exists", st->name);
    }
    /* Bound once now, with the statement's positions, for its errors and its schema. */
    Arena a;
    arena_init(&a, 8192);
    BindCtx bc = {.arena = &a, .catalog = cat, .diag = d};
    BQuery *q;
    if (bind_query(&bc, st->query, &q)) {
        arena_free(&a);
        return d->code;
    }
    if (q->limit >= 0) {
        arena_free(&a);
        return diag_error(d, DIAG_SEMANTIC, st->query_pos, "LIMIT is not supported in a view (only in an interactive SELECT)");
    }
    if (st->ncols && st->ncols != q->nout) {
        int nout = q->nout;   /* q lives in the arena */
        arena_free(&a);
        return diag_error(d, DIAG_SEMANTIC, st->colpos[0], "view '%s' names %d column%s but its query has %d", st->name, st->ncols,
                          st->ncols == 1 ? "" : "s", nout);
    }
    CatView *v = catview_new(st->name);
    v->temporary = st->temporary;
    int end = src->end;
    while (end > st->query_pos && (src->sql[end - 1] == ';' || src->sql[end - 1] == ' ' || src->sql[end - 1] == '\n' || src->sql[end - 1] == '\t' || src->sql[end - 1] == '\r')) end--;
    v->text = arena_strndup(&v->arena, src->sql + st->query_pos, (size_t)(end - st->query_pos));
    PtrList stmts = {0};
    Diag d2;
    diag_clear(&d2);
    if (parse_script(&v->arena, v->text, (int)strlen(v->text), &stmts, &d2) || stmts.n != 1 || ((AstStmt *)stmts.v[0])->kind != STMT_SELECT) {
        catview_free(v);
        arena_free(&a);
        return diag_error(d, DIAG_SEMANTIC, st->query_pos, "view '%s': its query text does not parse alone (%s)", st->name, d2.msg);
    }
    v->query = ((AstStmt *)stmts.v[0])->query;
    v->nout = q->nout;
    v->out_names = arena_alloc(&v->arena, sizeof(char *) * (size_t)(q->nout ? q->nout : 1));
    v->out_types = arena_alloc(&v->arena, sizeof(Type) * (size_t)(q->nout ? q->nout : 1));
    if (st->ncols) {
        v->ncols = st->ncols;
        v->cols = arena_alloc(&v->arena, sizeof(char *) * (size_t)st->ncols);
    }
    for (int i = 0; i < q->nout; i++) {
        const char *nm = st->ncols ? st->cols[i] : q->out_names[i];
        for (int j = 0; j < i; j++)
            if (strcmp(v->out_names[j], nm) == 0) {
                /* said before the arena (which may hold nm) goes */
                int rc = diag_error(d, DIAG_SEMANTIC, st->ncols ? st->colpos[i] : st->query_pos,
                                    "view '%s' would have two columns named '%s' (name them: v (a, b) AS …, or AS aliases)", st->name, nm);
                catview_free(v);
                arena_free(&a);
                return rc;
            }
        v->out_names[i] = arena_strdup(&v->arena, nm);
        if (st->ncols) v->cols[i] = v->out_names[i];
        v->out_types[i] = q->out[i]->type;
        v->out_types[i].timeattr = TA_NONE;
    }
    arena_free(&a);
    catalog_add_view(cat, v);
    return 0;
}

/* CREATE TABLE t WITH (…) AS query: the table takes the query's columns
 * (and, when the query updates, its unique key as PRIMARY KEY), then the
 * statement is INSERT INTO t query. */
static int create_table_as(eddy_engine *e, const AstStmt *st, const Source *src, ScriptStmt *out)
{
    Diag *d = &e->diag;
    if (catalog_find_view(&e->catalog, st->name))
        return diag_error(d, DIAG_SEMANTIC, st->name_pos, "'%s' is a view; tables and views share one namespace", st->name);
    if (catalog_find(&e->catalog, st->name)) {
        if (!st->if_exists) return diag_error(d, DIAG_SEMANTIC, st->name_pos, "table '%s' already exists", st->name);
        out->kind = EDDY_STMT_CREATE_TABLE;
        out->output = strdup("table already exists, skipped\n");
        return 0;
    }
    AstStmt sel = *st;
    sel.kind = STMT_SELECT;
    Plan *sp;
    if (compile_query(e, &sel, src, &sp)) return d->code;
    const PlanNode *r = sp->root;
    StrBuf b = {0};
    sb_puts(&b, "CREATE TABLE `");
    for (const char *c = st->name; *c; c++) sb_putn(&b, c, *c == '`' ? 2 : 1) , (void)0;
    sb_puts(&b, "` (\n");
    bool pk = r->updating && r->has_key && r->nkey > 0;
    for (int i = 0; i < r->ncols; i++) {
        Type t = r->cols[i].type;
        t.timeattr = TA_NONE;
        bool in_pk = false;
        for (int k = 0; pk && k < r->nkey; k++) in_pk = in_pk || r->key[k] == i;
        if (in_pk) t.nullable = 0;   /* primary key columns are NOT NULL (Flink) */
        sb_puts(&b, "  `");
        for (const char *c = r->cols[i].name; *c; c++) sb_putn(&b, c, *c == '`' ? 2 : 1);
        sb_puts(&b, "` ");
        type_print(&b, t);
        sb_puts(&b, i + 1 < r->ncols || pk ? ",\n" : "\n");
    }
    if (pk) {
        sb_puts(&b, "  PRIMARY KEY (");
        for (int k = 0; k < r->nkey; k++) {
            sb_puts(&b, k ? ", `" : "`");
            for (const char *c = r->cols[r->key[k]].name; *c; c++) sb_putn(&b, c, *c == '`' ? 2 : 1);
            sb_putc(&b, '`');
        }
        sb_puts(&b, ") NOT ENFORCED\n");
    }
    sb_putc(&b, ')');
    bool mode_given = false;
    for (int i = 0; i < st->nopts; i++) mode_given = mode_given || strcmp(st->opts[i]->key, "changelog.mode") == 0;
    if (st->nopts || (r->updating && !pk && !mode_given)) {
        sb_puts(&b, " WITH (");
        for (int i = 0; i < st->nopts; i++) {
            sb_puts(&b, i ? ", " : "");
            catalog_put_string(&b, st->opts[i]->key);
            sb_puts(&b, " = ");
            catalog_put_string(&b, st->opts[i]->value);
        }
        /* updates without a key: every change explicit */
        if (r->updating && !pk && !mode_given) sb_puts(&b, st->nopts ? ", 'changelog.mode' = 'retract'" : "'changelog.mode' = 'retract'");
        sb_putc(&b, ')');
    }
    sb_puts(&b, ";\n");
    plan_free(sp);
    CatTable *t;
    int rc = table_from_ddl(e, b.s, st->name_pos, "CREATE TABLE … AS", &t);
    sb_free(&b);
    if (rc) return rc;
    catalog_add(&e->catalog, t);
    AstStmt ins = *st;
    ins.kind = STMT_INSERT;
    ins.ncols = 0;
    if (compile_query(e, &ins, src, &out->plan)) {
        catalog_drop(&e->catalog, st->name);
        return d->code;
    }
    return 0;
}

/* The text of the statement's own table elements: from the first to the
 * ')' before WITH (…) or LIKE. */
static const char *own_elems_text(Arena *a, const AstStmt *st, const char *sql)
{
    if (!st->nelems) return NULL;
    int stop = st->nopts ? st->opts[0]->pos : st->like_pos;
    int k = stop - 1;
    while (k > 0 && sql[k] != ')') k--;
    if (st->nopts) {   /* `) WITH (` : back past WITH ( to the body's ) */
        while (k > 0 && sql[k] != '(') k--;
        k--;
        while (k > 0 && sql[k] != ')') k--;
    }
    int from = st->elems[0]->pos;
    return k > from ? arena_strndup(a, sql + from, (size_t)(k - from)) : NULL;
}

/* CREATE TABLE t [(elements)] [WITH (…)] LIKE src [(options)], as Flink:
 * src's columns, watermark, primary key and options, merged with t's own
 * as the LIKE options say (INCLUDING: the same feature in both is an error;
 * OVERWRITING: t's wins; EXCLUDING: src's is left out). */
static int create_table_like(eddy_engine *e, const AstStmt *st, const Source *src)
{
    Diag *d = &e->diag;
    if (catalog_find_view(&e->catalog, st->name) || catalog_find(&e->catalog, st->name)) {
        if (st->if_exists && catalog_find(&e->catalog, st->name)) return 0;
        return diag_error(d, DIAG_SEMANTIC, st->name_pos, "'%s' already exists", st->name);
    }
    const CatTable *s = catalog_find(&e->catalog, st->like);
    if (!s) {
        if (catalog_find_view(&e->catalog, st->like)) return diag_error(d, DIAG_SEMANTIC, st->like_pos, "LIKE copies a table; '%s' is a view", st->like);
        return diag_error(d, DIAG_SEMANTIC, st->like_pos, "unknown table '%s'%s", st->like, name_hint(e, st->like));
    }
    int excl = st->like_opts & LIKE_EXCL_ALL, strict = st->like_opts >> LIKE_STRICT_SHIFT;
    bool own_wm = false, own_pk = false;
    for (int i = 0; i < st->nelems; i++) {
        const AstTableElem *el = st->elems[i];
        own_wm = own_wm || el->kind == TE_WATERMARK;
        own_pk = own_pk || el->kind == TE_PRIMARY_KEY || (el->kind == TE_COLUMN && el->col->pk);
    }
    bool keep_wm = s->wm_col >= 0 && !(excl & LIKE_EXCL_WATERMARKS), keep_pk = s->npk && !(excl & LIKE_EXCL_CONSTRAINTS);
    if (keep_wm && own_wm) {
        if (strict & LIKE_EXCL_WATERMARKS)
            return diag_error(d, DIAG_SEMANTIC, st->like_pos, "both '%s' and '%s' define a watermark (OVERWRITING WATERMARKS or EXCLUDING WATERMARKS)", st->name, s->name);
        keep_wm = false;
    }
    if (keep_pk && own_pk)
        return diag_error(d, DIAG_SEMANTIC, st->like_pos, "both '%s' and '%s' define a primary key (EXCLUDING CONSTRAINTS)", st->name, s->name);
    Arena a;
    arena_init(&a, 4096);
    StrBuf b = {0};
    sb_puts(&b, "CREATE TABLE `x` (\n");
    int n = 0;
    for (int i = 0; i < s->ncols; i++) {
        const CatColumn *c = &s->cols[i];
        if (c->kind == COL_COMPUTED && (excl & LIKE_EXCL_GENERATED)) continue;
        if (c->kind == COL_METADATA && (excl & LIKE_EXCL_METADATA)) continue;
        int mine = -1;
        for (int k = 0; k < st->nelems && mine < 0; k++)
            if (st->elems[k]->kind == TE_COLUMN && strcmp(st->elems[k]->col->name, c->name) == 0) mine = k;
        if (mine >= 0) {
            int bit = c->kind == COL_COMPUTED ? LIKE_EXCL_GENERATED : c->kind == COL_METADATA ? LIKE_EXCL_METADATA : 0;
            if (!bit || (strict & bit)) {
                sb_free(&b);
                arena_free(&a);
                return diag_error(d, DIAG_SEMANTIC, st->elems[mine]->pos, "column '%s' is already a column of '%s'%s", c->name, s->name,
                                  bit ? " (OVERWRITING GENERATED / METADATA replaces it)" : "");
            }
            continue;
        }
        sb_puts(&b, n++ ? ",\n  `" : "  `");
        for (const char *p = c->name; *p; p++) sb_putn(&b, p, *p == '`' ? 2 : 1);
        sb_puts(&b, "` ");
        if (c->kind == COL_COMPUTED) {
            sb_printf(&b, "AS %s", c->expr_text ? c->expr_text : "NULL");
        } else {
            Type t = c->type;
            t.timeattr = TA_NONE;
            type_print(&b, t);
            if (c->kind == COL_METADATA) {
                sb_puts(&b, " METADATA FROM ");
                catalog_put_string(&b, c->meta_key);
                if (c->virtual_) sb_puts(&b, " VIRTUAL");
            }
        }
    }
    const char *own = own_elems_text(&a, st, src->sql);
    if (own) sb_printf(&b, "%s%s", n++ ? ",\n  " : "  ", own);
    if (keep_wm) sb_printf(&b, ",\n  WATERMARK FOR `%s` AS %s", s->cols[s->wm_col].name, s->wm_text ? s->wm_text : "NULL");
    if (keep_pk) {
        sb_puts(&b, ",\n  PRIMARY KEY (");
        for (int k = 0; k < s->npk; k++) sb_printf(&b, "%s`%s`", k ? ", " : "", s->cols[s->pk[k]].name);
        sb_puts(&b, ") NOT ENFORCED");
    }
    sb_puts(&b, "\n)");
    /* options: the source's (unless excluded), then the statement's */
    int nopt = 0;
    KeyValue *opts = arena_alloc(&a, sizeof(KeyValue) * (size_t)(s->nopts + st->nopts + 1));
    for (int i = 0; i < s->nopts && !(excl & LIKE_EXCL_OPTIONS); i++) opts[nopt++] = s->opts[i];
    for (int i = 0; i < st->nopts; i++) {
        int at = -1;
        for (int k = 0; k < nopt && at < 0; k++)
            if (strcmp(opts[k].key, st->opts[i]->key) == 0) at = k;
        if (at >= 0 && (strict & LIKE_EXCL_OPTIONS)) {
            sb_free(&b);
            arena_free(&a);
            return diag_error(d, DIAG_OPTION, st->opts[i]->pos, "option '%s' is also an option of '%s' (INCLUDING OPTIONS; OVERWRITING OPTIONS replaces it)",
                              st->opts[i]->key, s->name);
        }
        if (at < 0) at = nopt++;
        opts[at] = (KeyValue){st->opts[i]->key, st->opts[i]->value};
    }
    /* A table without 'topic' is the topic of its name: the copy keeps the
     * source's topic only when the source named it. */
    if (nopt) {
        sb_puts(&b, " WITH (");
        for (int i = 0; i < nopt; i++) {
            sb_puts(&b, i ? ", " : "");
            catalog_put_string(&b, opts[i].key);
            sb_puts(&b, " = ");
            catalog_put_string(&b, opts[i].value);
        }
        sb_putc(&b, ')');
    }
    sb_puts(&b, ";\n");
    arena_free(&a);
    CatTable *t;
    int rc = table_from_ddl(e, b.s, st->name_pos, "CREATE TABLE … LIKE", &t);
    sb_free(&b);
    if (rc) return rc;
    t->name = arena_strdup(&t->arena, st->name);
    if (strcmp(t->conn.topic, "x") == 0 && !catalog_find(&e->catalog, "x")) {   /* the default topic is the table's name */
        bool named = false;
        for (int i = 0; i < t->nopts; i++) named = named || strcmp(t->opts[i].key, "topic") == 0;
        if (!named) t->conn.topic = t->name;
    }
    catalog_add(&e->catalog, t);
    return 0;
}

/* ALTER TABLE t SET (…) / RESET (…) / RENAME TO u: the table rebuilt from
 * its CREATE TABLE text with the new options or name (checked as CREATE
 * TABLE checks them). */
static int alter_table(eddy_engine *e, const AstStmt *st)
{
    Diag *d = &e->diag;
    CatTable *t = catalog_find(&e->catalog, st->name);
    if (!t) {
        if (catalog_find_view(&e->catalog, st->name)) return diag_error(d, DIAG_SEMANTIC, st->name_pos, "'%s' is a view, not a table", st->name);
        return diag_error(d, DIAG_SEMANTIC, st->name_pos, "unknown table '%s'%s", st->name, name_hint(e, st->name));
    }
    Arena a;
    arena_init(&a, 1024);
    KeyValue *opts = arena_alloc(&a, sizeof(KeyValue) * (size_t)(t->nopts + st->nopts + 1));
    int nopt = 0;
    for (int i = 0; i < t->nopts; i++) opts[nopt++] = t->opts[i];
    const char *name = t->name;
    int pos = st->name_pos;
    if (st->kind == STMT_ALTER_SET) {
        for (int i = 0; i < st->nopts; i++) {
            int at = -1;
            for (int k = 0; k < nopt && at < 0; k++)
                if (strcmp(opts[k].key, st->opts[i]->key) == 0) at = k;
            if (at < 0) at = nopt++;
            opts[at] = (KeyValue){st->opts[i]->key, st->opts[i]->value};
        }
        pos = st->nopts ? st->opts[0]->pos : pos;
    } else if (st->kind == STMT_ALTER_RESET) {
        for (int i = 0; i < st->nopts; i++) {
            int at = -1;
            for (int k = 0; k < nopt && at < 0; k++)
                if (strcmp(opts[k].key, st->opts[i]->key) == 0) at = k;
            if (at < 0) {
                arena_free(&a);
                return diag_error(d, DIAG_OPTION, st->opts[i]->pos, "table '%s' has no option '%s' to reset", t->name, st->opts[i]->key);
            }
            memmove(opts + at, opts + at + 1, sizeof *opts * (size_t)(nopt - at - 1));
            nopt--;
        }
    } else {
        name = st->key;
        pos = st->value_pos;
        if (catalog_find(&e->catalog, name) || catalog_find_view(&e->catalog, name)) {
            arena_free(&a);
            return diag_error(d, DIAG_SEMANTIC, pos, "'%s' already exists", name);
        }
        /* The topic stays the old table's (a table without 'topic' reads the topic of its name). */
        bool named = false;
        for (int i = 0; i < nopt; i++) named = named || strcmp(opts[i].key, "topic") == 0;
        if (!named) opts[nopt++] = (KeyValue){"topic", t->conn.topic};
    }
    StrBuf b = {0};
    catalog_table_ddl(t, name, opts, nopt, false, &b);
    arena_free(&a);
    CatTable *nt;
    int rc = table_from_ddl(e, b.s, pos, "ALTER TABLE", &nt);
    sb_free(&b);
    if (rc) return rc;
    catalog_drop(&e->catalog, st->name);
    catalog_add(&e->catalog, nt);
    return 0;
}

/* CREATE [TEMPORARY] FUNCTION name AS 'lib.so:symbol' [LANGUAGE C]: the
 * library's eddy_udf descriptor becomes a row of the function table
 * (udf.c; the calling convention is in eddy.h). */
static int create_function(eddy_engine *e, const AstStmt *st)
{
    Diag *d = &e->diag;
    if (st->like && strcasecmp(st->like, "C") != 0)
        return diag_error(d, DIAG_SEMANTIC, st->like_pos, "LANGUAGE %s: eddy runs user functions written in C (LANGUAGE C; see eddy_udf in eddy.h)",
                          st->like);
    if (func_find(st->name)) return diag_error(d, DIAG_SEMANTIC, st->name_pos, "%s is a built-in function", st->name);
    if (catalog_find_function(&e->catalog, st->name)) {
        if (st->if_exists) return 0;
        return diag_error(d, DIAG_SEMANTIC, st->name_pos, "function '%s' already exists (DROP FUNCTION %s first)", st->name, st->name);
    }
    const eddy_udf *u;
    char err[1200];
    if (udf_load(st->value, &u, err, sizeof err)) return diag_error(d, DIAG_SEMANTIC, st->value_pos, "%s", err);
    UserFunc *f = udf_new(st->name, u->args, u->nargs, u->result, u->fn, u->ctx, u->flags, st->value, st->temporary, err, sizeof err);
    if (!f) return diag_error(d, DIAG_SEMANTIC, st->value_pos, "%s", err);
    catalog_add_function(&e->catalog, f);
    return 0;
}

int eddy_register_function(eddy_engine *e, const char *name, const eddy_type *args, int nargs, eddy_type result, eddy_scalar_fn fn,
                           void *ctx, int flags)
{
    if (!e) return EDDY_EMISUSE;
    diag_clear(&e->diag);
    e->errline = e->errcol = 0;
    free(e->errtext);
    e->errtext = NULL;
    if (name && func_find(name)) {
        diag_error(&e->diag, DIAG_SEMANTIC, -1, "%s is a built-in function", name);
        return EDDY_ESEMANTIC;
    }
    if (name && catalog_find_function(&e->catalog, name)) {
        diag_error(&e->diag, DIAG_SEMANTIC, -1, "function '%s' already exists", name);
        return EDDY_ESEMANTIC;
    }
    char err[600];
    UserFunc *f = udf_new(name, args, nargs, result, fn, ctx, flags, NULL, true, err, sizeof err);
    if (!f) {
        diag_error(&e->diag, DIAG_SEMANTIC, -1, "%s", err);
        e->diag.code = EDDY_EMISUSE;
        return EDDY_EMISUSE;
    }
    catalog_add_function(&e->catalog, f);
    return EDDY_OK;
}

static int exec_more(eddy_engine *e, const AstStmt *st, const Source *src, ScriptStmt *out)
{
    Diag *d = &e->diag;
    Catalog *cat = &e->catalog;
    if (e->provider && st->query && provide_query(e, st->query)) return d->code;
    switch (st->kind) {
    case STMT_CREATE_VIEW:
        return create_view(e, st, src);
    case STMT_DROP_VIEW:
        if (catalog_find(cat, st->name)) return diag_error(d, DIAG_SEMANTIC, st->name_pos, "'%s' is a table: DROP TABLE %s", st->name, st->name);
        if (!catalog_drop_view(cat, st->name) && !st->if_exists)
            return diag_error(d, DIAG_SEMANTIC, st->name_pos, "unknown view '%s'%s", st->name, name_hint(e, st->name));
        return 0;
    case STMT_STATEMENT_SET:
        return compile_set(e, st->set, st->nset, src, &out->plan);
    case STMT_SHOW_VIEWS: {
        StrBuf b = {0};
        const char **names = xcalloc((size_t)cat->nviews, sizeof *names);
        for (int i = 0; i < cat->nviews; i++) names[i] = cat->views[i]->name;
        qsort(names, (size_t)cat->nviews, sizeof *names, cmp_names);
        for (int i = 0; i < cat->nviews; i++) sb_printf(&b, "%s\n", names[i]);
        free(names);
        out->output = b.s ? sb_take(&b) : strdup("");
        return 0;
    }
    case STMT_SHOW_FUNCTIONS:   /* (temporary: SHOW USER FUNCTIONS) */
        out->output = catalog_show_functions(cat, st->temporary);
        return 0;
    case STMT_CREATE_FUNCTION:
        return create_function(e, st);
    case STMT_DROP_FUNCTION:
        if (func_find(st->name))
            return diag_error(d, DIAG_SEMANTIC, st->name_pos, "%s is a built-in function: it cannot be dropped", st->name);
        if (!catalog_drop_function(cat, st->name) && !st->if_exists)
            return diag_error(d, DIAG_SEMANTIC, st->name_pos, "unknown function '%s' (SHOW USER FUNCTIONS lists them)", st->name);
        return 0;
    case STMT_SHOW_COLUMNS: {
        const CatTable *t = catalog_find(cat, st->name);
        const CatView *v = t ? NULL : catalog_find_view(cat, st->name);
        if (!t && !v) return diag_error(d, DIAG_SEMANTIC, st->name_pos, "unknown table '%s'%s", st->name, name_hint(e, st->name));
        out->output = t ? describe_table(t, st->value) : catalog_describe_view(v, st->value);
        return 0;
    }
    case STMT_SHOW_CREATE: {
        const CatTable *t = catalog_find(cat, st->name);
        const CatView *v = catalog_find_view(cat, st->name);
        StrBuf b = {0};
        if (st->temporary ? !v : !t) {
            if (st->temporary ? t != NULL : v != NULL)
                return diag_error(d, DIAG_SEMANTIC, st->name_pos, "'%s' is a %s: SHOW CREATE %s %s", st->name, t ? "table" : "view",
                                  t ? "TABLE" : "VIEW", st->name);
            return diag_error(d, DIAG_SEMANTIC, st->name_pos, "unknown %s '%s'%s", st->temporary ? "view" : "table", st->name, name_hint(e, st->name));
        }
        if (t) catalog_table_ddl(t, NULL, NULL, 0, false, &b);
        else catalog_view_ddl(v, &b);
        out->output = sb_take(&b);
        return 0;
    }
    case STMT_CREATE_TABLE_AS:
        return create_table_as(e, st, src, out);
    case STMT_CREATE_TABLE_LIKE:
        return create_table_like(e, st, src);
    case STMT_ALTER_SET:
    case STMT_ALTER_RESET:
    case STMT_ALTER_RENAME:
        return alter_table(e, st);
    default:
        return diag_error(d, DIAG_SEMANTIC, st->pos, "this statement belongs in a script (BEGIN STATEMENT SET … END)");
    }
}
