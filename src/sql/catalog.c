/*
 * catalog.c — storage of tables by name.  Validation of what goes in is the
 * binder's (bind_create_table); this file only keeps and frees.
 */
#include "catalog.h"

#include <stdlib.h>
#include <string.h>

void catalog_init(Catalog *c) { memset(c, 0, sizeof *c); }

void catalog_free(Catalog *c)
{
    for (int i = 0; i < c->ntables; i++) cattable_free(c->tables[i]);
    free(c->tables);
    memset(c, 0, sizeof *c);
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

const char *changelog_mode_name(ChangelogMode m)
{
    static const char *const n[] = {"append", "upsert", "retract"};
    return n[m];
}

const char *format_name(Format f)
{
    static const char *const n[] = {"json", "avro", "avro-confluent", "raw"};
    return n[f];
}

const char *startup_mode_name(StartupMode m)
{
    static const char *const n[] = {"earliest-offset", "latest-offset", "timestamp", "group-offsets"};
    return n[m];
}
