/*
 * connector.c — the registry of connectors, and what every connector's WITH
 * options go through before its own resolve function sees them: the
 * checks (unknown, badly typed, repeated), the parse into the Connector in
 * table order, and the 'properties.*'-style pass-through keys.
 *
 * The connectors themselves are in connector_<name>.c.
 */
#include "connector.h"

#include <string.h>

#include "settings.h"

extern const ConnectorDef kafka_connector, upsert_kafka_connector, jdbc_connector;
extern const ConnectorDef datagen_connector, blackhole_connector, print_connector, nexmark_connector;

/* The registry: each row is a value of the 'connector' option and the
 * implementation it stands for. */
static const OptEnum connectors[] = {
    {"kafka", 0, &kafka_connector},
    {"upsert-kafka", 1, &upsert_kafka_connector},
    {"jdbc", 2, &jdbc_connector},
    {"datagen", 3, &datagen_connector},
    {"blackhole", 4, &blackhole_connector},
    {"print", 5, &print_connector},
    {"nexmark", 6, &nexmark_connector},
    {0},
};

static const OptionDef connector_option[] = {
    {.name = "connector", .type = OPT_ENUM, .deflt = "kafka", .values = connectors,
     .doc = "Where the table lives. Without it the table is the Kafka topic of the same name; "
            "'upsert-kafka' means changelog.mode 'upsert' (a PRIMARY KEY is required); "
            "'jdbc' is a PostgreSQL table (docs/postgres-sink.md); 'datagen' generates rows (a source); 'blackhole' "
            "discards rows and counts them, 'print' prints them with their row kind (sinks); 'nexmark' generates the Nexmark benchmark's events (a source)."},
    {0},
};

/* The registry's row of a table's 'connector' option, or NULL (none given). */
static const OptEnum *connector_impl(const Connector *c) { return c->connector ? opt_enum_find(connectors, c->connector) : NULL; }

const char *connector_name(const Connector *c)
{
    const OptEnum *impl = connector_impl(c);
    return impl ? impl->text : c->connector ? c->connector : "kafka";
}

int connector_check_use(const CatTable *t, bool as_sink, int pos, Diag *d)
{
    const OptEnum *impl = connector_impl(&t->conn);
    const ConnectorDef *def = impl ? impl->ref : NULL;
    if (def && as_sink && def->source_only)
        return diag_error(d, DIAG_SEMANTIC, pos, "table '%s' (connector '%s') is a source: it can be read, not written", t->name, impl->text);
    if (def && !as_sink && def->sink_only)
        return diag_error(d, DIAG_SEMANTIC, pos, "table '%s' (connector '%s') is a sink: it can be written, not read", t->name, impl->text);
    return 0;
}

int conn_require_pk(ConnCtx *c, int pos, const char *what)
{
    if (c->table->npk) return 0;
    return diag_error(c->diag, DIAG_OPTION, pos, "%s needs a PRIMARY KEY (declare one with PRIMARY KEY (...) NOT ENFORCED)", what);
}

/* The option of s named key, or NULL. */
static const AstOption *stmt_option(const AstStmt *s, const char *key)
{
    for (int i = 0; i < s->nopts; i++)
        if (strcmp(s->opts[i]->key, key) == 0) return s->opts[i];
    return NULL;
}

int conn_pos(const ConnCtx *c, const char *key)
{
    const AstOption *o = stmt_option(c->stmt, key);
    return o ? o->vpos : -1;
}

int connector_resolve(const AstStmt *s, CatTable *t, const char *session_url, Diag *d)
{
    Connector *cn = &t->conn;
    Arena *a = &t->arena;
    /* Which connector: the one named, else the option's default (a name
     * that is none is reported below, in its turn). */
    const AstOption *named = stmt_option(s, "connector");
    const OptEnum *impl = named ? opt_enum_find(connectors, named->value) : NULL;
    if (!impl) impl = opt_enum_find(connectors, connector_option->deflt);
    const ConnectorDef *def = impl->ref;

    /* Every option must exist and be well-typed; duplicates are an error.
     * In the order written, so the first wrong option is the one named. */
    t->opts = arena_alloc(a, sizeof(KeyValue) * (size_t)(s->nopts ? s->nopts : 1));
    for (int i = 0; i < s->nopts; i++) {
        const AstOption *o = s->opts[i];
        const OptionDef *od = opt_find(connector_option, o->key);
        if (!od) od = opt_find(def->options, o->key);
        if (!od) {
            if (settings_find(o->key))
                return diag_error(d, DIAG_OPTION, o->pos, "'%s' is a session setting, not a table option (use SET)", o->key);
            return diag_error(d, DIAG_OPTION, o->pos, "unknown table option '%s' (see: eddy help options)", o->key);
        }
        if (opt_check_sql(od, o->key, o->value, o->vpos, d)) return d->code;
        for (int j = 0; j < i; j++)
            if (strcmp(s->opts[j]->key, o->key) == 0)
                return diag_error(d, DIAG_OPTION, o->pos, "option '%s' is given twice", o->key);
        t->opts[i].key = arena_strdup(a, o->key);
        t->opts[i].value = arena_strdup(a, o->value);
        if (od->type == OPT_PREFIX) cn->nprops++;
    }
    t->nopts = s->nopts;

    /* Parse them into the Connector: the table's defaults, then each option
     * given, in table order (so that a more specific option overrides). */
    cn->connector = impl->text;
    opt_defaults(def->options, cn, a);
    for (const OptionDef *od = def->options; od->name; od++) {
        const AstOption *o = od->type == OPT_PREFIX ? NULL : stmt_option(s, od->name);
        char err[600];
        if (o) opt_set(od, od->name, o->value, cn, a, err, sizeof err);
    }
    /* Keys under a prefix ('properties.') pass through without it. */
    cn->props = arena_alloc(a, sizeof(KeyValue) * (size_t)(cn->nprops ? cn->nprops : 1));
    int np = 0;
    for (int i = 0; i < t->nopts; i++) {
        const OptionDef *od = opt_find(def->options, t->opts[i].key);
        if (!od || od->type != OPT_PREFIX) continue;
        cn->props[np].key = t->opts[i].key + strlen(od->name);
        cn->props[np].value = t->opts[i].value;
        np++;
    }

    ConnCtx c = {.stmt = s, .table = t, .session_url = session_url, .diag = d};
    return def->resolve(&c);
}

const OptionDef *connector_option_find(const char *key)
{
    const OptionDef *od = opt_find(connector_option, key);
    for (const OptEnum *e = connectors; !od && e->text; e++) od = opt_find(((const ConnectorDef *)e->ref)->options, key);
    return od;
}

/* Calls fn for every option table of the connectors, each once (several
 * connectors may share one), the 'connector' option's first. */
static void each_table(void (*fn)(const OptionDef *table, void *ctx), void *ctx)
{
    fn(connector_option, ctx);
    for (const OptEnum *e = connectors; e->text; e++) {
        const OptionDef *table = ((const ConnectorDef *)e->ref)->options;
        bool seen = false;
        for (const OptEnum *p = connectors; p < e; p++) seen = seen || ((const ConnectorDef *)p->ref)->options == table;
        if (!seen) fn(table, ctx);
    }
}

static void document_table(const OptionDef *table, void *out) { opt_document(table, out); }

void connector_document(StrBuf *out)
{
    each_table(document_table, out);
    for (const OptEnum *e = connectors; e->text; e++)
        if (((const ConnectorDef *)e->ref)->per_column) opt_document(((const ConnectorDef *)e->ref)->per_column, out);
}

typedef struct NameFn {
    void (*fn)(void *ctx, const char *name);
    void *ctx;
} NameFn;

static void name_table(const OptionDef *table, void *ctx)
{
    NameFn *n = ctx;
    for (const OptionDef *od = table; od->name; od++) n->fn(n->ctx, od->name);
}

void connector_option_names(void (*fn)(void *ctx, const char *name), void *ctx)
{
    NameFn n = {fn, ctx};
    each_table(name_table, &n);
}
