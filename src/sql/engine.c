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

#include "bind.h"
#include "catalog.h"
#include "connector.h"
#include "diag.h"
#include "func.h"
#include "options.h"
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

static char *describe_table(const CatTable *t)
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
    sb_printf(&b, "-- topic '%s', changelog.mode '%s', format '%s'\n", t->conn.topic, changelog_mode_name(t->conn.mode),
              format_name(t->conn.value_format));
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

/* Binds and plans an INSERT or SELECT into a new plan. */
static int compile_query(eddy_engine *e, const AstStmt *st, const Source *src, Plan **out)
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
    plan_set_settings(p, e->settings, e->nsettings);
    if (p->config.pipeline_name) p->name = p->config.pipeline_name;
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
    if (!name || !e->provider || !url || catalog_find(&e->catalog, name)) return 0;
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

/* Every table a query reads: its FROM items, subqueries and UNION branches. */
static int provide_query(eddy_engine *e, const AstSelect *q)
{
    for (; q; q = q->from.sub) {
        if (q->union_left)
            return provide_query(e, q->union_left) || provide_query(e, q->union_right) ? e->diag.code : 0;
        if (provide_table(e, q->from.table, q->from.pos)) return e->diag.code;
    }
    return 0;
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

static int exec_stmt(eddy_engine *e, const AstStmt *st, const Source *src, ScriptStmt *out)
{
    Diag *d = &e->diag;
    if (e->provider && provide_tables(e, st)) return d->code;
    switch (st->kind) {
    case STMT_CREATE_TABLE: {
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
        catalog_add(&e->catalog, t);
        return 0;
    }
    case STMT_DROP_TABLE:
        if (!catalog_drop(&e->catalog, st->name) && !st->if_exists)
            return diag_error(d, DIAG_SEMANTIC, st->name_pos, "unknown table '%s'", st->name);
        return 0;
    case STMT_INSERT:
    case STMT_SELECT:
        return compile_query(e, st, src, &out->plan);
    case STMT_EXPLAIN: {
        if (st->inner->kind != STMT_INSERT && st->inner->kind != STMT_SELECT)
            return diag_error(d, DIAG_SEMANTIC, st->inner->pos, "EXPLAIN shows the plan of an INSERT or a SELECT");
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
        if (!t) return diag_error(d, DIAG_SEMANTIC, st->name_pos, "unknown table '%s'", st->name);
        out->output = describe_table(t);
        return 0;
    }
    case STMT_SHOW_JOBS:
        return 0;
    case STMT_STOP_JOB:
    case STMT_SHOW_JOB:
        out->output = strdup(st->name);
        return 0;
    }
    return 0;
}

static const eddy_stmt_kind kind_map[] = {
    [STMT_CREATE_TABLE] = EDDY_STMT_CREATE_TABLE, [STMT_DROP_TABLE] = EDDY_STMT_DROP_TABLE,
    [STMT_INSERT] = EDDY_STMT_INSERT,             [STMT_SELECT] = EDDY_STMT_SELECT,
    [STMT_SET] = EDDY_STMT_SET,                   [STMT_RESET] = EDDY_STMT_RESET,
    [STMT_SHOW_TABLES] = EDDY_STMT_SHOW_TABLES,   [STMT_DESCRIBE] = EDDY_STMT_DESCRIBE,
    [STMT_EXPLAIN] = EDDY_STMT_EXPLAIN,           [STMT_SHOW_JOBS] = EDDY_STMT_SHOW_JOBS,
    [STMT_STOP_JOB] = EDDY_STMT_STOP_JOB,         [STMT_SHOW_JOB] = EDDY_STMT_SHOW_JOB,
};

int eddy_compile(eddy_engine *e, const char *sql, size_t len, const char *name, eddy_script **out)
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

char *eddy_plan_explain(const eddy_plan *p, eddy_format f)
{
    if (!p) return NULL;
    StrBuf b = {0};
    if (f == EDDY_JSON) {
        explain_json((const Plan *)p, &b);
        sb_putc(&b, '\n');
    } else {
        explain_text((const Plan *)p, &b);
    }
    return sb_take(&b);
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
    *out = (eddy_table_info){name, conn->topic, mode_map[conn->mode], ncols};
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
