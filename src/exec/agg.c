/*
 * agg.c — COUNT, SUM, AVG, MIN, MAX as accumulators over a fixed-size slot
 * per group (agg.h), with Flink SQL's semantics:
 *
 *   COUNT(*) counts rows, COUNT(x) non-NULL x; BIGINT, never NULL.
 *   SUM, AVG, MIN, MAX skip NULL; over no non-NULL value they are NULL
 *   (a non-NULL count is kept for that, and for retraction).
 *   SUM of an integer type keeps the type and wraps on overflow, as Flink
 *   does (its SumAggFunction adds in the result type with Java arithmetic:
 *   SUM(INT) of 2147483647 and 1 is -2147483648).  SUM(FLOAT) adds in
 *   single precision, like Flink's FloatSumAggFunction.
 *   AVG of an integer type sums in BIGINT (Flink's getSumType() is BIGINT
 *   for TINYINT..BIGINT) and divides truncating toward zero, then narrows
 *   to the argument type; AVG(FLOAT) sums in DOUBLE.
 *   DECIMAL SUM/AVG are exact on the int64 unscaled value (value.h: 18
 *   digits); leaving that range is an error, never a wrong result.  AVG's
 *   result scale (max(s, 6), func.c) is reached by rescaling, with the
 *   quotient rounded HALF_UP (Flink's decimal division; Flink divides at a
 *   larger scale and casts again, which rounds the same except in
 *   pathological double-rounding cases).  Every value added to a DECIMAL
 *   AVG must itself fit the result scale, so that agg_result cannot fail.
 *   DISTINCT keeps a multiset value → count per group; a value reaches the
 *   inner aggregate on its first add and leaves it on its last retract.
 *   MIN/MAX over an input that retracts keep the multiset too, so
 *   retracting the current minimum finds the next one (Flink's
 *   MinWithRetractAggFunction keeps a MapView value → count likewise;
 *   counts may go negative when a retraction arrives before its add).
 *
 * Slot layouts (8-byte aligned; agg_state_size):
 *   COUNT                            int64 count                      8
 *   SUM, AVG                         Sum {sum, non-NULL count}       16
 *   MIN, MAX (append-only input)     Ext {value, inline ≤ 8 bytes}   16
 *   MIN, MAX (retracting input)      Mset *                           8
 *   COUNT(DISTINCT)                  Mset *, int64 count             16
 *   SUM/AVG(DISTINCT)                Mset *, Sum                     24
 * so the reference aggregate COUNT(*), SUM(DOUBLE), AVG(DOUBLE) is 40.
 *
 * The multiset (Mset) is a sorted array of (value, count) entries that
 * starts with room for 2 and doubles; past 128 entries it splits into
 * chunks of at most 128 under a sorted directory, so inserting into a
 * group with a million distinct values moves a few kilobytes, not
 * megabytes.  Strings up to 8 bytes live inside the entry, longer ones in
 * an exact-size allocation owned by the entry.
 */
#include "agg.h"

#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>
#include "func.h"
#include "rowkey.h"

#define DEC_MAX 999999999999999999LL   /* 18 digits: the DECIMAL range value.h promises */

/* ---- slot kinds ------------------------------------------------------------ */

typedef enum AggKind {
    AK_COUNT,      /* int64 */
    AK_SUM,        /* Sum */
    AK_AVG,        /* Sum */
    AK_EXT,        /* Ext: MIN/MAX over an append-only input */
    AK_EXT_MS,     /* Mset *: MIN/MAX over a retracting input */
    AK_COUNT_D,    /* DistCount */
    AK_SUM_D,      /* DistSum */
    AK_AVG_D,      /* DistSum */
} AggKind;

/* How SUM/AVG add: the argument's arithmetic class. */
typedef enum NumClass { NC_INT, NC_FLOAT, NC_DOUBLE, NC_DEC } NumClass;

typedef struct Sum {
    union {
        uint64_t u;   /* integers: wrapping two's complement sum */
        int64_t  i;   /* DECIMAL: unscaled sum, range-checked */
        double   d;   /* FLOAT, DOUBLE: the sum rounded to a double */
    };
    double  lo;       /* DOUBLE: the rest of the exact sum (d + lo), see dd_add */
    int64_t n;        /* non-NULL values added minus retracted */
} Sum;

/*
 * SUM and AVG of DOUBLE keep the sum as an unevaluated pair d + lo (two
 * error-free TwoSum steps per value).  While the exact sum of the values
 * fits in about 106 significant bits — any realistic stream of amounts,
 * e.g. a million values with cents — d + lo IS the exact sum and d its
 * correctly rounded value, so the result does not depend on the order in
 * which rows arrive or are retracted.  That is what makes a job restarted
 * after a crash (whose partitions interleave differently) end with
 * bit-identical doubles.  Flink adds doubles naively; eddy's results are
 * the correctly rounded ones, which may differ from Flink's in the last bit.
 */
static inline void dd_add(Sum *acc, double x)
{
    double s = acc->d + x, bp = s - acc->d;
    double e = (acc->d - (s - bp)) + (x - bp);   /* acc->d + x == s + e exactly */
    double t = acc->lo + e;                      /* exact while the pair holds the sum exactly */
    double h = s + t;
    bp = h - s;
    acc->lo = (s - (h - bp)) + (t - bp);         /* s + t == h + lo exactly */
    acc->d = h;
}

/* A value held by MIN/MAX (and the multiset): numbers in i/d; strings
 * inline when n ≤ 8, else in p. */
typedef union Payload {
    int64_t i;
    double  d;
    char   *p;
    char    inl[8];
} Payload;

typedef struct Ext {
    Payload v;        /* current extreme */
    int32_t n;        /* string length; -1 = no value yet */
    int32_t cap;      /* strings: capacity of v.p when > 0 (then the bytes are there even if n ≤ 8) */
} Ext;

typedef struct MsEnt {
    Payload v;        /* the value (strings longer than 8 bytes: exact-size allocation) */
    int32_t n;        /* string length */
    int64_t cnt;      /* multiplicity (negative: retracted before added) */
} MsEnt;

#define MS_CHUNK_MAX 128

typedef struct MsChunk {
    int32_t n;        /* entries used */
    int32_t cap;      /* entries allocated */
    MsEnt   e[];      /* sorted by value */
} MsChunk;

typedef struct Mset {
    int32_t  nchunks; /* chunks in dir (≥ 1) */
    int32_t  dircap;  /* capacity of dir */
    int64_t  nent;    /* entries in all chunks */
    MsChunk *dir[];   /* chunks in value order */
} Mset;

typedef struct DistCount {
    Mset   *ms;       /* distinct values seen */
    int64_t cnt;      /* values with a positive count */
} DistCount;

typedef struct DistSum {
    Mset *ms;         /* distinct values seen */
    Sum   sum;        /* over the distinct values */
} DistSum;

static AggKind kind_of(const AggSpec *s)
{
    FuncId f = s->call->fn->id;
    bool d = s->call->distinct;
    switch (f) {
    case FN_COUNT: return d && s->call->a ? AK_COUNT_D : AK_COUNT;
    case FN_SUM: return d ? AK_SUM_D : AK_SUM;
    case FN_AVG: return d ? AK_AVG_D : AK_AVG;
    default: return s->retract ? AK_EXT_MS : AK_EXT;   /* MIN, MAX: DISTINCT changes nothing */
    }
}

static NumClass num_class(Type t)
{
    switch ((TypeKind)t.kind) {
    case TY_FLOAT: return NC_FLOAT;
    case TY_DOUBLE: return NC_DOUBLE;
    case TY_DECIMAL: return NC_DEC;
    default: return NC_INT;
    }
}

static inline bool is_str(Type t) { return t.kind == TY_STRING || t.kind == TY_BYTES; }

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fputs("eddy: out of memory\n", stderr);
        abort();
    }
    return p;
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n);
    if (!p) {
        fputs("eddy: out of memory\n", stderr);
        abort();
    }
    return p;
}

/* ---- spec ---------------------------------------------------------------- */

void agg_spec_init(AggSpec *s, const BExpr *call, bool retract)
{
    memset(s, 0, sizeof *s);
    s->call = call;
    if (call->a) s->arg = call->a->type;
    s->result = call->type;
    s->retract = retract;
}

size_t agg_state_size(const AggSpec *s)
{
    switch (kind_of(s)) {
    case AK_COUNT: return sizeof(int64_t);
    case AK_SUM:
    case AK_AVG: return sizeof(Sum);
    case AK_EXT: return sizeof(Ext);
    case AK_EXT_MS: return sizeof(Mset *);
    case AK_COUNT_D: return sizeof(DistCount);
    default: return sizeof(DistSum);
    }
}

void agg_init(const AggSpec *s, void *state)
{
    memset(state, 0, agg_state_size(s));
    if (kind_of(s) == AK_EXT) ((Ext *)state)->n = -1;
}

/* ---- payloads -------------------------------------------------------------- */

static inline const char *pay_bytes(const Payload *p, int32_t n, bool heap)
{
    return heap || n > 8 ? p->p : p->inl;
}

/* The value a multiset entry holds, as a Value (strings point into the entry). */
static inline void ent_value(Type t, const MsEnt *e, Value *v)
{
    v->null = 0;
    v->n = 0;
    if (is_str(t)) {
        v->s = pay_bytes(&e->v, e->n, false);
        v->n = e->n;
    } else {
        v->i = e->v.i;   /* copies the double's bits too */
    }
}

/* Makes e own a copy of v. */
static void ent_set(Type t, MsEnt *e, const Value *v)
{
    e->n = 0;
    if (is_str(t)) {
        e->n = v->n;
        if (v->n > 8) {
            e->v.p = xmalloc((size_t)v->n);
            memcpy(e->v.p, v->s, (size_t)v->n);
        } else {
            memset(e->v.inl, 0, 8);
            if (v->n) memcpy(e->v.inl, v->s, (size_t)v->n);
        }
    } else {
        e->v.i = v->i;
    }
}

static inline void ent_release(Type t, MsEnt *e)
{
    if (is_str(t) && e->n > 8) free(e->v.p);
}

/* ---- multiset -------------------------------------------------------------- */

static MsChunk *chunk_new(int32_t cap)
{
    MsChunk *c = xmalloc(sizeof(MsChunk) + sizeof(MsEnt) * (size_t)cap);
    c->n = 0;
    c->cap = cap;
    return c;
}

static Mset *ms_new(void)
{
    Mset *m = xmalloc(sizeof(Mset) + sizeof(MsChunk *));
    m->nchunks = 1;
    m->dircap = 1;
    m->nent = 0;
    m->dir[0] = chunk_new(2);
    return m;
}

static void ms_free(Type t, Mset *m)
{
    if (!m) return;
    for (int32_t c = 0; c < m->nchunks; c++) {
        MsChunk *ch = m->dir[c];
        for (int32_t i = 0; i < ch->n; i++) ent_release(t, &ch->e[i]);
        free(ch);
    }
    free(m);
}

static inline int ent_cmp(Type t, const MsEnt *e, const Value *v)
{
    Value ev;
    ent_value(t, e, &ev);
    return value_cmp(t, &ev, v);
}

/* Locates v: *chunk and *pos of the first entry ≥ v (pos may be the
 * chunk's n when v is above every entry).  Returns true when equal. */
static bool ms_locate(Type t, const Mset *m, const Value *v, int32_t *chunk, int32_t *pos)
{
    int32_t lo = 0, hi = m->nchunks - 1;
    while (lo < hi) {   /* first chunk whose last entry is ≥ v */
        int32_t mid = lo + (hi - lo) / 2;
        const MsChunk *ch = m->dir[mid];
        if (ent_cmp(t, &ch->e[ch->n - 1], v) < 0) lo = mid + 1;
        else hi = mid;
    }
    const MsChunk *ch = m->dir[lo];
    int32_t a = 0, b = ch->n;
    while (a < b) {
        int32_t mid = a + (b - a) / 2;
        if (ent_cmp(t, &ch->e[mid], v) < 0) a = mid + 1;
        else b = mid;
    }
    *chunk = lo;
    *pos = a;
    return a < ch->n && ent_cmp(t, &ch->e[a], v) == 0;
}

/* Inserts a chunk into the directory at index at (may move *mp). */
static void ms_dir_insert(Mset **mp, int32_t at, MsChunk *ch)
{
    Mset *m = *mp;
    if (m->nchunks == m->dircap) {
        int32_t cap = m->dircap * 2;
        m = xrealloc(m, sizeof(Mset) + sizeof(MsChunk *) * (size_t)cap);
        m->dircap = cap;
        *mp = m;
    }
    memmove(&m->dir[at + 1], &m->dir[at], sizeof(MsChunk *) * (size_t)(m->nchunks - at));
    m->dir[at] = ch;
    m->nchunks++;
}

/* Returns a slot for a new entry before position pos of chunk c (entries
 * from pos on are shifted); the caller fills it. */
static MsEnt *ms_make_room(Mset **mp, int32_t c, int32_t pos)
{
    Mset *m = *mp;
    MsChunk *ch = m->dir[c];
    if (ch->n == ch->cap) {
        if (ch->cap < MS_CHUNK_MAX) {
            int32_t cap = ch->cap * 2;
            ch = xrealloc(ch, sizeof(MsChunk) + sizeof(MsEnt) * (size_t)cap);
            ch->cap = cap;
            m->dir[c] = ch;
        } else {
            /* Split: the upper half moves to a new chunk after this one. */
            MsChunk *hi = chunk_new(MS_CHUNK_MAX);
            int32_t half = ch->n / 2;
            hi->n = ch->n - half;
            memcpy(hi->e, &ch->e[half], sizeof(MsEnt) * (size_t)hi->n);
            ch->n = half;
            ms_dir_insert(mp, c + 1, hi);
            m = *mp;
            if (pos > half) {
                ch = hi;
                pos -= half;
            }
        }
    }
    memmove(&ch->e[pos + 1], &ch->e[pos], sizeof(MsEnt) * (size_t)(ch->n - pos));
    ch->n++;
    m->nent++;
    return &ch->e[pos];
}

static void ms_remove(Type t, Mset *m, int32_t c, int32_t pos)
{
    MsChunk *ch = m->dir[c];
    ent_release(t, &ch->e[pos]);
    memmove(&ch->e[pos], &ch->e[pos + 1], sizeof(MsEnt) * (size_t)(ch->n - pos - 1));
    ch->n--;
    m->nent--;
    if (m->nchunks == 1) return;
    if (ch->n == 0) {
        free(ch);
        memmove(&m->dir[c], &m->dir[c + 1], sizeof(MsChunk *) * (size_t)(m->nchunks - c - 1));
        m->nchunks--;
        return;
    }
    /* Keep chunks from thinning out after many removals: merge with the next
     * one when both fit in half a chunk. */
    if (c + 1 < m->nchunks) {
        MsChunk *nx = m->dir[c + 1];
        if (ch->n + nx->n <= MS_CHUNK_MAX / 2 && ch->cap >= ch->n + nx->n) {
            memcpy(&ch->e[ch->n], nx->e, sizeof(MsEnt) * (size_t)nx->n);
            ch->n += nx->n;
            free(nx);
            memmove(&m->dir[c + 1], &m->dir[c + 2], sizeof(MsChunk *) * (size_t)(m->nchunks - c - 2));
            m->nchunks--;
        }
    }
}

/* Adds sign (+1/-1) to v's count.  Returns +1 when v became present (count
 * 0 → 1 on an add), -1 when it left (1 → 0 on a retract), else 0. */
static int ms_update(Type t, Mset **mp, const Value *v, int sign)
{
    if (!*mp) *mp = ms_new();
    int32_t c, pos;
    if (ms_locate(t, *mp, v, &c, &pos)) {
        MsEnt *e = &(*mp)->dir[c]->e[pos];
        e->cnt += sign;
        int64_t cnt = e->cnt;
        if (cnt == 0) ms_remove(t, *mp, c, pos);
        if (sign > 0 && cnt == 1) return 1;
        if (sign < 0 && cnt == 0) return -1;
        return 0;
    }
    MsEnt *e = ms_make_room(mp, c, pos);
    ent_set(t, e, v);
    e->cnt = sign;
    return sign > 0 ? 1 : 0;
}

/* The smallest (dir = +1) or largest (dir = -1) value with a positive count. */
static const MsEnt *ms_extreme(const Mset *m, int dir)
{
    if (!m) return NULL;
    if (dir > 0) {
        for (int32_t c = 0; c < m->nchunks; c++)
            for (int32_t i = 0; i < m->dir[c]->n; i++)
                if (m->dir[c]->e[i].cnt > 0) return &m->dir[c]->e[i];
    } else {
        for (int32_t c = m->nchunks - 1; c >= 0; c--)
            for (int32_t i = m->dir[c]->n - 1; i >= 0; i--)
                if (m->dir[c]->e[i].cnt > 0) return &m->dir[c]->e[i];
    }
    return NULL;
}

/* ---- SUM / AVG arithmetic ------------------------------------------------- */

static const int64_t pow10_i64[19] = {
    1LL, 10LL, 100LL, 1000LL, 10000LL, 100000LL, 1000000LL, 10000000LL, 100000000LL,
    1000000000LL, 10000000000LL, 100000000000LL, 1000000000000LL, 10000000000000LL,
    100000000000000LL, 1000000000000000LL, 10000000000000000LL, 100000000000000000LL,
    1000000000000000000LL,
};

static int fail(char *err, size_t errlen, const char *fmt, const AggSpec *s)
{
    if (err && errlen) {
        StrBuf t = {0};
        type_print(&t, s->result);
        snprintf(err, errlen, fmt, s->call->fn->name, t.s ? t.s : "?");
        sb_free(&t);
    }
    return -1;
}

static int sum_update(const AggSpec *s, Sum *acc, const Value *v, int sign, bool avg, char *err, size_t errlen)
{
    switch (num_class(s->arg)) {
    case NC_INT:
        acc->u += sign > 0 ? (uint64_t)v->i : (uint64_t)0 - (uint64_t)v->i;
        break;
    case NC_FLOAT:
        if (avg) acc->d += sign > 0 ? v->d : -v->d;   /* AVG(FLOAT) sums in DOUBLE */
        else acc->d = (float)((float)acc->d + (sign > 0 ? (float)v->d : -(float)v->d));
        break;
    case NC_DOUBLE:
        dd_add(acc, sign > 0 ? v->d : -v->d);
        break;
    case NC_DEC: {
        if (avg) {
            /* The average lies between the values, so if each value fits
             * the result scale, so does the result. */
            int k = (int)s->result.scale - (int)s->arg.scale;
            if (k > 0) {
                int64_t m = v->i < 0 ? -v->i : v->i;
                if (k > 18 || (m && m > DEC_MAX / pow10_i64[k]))
                    return fail(err, errlen, "%s overflow: a value does not fit %s in eddy's 18-digit decimals", s);
            }
        }
        int64_t r;
        if (__builtin_add_overflow(acc->i, sign > 0 ? v->i : -v->i, &r) || r > DEC_MAX || r < -DEC_MAX)
            return fail(err, errlen, "%s overflow: the sum exceeds %s in eddy's 18-digit decimals", s);
        acc->i = r;
        break;
    }
    }
    acc->n += sign;
    return 0;
}

/* Narrows an integer to the width of an integer type (Java's wrapping casts). */
static int64_t narrow(Type t, uint64_t u)
{
    switch ((TypeKind)t.kind) {
    case TY_TINYINT: return (int8_t)(uint8_t)u;
    case TY_SMALLINT: return (int16_t)(uint16_t)u;
    case TY_INT: return (int32_t)(uint32_t)u;
    default: return (int64_t)u;
    }
}

/* q = a / b rounded half away from zero (BigDecimal HALF_UP). */
static __int128 div_half_up(__int128 a, __int128 b)
{
    if (b < 0) a = -a, b = -b;
    __int128 q = a / b, r = a % b;
    if (r < 0) r = -r;
    if (2 * r >= b) q += a < 0 ? -1 : 1;
    return q;
}

static void sum_result(const AggSpec *s, const Sum *acc, bool avg, Value *out)
{
    memset(out, 0, sizeof *out);
    if (acc->n == 0) {
        out->null = 1;
        return;
    }
    switch (num_class(s->arg)) {
    case NC_INT:
        if (!avg) {
            out->i = narrow(s->result, acc->u);
        } else {
            int64_t sum = (int64_t)acc->u;
            int64_t q = (acc->n == -1) ? (int64_t)((uint64_t)0 - (uint64_t)sum) : sum / acc->n;
            out->i = narrow(s->result, (uint64_t)q);
        }
        break;
    case NC_FLOAT:
        out->d = avg ? (float)(acc->d / (double)acc->n) : acc->d;
        break;
    case NC_DOUBLE:
        if (avg) {
            /* (d + lo) / n: a quotient and one correction step, so the
             * result depends only on the exact sum, not on its history. */
            double n = (double)acc->n, q = acc->d / n;
            double r = fma(-q, n, acc->d) + acc->lo;
            out->d = q + r / n;
        } else {
            out->d = acc->d;
        }
        break;
    case NC_DEC: {
        int k = (int)s->result.scale - (int)s->arg.scale;
        __int128 num = acc->i, den = avg ? acc->n : 1;
        if (k > 0) num *= pow10_i64[k > 18 ? 18 : k];   /* k > 18 only when every value was 0 */
        else if (k < 0) den *= pow10_i64[-k > 18 ? 18 : -k];
        out->i = (int64_t)div_half_up(num, den);
        break;
    }
    }
    if (s->result.kind == TY_FLOAT || s->result.kind == TY_DOUBLE) {
        if (num_class(s->arg) != NC_FLOAT && num_class(s->arg) != NC_DOUBLE) {
            /* Not produced by func.c's rules; convert rather than misread. */
            out->d = (double)out->i;
        }
    }
}

/* ---- MIN / MAX -------------------------------------------------------------- */

static inline int ext_dir(const AggSpec *s) { return s->call->fn->id == FN_MIN ? 1 : -1; }

static void ext_value(Type t, const Ext *x, Value *v)
{
    memset(v, 0, sizeof *v);
    if (is_str(t)) {
        v->s = pay_bytes(&x->v, x->n, x->cap > 0);
        v->n = x->n;
    } else {
        v->i = x->v.i;
    }
}

static void ext_set(Type t, Ext *x, const Value *v)
{
    if (!is_str(t)) {
        x->v.i = v->i;
        x->n = 0;
        return;
    }
    if (x->cap > 0 || v->n > 8) {
        if (v->n > x->cap) {
            int32_t cap = x->cap ? x->cap : 16;
            while (cap < v->n) cap = cap > INT32_MAX / 2 ? v->n : cap * 2;
            x->v.p = xrealloc(x->cap ? x->v.p : NULL, (size_t)cap);
            x->cap = cap;
        }
        if (v->n) memcpy(x->v.p, v->s, (size_t)v->n);
    } else {
        memset(x->v.inl, 0, 8);
        if (v->n) memcpy(x->v.inl, v->s, (size_t)v->n);
    }
    x->n = v->n;
}

/* ---- update / result -------------------------------------------------------- */

int agg_update(const AggSpec *s, void *state, const Value *v, int sign, char *err, size_t errlen)
{
    AggKind k = kind_of(s);
    if (k == AK_COUNT) {
        if (!v || !v->null) *(int64_t *)state += sign;
        return 0;
    }
    if (!v || v->null) return 0;
    switch (k) {
    case AK_SUM: return sum_update(s, state, v, sign, false, err, errlen);
    case AK_AVG: return sum_update(s, state, v, sign, true, err, errlen);
    case AK_EXT: {
        Ext *x = state;
        if (sign < 0) {
            if (err && errlen)
                snprintf(err, errlen, "%s received a retraction but was planned for an append-only input", s->call->fn->name);
            return -1;
        }
        if (x->n >= 0) {
            Value cur;
            ext_value(s->arg, x, &cur);
            int c = value_cmp(s->arg, v, &cur);
            if (((c > 0) - (c < 0)) * ext_dir(s) >= 0) return 0;   /* not beyond the current extreme */
        }
        ext_set(s->arg, x, v);
        return 0;
    }
    case AK_EXT_MS:
        ms_update(s->arg, (Mset **)state, v, sign);
        return 0;
    case AK_COUNT_D: {
        DistCount *dc = state;
        dc->cnt += ms_update(s->arg, &dc->ms, v, sign);
        return 0;
    }
    case AK_SUM_D:
    case AK_AVG_D: {
        DistSum *ds = state;
        /* Check the inner update first, so an overflow leaves the multiset unchanged. */
        int32_t c, pos;
        int64_t cnt = 0;
        if (ds->ms && ms_locate(s->arg, ds->ms, v, &c, &pos)) cnt = ds->ms->dir[c]->e[pos].cnt;
        int tr = (sign > 0 && cnt == 0) ? 1 : (sign < 0 && cnt == 1) ? -1 : 0;
        if (tr) {
            Sum tmp = ds->sum;
            if (sum_update(s, &tmp, v, tr, k == AK_AVG_D, err, errlen)) return -1;
            ds->sum = tmp;
        }
        ms_update(s->arg, &ds->ms, v, sign);
        return 0;
    }
    default: return 0;
    }
}

void agg_result(const AggSpec *s, const void *state, Value *out)
{
    memset(out, 0, sizeof *out);
    switch (kind_of(s)) {
    case AK_COUNT: out->i = *(const int64_t *)state; break;
    case AK_COUNT_D: out->i = ((const DistCount *)state)->cnt; break;
    case AK_SUM: sum_result(s, state, false, out); break;
    case AK_AVG: sum_result(s, state, true, out); break;
    case AK_SUM_D: sum_result(s, &((const DistSum *)state)->sum, false, out); break;
    case AK_AVG_D: sum_result(s, &((const DistSum *)state)->sum, true, out); break;
    case AK_EXT: {
        const Ext *x = state;
        if (x->n < 0) out->null = 1;
        else ext_value(s->arg, x, out);
        break;
    }
    case AK_EXT_MS: {
        const MsEnt *e = ms_extreme(*(Mset *const *)state, ext_dir(s));
        if (!e) out->null = 1;
        else ent_value(s->arg, e, out);
        break;
    }
    }
}

void agg_free(const AggSpec *s, void *state)
{
    switch (kind_of(s)) {
    case AK_EXT: {
        Ext *x = state;
        if (x->cap > 0) free(x->v.p);
        x->cap = 0;
        x->n = -1;
        break;
    }
    case AK_EXT_MS: ms_free(s->arg, *(Mset **)state); *(Mset **)state = NULL; break;
    case AK_COUNT_D: ms_free(s->arg, ((DistCount *)state)->ms); ((DistCount *)state)->ms = NULL; break;
    case AK_SUM_D:
    case AK_AVG_D: ms_free(s->arg, ((DistSum *)state)->ms); ((DistSum *)state)->ms = NULL; break;
    default: break;
    }
}

/* ---- save / load --------------------------------------------------------------
 * Integers and DECIMAL as zigzag varints, doubles as their 8 bytes
 * (little-endian, bit-exact), strings as varint length + bytes.
 *   COUNT      varint count
 *   SUM/AVG    sum (varint, or 8 bytes for FLOAT/DOUBLE), varint non-NULL count
 *   MIN/MAX    0 | 1 value
 *   multiset   varint entries, then (value, varint count) in value order
 *   DISTINCT   multiset, then the inner state */

static void put_varint(StrBuf *out, uint64_t u)
{
    unsigned char b[ROWKEY_VARINT_MAX];
    sb_putn(out, (const char *)b, rowkey_put_varint(b, u));
}

static void put_u64le(StrBuf *out, uint64_t u)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)(u >> (8 * i));
    sb_putn(out, (const char *)b, 8);
}

static void put_value(StrBuf *out, Type t, const Value *v)
{
    if (is_str(t)) {
        put_varint(out, (uint64_t)(v->n > 0 ? v->n : 0));
        if (v->n > 0) sb_putn(out, v->s, (size_t)v->n);
    } else if (t.kind == TY_FLOAT || t.kind == TY_DOUBLE) {
        put_u64le(out, (uint64_t)v->i);
    } else {
        put_varint(out, rowkey_zigzag(v->i));
    }
}

typedef struct Rd {
    const unsigned char *p;   /* next byte */
    const unsigned char *end; /* end of input */
} Rd;

static int get_varint(Rd *r, uint64_t *u) { return rowkey_get_varint(&r->p, r->end, u); }

static int get_svarint(Rd *r, int64_t *v)
{
    uint64_t u;
    if (get_varint(r, &u)) return -1;
    *v = rowkey_unzigzag(u);
    return 0;
}

static int get_u64le(Rd *r, uint64_t *u)
{
    if (r->end - r->p < 8) return -1;
    uint64_t x = 0;
    for (int i = 0; i < 8; i++) x |= (uint64_t)r->p[i] << (8 * i);
    r->p += 8;
    *u = x;
    return 0;
}

/* Reads a value; strings point into the input. */
static int get_value(Rd *r, Type t, Value *v)
{
    memset(v, 0, sizeof *v);
    if (is_str(t)) {
        uint64_t n;
        if (get_varint(r, &n) || n > (uint64_t)(r->end - r->p) || n > INT32_MAX) return -1;
        v->s = (const char *)r->p;
        v->n = (int32_t)n;
        r->p += n;
        return 0;
    }
    if (t.kind == TY_FLOAT || t.kind == TY_DOUBLE) {
        uint64_t u;
        if (get_u64le(r, &u)) return -1;
        v->i = (int64_t)u;
        return 0;
    }
    return get_svarint(r, &v->i);
}

static void save_sum(const AggSpec *s, const Sum *acc, StrBuf *out)
{
    NumClass c = num_class(s->arg);
    if (c == NC_FLOAT || c == NC_DOUBLE) {
        put_u64le(out, acc->u);
        uint64_t lo;
        memcpy(&lo, &acc->lo, sizeof lo);
        if (c == NC_DOUBLE) put_u64le(out, lo);
    } else {
        put_varint(out, rowkey_zigzag(acc->i));
    }
    put_varint(out, rowkey_zigzag(acc->n));
}

static int load_sum(const AggSpec *s, Sum *acc, Rd *r)
{
    NumClass c = num_class(s->arg);
    if (c == NC_FLOAT || c == NC_DOUBLE) {
        if (get_u64le(r, &acc->u)) return -1;
        uint64_t lo = 0;
        if (c == NC_DOUBLE && get_u64le(r, &lo)) return -1;
        memcpy(&acc->lo, &lo, sizeof lo);
    } else if (get_svarint(r, &acc->i)) {
        return -1;
    }
    return get_svarint(r, &acc->n);
}

static void save_ms(Type t, const Mset *m, StrBuf *out)
{
    put_varint(out, m ? (uint64_t)m->nent : 0);
    if (!m) return;
    for (int32_t c = 0; c < m->nchunks; c++) {
        const MsChunk *ch = m->dir[c];
        for (int32_t i = 0; i < ch->n; i++) {
            Value v;
            ent_value(t, &ch->e[i], &v);
            put_value(out, t, &v);
            put_varint(out, rowkey_zigzag(ch->e[i].cnt));
        }
    }
}

static int load_ms(Type t, Mset **mp, Rd *r)
{
    uint64_t n;
    *mp = NULL;
    if (get_varint(r, &n)) return -1;
    if (n == 0) return 0;
    Mset *m = ms_new();
    *mp = m;
    Value prev = {0};
    for (uint64_t k = 0; k < n; k++) {
        Value v;
        int64_t cnt;
        /* Entries arrive sorted and distinct: append, checking the order. */
        if (get_value(r, t, &v) || get_svarint(r, &cnt) || cnt == 0) return -1;
        if (k > 0 && value_cmp(t, &prev, &v) >= 0) return -1;
        MsChunk *ch = m->dir[m->nchunks - 1];
        MsEnt *e = ms_make_room(mp, m->nchunks - 1, ch->n);
        m = *mp;
        ent_set(t, e, &v);
        e->cnt = cnt;
        prev = v;
    }
    return 0;
}

void agg_save(const AggSpec *s, const void *state, StrBuf *out)
{
    switch (kind_of(s)) {
    case AK_COUNT: put_varint(out, rowkey_zigzag(*(const int64_t *)state)); break;
    case AK_SUM:
    case AK_AVG: save_sum(s, state, out); break;
    case AK_EXT: {
        const Ext *x = state;
        sb_putc(out, x->n >= 0 ? 1 : 0);
        if (x->n >= 0) {
            Value v;
            ext_value(s->arg, x, &v);
            put_value(out, s->arg, &v);
        }
        break;
    }
    case AK_EXT_MS: save_ms(s->arg, *(Mset *const *)state, out); break;
    case AK_COUNT_D: {
        const DistCount *dc = state;
        save_ms(s->arg, dc->ms, out);
        put_varint(out, rowkey_zigzag(dc->cnt));
        break;
    }
    case AK_SUM_D:
    case AK_AVG_D: {
        const DistSum *ds = state;
        save_ms(s->arg, ds->ms, out);
        save_sum(s, &ds->sum, out);
        break;
    }
    }
}

int agg_load(const AggSpec *s, void *state, const char *buf, size_t len, size_t *used)
{
    Rd r = {(const unsigned char *)buf, (const unsigned char *)buf + len};
    agg_init(s, state);
    int rc = 0;
    switch (kind_of(s)) {
    case AK_COUNT: rc = get_svarint(&r, (int64_t *)state); break;
    case AK_SUM:
    case AK_AVG: rc = load_sum(s, state, &r); break;
    case AK_EXT: {
        Ext *x = state;
        if (r.p >= r.end || *r.p > 1) {
            rc = -1;
            break;
        }
        if (*r.p++ == 1) {
            Value v;
            rc = get_value(&r, s->arg, &v);
            if (!rc) ext_set(s->arg, x, &v);
        }
        break;
    }
    case AK_EXT_MS: rc = load_ms(s->arg, (Mset **)state, &r); break;
    case AK_COUNT_D: {
        DistCount *dc = state;
        rc = load_ms(s->arg, &dc->ms, &r);
        if (!rc) rc = get_svarint(&r, &dc->cnt);
        break;
    }
    case AK_SUM_D:
    case AK_AVG_D: {
        DistSum *ds = state;
        rc = load_ms(s->arg, &ds->ms, &r);
        if (!rc) rc = load_sum(s, &ds->sum, &r);
        break;
    }
    }
    if (rc) {
        agg_free(s, state);
        agg_init(s, state);
        return -1;
    }
    if (used) *used = (size_t)(r.p - (const unsigned char *)buf);
    return 0;
}
