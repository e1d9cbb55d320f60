/*
 * fn_json.c — JSON_VALUE, JSON_EXISTS, JSON_QUERY, JSON_OBJECT and
 * JSON_ARRAY over JSON text, with Flink's (SQL:2016) semantics.
 *
 * The text is parsed into a small tree in the batch arena (at most
 * JSON_MAX_DEPTH levels: deeper text is an error, never a stack overflow),
 * the path (jpath.h) walked over it.
 *
 *   - lax mode (the default): a missing member or an index past the end
 *     selects nothing (ON EMPTY), a member step on an array applies to its
 *     elements; strict mode: those are errors (ON ERROR).
 *   - JSON_VALUE: one scalar; its text (a string's value, a number as
 *     written, true/false), converted to the RETURNING type; JSON null is
 *     SQL NULL; an object, an array, several items or text that is not
 *     JSON are errors.  Defaults: NULL ON EMPTY, NULL ON ERROR.
 *   - JSON_EXISTS: whether the path selects anything; default FALSE ON ERROR.
 *   - JSON_QUERY: the object or array selected, as compact JSON text; a
 *     scalar or several items are errors unless WITH [CONDITIONAL] ARRAY
 *     WRAPPER wraps them in an array.  Defaults: NULL ON EMPTY and ON ERROR.
 *   - JSON_OBJECT (default NULL ON NULL) and JSON_ARRAY (default ABSENT ON
 *     NULL) write their values as JSON: strings quoted, numbers and
 *     booleans bare, other types as their text in quotes; the result of a
 *     nested JSON_OBJECT, JSON_ARRAY or JSON_QUERY is inserted as JSON, not
 *     as a string.  A NULL key is an error.
 */
#include "fn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jpath.h"

#define JSON_MAX_DEPTH 256

typedef enum JKind { J_NULL, J_FALSE, J_TRUE, J_NUM, J_STR, J_ARR, J_OBJ } JKind;

typedef struct JNode JNode;
struct JNode {
    JKind       kind;     /* what it is */
    const char *s;        /* J_NUM: its text; J_STR: decoded value; J_OBJ member: (in `key`) */
    int         n;        /* length of s */
    const char *key;      /* as a member of an object: its decoded name */
    int         keyn;     /* its length */
    JNode      *first;    /* J_ARR / J_OBJ: first child */
    JNode      *next;     /* next sibling */
    int         count;    /* J_ARR / J_OBJ: children */
};

typedef struct JParser {
    const char *s;        /* the text */
    int         n, i;     /* length, position */
    EvalCtx    *ctx;      /* arena */
} JParser;

static void ws(JParser *p)
{
    while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' || p->s[p->i] == '\r')) p->i++;
}

static int hexv(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int enc(char *o, uint32_t c)
{
    if (c < 0x80) return o[0] = (char)c, 1;
    if (c < 0x800) return o[0] = (char)(0xC0 | (c >> 6)), o[1] = (char)(0x80 | (c & 0x3F)), 2;
    if (c < 0x10000) return o[0] = (char)(0xE0 | (c >> 12)), o[1] = (char)(0x80 | ((c >> 6) & 0x3F)), o[2] = (char)(0x80 | (c & 0x3F)), 3;
    o[0] = (char)(0xF0 | (c >> 18));
    o[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    o[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

/* A string at p->i (the quote): decoded into the arena. */
static bool str(JParser *p, const char **out, int *outn)
{
    p->i++;
    int start = p->i;
    bool esc = false;
    while (p->i < p->n && p->s[p->i] != '"') {
        if ((unsigned char)p->s[p->i] < 0x20) return false;
        if (p->s[p->i] == '\\') esc = true, p->i++;
        p->i++;
    }
    if (p->i >= p->n) return false;
    int end = p->i++;
    if (!esc) return *out = p->s + start, *outn = end - start, true;
    char *o = fn_alloc(p->ctx, (size_t)(end - start));
    int w = 0;
    for (int i = start; i < end; i++) {
        char c = p->s[i];
        if (c != '\\') {
            o[w++] = c;
            continue;
        }
        c = p->s[++i];
        switch (c) {
        case '"': case '\\': case '/': o[w++] = c; break;
        case 'b': o[w++] = '\b'; break;
        case 'f': o[w++] = '\f'; break;
        case 'n': o[w++] = '\n'; break;
        case 'r': o[w++] = '\r'; break;
        case 't': o[w++] = '\t'; break;
        case 'u': {
            if (i + 4 >= end) return false;
            uint32_t cp = 0;
            for (int k = 1; k <= 4; k++) {
                int h = hexv(p->s[i + k]);
                if (h < 0) return false;
                cp = cp << 4 | (uint32_t)h;
            }
            i += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && i + 6 < end && p->s[i + 1] == '\\' && p->s[i + 2] == 'u') {
                uint32_t lo = 0;
                bool ok = true;
                for (int k = 3; k <= 6; k++) {
                    int h = hexv(p->s[i + k]);
                    if (h < 0) ok = false;
                    else lo = lo << 4 | (uint32_t)h;
                }
                if (ok && lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    i += 6;
                }
            }
            w += enc(o + w, cp);   /* at most 4 bytes for 6 or 12 of text */
            break;
        }
        default: return false;
        }
    }
    *out = o;
    *outn = w;
    return true;
}

static JNode *value(JParser *p, int depth)
{
    if (depth > JSON_MAX_DEPTH) return NULL;
    ws(p);
    if (p->i >= p->n) return NULL;
    JNode *j = arena_alloc(p->ctx->arena, sizeof *j);
    char c = p->s[p->i];
    if (c == '{' || c == '[') {
        bool obj = c == '{';
        j->kind = obj ? J_OBJ : J_ARR;
        p->i++;
        ws(p);
        if (p->i < p->n && p->s[p->i] == (obj ? '}' : ']')) return p->i++, j;
        JNode **tail = &j->first;
        while (1) {
            const char *k = NULL;
            int kn = 0;
            if (obj) {
                ws(p);
                if (p->i >= p->n || p->s[p->i] != '"' || !str(p, &k, &kn)) return NULL;
                ws(p);
                if (p->i >= p->n || p->s[p->i] != ':') return NULL;
                p->i++;
            }
            JNode *ch = value(p, depth + 1);
            if (!ch) return NULL;
            ch->key = k;
            ch->keyn = kn;
            *tail = ch;
            tail = &ch->next;
            j->count++;
            ws(p);
            if (p->i >= p->n) return NULL;
            if (p->s[p->i] == ',') {
                p->i++;
                continue;
            }
            if (p->s[p->i] == (obj ? '}' : ']')) return p->i++, j;
            return NULL;
        }
    }
    if (c == '"') {
        j->kind = J_STR;
        return str(p, &j->s, &j->n) ? j : NULL;
    }
    static const struct { const char *w; JKind k; } words[] = {{"null", J_NULL}, {"true", J_TRUE}, {"false", J_FALSE}};
    for (int k = 0; k < 3; k++) {
        int len = (int)strlen(words[k].w);
        if (p->n - p->i >= len && memcmp(p->s + p->i, words[k].w, (size_t)len) == 0) {
            p->i += len;
            j->kind = words[k].k;
            return j;
        }
    }
    int start = p->i;
    if (p->i < p->n && p->s[p->i] == '-') p->i++;
    int d0 = p->i;
    while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') p->i++;
    if (p->i == d0) return NULL;
    if (p->i < p->n && p->s[p->i] == '.') {
        p->i++;
        int f0 = p->i;
        while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') p->i++;
        if (p->i == f0) return NULL;
    }
    if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
        p->i++;
        if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-')) p->i++;
        int e0 = p->i;
        while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') p->i++;
        if (p->i == e0) return NULL;
    }
    j->kind = J_NUM;
    j->s = p->s + start;
    j->n = p->i - start;
    return j;
}

static JNode *parse_doc(const char *s, int n, EvalCtx *ctx)
{
    JParser p = {.s = s, .n = n, .ctx = ctx};
    JNode *j = value(&p, 0);
    if (!j) return NULL;
    ws(&p);
    return p.i == p.n ? j : NULL;
}

/* ---- paths ---- */

typedef struct JSet {
    JNode **v;            /* selected items */
    int     n, cap;       /* count, capacity */
} JSet;

static void set_add(JSet *s, JNode *j, EvalCtx *ctx)
{
    if (s->n == s->cap) {
        int cap = s->cap ? s->cap * 2 : 8;
        JNode **v = (JNode **)(void *)fn_alloc(ctx, sizeof(JNode *) * (size_t)cap);
        if (s->n) memcpy(v, s->v, sizeof(JNode *) * (size_t)s->n);
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = j;
}

/* The decoded name of a member step. */
static void step_name(const JStep *st, const char **s, int *n, EvalCtx *ctx)
{
    *s = st->name;
    *n = st->n;
    if (!st->escaped) return;
    char *o = fn_alloc(ctx, (size_t)st->n);
    int w = 0;
    for (int i = 0; i < st->n; i++) {
        if (st->name[i] == '\\' && i + 1 < st->n) i++;
        o[w++] = st->name[i];
    }
    *s = o;
    *n = w;
}

/* Applies one step to j, adding what it selects; false on a strict-mode error. */
static bool apply(const JPath *path, const JStep *st, JNode *j, JSet *out, EvalCtx *ctx, bool unwrap)
{
    switch (st->kind) {
    case JS_MEMBER:
    case JS_ANY_MEMBER:
        if (j->kind == J_ARR && !path->strict && unwrap) {
            for (JNode *c = j->first; c; c = c->next)
                if (!apply(path, st, c, out, ctx, false)) return false;
            return true;
        }
        if (j->kind != J_OBJ) return !path->strict;
        if (st->kind == JS_ANY_MEMBER) {
            for (JNode *c = j->first; c; c = c->next) set_add(out, c, ctx);
            return true;
        }
        {
            const char *name;
            int nn;
            step_name(st, &name, &nn, ctx);
            for (JNode *c = j->first; c; c = c->next)
                if (c->keyn == nn && memcmp(c->key, name, (size_t)nn) == 0) return set_add(out, c, ctx), true;
        }
        return !path->strict;
    case JS_INDEX:
    case JS_ANY_INDEX:
        if (j->kind != J_ARR) {
            if (path->strict) return false;
            if (st->kind == JS_ANY_INDEX || st->index == 0) set_add(out, j, ctx);   /* lax: a non-array is an array of itself */
            return true;
        }
        if (st->kind == JS_ANY_INDEX) {
            for (JNode *c = j->first; c; c = c->next) set_add(out, c, ctx);
            return true;
        }
        {
            long k = 0;
            for (JNode *c = j->first; c; c = c->next, k++)
                if (k == st->index) return set_add(out, c, ctx), true;
        }
        return !path->strict;
    }
    return false;
}

/* Evaluates the path over the text: 0 with the selection, -1 an error (bad JSON or path, strict violation). */
static int select_path(const Value *doc, const Value *pathv, JSet *res, EvalCtx *ctx)
{
    JPath path;
    char err[160];
    if (!jpath_parse(pathv->s, pathv->n, &path, err, sizeof err)) return -1;
    JNode *root = parse_doc(doc->s, doc->n, ctx);
    if (!root) return -1;
    JSet cur = {0};
    set_add(&cur, root, ctx);
    for (int k = 0; k < path.nsteps; k++) {
        JSet next = {0};
        for (int i = 0; i < cur.n; i++)
            if (!apply(&path, &path.steps[k], cur.v[i], &next, ctx, true)) return -1;
        cur = next;
    }
    *res = cur;
    return 0;
}

/* ---- writing JSON ---- */

static void put_str(StrBuf *b, const char *s, int n)
{
    sb_putc(b, '"');
    for (int i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': sb_puts(b, "\\\""); break;
        case '\\': sb_puts(b, "\\\\"); break;
        case '\n': sb_puts(b, "\\n"); break;
        case '\r': sb_puts(b, "\\r"); break;
        case '\t': sb_puts(b, "\\t"); break;
        case '\b': sb_puts(b, "\\b"); break;
        case '\f': sb_puts(b, "\\f"); break;
        default:
            if (c < 0x20) sb_printf(b, "\\u%04x", c);
            else sb_putc(b, (char)c);
        }
    }
    sb_putc(b, '"');
}

static void put_node(StrBuf *b, const JNode *j)
{
    switch (j->kind) {
    case J_NULL: sb_puts(b, "null"); break;
    case J_TRUE: sb_puts(b, "true"); break;
    case J_FALSE: sb_puts(b, "false"); break;
    case J_NUM: sb_printf(b, "%.*s", j->n, j->s); break;
    case J_STR: put_str(b, j->s, j->n); break;
    case J_ARR:
    case J_OBJ: {
        bool obj = j->kind == J_OBJ;
        sb_putc(b, obj ? '{' : '[');
        for (const JNode *c = j->first; c; c = c->next) {
            if (c != j->first) sb_putc(b, ',');
            if (obj) {
                put_str(b, c->key, c->keyn);
                sb_putc(b, ':');
            }
            put_node(b, c);
        }
        sb_putc(b, obj ? '}' : ']');
        break;
    }
    }
}

static void out_text(StrBuf *b, Value *out, EvalCtx *ctx)
{
    char *p = fn_alloc(ctx, b->len);
    if (b->len) memcpy(p, b->s, b->len);
    fn_str(out, p, (int32_t)b->len);
    sb_free(b);
}

static bool is_json_call(const BExpr *a)
{
    return a->kind == BX_CALL && (a->fn->id == FN_JSON_OBJECT || a->fn->id == FN_JSON_ARRAY || a->fn->id == FN_JSON_QUERY);
}

/* A SQL value as JSON. */
static void put_value(StrBuf *b, const BExpr *a, const Value *v, const EvalCtx *ctx)
{
    Type t = a->type;
    if (v->null || t.kind == TY_NULL) return sb_puts(b, "null");
    if (is_json_call(a)) return (void)sb_printf(b, "%.*s", (int)v->n, v->s);
    switch (t.kind) {
    case TY_STRING: put_str(b, v->s, v->n); return;
    case TY_BOOLEAN: sb_puts(b, v->i ? "true" : "false"); return;
    case TY_TINYINT: case TY_SMALLINT: case TY_INT: case TY_BIGINT: case TY_DECIMAL: value_print(b, t, v); return;
    case TY_FLOAT:
    case TY_DOUBLE:
        if (v->d != v->d || v->d - v->d != 0) break;   /* NaN, Infinity: text */
        value_print(b, t, v);
        return;
    default: break;
    }
    StrBuf s = {0};
    value_print_tz(&s, t, v, ctx->tz);
    put_str(b, s.s ? s.s : "", (int)s.len);
    sb_free(&s);
}

static int build(const BExpr *e, const Value *row, Value *out, EvalCtx *ctx)
{
    bool obj = e->fn->id == FN_JSON_OBJECT;
    int on_null = JF_ON_NULL(e->flags);
    bool absent = on_null ? on_null == 2 : !obj;   /* JSON_OBJECT: NULL ON NULL, JSON_ARRAY: ABSENT ON NULL */
    StrBuf b = {0};
    sb_putc(&b, obj ? '{' : '[');
    bool first = true;
    for (int i = 0; i < e->nargs; i += obj ? 2 : 1) {
        Value k, v;
        memset(&k, 0, sizeof k);
        if (obj) {
            if (eval_expr(e->args[i], row, &k, ctx)) return sb_free(&b), -1;
            if (k.null || e->args[i]->type.kind == TY_NULL) {
                sb_free(&b);
                return fn_fail(ctx, e->args[i], "JSON_OBJECT: a key is NULL");
            }
        }
        const BExpr *va = e->args[obj ? i + 1 : i];
        if (eval_expr(va, row, &v, ctx)) return sb_free(&b), -1;
        if ((v.null || va->type.kind == TY_NULL) && absent) continue;
        if (!first) sb_putc(&b, ',');
        first = false;
        if (obj) {
            put_str(&b, k.s, k.n);
            sb_putc(&b, ':');
        }
        put_value(&b, va, &v, ctx);
    }
    sb_putc(&b, obj ? '}' : ']');
    out_text(&b, out, ctx);
    return 0;
}

/* JSON_VALUE's ON EMPTY / ON ERROR: `which` is 2 (empty) or 3 (error) among the arguments. */
static int behave(const BExpr *e, int how, int which, const char *what, const Value *row, Value *out, EvalCtx *ctx)
{
    if (how == JB_ERROR) return fn_fail(ctx, e, "%s: %s", e->fn->name, what);
    if (how == JB_DEFAULT && e->nargs == 4) {
        const BExpr *d = e->args[which];
        if (eval_expr(d, row, out, ctx)) return -1;
        if (out->null || d->type.kind == TY_NULL) return fn_null(out), 0;
        return eval_cast(e, d->type, e->type, out, false, ctx);
    }
    fn_null(out);
    return 0;
}

static int json_value(const BExpr *e, const Value *v, const Value *row, Value *out, EvalCtx *ctx)
{
    JSet r;
    int on_empty = JF_ON_EMPTY(e->flags), on_error = JF_ON_ERROR(e->flags);
    if (select_path(&v[0], &v[1], &r, ctx)) return behave(e, on_error, 3, "the text is not JSON or the path does not fit it", row, out, ctx);
    if (r.n == 0) return behave(e, on_empty, 2, "the path selects nothing", row, out, ctx);
    if (r.n > 1) return behave(e, on_error, 3, "the path selects more than one item", row, out, ctx);
    JNode *j = r.v[0];
    Value s;
    switch (j->kind) {
    case J_NULL: return fn_null(out), 0;
    case J_ARR:
    case J_OBJ: return behave(e, on_error, 3, "the path selects an object or array, not a scalar", row, out, ctx);
    case J_TRUE: fn_str(&s, "true", 4); break;
    case J_FALSE: fn_str(&s, "false", 5); break;
    default: fn_str(&s, j->s, j->n); break;
    }
    *out = s;
    if (e->type.kind == TY_STRING) return 0;
    if (e->type.kind == TY_BOOLEAN && j->kind != J_TRUE && j->kind != J_FALSE && j->kind != J_STR)
        return behave(e, on_error, 3, "the value is not a boolean", row, out, ctx);
    if (eval_cast(e, type_make(TY_STRING, false), e->type, out, true, ctx)) {
        *out = s;
        return behave(e, on_error, 3, "the value does not convert to the RETURNING type", row, out, ctx);
    }
    return 0;
}

static int json_query(const BExpr *e, const Value *v, Value *out, EvalCtx *ctx)
{
    JSet r;
    int on_empty = JF_ON_EMPTY(e->flags), on_error = JF_ON_ERROR(e->flags), wrap = JF_WRAPPER(e->flags);
    int how = 0;
    const char *what = NULL;
    StrBuf b = {0};
    if (select_path(&v[0], &v[1], &r, ctx)) how = on_error, what = "the text is not JSON or the path does not fit it";
    else if (r.n == 0 && wrap != 2) how = on_empty, what = "the path selects nothing";
    else if (wrap == 2 || (wrap == 1 && !(r.n == 1 && (r.v[0]->kind == J_ARR || r.v[0]->kind == J_OBJ)))) {
        sb_putc(&b, '[');
        for (int i = 0; i < r.n; i++) {
            if (i) sb_putc(&b, ',');
            put_node(&b, r.v[i]);
        }
        sb_putc(&b, ']');
        out_text(&b, out, ctx);
        return 0;
    } else if (r.n > 1) how = on_error, what = "the path selects more than one item (WITH ARRAY WRAPPER wraps them)";
    else if (r.v[0]->kind != J_ARR && r.v[0]->kind != J_OBJ) how = on_error, what = "the path selects a scalar (JSON_VALUE reads scalars)";
    else {
        put_node(&b, r.v[0]);
        out_text(&b, out, ctx);
        return 0;
    }
    switch (how) {
    case JB_ERROR: return fn_fail(ctx, e, "JSON_QUERY: %s", what);
    case JB_EMPTY_ARRAY: fn_str(out, "[]", 2); return 0;
    case JB_EMPTY_OBJECT: fn_str(out, "{}", 2); return 0;
    default: fn_null(out); return 0;
    }
}

int fn_json(const BExpr *e, const Value *row, Value *out, EvalCtx *ctx)
{
    if (e->fn->id == FN_JSON_OBJECT || e->fn->id == FN_JSON_ARRAY) return build(e, row, out, ctx);
    Value v[2];
    for (int i = 0; i < 2; i++) {
        if (eval_expr(e->args[i], row, &v[i], ctx)) return -1;
        if (v[i].null || e->args[i]->type.kind == TY_NULL) return fn_null(out), 0;
    }
    switch (e->fn->id) {
    case FN_JSON_VALUE: return json_value(e, v, row, out, ctx);
    case FN_JSON_QUERY: return json_query(e, v, out, ctx);
    default: {   /* JSON_EXISTS */
        JSet r;
        if (select_path(&v[0], &v[1], &r, ctx) == 0) return fn_int(out, r.n > 0), 0;
        switch (JF_ON_ERROR(e->flags)) {
        case JB_ERROR: return fn_fail(ctx, e, "JSON_EXISTS: the text is not JSON or the path does not fit it");
        case JB_TRUE: fn_int(out, 1); return 0;
        case JB_UNKNOWN: fn_null(out); return 0;
        default: fn_int(out, 0); return 0;
        }
    }
    }
}
