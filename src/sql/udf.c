/*
 * udf.c — user-defined scalar functions in C, compile side: a UserFunc is
 * a row of the function table (func.h: FuncDef with id FN_USER) that the
 * catalog keeps by name.  Here: making one from eddy.h types (udf_new,
 * for eddy_register_function and CREATE FUNCTION), reading a library's
 * eddy_udf descriptor (udf_load: the one file that includes dlfcn.h), the
 * type rule of a call (finfer_user) and the copy a bound call keeps.
 * Calling one is exec/fn_user.c; the calling convention is documented in
 * include/eddy.h.
 */
#include "func.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The SQL type of an eddy_type a function may take or return; false for
 * the others (DECIMAL, INTERVAL, nested types, NULL). */
static bool udf_type(eddy_type et, Type *out)
{
    static const struct {
        eddy_type et;
        TypeKind  k;
    } map[] = {
        {EDDY_TYPE_BOOLEAN, TY_BOOLEAN}, {EDDY_TYPE_TINYINT, TY_TINYINT}, {EDDY_TYPE_SMALLINT, TY_SMALLINT},
        {EDDY_TYPE_INT, TY_INT},         {EDDY_TYPE_BIGINT, TY_BIGINT},   {EDDY_TYPE_FLOAT, TY_FLOAT},
        {EDDY_TYPE_DOUBLE, TY_DOUBLE},   {EDDY_TYPE_STRING, TY_STRING},   {EDDY_TYPE_BYTES, TY_BYTES},
        {EDDY_TYPE_DATE, TY_DATE},       {EDDY_TYPE_TIMESTAMP, TY_TIMESTAMP}, {EDDY_TYPE_TIMESTAMP_LTZ, TY_TIMESTAMP_LTZ},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (map[i].et == et) {
            *out = type_make(map[i].k, true);
            if (map[i].k == TY_TIMESTAMP || map[i].k == TY_TIMESTAMP_LTZ) out->precision = 3;
            return true;
        }
    return false;
}

UserFunc *udf_new(const char *name, const eddy_type *args, int nargs, eddy_type ret, eddy_scalar_fn fn, void *ctx, int flags,
                  const char *source, bool temporary, char *err, size_t errlen)
{
    if (!name || !*name || !fn || nargs < 0 || nargs > EDDY_UDF_MAX_ARGS || (nargs && !args)) {
        if (!fn) snprintf(err, errlen, "function '%s': no C function given", name ? name : "");
        else snprintf(err, errlen, "function '%s': a function takes 0 to %d arguments, not %d", name ? name : "", EDDY_UDF_MAX_ARGS, nargs);
        return NULL;
    }
    UserFunc *f = calloc(1, sizeof *f);
    if (!f) abort();
    for (int i = 0; i < nargs; i++)
        if (!udf_type(args[i], &f->args[i])) {
            snprintf(err, errlen, "function '%s': argument %d has a type a C function cannot take (eddy_type %d; see eddy_udf in eddy.h)",
                     name, i + 1, (int)args[i]);
            free(f);
            return NULL;
        }
    if (!udf_type(ret, &f->ret)) {
        snprintf(err, errlen, "function '%s': its result has a type a C function cannot return (eddy_type %d; see eddy_udf in eddy.h)",
                 name, (int)ret);
        free(f);
        return NULL;
    }
    f->nargs = nargs;
    f->fn = fn;
    f->ctx = ctx;
    f->flags = flags;
    f->temporary = temporary;
    f->source = source ? strdup(source) : NULL;
    f->def = (FuncDef){.name = strdup(name), .id = FN_USER, .minargs = nargs, .maxargs = nargs, .infer = finfer_user,
                       .doc = "a user-defined function"};
    if (!f->def.name || (source && !f->source)) abort();
    return f;
}

void udf_free(UserFunc *f)
{
    if (!f) return;
    free((char *)f->def.name);
    free((char *)f->source);
    free(f);
}

const FuncDef *udf_copy(Arena *a, const UserFunc *f)
{
    UserFunc *c = arena_alloc(a, sizeof *c);
    *c = *f;
    c->def.name = arena_strdup(a, f->def.name);
    c->source = f->source ? arena_strdup(a, f->source) : NULL;
    return &c->def;
}

int udf_load(const char *spec, const eddy_udf **out, char *err, size_t errlen)
{
    const char *colon = strrchr(spec, ':');
    if (!colon || colon == spec || !colon[1]) {
        snprintf(err, errlen, "'%s' should be 'path/to/library.so:symbol' (the library and the eddy_udf it exports)", spec);
        return -1;
    }
    char path[4096];
    snprintf(path, sizeof path, "%.*s", (int)(colon - spec), spec);
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        snprintf(err, errlen, "cannot open library '%s': %s", path, why ? why : "?");
        return -1;
    }
    dlerror();
    const eddy_udf *u = dlsym(h, colon + 1);
    if (!u) {
        snprintf(err, errlen, "library '%s' has no symbol '%s'", path, colon + 1);
        return -1;   /* (the library stays loaded: dlclose could unload one a function of which is in use) */
    }
    if (u->abi != EDDY_UDF_ABI) {
        snprintf(err, errlen, "symbol '%s' of '%s' is not an eddy_udf of version %d (abi %d)", colon + 1, path, EDDY_UDF_ABI, u->abi);
        return -1;
    }
    if (!u->fn || u->nargs < 0 || u->nargs > EDDY_UDF_MAX_ARGS) {
        snprintf(err, errlen, "the eddy_udf '%s' of '%s' has %s", colon + 1, path, !u->fn ? "no function" : "a bad argument count");
        return -1;
    }
    *out = u;
    return 0;
}

static bool is_int(int k) { return k >= TY_TINYINT && k <= TY_BIGINT; }

bool finfer_user(BExpr *c, Diag *d)
{
    const UserFunc *f = func_user(c->fn);
    for (int i = 0; i < c->nargs; i++) {
        Type g = c->args[i]->type, w = f->args[i];
        bool ok = g.kind == TY_NULL || g.kind == w.kind || (is_int(g.kind) && is_int(w.kind) && g.kind <= w.kind) ||
                  ((is_int(g.kind) || g.kind == TY_FLOAT) && (w.kind == TY_FLOAT || w.kind == TY_DOUBLE) && g.kind <= w.kind);
        if (!ok) {
            StrBuf gs = {0}, ws = {0};
            type_print(&gs, g);
            type_print(&ws, w);
            diag_error(d, DIAG_SEMANTIC, c->args[i]->pos, "%s takes %s as argument %d, not %s (CAST it)", f->def.name, ws.s, i + 1, gs.s);
            sb_free(&gs);
            sb_free(&ws);
            return false;
        }
    }
    c->type = f->ret;
    return true;
}

void udf_describe(const UserFunc *f, StrBuf *out)
{
    sb_printf(out, "%s(", f->def.name);
    for (int i = 0; i < f->nargs; i++) {
        if (i) sb_puts(out, ", ");
        type_print(out, f->args[i]);
    }
    sb_puts(out, ") RETURNS ");
    type_print(out, f->ret);
    if (f->source) sb_printf(out, " from '%s'", f->source);
}
