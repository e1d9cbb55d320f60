/*
 * agg.c — COUNT, SUM, AVG, MIN, MAX, STDDEV_POP/SAMP, VAR_POP/SAMP,
 * FIRST_VALUE, LAST_VALUE and LISTAGG as accumulators over a fixed-size
 * slot per group (agg.h), with Flink SQL's semantics (the newer ones are
 * described where they are defined; FILTER (WHERE …) is the operators'
 * business, agg_passes in agg.h):
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
 * Each aggregate function is one row of agg_funcs[] at the end of this
 * file: its slot size and its init / step / retract / merge / final /
 * release / save / load functions (PostgreSQL's pg_aggregate: transfn,
 * combinefn, finalfn).  A function with two slot layouts (MIN and MAX:
 * over an append-only input, over a retracting one) has a row for each.
 * DISTINCT is one more row, agg_distinct, that puts a multiset in front of
 * any row whose slot is plain bytes.  agg_spec_init picks the rows once;
 * agg_* then call through them.  Adding an aggregate is a row and its
 * functions: nothing else here names a function.
 *
 * Slot layouts (8-byte aligned; agg_state_size):
 *   COUNT                            int64 count                      8
 *   SUM, AVG                         Sum {sum, lo, non-NULL count}   24
 *   MIN, MAX (append-only input)     Ext {value, inline ≤ 8 bytes}   16
 *   MIN, MAX (retracting input)      Mset *                           8
 *   DISTINCT x                       Mset *, then x's slot            8 + x
 *   STDDEV_*, VAR_*                  Var {Σx pair, n, Σx² pair}       40
 *   FIRST/LAST_VALUE (append-only)   Ext, as MIN/MAX                  16
 *   LISTAGG (append-only)            Cat {text, len, cap, values}     32
 *   LISTAGG, FIRST/LAST (retracting) OList * (values in order)         8
 * so the reference aggregate COUNT(*), SUM(DOUBLE), AVG(DOUBLE) is 56.
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

/* ---- slots ------------------------------------------------------------------- */

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
    if (!isfinite(s)) {
        /* Overflow (or an infinite / NaN value): from here on the sum is
         * what naive addition gives, as in Flink — 1e308 + 1e308 − 1e308 is
         * Infinity, not the NaN the error terms of infinities would make. */
        acc->d = s;
        acc->lo = 0;
        return;
    }
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

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n);
    if (!p) abort();   /* out of memory: the library does not print */
    return p;
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


/* The count of v (0 when absent). */
static int64_t ms_count(Type t, const Mset *m, const Value *v)
{
    int32_t c, pos;
    return m && ms_locate(t, m, v, &c, &pos) ? m->dir[c]->e[pos].cnt : 0;
}

/* Adds delta to v's count (an entry whose count reaches 0 is removed).
 * Returns +1 when v became present (its count rose from ≤ 0 to > 0), -1
 * when it left (> 0 to ≤ 0), else 0. */
static int ms_add(Type t, Mset **mp, const Value *v, int64_t delta)
{
    if (delta == 0) return 0;
    if (!*mp) *mp = ms_new();
    int32_t c, pos;
    if (ms_locate(t, *mp, v, &c, &pos)) {
        MsEnt *e = &(*mp)->dir[c]->e[pos];
        int64_t old = e->cnt;
        e->cnt += delta;
        int64_t cnt = e->cnt;
        if (cnt == 0) ms_remove(t, *mp, c, pos);
        return (cnt > 0) - (old > 0);
    }
    MsEnt *e = ms_make_room(mp, c, pos);
    ent_set(t, e, v);
    e->cnt = delta;
    return delta > 0;
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


/* ---- save / load --------------------------------------------------------------
 * Integers and DECIMAL as zigzag varints, doubles as their 8 bytes
 * (little-endian, bit-exact), strings as varint length + bytes.
 *   COUNT      varint count
 *   SUM/AVG    sum (varint; FLOAT 8 bytes; DOUBLE 8 + 8: d, lo), varint non-NULL count
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

static void sum_save(const AggSpec *s, const void *st, StrBuf *out)
{
    const Sum *acc = st;
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

static int sum_load(const AggSpec *s, void *st, Rd *r)
{
    Sum *acc = st;
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

/* ---- the row of an aggregate function ------------------------------------------ */

/* Which inputs a row serves. */
enum { IN_ANY = -1, IN_APPEND = 0, IN_RETRACT = 1 };

/*
 * One aggregate function: its slot and what is done to it.  `st` is the
 * slot (s->size bytes, 8-byte aligned); it is zeroed before init.  step
 * adds one non-NULL value (v is NULL only for a function without an
 * argument: COUNT(*)), retract takes one back; both return 0, or -1 with a
 * message in err and the slot unchanged.  merge adds everything `other`
 * (another slot of the same spec) holds, all or nothing likewise.  final
 * writes the result into a zeroed *out (strings point into the slot).
 * release frees what the slot owns (NULL: nothing).  save appends the
 * slot's bytes to out; load reads them back into an initialised slot
 * (-1: malformed; the caller releases).
 */
typedef struct AggFuncs {
    FuncId  id;           /* the function (func.h) */
    int8_t  input;        /* the inputs the row serves: IN_ANY, IN_APPEND or IN_RETRACT */
    bool    same_distinct;/* DISTINCT changes nothing (MIN, MAX): no multiset in front */
    bool    avg;          /* SUM's functions: the result is the average */
    int8_t  dir;          /* MIN/MAX functions: +1 the smallest, -1 the largest */
    size_t  size;         /* slot bytes, a multiple of 8 (agg_distinct: its own part) */
    void  (*init)(const AggSpec *s, void *st);
    int   (*step)(const AggSpec *s, void *st, const Value *v, char *err, size_t errlen);
    int   (*retract)(const AggSpec *s, void *st, const Value *v, char *err, size_t errlen);
    int   (*merge)(const AggSpec *s, void *st, const void *other, char *err, size_t errlen);
    void  (*final)(const AggSpec *s, const void *st, Value *out);
    void  (*release)(const AggSpec *s, void *st);
    void  (*save)(const AggSpec *s, const void *st, StrBuf *out);
    int   (*load)(const AggSpec *s, void *st, Rd *r);
} AggFuncs;

/* ---- COUNT ----------------------------------------------------------------------- */

static int count_step(const AggSpec *s, void *st, const Value *v, char *err, size_t errlen)
{
    (void)s, (void)v, (void)err, (void)errlen;
    (*(int64_t *)st)++;
    return 0;
}

static int count_retract(const AggSpec *s, void *st, const Value *v, char *err, size_t errlen)
{
    (void)s, (void)v, (void)err, (void)errlen;
    (*(int64_t *)st)--;
    return 0;
}

static int count_merge(const AggSpec *s, void *st, const void *other, char *err, size_t errlen)
{
    (void)s, (void)err, (void)errlen;
    *(int64_t *)st += *(const int64_t *)other;
    return 0;
}

static void count_final(const AggSpec *s, const void *st, Value *out)
{
    (void)s;
    out->i = *(const int64_t *)st;
}

static void count_save(const AggSpec *s, const void *st, StrBuf *out)
{
    (void)s;
    put_varint(out, rowkey_zigzag(*(const int64_t *)st));
}

static int count_load(const AggSpec *s, void *st, Rd *r)
{
    (void)s;
    return get_svarint(r, (int64_t *)st);
}

/* ---- SUM / AVG ------------------------------------------------------------------ */

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


static int sum_update(const AggSpec *s, Sum *acc, const Value *v, int sign, char *err, size_t errlen)
{
    switch (num_class(s->arg)) {
    case NC_INT:
        acc->u += sign > 0 ? (uint64_t)v->i : (uint64_t)0 - (uint64_t)v->i;
        break;
    case NC_FLOAT:
        if (s->row->avg) acc->d += sign > 0 ? v->d : -v->d;   /* AVG(FLOAT) sums in DOUBLE */
        else acc->d = (float)((float)acc->d + (sign > 0 ? (float)v->d : -(float)v->d));
        break;
    case NC_DOUBLE:
        dd_add(acc, sign > 0 ? v->d : -v->d);
        break;
    case NC_DEC: {
        if (s->row->avg) {
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

/* acc += b: the sum of both accumulators' values, as if acc had been given
 * b's values too (exactly so for integers, DECIMAL and DOUBLE: the DOUBLE
 * pair is the exact sum, so two exact additions give the same pair). */
static int sum_add(const AggSpec *s, Sum *acc, const Sum *b, char *err, size_t errlen)
{
    switch (num_class(s->arg)) {
    case NC_INT:
        acc->u += b->u;
        break;
    case NC_FLOAT:
        if (s->row->avg) acc->d += b->d;
        else acc->d = (float)((float)acc->d + (float)b->d);
        break;
    case NC_DOUBLE:
        dd_add(acc, b->d);
        dd_add(acc, b->lo);
        break;
    case NC_DEC: {
        int64_t r;
        if (__builtin_add_overflow(acc->i, b->i, &r) || r > DEC_MAX || r < -DEC_MAX)
            return fail(err, errlen, "%s overflow: the sum exceeds %s in eddy's 18-digit decimals", s);
        acc->i = r;
        break;
    }
    }
    acc->n += b->n;
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


static void sum_result(const AggSpec *s, const Sum *acc, Value *out)
{
    bool avg = s->row->avg;
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

static int sum_step(const AggSpec *s, void *st, const Value *v, char *err, size_t errlen)
{
    return sum_update(s, st, v, 1, err, errlen);
}

static int sum_retract(const AggSpec *s, void *st, const Value *v, char *err, size_t errlen)
{
    return sum_update(s, st, v, -1, err, errlen);
}

static int sum_merge(const AggSpec *s, void *st, const void *other, char *err, size_t errlen)
{
    return sum_add(s, st, other, err, errlen);
}

static void sum_final(const AggSpec *s, const void *st, Value *out) { sum_result(s, st, out); }

/* ---- MIN / MAX ------------------------------------------------------------------ */

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


/* Whether v lies beyond the current extreme cur in the row's direction. */
static inline bool ext_beyond(const AggSpec *s, const Value *v, const Value *cur)
{
    int c = value_cmp(s->arg, v, cur);
    return ((c > 0) - (c < 0)) * s->row->dir < 0;
}

static void ext_init(const AggSpec *s, void *st)
{
    (void)s;
    ((Ext *)st)->n = -1;
}

static int ext_step(const AggSpec *s, void *st, const Value *v, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    Ext *x = st;
    if (x->n >= 0) {
        Value cur;
        ext_value(s->arg, x, &cur);
        if (!ext_beyond(s, v, &cur)) return 0;
    }
    ext_set(s->arg, x, v);
    return 0;
}

static int ext_retract(const AggSpec *s, void *st, const Value *v, char *err, size_t errlen)
{
    (void)st, (void)v;
    if (err && errlen)
        snprintf(err, errlen, "%s received a retraction but was planned for an append-only input", s->call->fn->name);
    return -1;
}

static int ext_merge(const AggSpec *s, void *st, const void *other, char *err, size_t errlen)
{
    const Ext *o = other;
    if (o->n < 0) return 0;
    Value v;
    ext_value(s->arg, o, &v);
    return ext_step(s, st, &v, err, errlen);
}

static void ext_final(const AggSpec *s, const void *st, Value *out)
{
    const Ext *x = st;
    if (x->n < 0) out->null = 1;
    else ext_value(s->arg, x, out);
}

static void ext_release(const AggSpec *s, void *st)
{
    (void)s;
    Ext *x = st;
    if (x->cap > 0) free(x->v.p);
    x->cap = 0;
    x->n = -1;
}

static void ext_save(const AggSpec *s, const void *st, StrBuf *out)
{
    const Ext *x = st;
    sb_putc(out, x->n >= 0 ? 1 : 0);
    if (x->n >= 0) {
        Value v;
        ext_value(s->arg, x, &v);
        put_value(out, s->arg, &v);
    }
}

static int ext_load(const AggSpec *s, void *st, Rd *r)
{
    if (r->p >= r->end || *r->p > 1) return -1;
    if (*r->p++ == 1) {
        Value v;
        if (get_value(r, s->arg, &v)) return -1;
        ext_set(s->arg, st, &v);
    }
    return 0;
}

/* MIN/MAX over a retracting input: the multiset of values; the result is
 * its smallest (largest) value with a positive count. */

static int msx_step(const AggSpec *s, void *st, const Value *v, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    ms_add(s->arg, st, v, 1);
    return 0;
}

static int msx_retract(const AggSpec *s, void *st, const Value *v, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    ms_add(s->arg, st, v, -1);
    return 0;
}

/* Adds every entry of other (with its count) to *mp; returns how many
 * values became present minus how many left. */
static int64_t ms_merge(Type t, Mset **mp, const Mset *other)
{
    int64_t d = 0;
    if (!other) return 0;
    for (int32_t c = 0; c < other->nchunks; c++)
        for (int32_t i = 0; i < other->dir[c]->n; i++) {
            const MsEnt *e = &other->dir[c]->e[i];
            Value v;
            ent_value(t, e, &v);
            d += ms_add(t, mp, &v, e->cnt);
        }
    return d;
}

static int msx_merge(const AggSpec *s, void *st, const void *other, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    ms_merge(s->arg, st, *(Mset *const *)other);
    return 0;
}

static void msx_final(const AggSpec *s, const void *st, Value *out)
{
    const MsEnt *e = ms_extreme(*(Mset *const *)st, s->row->dir);
    if (!e) out->null = 1;
    else ent_value(s->arg, e, out);
}

static void msx_release(const AggSpec *s, void *st)
{
    ms_free(s->arg, *(Mset **)st);
    *(Mset **)st = NULL;
}

static void msx_save(const AggSpec *s, const void *st, StrBuf *out) { save_ms(s->arg, *(Mset *const *)st, out); }

static int msx_load(const AggSpec *s, void *st, Rd *r) { return load_ms(s->arg, st, r); }

/* ---- STDDEV_POP / STDDEV_SAMP / VAR_POP / VAR_SAMP ------------------------------- */

/*
 * The count, the sum and the sum of squares of the values as doubles, both
 * sums kept as unevaluated pairs (dd_add; a square enters as its exact
 * two-double product).  While the sums fit the pairs' ~106 bits they are
 * exact, so adds, retractions and merges in any order give the same state,
 * and retracting back to one value leaves Σx² − (Σx)²/n exactly 0 — no
 * cancellation residue, no negative variance.  The variance is computed
 * from the pairs in double-double arithmetic, then rounded once; Flink
 * (Calcite's rewrite, or its newer Welford M2 sum) may differ in the last
 * bits.  A negative result of rounding is 0.
 */
typedef struct Var {
    Sum s;            /* Σx: d + lo; n = non-NULL values added minus retracted */
    double q, qlo;    /* Σx²: q + qlo */
} Var;

/* The value as a double (Flink's doubleValue; DECIMAL scaled). */
static double var_x(const AggSpec *s, const Value *v)
{
    switch (num_class(s->arg)) {
    case NC_FLOAT:
    case NC_DOUBLE: return v->d;
    case NC_DEC: return (double)v->i / (double)pow10_i64[s->arg.scale > 18 ? 18 : s->arg.scale];
    default: return (double)v->i;
    }
}

/* A DECIMAL result must fit eddy's 18 digits at its scale: the deviation
 * is at most the largest |x| − mean ≤ 2·max|x|, the variance its square;
 * checked per value so that agg_result cannot fail. */
static int var_check(const AggSpec *s, double x, char *err, size_t errlen)
{
    if (s->result.kind != TY_DECIMAL) return 0;
    double m = 2 * fabs(x), lim = (double)DEC_MAX / (double)pow10_i64[s->result.scale > 18 ? 18 : s->result.scale];
    bool sq = s->row->id == FN_VAR_POP || s->row->id == FN_VAR_SAMP;
    if ((sq ? m * m : m) < lim) return 0;
    return fail(err, errlen, "%s overflow: a value's deviation does not fit %s in eddy's 18-digit decimals", s);
}

static int var_update(const AggSpec *s, void *st, const Value *v, int sign, char *err, size_t errlen)
{
    Var *a = st;
    double x = var_x(s, v);
    if (sign > 0 && var_check(s, x, err, errlen)) return -1;
    double p = x * x, e = fma(x, x, -p);   /* x² == p + e exactly */
    if (sign < 0) x = -x, p = -p, e = -e;
    dd_add(&a->s, x);
    Sum q = {.d = a->q, .lo = a->qlo};
    dd_add(&q, p);
    dd_add(&q, e);
    a->q = q.d;
    a->qlo = q.lo;
    a->s.n += sign;
    if (a->s.n == 0) memset(a, 0, sizeof *a);   /* all values gone: exactly empty again */
    return 0;
}

static int var_step(const AggSpec *s, void *st, const Value *v, char *err, size_t errlen) { return var_update(s, st, v, 1, err, errlen); }
static int var_retract(const AggSpec *s, void *st, const Value *v, char *err, size_t errlen) { return var_update(s, st, v, -1, err, errlen); }

static int var_merge(const AggSpec *s, void *st, const void *other, char *err, size_t errlen)
{
    (void)s, (void)err, (void)errlen;
    Var *a = st;
    const Var *b = other;
    dd_add(&a->s, b->s.d);
    dd_add(&a->s, b->s.lo);
    Sum q = {.d = a->q, .lo = a->qlo};
    dd_add(&q, b->q);
    dd_add(&q, b->qlo);
    a->q = q.d;
    a->qlo = q.lo;
    a->s.n += b->s.n;
    if (a->s.n == 0) memset(a, 0, sizeof *a);
    return 0;
}

/* Java's (long) / (int) cast of a double, then the narrower types' wrap
 * (what Flink's generated CAST does): truncation, saturating, NaN → 0. */
static int64_t java_cast(Type t, double d)
{
    if (isnan(d)) return 0;
    bool wide = t.kind == TY_BIGINT;
    double lo = wide ? -9223372036854775808.0 : -2147483648.0, hi = wide ? 9223372036854775807.0 : 2147483647.0;
    if (d <= lo) return wide ? INT64_MIN : narrow(t, (uint64_t)(int64_t)INT32_MIN);
    if (d >= hi) return wide ? INT64_MAX : narrow(t, (uint64_t)(int64_t)INT32_MAX);
    return narrow(t, (uint64_t)(int64_t)d);
}

/* hi + lo = a + b exactly (|a| ≥ |b| not needed: TwoSum). */
static inline void two_sum(double a, double b, double *hi, double *lo)
{
    double s = a + b, bp = s - a;
    *lo = (a - (s - bp)) + (b - bp);
    *hi = s;
}

static void var_final(const AggSpec *s, const void *st, Value *out)
{
    const Var *a = st;
    FuncId f = s->row->id;
    bool samp = f == FN_VAR_SAMP || f == FN_STDDEV_SAMP;
    int64_t n = a->s.n;
    if (n <= 0 || (samp && n == 1)) {   /* no value; a sample of one has no variance (Flink: NULL) */
        out->null = 1;
        return;
    }
    double var = 0;
    if (n > 1) {
        /* Σx² − (Σx)²/n in double-double: (Σx)² as a pair, divided by n
         * with one correction step, subtracted from the Σx² pair. */
        double sh = a->s.d, sl = a->s.lo, dn = (double)n;
        double p = sh * sh, pe = fma(sh, sh, -p) + 2 * sh * sl;
        double q1 = p / dn, r = (fma(-q1, dn, p) + pe) / dn;   /* (p + pe) / n ≈ q1 + r */
        double h, l;
        two_sum(a->q, -q1, &h, &l);
        l += a->qlo - r;
        double m2 = h + l;
        var = m2 > 0 ? m2 / (double)(samp ? n - 1 : n) : 0;
    }
    double res = (f == FN_STDDEV_POP || f == FN_STDDEV_SAMP) ? sqrt(var) : var;
    switch ((TypeKind)s->result.kind) {
    case TY_FLOAT: out->d = (float)res; break;
    case TY_DOUBLE: out->d = res; break;
    case TY_DECIMAL: {   /* HALF_UP at the result scale; var_check kept it in range */
        double scaled = res * (double)pow10_i64[s->result.scale > 18 ? 18 : s->result.scale];
        out->i = (int64_t)floor(scaled + 0.5);
        break;
    }
    default: out->i = java_cast(s->result, res); break;   /* Flink's CAST(… AS INT): truncated */
    }
}

static void var_save(const AggSpec *s, const void *st, StrBuf *out)
{
    (void)s;
    const Var *a = st;
    double d[4] = {a->s.d, a->s.lo, a->q, a->qlo};
    for (int i = 0; i < 4; i++) {
        uint64_t u;
        memcpy(&u, &d[i], sizeof u);
        put_u64le(out, u);
    }
    put_varint(out, rowkey_zigzag(a->s.n));
}

static int var_load(const AggSpec *s, void *st, Rd *r)
{
    (void)s;
    Var *a = st;
    double d[4];
    for (int i = 0; i < 4; i++) {
        uint64_t u;
        if (get_u64le(r, &u)) return -1;
        memcpy(&d[i], &u, sizeof u);
    }
    a->s.d = d[0], a->s.lo = d[1], a->q = d[2], a->qlo = d[3];
    return get_svarint(r, &a->s.n);
}

/* ---- FIRST_VALUE / LAST_VALUE over an append-only input ------------------------ */

/* The Ext slot of MIN/MAX: FIRST_VALUE keeps the first non-NULL value,
 * LAST_VALUE replaces it with each one.  A window's slices merge in time
 * order (other is the later part), so the merged first is state's if it
 * has one, the merged last other's if it has one. */

static int first_step(const AggSpec *s, void *st, const Value *v, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    Ext *x = st;
    if (x->n < 0 || s->row->id == FN_LAST_VALUE) ext_set(s->arg, x, v);
    return 0;
}

static int first_merge(const AggSpec *s, void *st, const void *other, char *err, size_t errlen)
{
    const Ext *o = other;
    if (o->n < 0) return 0;
    Value v;
    ext_value(s->arg, o, &v);
    return first_step(s, st, &v, err, errlen);
}

/* ---- LISTAGG over an append-only input ------------------------------------------ */

/* The joined text so far: values and separators, grown by doubling. */
typedef struct Cat {
    char   *buf;      /* the text (not NUL-terminated) */
    int64_t len;      /* its bytes */
    int64_t cap;      /* allocated */
    int64_t n;        /* values joined (0: the result is NULL) */
} Cat;

/* A group's LISTAGG (or FIRST/LAST_VALUE list) may hold this many bytes of
 * values: state is kept in memory and written whole at a checkpoint, so a
 * group growing without bound fails the job with a message rather than
 * the machine. */
#define AGG_LIST_MAX_BYTES ((int64_t)64 << 20)

/* The separator: LISTAGG's constant second argument, ',' by default; *null
 * when it is the NULL literal (then every result is NULL, as Flink's
 * concat_ws of a NULL separator). */
static const char *listagg_sep(const AggSpec *s, int32_t *n, bool *null)
{
    *null = false;
    if (s->call->nargs < 1) {
        *n = 1;
        return ",";
    }
    const Datum *d = &s->call->args[0]->lit;
    *null = d->null;
    *n = d->null ? 0 : d->n;
    return d->null ? "" : d->s;
}

static int list_too_big(const AggSpec *s, char *err, size_t errlen)
{
    if (err && errlen)
        snprintf(err, errlen, "%s: a group's values exceed %lld MiB, the most eddy keeps for one aggregate", s->call->fn->name,
                 (long long)(AGG_LIST_MAX_BYTES >> 20));
    return -1;
}

static void cat_put(Cat *c, const char *p, int64_t n)
{
    if (c->len + n > c->cap) {
        int64_t cap = c->cap ? c->cap : 64;
        while (cap < c->len + n) cap *= 2;
        c->buf = xrealloc(c->buf, (size_t)cap);
        c->cap = cap;
    }
    if (n) memcpy(c->buf + c->len, p, (size_t)n);
    c->len += n;
}

/* Appends n values' text (already joined) to c. */
static int cat_add(const AggSpec *s, Cat *c, const char *p, int64_t n, int64_t nvals, char *err, size_t errlen)
{
    int32_t sn;
    bool snull;
    const char *sep = listagg_sep(s, &sn, &snull);
    if (c->len + n + sn > AGG_LIST_MAX_BYTES) return list_too_big(s, err, errlen);
    if (c->n > 0) cat_put(c, sep, sn);
    cat_put(c, p, n);
    c->n += nvals;
    return 0;
}

static int cat_step(const AggSpec *s, void *st, const Value *v, char *err, size_t errlen)
{
    return cat_add(s, st, v->s, v->n, 1, err, errlen);
}

static int cat_merge(const AggSpec *s, void *st, const void *other, char *err, size_t errlen)
{
    const Cat *o = other;
    if (o->n == 0) return 0;
    return cat_add(s, st, o->buf, o->len, o->n, err, errlen);
}

static void cat_final(const AggSpec *s, const void *st, Value *out)
{
    const Cat *c = st;
    int32_t sn;
    bool snull;
    listagg_sep(s, &sn, &snull);
    if (c->n == 0 || snull) {
        out->null = 1;
        return;
    }
    out->s = c->buf ? c->buf : "";
    out->n = (int32_t)c->len;
}

static void cat_release(const AggSpec *s, void *st)
{
    (void)s;
    Cat *c = st;
    free(c->buf);
    memset(c, 0, sizeof *c);
}

static void cat_save(const AggSpec *s, const void *st, StrBuf *out)
{
    (void)s;
    const Cat *c = st;
    put_varint(out, (uint64_t)c->n);
    put_varint(out, (uint64_t)c->len);
    if (c->len) sb_putn(out, c->buf, (size_t)c->len);
}

static int cat_load(const AggSpec *s, void *st, Rd *r)
{
    (void)s;
    Cat *c = st;
    uint64_t n, len;
    if (get_varint(r, &n) || get_varint(r, &len) || len > (uint64_t)(r->end - r->p) || (int64_t)len > AGG_LIST_MAX_BYTES ||
        n > INT64_MAX || (n == 0 && len > 0))
        return -1;
    cat_put(c, (const char *)r->p, (int64_t)len);
    r->p += len;
    c->n = (int64_t)n;
    return 0;
}

/* ---- LISTAGG / FIRST_VALUE / LAST_VALUE over a retracting input --------------- */

/*
 * The values present, in arrival order (Flink keeps a list state for
 * these).  A retraction removes the earliest equal value; the result is
 * the first value (FIRST_VALUE), the last (LAST_VALUE) or all of them
 * joined (LISTAGG).  A LISTAGG retraction that finds no equal value is
 * remembered (`pending`, a multiset) and cancels the next equal value to
 * arrive, as Flink's retract list does; FIRST_VALUE and LAST_VALUE ignore
 * it, as Flink's do.  Removing from the middle moves the entries after it:
 * the list is bounded by AGG_LIST_MAX_BYTES.
 */
typedef struct OList {
    int64_t n;        /* entries */
    int64_t cap;      /* allocated */
    int64_t bytes;    /* string bytes held (the bound) */
    Mset   *pending;  /* LISTAGG: retractions that found no value, value → count */
    Cat     text;     /* LISTAGG: the joined result, rebuilt by final when stale */
    bool    stale;    /* text is not the join of e */
    MsEnt  *e;        /* the values (cnt unused) */
} OList;

static inline OList **olist_of(void *st) { return st; }

static int ol_step(const AggSpec *s, void *st, const Value *v, char *err, size_t errlen)
{
    OList *l = *olist_of(st);
    if (!l) l = *olist_of(st) = xcalloc(1, sizeof *l);
    if (l->pending && ms_count(s->arg, l->pending, v) > 0) {   /* cancels an earlier retraction */
        ms_add(s->arg, &l->pending, v, -1);
        return 0;
    }
    int64_t sz = is_str(s->arg) ? v->n : 8;
    if (l->bytes + sz + 16 > AGG_LIST_MAX_BYTES) return list_too_big(s, err, errlen);
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 4;
        l->e = xrealloc(l->e, sizeof *l->e * (size_t)l->cap);
    }
    ent_set(s->arg, &l->e[l->n], v);
    l->e[l->n++].cnt = 1;
    l->bytes += sz + 16;
    l->stale = true;
    return 0;
}

static int ol_retract(const AggSpec *s, void *st, const Value *v, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    OList *l = *olist_of(st);
    if (!l) l = *olist_of(st) = xcalloc(1, sizeof *l);
    for (int64_t i = 0; i < l->n; i++) {
        Value ev;
        ent_value(s->arg, &l->e[i], &ev);
        if (value_cmp(s->arg, &ev, v) != 0) continue;
        l->bytes -= (is_str(s->arg) ? l->e[i].n : 8) + 16;
        ent_release(s->arg, &l->e[i]);
        memmove(&l->e[i], &l->e[i + 1], sizeof *l->e * (size_t)(l->n - i - 1));
        l->n--;
        l->stale = true;
        return 0;
    }
    if (s->row->id == FN_LISTAGG) ms_add(s->arg, &l->pending, v, 1);
    return 0;
}

static int ol_merge(const AggSpec *s, void *st, const void *other, char *err, size_t errlen)
{
    const OList *o = *(OList *const *)other;
    if (!o) return 0;
    for (int64_t i = 0; i < o->n; i++) {
        Value v;
        ent_value(s->arg, &o->e[i], &v);
        if (ol_step(s, st, &v, err, errlen)) return -1;
    }
    for (int32_t c = 0; o->pending && c < o->pending->nchunks; c++)
        for (int32_t i = 0; i < o->pending->dir[c]->n; i++) {
            const MsEnt *e = &o->pending->dir[c]->e[i];
            Value v;
            ent_value(s->arg, e, &v);
            for (int64_t k = 0; k < e->cnt; k++) ol_retract(s, st, &v, err, errlen);
        }
    return 0;
}

static void ol_final(const AggSpec *s, const void *st, Value *out)
{
    OList *l = *(OList *const *)st;
    if (!l || l->n == 0) {
        out->null = 1;
        return;
    }
    switch (s->row->id) {
    case FN_FIRST_VALUE: ent_value(s->arg, &l->e[0], out); return;
    case FN_LAST_VALUE: ent_value(s->arg, &l->e[l->n - 1], out); return;
    default: break;
    }
    if (l->stale) {   /* rebuilt from the list (the list is bounded, so is the text) */
        int32_t sn;
        bool snull;
        const char *sep = listagg_sep(s, &sn, &snull);
        l->text.len = 0;
        for (int64_t i = 0; i < l->n; i++) {
            Value v;
            ent_value(s->arg, &l->e[i], &v);
            if (i) cat_put(&l->text, sep, sn);
            cat_put(&l->text, v.s, v.n);
        }
        l->text.n = l->n;
        l->stale = false;
    }
    cat_final(s, &l->text, out);
}

static void ol_release(const AggSpec *s, void *st)
{
    OList *l = *olist_of(st);
    if (!l) return;
    for (int64_t i = 0; i < l->n; i++) ent_release(s->arg, &l->e[i]);
    free(l->e);
    ms_free(s->arg, l->pending);
    free(l->text.buf);
    free(l);
    *olist_of(st) = NULL;
}

/* varint entries, the values in order, then the pending multiset. */
static void ol_save(const AggSpec *s, const void *st, StrBuf *out)
{
    const OList *l = *(OList *const *)st;
    put_varint(out, l ? (uint64_t)l->n : 0);
    for (int64_t i = 0; l && i < l->n; i++) {
        Value v;
        ent_value(s->arg, &l->e[i], &v);
        put_value(out, s->arg, &v);
    }
    save_ms(s->arg, l ? l->pending : NULL, out);
}

static int ol_load(const AggSpec *s, void *st, Rd *r)
{
    uint64_t n;
    if (get_varint(r, &n) || n > (uint64_t)(r->end - r->p)) return -1;   /* every value takes a byte at least */
    for (uint64_t i = 0; i < n; i++) {
        Value v;
        if (get_value(r, s->arg, &v) || ol_step(s, st, &v, NULL, 0)) return -1;
    }
    OList *l = *olist_of(st);
    Mset *pending = NULL;
    if (load_ms(s->arg, &pending, r)) {
        ms_free(s->arg, pending);
        return -1;
    }
    if (pending) {
        if (!l) l = *olist_of(st) = xcalloc(1, sizeof *l);
        l->pending = pending;
    }
    return 0;
}

/* ---- DISTINCT ------------------------------------------------------------------- */

/* In front of the aggregate's own slot: the multiset of values seen.  A
 * value reaches the inner row (s->row) when its count becomes positive and
 * leaves it when its count drops to zero, so the inner slot holds the
 * distinct values.  Only rows whose slot is plain bytes (no release) are
 * wrapped: merge checks the inner update on a copy. */

static inline Mset **dist_ms(void *st) { return st; }
static inline void *dist_inner(void *st) { return (char *)st + sizeof(Mset *); }
static inline const void *dist_inner_c(const void *st) { return (const char *)st + sizeof(Mset *); }

static void dist_init(const AggSpec *s, void *st)
{
    if (s->row->init) s->row->init(s, dist_inner(st));
}

/* Adds delta to v's count; the inner update comes first, so that a failure
 * (a DECIMAL overflow) leaves the multiset unchanged. */
static int dist_update(const AggSpec *s, void *st, const Value *v, int delta, char *err, size_t errlen)
{
    int64_t cnt = ms_count(s->arg, *dist_ms(st), v);
    int tr = (cnt + delta > 0) - (cnt > 0);
    if (tr > 0 && s->row->step(s, dist_inner(st), v, err, errlen)) return -1;
    if (tr < 0 && s->row->retract(s, dist_inner(st), v, err, errlen)) return -1;
    ms_add(s->arg, dist_ms(st), v, delta);
    return 0;
}

static int dist_step(const AggSpec *s, void *st, const Value *v, char *err, size_t errlen)
{
    return dist_update(s, st, v, 1, err, errlen);
}

static int dist_retract(const AggSpec *s, void *st, const Value *v, char *err, size_t errlen)
{
    return dist_update(s, st, v, -1, err, errlen);
}

static int dist_merge(const AggSpec *s, void *st, const void *other, char *err, size_t errlen)
{
    const Mset *om = *(Mset *const *)other;
    if (!om) return 0;
    /* First the inner updates, on a copy of the inner slot (plain bytes)... */
    _Alignas(8) unsigned char inner[64];
    if (s->row->size > sizeof inner) abort();   /* no such row: agg_funcs are small */
    memcpy(inner, dist_inner(st), s->row->size);
    for (int32_t c = 0; c < om->nchunks; c++)
        for (int32_t i = 0; i < om->dir[c]->n; i++) {
            const MsEnt *e = &om->dir[c]->e[i];
            Value v;
            ent_value(s->arg, e, &v);
            int64_t cnt = ms_count(s->arg, *dist_ms(st), &v);
            int tr = (cnt + e->cnt > 0) - (cnt > 0);
            if (tr > 0 && s->row->step(s, inner, &v, err, errlen)) return -1;
            if (tr < 0 && s->row->retract(s, inner, &v, err, errlen)) return -1;
        }
    /* ... then the multiset, once they all succeeded. */
    ms_merge(s->arg, dist_ms(st), om);
    memcpy(dist_inner(st), inner, s->row->size);
    return 0;
}

static void dist_final(const AggSpec *s, const void *st, Value *out) { s->row->final(s, dist_inner_c(st), out); }

static void dist_release(const AggSpec *s, void *st)
{
    ms_free(s->arg, *dist_ms(st));
    *dist_ms(st) = NULL;
}

/* The multiset, then the inner slot. */
static void dist_save(const AggSpec *s, const void *st, StrBuf *out)
{
    save_ms(s->arg, *(Mset *const *)st, out);
    s->row->save(s, dist_inner_c(st), out);
}

static int dist_load(const AggSpec *s, void *st, Rd *r)
{
    if (load_ms(s->arg, dist_ms(st), r)) return -1;
    return s->row->load(s, dist_inner(st), r);
}

/* ---- the table -------------------------------------------------------------------- */

#define SUM_FUNCS .size = sizeof(Sum), .step = sum_step, .retract = sum_retract, .merge = sum_merge, \
    .final = sum_final, .save = sum_save, .load = sum_load
#define EXT_FUNCS .input = IN_APPEND, .same_distinct = true, .size = sizeof(Ext), .init = ext_init, \
    .step = ext_step, .retract = ext_retract, .merge = ext_merge, .final = ext_final, .release = ext_release, \
    .save = ext_save, .load = ext_load
#define MSX_FUNCS .input = IN_RETRACT, .same_distinct = true, .size = sizeof(Mset *), .step = msx_step, \
    .retract = msx_retract, .merge = msx_merge, .final = msx_final, .release = msx_release, .save = msx_save, \
    .load = msx_load

#define VAR_FUNCS .input = IN_ANY, .size = sizeof(Var), .step = var_step, .retract = var_retract, .merge = var_merge, \
    .final = var_final, .save = var_save, .load = var_load
#define FIRST_FUNCS .input = IN_APPEND, .same_distinct = true, .size = sizeof(Ext), .init = ext_init, .step = first_step, \
    .retract = ext_retract, .merge = first_merge, .final = ext_final, .release = ext_release, .save = ext_save, .load = ext_load
#define OL_FUNCS .input = IN_RETRACT, .same_distinct = true, .size = sizeof(OList *), .step = ol_step, .retract = ol_retract, \
    .merge = ol_merge, .final = ol_final, .release = ol_release, .save = ol_save, .load = ol_load

/* The first row that matches a call's function and input serves it. */
static const AggFuncs agg_funcs[] = {
    {.id = FN_COUNT, .input = IN_ANY, .size = sizeof(int64_t), .step = count_step, .retract = count_retract,
     .merge = count_merge, .final = count_final, .save = count_save, .load = count_load},
    {.id = FN_SUM, .input = IN_ANY, SUM_FUNCS},
    {.id = FN_AVG, .input = IN_ANY, .avg = true, SUM_FUNCS},
    {.id = FN_MIN, .dir = 1, EXT_FUNCS},
    {.id = FN_MAX, .dir = -1, EXT_FUNCS},
    {.id = FN_MIN, .dir = 1, MSX_FUNCS},
    {.id = FN_MAX, .dir = -1, MSX_FUNCS},
    {.id = FN_STDDEV_POP, VAR_FUNCS},
    {.id = FN_STDDEV_SAMP, VAR_FUNCS},
    {.id = FN_VAR_POP, VAR_FUNCS},
    {.id = FN_VAR_SAMP, VAR_FUNCS},
    {.id = FN_FIRST_VALUE, FIRST_FUNCS},
    {.id = FN_LAST_VALUE, FIRST_FUNCS},
    {.id = FN_LISTAGG, .input = IN_APPEND, .size = sizeof(Cat), .step = cat_step, .retract = ext_retract, .merge = cat_merge,
     .final = cat_final, .release = cat_release, .save = cat_save, .load = cat_load},
    {.id = FN_FIRST_VALUE, OL_FUNCS},
    {.id = FN_LAST_VALUE, OL_FUNCS},
    {.id = FN_LISTAGG, OL_FUNCS},
};

static const AggFuncs agg_distinct = {
    .size = sizeof(Mset *), .init = dist_init, .step = dist_step, .retract = dist_retract, .merge = dist_merge,
    .final = dist_final, .release = dist_release, .save = dist_save, .load = dist_load,
};

/* ---- agg.h ------------------------------------------------------------------------ */

int agg_spec_init(AggSpec *s, const BExpr *call, bool retract)
{
    memset(s, 0, sizeof *s);
    s->call = call;
    if (call->a) s->arg = call->a->type;
    s->result = call->type;
    s->retract = retract;
    s->filter = call->b ? call->b->col : -1;
    for (size_t i = 0; i < sizeof agg_funcs / sizeof agg_funcs[0] && !s->row; i++) {
        const AggFuncs *r = &agg_funcs[i];
        if (r->id == call->fn->id && (r->input == IN_ANY || r->input == (retract ? IN_RETRACT : IN_APPEND))) s->row = r;
    }
    if (!s->row) return -1;
    s->run = s->row;
    s->size = s->row->size;
    if (call->distinct && call->a && !s->row->same_distinct) {
        s->run = &agg_distinct;
        s->size = agg_distinct.size + s->row->size;
    }
    return 0;
}

size_t agg_state_size(const AggSpec *s) { return s->size; }

void agg_init(const AggSpec *s, void *state)
{
    memset(state, 0, s->size);
    if (s->run->init) s->run->init(s, state);
}

int agg_update(const AggSpec *s, void *state, const Value *v, int sign, char *err, size_t errlen)
{
    /* NULL changes no aggregate; no value at all is a row of COUNT(*) */
    if (v ? v->null : s->call->a != NULL) return 0;
    return sign > 0 ? s->run->step(s, state, v, err, errlen) : s->run->retract(s, state, v, err, errlen);
}

int agg_merge(const AggSpec *s, void *state, const void *other, char *err, size_t errlen)
{
    return s->run->merge(s, state, other, err, errlen);
}

void agg_result(const AggSpec *s, const void *state, Value *out)
{
    memset(out, 0, sizeof *out);
    s->run->final(s, state, out);
}

void agg_free(const AggSpec *s, void *state)
{
    if (s->run->release) s->run->release(s, state);
}

void agg_save(const AggSpec *s, const void *state, StrBuf *out) { s->run->save(s, state, out); }

int agg_load(const AggSpec *s, void *state, const char *buf, size_t len, size_t *used)
{
    Rd r = {(const unsigned char *)buf, (const unsigned char *)buf + len};
    agg_init(s, state);
    if (s->run->load(s, state, &r)) {
        agg_free(s, state);
        agg_init(s, state);
        return -1;
    }
    if (used) *used = (size_t)(r.p - (const unsigned char *)buf);
    return 0;
}

void agg_fingerprint_extra(StrBuf *out, const BExpr *call)
{
    for (int i = 0; i < call->nargs; i++) {
        sb_puts(out, ", ");
        bexpr_print(out, call->args[i], NULL);
    }
    if (call->b) sb_printf(out, " FILTER $%d", call->b->col);
}
