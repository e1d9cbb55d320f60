/*
 * engine.c — the public API (include/eddy.h): an engine holds a catalog and
 * the session's settings; eddy_compile runs the stages (parse → bind →
 * plan) statement by statement and keeps the first error.
 */
#include "eddy.h"

#include <stdlib.h>
#include <string.h>

#include "bind.h"
#include "catalog.h"
#include "connector.h"
#include "diag.h"
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
    exec_config_build(&e->config, NULL, 0);
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
    int w = 4;
    for (int i = 0; i < t->ncols; i++)
        if ((int)strlen(t->cols[i].name) > w) w = (int)strlen(t->cols[i].name);
    sb_printf(&b, "%-*s  %-20s %-5s %-4s %s\n", w, "name", "type", "null", "key", "extras");
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
        sb_printf(&b, "%-*s  %-20s %-5s %-4s %s\n", w, c->name, ty.s, c->type.nullable ? "YES" : "NO", pk ? "PRI" : "",
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
} Source;

/* Binds and plans an INSERT or SELECT into a new plan. */
static int compile_query(eddy_engine *e, const AstStmt *st, const Source *src, Plan **out)
{
    Plan *p = plan_new();
    p->src = arena_strndup(&p->arena, src->sql, src->len);
    p->srclen = (int)src->len;
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

/* Every table a query reads (its FROM chain) or writes. */
static int provide_tables(eddy_engine *e, const AstStmt *st)
{
    if (st->kind == STMT_EXPLAIN) st = st->inner;
    if (st->kind == STMT_INSERT || st->kind == STMT_DESCRIBE)
        if (provide_table(e, st->name, st->name_pos)) return e->diag.code;
    for (const AstSelect *q = st->kind == STMT_INSERT || st->kind == STMT_SELECT ? st->query : NULL; q; q = q->from.sub)
        if (provide_table(e, q->from.table, q->from.pos)) return e->diag.code;
    return 0;
}

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
        exec_config_build(&e->config, e->settings, e->nsettings);
        return 0;
    }
    case STMT_RESET:
        if (!st->key) settings_clear(e);
        else setting_del(e, st->key);
        exec_config_build(&e->config, e->settings, e->nsettings);
        return 0;
    case STMT_SHOW_TABLES: {
        StrBuf b = {0};
        for (int i = 0; i < e->catalog.ntables; i++) sb_printf(&b, "%s\n", e->catalog.tables[i]->name);
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
    [STMT_STOP_JOB] = EDDY_STMT_STOP_JOB,
};

int eddy_compile(eddy_engine *e, const char *sql, size_t len, const char *name, eddy_script **out)
{
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
        for (int i = 0; i < stmts.n && !rc; i++) {
            const AstStmt *st = stmts.v[i];
            ScriptStmt *ss = &s->stmts[s->n++];
            ss->kind = kind_map[st->kind];
            int col;
            diag_linecol(sql, len, st->pos, &ss->line, &col);
            Source src = {sql, len, name};
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

char *eddy_options_doc(void)
{
    StrBuf b = {0};
    sb_puts(&b, "Table options (CREATE TABLE ... WITH ('key' = 'value', ...)):\n\n");
    connector_document(&b);
    sb_puts(&b, "\nSession settings (SET 'key' = 'value'):\n\n");
    opt_document(settings_options, &b);
    return sb_take(&b);
}

void eddy_free(void *p) { free(p); }
