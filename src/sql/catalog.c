/*
 * catalog.c — storage of tables and views by name.  Validation of what goes in is the
 * binder's (bind_create_table); this file only keeps and frees.
 */
#include "catalog.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "func.h"

void catalog_init(Catalog *c) { memset(c, 0, sizeof *c); }

void catalog_free(Catalog *c)
{
    for (int i = 0; i < c->ntables; i++) cattable_free(c->tables[i]);
    free(c->tables);
    for (int i = 0; i < c->nviews; i++) catview_free(c->views[i]);
    free(c->views);
    for (int i = 0; i < c->nfuncs; i++) udf_free(c->funcs[i]);
    free(c->funcs);
    memset(c, 0, sizeof *c);
}

UserFunc *catalog_find_function(const Catalog *c, const char *name)
{
    for (int i = 0; i < c->nfuncs; i++)
        if (strcasecmp(c->funcs[i]->def.name, name) == 0) return c->funcs[i];
    return NULL;
}

void catalog_add_function(Catalog *c, UserFunc *f)
{
    if (c->nfuncs == c->fcap) {
        c->fcap = c->fcap ? c->fcap * 2 : 8;
        c->funcs = realloc(c->funcs, sizeof *c->funcs * (size_t)c->fcap);
        if (!c->funcs) abort();
    }
    c->funcs[c->nfuncs++] = f;
}

bool catalog_drop_function(Catalog *c, const char *name)
{
    for (int i = 0; i < c->nfuncs; i++) {
        if (strcasecmp(c->funcs[i]->def.name, name) != 0) continue;
        udf_free(c->funcs[i]);
        memmove(c->funcs + i, c->funcs + i + 1, sizeof *c->funcs * (size_t)(c->nfuncs - i - 1));
        c->nfuncs--;
        return true;
    }
    return false;
}

CatTable *catalog_find(const Catalog *c, const char *name)
{
    for (int i = 0; i < c->ntables; i++)
        if (strcmp(c->tables[i]->name, name) == 0) return c->tables[i];
    return NULL;
}

void catalog_add(Catalog *c, CatTable *t)
{
    if (c->ntables == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 8;
        CatTable **v = realloc(c->tables, sizeof *v * (size_t)c->cap);
        if (!v) abort();
        c->tables = v;
    }
    c->tables[c->ntables++] = t;
}

bool catalog_drop(Catalog *c, const char *name)
{
    for (int i = 0; i < c->ntables; i++) {
        if (strcmp(c->tables[i]->name, name) != 0) continue;
        cattable_free(c->tables[i]);
        memmove(c->tables + i, c->tables + i + 1, sizeof *c->tables * (size_t)(c->ntables - i - 1));
        c->ntables--;
        return true;
    }
    return false;
}

CatView *catalog_find_view(const Catalog *c, const char *name)
{
    for (int i = 0; i < c->nviews; i++)
        if (strcmp(c->views[i]->name, name) == 0) return c->views[i];
    return NULL;
}

void catalog_add_view(Catalog *c, CatView *v)
{
    if (c->nviews == c->vcap) {
        c->vcap = c->vcap ? c->vcap * 2 : 8;
        CatView **n = realloc(c->views, sizeof *n * (size_t)c->vcap);
        if (!n) abort();
        c->views = n;
    }
    c->views[c->nviews++] = v;
}

bool catalog_drop_view(Catalog *c, const char *name)
{
    for (int i = 0; i < c->nviews; i++) {
        if (strcmp(c->views[i]->name, name) != 0) continue;
        catview_free(c->views[i]);
        memmove(c->views + i, c->views + i + 1, sizeof *c->views * (size_t)(c->nviews - i - 1));
        c->nviews--;
        return true;
    }
    return false;
}

CatView *catview_new(const char *name)
{
    CatView *v = calloc(1, sizeof *v);
    if (!v) abort();
    arena_init(&v->arena, 2048);
    v->name = arena_strdup(&v->arena, name);
    return v;
}

void catview_free(CatView *v)
{
    if (!v) return;
    arena_free(&v->arena);
    free(v);
}

CatTable *cattable_new(const char *name)
{
    CatTable *t = calloc(1, sizeof *t);
    if (!t) abort();
    arena_init(&t->arena, 2048);
    t->name = arena_strdup(&t->arena, name);
    t->wm_col = -1;
    return t;
}

void cattable_free(CatTable *t)
{
    if (!t) return;
    arena_free(&t->arena);
    free(t);
}

int cattable_column(const CatTable *t, const char *name)
{
    for (int i = 0; i < t->ncols; i++)
        if (strcmp(t->cols[i].name, name) == 0) return i;
    return -1;
}

const OptEnum changelog_mode_values[] = {
    {"append", MODE_APPEND, NULL}, {"upsert", MODE_UPSERT, NULL}, {"retract", MODE_RETRACT, NULL}, {0},
};
const OptEnum format_values[] = {
    {"json", FMT_JSON, NULL}, {"avro", FMT_AVRO, NULL}, {"avro-confluent", FMT_AVRO_CONFLUENT, NULL}, {"raw", FMT_RAW, NULL},
    {"debezium-json", FMT_DEBEZIUM_JSON, NULL}, {"debezium-avro-confluent", FMT_DEBEZIUM_AVRO_CONFLUENT, NULL}, {0},
};
const OptEnum startup_mode_values[] = {
    {"earliest-offset", START_EARLIEST, NULL}, {"latest-offset", START_LATEST, NULL},
    {"timestamp", START_TIMESTAMP, NULL},      {"group-offsets", START_GROUP, NULL},
    {"specific-offsets", START_SPECIFIC, NULL}, {0},
};
const OptEnum error_mode_values[] = {{"fail", ERR_FAIL, NULL}, {"skip", ERR_SKIP, NULL}, {0}};

const char *changelog_mode_name(ChangelogMode m) { return opt_enum_text(changelog_mode_values, m); }
const char *format_name(Format f) { return opt_enum_text(format_values, f); }
const char *startup_mode_name(StartupMode m) { return opt_enum_text(startup_mode_values, m); }
