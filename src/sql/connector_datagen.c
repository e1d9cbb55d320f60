/*
 * connector_datagen.c — the 'datagen' connector, compile side: a source of
 * generated rows with the option names of Flink's DataGen connector
 * ('rows-per-second', 'number-of-rows', 'fields.<column>.kind', '.min',
 * '.max', '.max-past', '.length', '.var-len', '.start', '.end',
 * '.null-rate') and eddy's 'seed'.
 *
 * Each 'fields.<column>.<option>' is checked here against the column it
 * names: an unknown column, an unknown option, or an option that does not
 * apply to the column's type (or kind) is an error naming the option at
 * its SQL position.  The ranges are parsed once into the table's GenField
 * (lo/hi, seq_start/seq_end), which is all the generator reads at run time
 * (exec/op_datagen.c).  A sequence bounds the source: it ends after its
 * last value (the shortest sequence, and 'number-of-rows', decide).
 */
#include "connector.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const OptionDef datagen_options[] = {
    {.name = "rows-per-second", .type = OPT_INT, .to = {OPT_FIELD(Connector, rows_per_second)}, .deflt = "10000", .min = 1,
     .doc = "datagen: rows generated per second of wall clock (eddy run, the shell); an in-memory run (eddy test) does not pace."},
    {.name = "number-of-rows", .type = OPT_INT, .to = {OPT_FIELD(Connector, number_of_rows)}, .min = 0,
     .doc = "datagen: rows in all, after which the source ends (a bounded source: the job finishes). Default: unbounded, "
            "unless a column is a sequence (the source ends after its last value)."},
    {.name = "seed", .type = OPT_UINT, .to = {OPT_FIELD(Connector, seed)}, .deflt = "0",
     .doc = "datagen (eddy): the random generator's seed. Row n of a table is the same for the same seed on every run and "
            "after a restart (a restart goes on at the row where the checkpoint left it); timestamps and dates also depend on "
            "the clock (max-past)."},
    {.name = "fields.", .type = OPT_PREFIX,
     .doc = "datagen: 'fields.<column>.<option>' says how one column is generated (the fields.#.* options below)."},
    {0},
};

static const OptEnum kind_values[] = {{"random", GEN_RANDOM, NULL}, {"sequence", GEN_SEQUENCE, NULL}, {0}};

/* The options of one column, documented as Flink does ('#' = the column);
 * parsed into its GenField. */
static const OptionDef field_options[] = {
    {.name = "fields.#.kind", .type = OPT_ENUM, .to = {OPT_FIELD(GenField, kind)}, .deflt = "random", .values = kind_values,
     .doc = "datagen: 'random' values, or a 'sequence' from start to end (numbers and strings)."},
    {.name = "fields.#.min", .type = OPT_STRING, .to = {OPT_FIELD(GenField, min)},
     .doc = "datagen: smallest random value of a number column (default: the type's smallest)."},
    {.name = "fields.#.max", .type = OPT_STRING, .to = {OPT_FIELD(GenField, max)},
     .doc = "datagen: largest random value of a number column (default: the type's largest)."},
    {.name = "fields.#.max-past", .type = OPT_DURATION, .to = {OPT_FIELD(GenField, max_past_ms)}, .deflt = "0 ms",
     .doc = "datagen: a TIMESTAMP, TIMESTAMP_LTZ or DATE column is the job's clock minus a random time up to this."},
    {.name = "fields.#.length", .type = OPT_INT, .to = {OPT_FIELD(GenField, length)}, .min = 0, .max = 1000000,
     .doc = "datagen: characters of a STRING, bytes of a BYTES, elements of an ARRAY or MAP column (default: 100 for "
            "strings and bytes, or the declared length if shorter; 3 for collections)."},
    {.name = "fields.#.var-len", .type = OPT_BOOL, .to = {OPT_FIELD(GenField, var_len)}, .deflt = "false",
     .doc = "datagen: a STRING or BYTES column gets a random length from 1 to 'length'."},
    {.name = "fields.#.start", .type = OPT_STRING, .to = {OPT_FIELD(GenField, start)},
     .doc = "datagen: first value of a sequence (kind 'sequence')."},
    {.name = "fields.#.end", .type = OPT_STRING, .to = {OPT_FIELD(GenField, end)},
     .doc = "datagen: last value of a sequence; the source ends after it."},
    {.name = "fields.#.null-rate", .type = OPT_DOUBLE, .to = {OPT_FIELD(GenField, null_rate)}, .deflt = "0", .min = 0, .max = 1,
     .doc = "datagen: the share of NULL values, from 0 to 1 (the column must be nullable)."},
    {0},
};

static bool is_int(TypeKind k) { return k >= TY_TINYINT && k <= TY_BIGINT; }
static bool is_number(TypeKind k) { return is_int(k) || k == TY_FLOAT || k == TY_DOUBLE || k == TY_DECIMAL; }
static bool is_time(TypeKind k) { return k == TY_TIMESTAMP || k == TY_TIMESTAMP_LTZ || k == TY_DATE; }
static bool has_length(TypeKind k) { return k == TY_STRING || k == TY_BYTES || k == TY_ARRAY || k == TY_MAP; }

/* Whether option `opt` (its name after 'fields.#.') applies to a column of
 * type k generated as `kind`; else what it applies to, for the message. */
static const char *option_misfit(const char *opt, TypeKind k, GenKind kind)
{
    if (strcmp(opt, "kind") == 0 || strcmp(opt, "null-rate") == 0) return NULL;
    if (strcmp(opt, "min") == 0 || strcmp(opt, "max") == 0)
        return !is_number(k) ? "number columns" : kind != GEN_RANDOM ? "kind 'random'" : NULL;
    if (strcmp(opt, "max-past") == 0)
        return !is_time(k) ? "TIMESTAMP, TIMESTAMP_LTZ and DATE columns" : kind != GEN_RANDOM ? "kind 'random'" : NULL;
    if (strcmp(opt, "length") == 0)
        return !has_length(k) ? "STRING, BYTES, ARRAY and MAP columns" : kind != GEN_RANDOM ? "kind 'random'" : NULL;
    if (strcmp(opt, "var-len") == 0)
        return k != TY_STRING && k != TY_BYTES ? "STRING and BYTES columns" : kind != GEN_RANDOM ? "kind 'random'" : NULL;
    if (strcmp(opt, "start") == 0 || strcmp(opt, "end") == 0) return kind != GEN_SEQUENCE ? "kind 'sequence'" : NULL;
    return NULL;
}

/* The range of numbers of a type, as doubles (a DECIMAL's in its own units). */
static void type_range(Type t, double *lo, double *hi)
{
    switch (t.kind) {
    case TY_TINYINT: *lo = -128, *hi = 127; break;
    case TY_SMALLINT: *lo = -32768, *hi = 32767; break;
    case TY_INT: *lo = -2147483648.0, *hi = 2147483647.0; break;
    case TY_BIGINT: *lo = -9223372036854775808.0, *hi = 9223372036854775807.0; break;
    case TY_FLOAT: *lo = -FLT_MAX, *hi = FLT_MAX; break;
    case TY_DECIMAL: {
        /* p digits, at most 18 (a 64-bit unscaled value) */
        int p = t.precision > 18 ? 18 : t.precision;
        *hi = (pow(10, p) - 1) / pow(10, t.scale);
        *lo = -*hi;
        break;
    }
    default: *lo = -DBL_MAX, *hi = DBL_MAX; break;
    }
}

/* A number written in option key for a column of type t: 0, or an error. */
static int parse_number(ConnCtx *c, const char *key, const char *text, Type t, bool whole, double *out, int64_t *iout)
{
    char *end;
    errno = 0;
    if (whole || is_int(t.kind)) {
        long long v = strtoll(text, &end, 10);
        if (errno || end == text || *end)
            return diag_error(c->diag, DIAG_OPTION, conn_pos(c, key), "option '%s': '%s' is not a whole number", key, text);
        *iout = v;
        *out = (double)v;
    } else {
        double v = strtod(text, &end);
        if (errno || end == text || *end || !isfinite(v))
            return diag_error(c->diag, DIAG_OPTION, conn_pos(c, key), "option '%s': '%s' is not a number", key, text);
        *out = v;
        *iout = (int64_t)v;
    }
    double lo, hi;
    type_range(t, &lo, &hi);
    if (is_number(t.kind) && (*out < lo || *out > hi)) {
        StrBuf ty = {0};
        type_print(&ty, t);
        int rc = diag_error(c->diag, DIAG_OPTION, conn_pos(c, key), "option '%s': %s is out of the range of %s", key, text, ty.s);
        sb_free(&ty);
        return rc;
    }
    return 0;
}

/* Checks one column's options and derives its ranges. */
static int finish_field(ConnCtx *c, int col)
{
    CatTable *t = c->table;
    Connector *cn = &t->conn;
    GenField *g = &cn->gen[col];
    Type ty = t->cols[col].type;
    const char *name = t->cols[col].name;
    char key[600];
#define KEY(opt) (snprintf(key, sizeof key, "fields.%s.%s", name, opt), key)
    if (g->null_rate > 0 && !ty.nullable)
        return diag_error(c->diag, DIAG_OPTION, conn_pos(c, KEY("null-rate")), "option '%s': column '%s' is NOT NULL", key, name);
    if (g->kind == GEN_SEQUENCE) {
        if (!is_number(ty.kind) && ty.kind != TY_STRING)
            return diag_error(c->diag, DIAG_OPTION, conn_pos(c, KEY("kind")),
                              "option '%s': a sequence is for number and string columns, and '%s' is not one", key, name);
        if (!g->start || !g->end)
            return diag_error(c->diag, DIAG_OPTION, conn_pos(c, KEY("kind")), "option '%s' is 'sequence': it needs 'fields.%s.%s'",
                              key, name, g->start ? "end" : "start");
        double d;
        Type whole = ty.kind == TY_STRING ? (Type){.kind = TY_BIGINT} : ty;
        if (parse_number(c, KEY("start"), g->start, whole, true, &d, &g->seq_start)) return c->diag->code;
        if (parse_number(c, KEY("end"), g->end, whole, true, &d, &g->seq_end)) return c->diag->code;
        if (g->seq_end < g->seq_start)
            return diag_error(c->diag, DIAG_OPTION, conn_pos(c, KEY("end")), "option '%s': the sequence ends (%lld) before it starts (%lld)",
                              key, (long long)g->seq_end, (long long)g->seq_start);
        if (ty.kind == TY_DECIMAL && (double)g->seq_end * pow(10, ty.scale) > 9.2e18)
            return diag_error(c->diag, DIAG_OPTION, conn_pos(c, KEY("end")), "option '%s': %lld is out of the range of the column", key,
                              (long long)g->seq_end);
        uint64_t count = (uint64_t)g->seq_end - (uint64_t)g->seq_start;   /* rows - 1 */
        int64_t rows = count >= (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)count + 1;
        if (cn->number_of_rows < 0 || rows < cn->number_of_rows) cn->number_of_rows = rows;
        return 0;
    }
    if (is_number(ty.kind)) {
        type_range(ty, &g->lo, &g->hi);
        if (is_int(ty.kind)) g->seq_start = (int64_t)g->lo, g->seq_end = ty.kind == TY_BIGINT ? INT64_MAX : (int64_t)g->hi;
        if (g->min && parse_number(c, KEY("min"), g->min, ty, false, &g->lo, &g->seq_start)) return c->diag->code;
        if (g->max && parse_number(c, KEY("max"), g->max, ty, false, &g->hi, &g->seq_end)) return c->diag->code;
        if (g->hi < g->lo)
            return diag_error(c->diag, DIAG_OPTION, conn_pos(c, KEY(g->max ? "max" : "min")), "option '%s': max (%s) is below min (%s)",
                              key, g->max ? g->max : "the type's largest", g->min ? g->min : "the type's smallest");
    }
    if (has_length(ty.kind) && !g->length) {
        g->length = ty.kind == TY_ARRAY || ty.kind == TY_MAP ? 3 : 100;
        if (ty.len > 0 && ty.len < g->length) g->length = ty.len;
    } else if (has_length(ty.kind) && ty.len > 0 && g->length > ty.len && ty.kind != TY_ARRAY && ty.kind != TY_MAP) {
        return diag_error(c->diag, DIAG_OPTION, conn_pos(c, KEY("length")), "option '%s': %lld is longer than the column's length %d", key,
                          (long long)g->length, ty.len);
    }
#undef KEY
    return 0;
}

static int datagen_resolve(ConnCtx *c)
{
    CatTable *t = c->table;
    Connector *cn = &t->conn;
    cn->kind = CONN_DATAGEN;
    cn->mode = MODE_APPEND;
    cn->topic = t->name;   /* (no topic: only named for messages) */
    if (conn_pos(c, "number-of-rows") < 0) cn->number_of_rows = -1;
    cn->gen = arena_alloc(&t->arena, sizeof *cn->gen * (size_t)(t->ncols ? t->ncols : 1));
    memset(cn->gen, 0, sizeof *cn->gen * (size_t)(t->ncols ? t->ncols : 1));
    for (int i = 0; i < t->ncols; i++) {
        opt_defaults(field_options, &cn->gen[i], &t->arena);
        if (t->cols[i].kind == COL_METADATA)
            return diag_error(c->diag, DIAG_OPTION, c->stmt->name_pos, "column '%s': a datagen table has no metadata columns (METADATA FROM '%s')",
                              t->cols[i].name, t->cols[i].meta_key);
    }
    /* The fields.<column>.<option> keys, each parsed into its column's GenField.
     * The column is the text up to the key's last '.', so a column name may hold dots. */
    for (int pass = 0; pass < 2; pass++) {   /* kind first: the other options' fit depends on it */
        for (int i = 0; i < t->nopts; i++) {
            const char *key = t->opts[i].key;
            if (strncmp(key, "fields.", 7) != 0) continue;
            const char *dot = strrchr(key + 7, '.');
            int pos = conn_pos(c, key);
            if (!dot || dot == key + 7)
                return diag_error(c->diag, DIAG_OPTION, pos, "option '%s': write 'fields.<column>.<option>' (see: eddy help options)", key);
            const char *opt = dot + 1;
            if ((strcmp(opt, "kind") == 0) != (pass == 0)) continue;
            char col[256];
            snprintf(col, sizeof col, "%.*s", (int)(dot - key - 7), key + 7);
            int ci = cattable_column(t, col);
            if (ci < 0 || t->cols[ci].kind != COL_PHYSICAL)
                return diag_error(c->diag, DIAG_OPTION, pos, "option '%s' names '%s', which is not a physical column of '%s'", key, col,
                                  t->name);
            const OptionDef *od = NULL;
            for (const OptionDef *f = field_options; f->name && !od; f++)
                if (strcmp(f->name + 9, opt) == 0) od = f;   /* after "fields.#." */
            if (!od) return diag_error(c->diag, DIAG_OPTION, pos, "unknown datagen option '%s' (see: eddy help options)", key);
            const char *misfit = option_misfit(opt, (TypeKind)t->cols[ci].type.kind, cn->gen[ci].kind);
            if (misfit) {
                StrBuf ty = {0};
                type_print(&ty, t->cols[ci].type);
                int rc = diag_error(c->diag, DIAG_OPTION, pos, "option '%s' applies to %s, and column '%s' is %s%s", key, misfit, col,
                                    ty.s, cn->gen[ci].kind == GEN_SEQUENCE ? " (a sequence)" : "");
                sb_free(&ty);
                return rc;
            }
            char err[600];
            if (!opt_set(od, key, t->opts[i].value, &cn->gen[ci], &t->arena, err, sizeof err))
                return diag_error(c->diag, DIAG_OPTION, t->opts[i].value ? conn_pos(c, key) : pos, "%s", err);
        }
    }
    for (int i = 0; i < t->ncols; i++)
        if (t->cols[i].kind == COL_PHYSICAL && finish_field(c, i)) return c->diag->code;
    return 0;
}

const ConnectorDef datagen_connector = {.options = datagen_options, .resolve = datagen_resolve, .per_column = field_options,
                                        .source_only = true};
