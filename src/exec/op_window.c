/*
 * op_window.c — windows over event time or processing time: the window
 * aggregate (TUMBLE, HOP, CUMULATE, SESSION) and the window table function
 * whose tagged rows go on.
 *
 * Time.  An event-time window fires when the operator's watermark wm
 * (job_advance) reaches its end − 1 ms; a processing-time window when the
 * job's clock (job_set_clock) does.  A row of time t belongs to windows:
 *     TUMBLE    [s, s + size)                     s = t aligned down to size (+ offset)
 *     HOP       [e − size, e) for each e = slice end .. slice end + size − slide
 *     CUMULATE  [s, s + k·step) for each k with s + k·step > t, s aligned to size
 *     SESSION   [t, t + gap), merged with the key's sessions it touches
 * What a row does, for its last window end E (the session it merges into):
 *     t is NULL (out of range)  → late: counted, copied to the late topic, no result changes
 *     E − 1 ≤ wm (all fired)    → late: the same
 *     otherwise                 → added to its slice (its session); windows that already
 *                                 fired keep the rows they emitted
 * Emission: one +I row per window and key, [keys…, window_start,
 * window_end, window_time, aggs…], in window-end order, keys in the order
 * they first came; empty windows emit nothing.  Append-only: a window's
 * state is freed once its last window fired.
 *
 * Slices (TUMBLE, HOP, CUMULATE).  A row updates one accumulator: its key's
 * in its slice (TUMBLE: the window; HOP: the slide; CUMULATE: the step).
 * Firing merges the slices of the window per key (agg_merge), so a HOP of
 * size/slide = 60 costs a row one update, not sixty.
 *
 * State (a Keyed): slices as [slice end, 8 bytes][group key] → Acc;
 * sessions as [group key] → the key's open sessions.  The watermark is
 * checkpointed beside them (meta window.<op>.watermark), so a restarted
 * job judges late rows as the uninterrupted one did.
 *
 * Windows of a TIMESTAMP_LTZ time attribute align on local time of the
 * plan's table.local-time-zone (win_local / win_utc); of a TIMESTAMP one,
 * on its value.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "codec.h"
#include "exec.h"
#include "func.h"
#include "kafka.h"
#include "keyed.h"
#include "rowkey.h"
#include "state.h"

#define ALIGN8(n) (((n) + 7) & ~(size_t)7)

/* One key's accumulators in a slice or session. */
typedef struct Acc {
    int64_t nrows;        /* rows added */
    _Alignas(8) unsigned char slots[]; /* the accumulator slots */
} Acc;

/* A session: [start, end) with end = its last row's time + gap. */
typedef struct Session {
    int64_t start, end;   /* local time */
    Acc     acc;          /* followed by the slots */
} Session;

/* A key's open sessions, behind the Keyed payload (a pointer). */
typedef struct SessionList {
    int     n, cap;       /* sessions, capacity */
    _Alignas(8) unsigned char data[]; /* n sessions of WinState.sess_size bytes */
} SessionList;

/* A slice's entries, in the order their keys first came. */
typedef struct Slice {
    int64_t      end;     /* slice end (local time) */
    KeyedEntry **ents;    /* its entries */
    int          n, cap;  /* count, capacity */
} Slice;

/* A session key to look at when time reaches `end` (lazy: the key's
 * sessions may have moved on; it is then registered again). */
typedef struct Timer {
    int64_t end;          /* local time */
    int64_t seq;          /* tie-break: registration order */
    char   *key;          /* the group key (malloc'd) */
    size_t  klen;         /* its length */
} Timer;

typedef struct WinState {
    Keyed    k;           /* first: the checkpoint helpers find it here */
    const char *name;     /* for messages */
    WindowSpec spec;      /* the windows */
    bool     rows;        /* SESSION table function: a session holds its rows (Acc slots = a StrBuf of them), not accumulators */
    int     *keycols;     /* the session key's input columns, NULL = the first ngroup */
    Type    *in_types;    /* input column types */
    int      ngroup;      /* group key width */
    int      naggs;       /* aggregates */
    int      in_ncols;    /* input width */
    Type    *key_types;   /* group key types */
    Type    *out_types;   /* output column types */
    int     *argcol;      /* per aggregate: input column of its argument, -1 = none */
    bool    *countstar;   /* per aggregate: COUNT(*) = the row count */
    AggSpec *specs;       /* one per aggregate */
    size_t  *slot;        /* offset of each accumulator */
    size_t   slots;       /* bytes of all accumulators */
    size_t   acc_size;    /* sizeof(Acc) + slots */
    size_t   sess_size;   /* bytes of one Session */
    int64_t  unit;        /* slice length */
    int64_t  next_end;    /* no window of the open slices ends before this (local; a lower bound) */
    int64_t  wm;          /* time reached (watermark, or clock), INT64_MIN = none */
    Slice   *slices;      /* open slices, by end */
    int      nslices, capslices;
    Timer   *timers;      /* min-heap by (end, seq) */
    int      ntimers, captimers;
    int64_t  seq;         /* timers registered */
    StrBuf   kbuf;        /* scratch key */
    const char *late_topic; /* or NULL */
    JsonField *late_fields; /* the windowed row as JSON, for the late topic */
    int      nlate;       /* its fields */
    StrBuf   late_buf;    /* scratch */
    const TimeZone *tz;   /* LTZ windows: table.local-time-zone (NULL = UTC, and for TIMESTAMP windows) */
} WinState;
_Static_assert(offsetof(WinState, k) == 0, "keyed helpers expect the Keyed first");

/* ---- time ---- */

static int64_t floor_to(int64_t t, int64_t unit, int64_t offset)
{
    int64_t x = t - offset, r = x % unit;
    if (r < 0) r += unit;
    return x - r + offset;
}

/* Local (window) time of an instant, and back (a local time a DST change
 * skips or repeats maps as tz_local_to_utc says). */
static int64_t win_local(const WinState *st, int64_t utc) { return st->tz ? utc + tz_offset_ms(st->tz, utc) : utc; }
static int64_t win_utc(const WinState *st, int64_t local) { return st->tz ? tz_local_to_utc(st->tz, local) : local; }

/* Has the window ending at local time `end` fired at time wm? */
static bool fired(const WinState *st, int64_t end)
{
    return st->wm != INT64_MIN && end != INT64_MAX && win_utc(st, end) - 1 <= st->wm;
}

/* The last window end a slice ending at se belongs to. */
static int64_t slice_last_end(const WinState *st, int64_t se)
{
    switch (st->spec.kind) {
    case WIN_HOP: return se + st->spec.size - st->unit;
    case WIN_CUMULATE: return floor_to(se - 1, st->spec.size, st->spec.offset) + st->spec.size;
    default: return se;
    }
}

/* The start of the window ending at e. */
static int64_t window_start(const WinState *st, int64_t e)
{
    if (st->spec.kind == WIN_CUMULATE) return floor_to(e - 1, st->spec.size, st->spec.offset);
    return e - st->spec.size;
}

/* ---- accumulators ---- */

static inline StrBuf *rows_of(const Acc *a) { return (StrBuf *)a->slots; }

static void acc_init(const WinState *st, Acc *a)
{
    a->nrows = 0;
    if (st->rows) memset(rows_of(a), 0, sizeof(StrBuf));
    for (int i = 0; i < st->naggs; i++)
        if (!st->countstar[i]) agg_init(&st->specs[i], a->slots + st->slot[i]);
}

static void acc_release(const WinState *st, Acc *a, int n)
{
    if (st->rows) sb_free(rows_of(a));
    for (int i = 0; i < n; i++)
        if (!st->countstar[i]) agg_free(&st->specs[i], a->slots + st->slot[i]);
}

static int acc_add(OpState *s, Acc *a, const Value *row)
{
    const WinState *st = s->priv;
    char err[256];
    a->nrows++;
    if (st->rows) {   /* the row, length-prefixed */
        StrBuf *b = rows_of(a);
        size_t at = b->len;
        unsigned char v[ROWKEY_VARINT_MAX];
        rowkey_encode(b, st->in_types, row, NULL, st->in_ncols);
        size_t n = b->len - at, vn = rowkey_put_varint(v, n);
        sb_putn(b, (const char *)v, vn);   /* grow, then shift the row up behind its length */
        memmove(b->s + at + vn, b->s + at, n);
        memcpy(b->s + at, v, vn);
    }
    for (int i = 0; i < st->naggs; i++) {
        if (st->countstar[i] || !agg_passes(&st->specs[i], row)) continue;   /* COUNT(*) is nrows; FILTER (WHERE …) */
        const Value *v = st->argcol[i] >= 0 ? &row[st->argcol[i]] : NULL;
        if (agg_update(&st->specs[i], a->slots + st->slot[i], v, 1, err, sizeof err)) return job_fail(s->job, "%s: %s", st->name, err);
    }
    return 0;
}

static int acc_merge(OpState *s, Acc *into, const Acc *from)
{
    const WinState *st = s->priv;
    char err[256];
    into->nrows += from->nrows;
    if (st->rows) sb_putn(rows_of(into), rows_of(from)->s, rows_of(from)->len);
    for (int i = 0; i < st->naggs; i++) {
        if (st->countstar[i]) continue;
        if (agg_merge(&st->specs[i], into->slots + st->slot[i], from->slots + st->slot[i], err, sizeof err))
            return job_fail(s->job, "%s: %s", st->name, err);
    }
    return 0;
}

static void acc_save(const WinState *st, const Acc *a, StrBuf *out)
{
    unsigned char v[ROWKEY_VARINT_MAX];
    sb_putn(out, (const char *)v, rowkey_put_varint(v, rowkey_zigzag(a->nrows)));
    if (st->rows) {
        sb_putn(out, (const char *)v, rowkey_put_varint(v, rows_of(a)->len));
        sb_putn(out, rows_of(a)->s, rows_of(a)->len);
    }
    for (int i = 0; i < st->naggs; i++)
        if (!st->countstar[i]) agg_save(&st->specs[i], a->slots + st->slot[i], out);
}

/* Reads an Acc at *p (advanced past it); 0 or -1 (nothing left allocated). */
static int acc_load(const WinState *st, Acc *a, const unsigned char **p, const unsigned char *end)
{
    uint64_t u;
    size_t used;
    if (rowkey_get_varint(p, end, &u) || (a->nrows = rowkey_unzigzag(u)) < 1) return -1;
    if (st->rows) {
        if (rowkey_get_varint(p, end, &u) || u > (uint64_t)(end - *p)) return -1;
        memset(rows_of(a), 0, sizeof(StrBuf));
        sb_putn(rows_of(a), (const char *)*p, (size_t)u);
        *p += u;
    }
    for (int i = 0; i < st->naggs; i++) {
        if (st->countstar[i]) continue;
        if (agg_load(&st->specs[i], a->slots + st->slot[i], (const char *)*p, (size_t)(end - *p), &used)) {
            acc_release(st, a, i);
            return -1;
        }
        *p += used;
    }
    return 0;
}

/* The results of a into row[0..naggs) (strings copied into the batch arena). */
static void acc_results(OpState *s, const Acc *a, Value *row)
{
    const WinState *st = s->priv;
    for (int i = 0; i < st->naggs; i++) {
        if (st->countstar[i]) {
            row[i] = (Value){.i = a->nrows};
            continue;
        }
        agg_result(&st->specs[i], a->slots + st->slot[i], &row[i]);
        value_copy_into(&s->job->batch_arena, st->out_types[st->ngroup + 3 + i], &row[i]);
    }
}

/* Appends a window's row: [keys…, window_start, window_end, window_time, aggs…]. */
static int emit_row(OpState *s, Batch *out, const char *gkey, size_t glen, int64_t ws, int64_t we, const Acc *a)
{
    WinState *st = s->priv;
    int64_t wt = win_utc(st, we) - 1;
    Value *r = batch_add(out, RK_INSERT, wt);
    if (rowkey_decode(gkey, glen, st->key_types, r, st->ngroup, &s->job->batch_arena))
        return job_fail(s->job, "%s: a group key in state is unreadable", st->name);
    r[st->ngroup] = (Value){.i = ws};
    r[st->ngroup + 1] = (Value){.i = we};
    r[st->ngroup + 2] = (Value){.i = st->spec.ltz || st->spec.time == TA_PROCTIME ? wt : we - 1};
    acc_results(s, a, r + st->ngroup + 3);
    return 0;
}

/* A SESSION table function's session: each of its rows with the session's
 * window_start, window_end and window_time. */
static int emit_session_rows(OpState *s, Batch *out, int64_t ws, int64_t we, const Acc *a)
{
    WinState *st = s->priv;
    const StrBuf *b = rows_of(a);
    const unsigned char *p = (const unsigned char *)b->s, *end = p + b->len;
    int w = st->in_ncols;
    while (p < end) {
        uint64_t n;
        if (rowkey_get_varint(&p, end, &n) || n > (uint64_t)(end - p)) return job_fail(s->job, "%s: a session's rows are unreadable", st->name);
        Value *r = batch_add(out, RK_INSERT, win_utc(st, we) - 1);
        if (rowkey_decode((const char *)p, (size_t)n, st->in_types, r, w, &s->job->batch_arena))
            return job_fail(s->job, "%s: a session's row is unreadable", st->name);
        p += n;
        r[w] = (Value){.i = ws};
        r[w + 1] = (Value){.i = we};
        r[w + 2] = (Value){.i = st->spec.ltz || st->spec.time == TA_PROCTIME ? win_utc(st, we) - 1 : we - 1};
    }
    return 0;
}

/* ---- late rows ---- */

static void fmt_time(char *buf, size_t cap, int64_t ms)
{
    Value v = {.i = ms};
    char tmp[64];
    int n = value_format(tmp, type_make(TY_TIMESTAMP, false), &v);
    snprintf(buf, cap, "%.*s", n, tmp);
}

/* A row that changes no result: counted, and copied to the late topic if
 * the table names one (JSON of the operator's input row; headers say why). */
static int late_row(OpState *s, const Value *row, int64_t t, bool null_time)
{
    WinState *st = s->priv;
    Job *j = s->job;
    j->stats.late++;
    if (!st->late_topic || !j->out.emit) return 0;
    st->late_buf.len = 0;
    json_encode(&st->late_buf, st->late_fields, st->nlate, row);
    char wm[64] = "none", tbuf[64] = "NULL";
    if (st->wm != INT64_MIN) fmt_time(wm, sizeof wm, st->wm);
    if (!null_time) fmt_time(tbuf, sizeof tbuf, t);
    const char *why = null_time ? "the time attribute is NULL or out of range" : "every window of the row had fired";
    kafka_header h[3] = {
        {"eddy.late.reason", why, strlen(why)},
        {"eddy.late.time", tbuf, strlen(tbuf)},
        {"eddy.late.watermark", wm, strlen(wm)},
    };
    OutRecord r = {st->late_topic, NULL, 0, st->late_buf.s, st->late_buf.len, null_time ? 0 : t, NULL, h, 3, -1};
    char err[256];
    if (j->out.emit(j->out.ctx, &r, err, sizeof err)) return job_fail(j, "late-rows topic '%s': %s", st->late_topic, err);
    return 0;
}

/* ---- slices ---- */

static Slice *slice_get(WinState *st, int64_t end)
{
    int lo = 0, hi = st->nslices;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (st->slices[mid].end < end) lo = mid + 1;
        else hi = mid;
    }
    if (lo < st->nslices && st->slices[lo].end == end) return &st->slices[lo];
    if (st->nslices == st->capslices) {
        st->capslices = st->capslices ? st->capslices * 2 : 16;
        st->slices = realloc(st->slices, sizeof *st->slices * (size_t)st->capslices);
        if (!st->slices) abort();
    }
    memmove(&st->slices[lo + 1], &st->slices[lo], sizeof *st->slices * (size_t)(st->nslices - lo));
    st->nslices++;
    st->slices[lo] = (Slice){.end = end};
    return &st->slices[lo];
}

static void slice_push(Slice *sl, KeyedEntry *e)
{
    if (sl->n == sl->cap) {
        sl->cap = sl->cap ? sl->cap * 2 : 16;
        sl->ents = realloc(sl->ents, sizeof *sl->ents * (size_t)sl->cap);
        if (!sl->ents) abort();
    }
    sl->ents[sl->n++] = e;
}

/* Slice keys start with the slice end, big-endian with the sign flipped
 * (so they sort by time in the state file too). */
static void put_be64(StrBuf *b, int64_t v)
{
    uint64_t u = (uint64_t)v ^ 0x8000000000000000ull;
    char x[8];
    for (int i = 0; i < 8; i++) x[i] = (char)(u >> (56 - 8 * i));
    sb_putn(b, x, 8);
}

static int64_t get_be64(const unsigned char *p)
{
    uint64_t u = 0;
    for (int i = 0; i < 8; i++) u = u << 8 | p[i];
    return (int64_t)(u ^ 0x8000000000000000ull);
}

static inline Acc *acc_of(const KeyedEntry *e) { return keyed_payload(e); }

static int slice_add(OpState *s, const Value *row, int64_t t)
{
    WinState *st = s->priv;
    int64_t se = floor_to(t, st->unit, st->spec.offset) + st->unit;
    if (fired(st, slice_last_end(st, se))) return late_row(s, row, win_utc(st, t), false);
    st->kbuf.len = 0;
    put_be64(&st->kbuf, se);
    rowkey_encode(&st->kbuf, st->key_types, row, NULL, st->ngroup);
    uint64_t h = keyed_hash(st->kbuf.s, st->kbuf.len);
    KeyedEntry *e = keyed_find(&st->k, st->kbuf.s, st->kbuf.len, h);
    if (!e) {
        e = keyed_insert(&st->k, st->kbuf.s, st->kbuf.len, h, st->acc_size);
        acc_init(st, acc_of(e));
        slice_push(slice_get(st, se), e);
        if (se < st->next_end) st->next_end = se;
    }
    keyed_touch(&st->k, e);
    return acc_add(s, acc_of(e), row);
}

/* A merged key of a window being fired. */
typedef struct Merged {
    const char *key;      /* group key bytes (in a slice entry) */
    size_t      klen;     /* length */
    Acc        *acc;      /* merged accumulators (in the same allocation) */
} Merged;

static const void *merged_key(const void *entry, size_t *len)
{
    const Merged *m = entry;
    *len = m->klen;
    return m->key;
}

/* Emits the window ending at e: its slices merged per key. */
static int fire_window(OpState *s, int64_t e, Batch *out)
{
    WinState *st = s->priv;
    int64_t ws = window_start(st, e);
    int first = 0, last = -1;
    for (int i = 0; i < st->nslices; i++) {
        if (st->slices[i].end <= ws) first = i + 1;
        if (st->slices[i].end <= e) last = i;
    }
    if (first == last) {   /* one slice (TUMBLE, or only one with rows): no merging */
        Slice *sl = &st->slices[first];
        for (int i = 0; i < sl->n; i++)
            if (emit_row(s, out, (const char *)keyed_key(sl->ents[i]) + 8, sl->ents[i]->klen - 8, ws, e, acc_of(sl->ents[i])))
                return -1;
        return 0;
    }
    if (first > last) return 0;
    Htab t;
    htab_init(&t, merged_key);
    Merged **m = NULL;   /* in the order keys first came */
    int nm = 0, cap = 0, rc = 0;
    for (int x = first; x <= last && !rc; x++) {
        Slice *sl = &st->slices[x];
        for (int i = 0; i < sl->n && !rc; i++) {
            const KeyedEntry *en = sl->ents[i];
            const char *key = (const char *)keyed_key(en) + 8;
            size_t klen = en->klen - 8;
            uint64_t h = htab_hash(key, klen);
            Merged *hit = htab_find(&t, key, klen, h);
            if (!hit) {
                if (nm == cap) {
                    cap = cap ? cap * 2 : 64;
                    m = realloc(m, sizeof *m * (size_t)cap);
                    if (!m) abort();
                }
                hit = m[nm++] = xmalloc(sizeof *hit + st->acc_size);
                hit->key = key;
                hit->klen = klen;
                hit->acc = (Acc *)(hit + 1);
                acc_init(st, hit->acc);
                htab_insert(&t, hit, h);
            }
            rc = acc_merge(s, hit->acc, acc_of(en));
        }
    }
    for (int i = 0; i < nm && !rc; i++) rc = emit_row(s, out, m[i]->key, m[i]->klen, ws, e, m[i]->acc);
    for (int i = 0; i < nm; i++) {
        acc_release(st, m[i]->acc, st->naggs);
        free(m[i]);
    }
    free(m);
    htab_free(&t);
    return rc;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Time moved from `from` to st->wm: fire the windows that ended between,
 * then free the slices no window needs any more. */
static int slices_advance(OpState *s, int64_t from, Batch *out)
{
    WinState *st = s->priv;
    if (!st->nslices || !fired(st, st->next_end)) return 0;   /* nothing ends yet: the common case */
    int64_t *ends = NULL;
    size_t n = 0, cap = 0;
    for (int i = 0; i < st->nslices; i++) {
        int64_t se = st->slices[i].end, last = slice_last_end(st, se);
        for (int64_t e = se; e <= last; e += st->unit) {
            int64_t u = win_utc(st, e) - 1;
            if ((from != INT64_MIN && u <= from) || u > st->wm) continue;
            if (n == cap) {
                cap = cap ? cap * 2 : 64;
                ends = realloc(ends, sizeof *ends * cap);
                if (!ends) abort();
            }
            ends[n++] = e;
        }
    }
    if (n) qsort(ends, n, sizeof *ends, cmp_i64);
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++)
        if (i == 0 || ends[i] != ends[i - 1]) rc = fire_window(s, ends[i], out);
    free(ends);
    if (rc) return rc;
    int keep = 0;
    st->next_end = INT64_MAX;
    for (int i = 0; i < st->nslices; i++) {
        Slice *sl = &st->slices[i];
        if (!fired(st, slice_last_end(st, sl->end))) {
            st->slices[keep++] = *sl;
            int64_t e = sl->end;
            while (fired(st, e)) e += st->unit;
            if (e < st->next_end) st->next_end = e;
            continue;
        }
        for (int x = 0; x < sl->n; x++) keyed_remove(&st->k, sl->ents[x], keyed_hash(keyed_key(sl->ents[x]), sl->ents[x]->klen));
        free(sl->ents);
    }
    st->nslices = keep;
    return 0;
}

/* ---- sessions ---- */

static inline SessionList **list_of(const KeyedEntry *e) { return keyed_payload(e); }
static inline Session *sess_at(const WinState *st, SessionList *l, int i) { return (Session *)(l->data + (size_t)i * st->sess_size); }

static void timer_push(WinState *st, int64_t end, const void *key, size_t klen)
{
    if (st->ntimers == st->captimers) {
        st->captimers = st->captimers ? st->captimers * 2 : 64;
        st->timers = realloc(st->timers, sizeof *st->timers * (size_t)st->captimers);
        if (!st->timers) abort();
    }
    Timer t = {end, st->seq++, xmalloc(klen ? klen : 1), klen};
    memcpy(t.key, key, klen);
    int i = st->ntimers++;
    while (i > 0) {
        int p = (i - 1) / 2;
        Timer *pt = &st->timers[p];
        if (pt->end < t.end || (pt->end == t.end && pt->seq < t.seq)) break;
        st->timers[i] = *pt;
        i = p;
    }
    st->timers[i] = t;
}

static Timer timer_pop(WinState *st)
{
    Timer top = st->timers[0], t = st->timers[--st->ntimers];
    int i = 0, n = st->ntimers;
    for (;;) {
        int c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && (st->timers[c + 1].end < st->timers[c].end ||
                          (st->timers[c + 1].end == st->timers[c].end && st->timers[c + 1].seq < st->timers[c].seq)))
            c++;
        if (t.end < st->timers[c].end || (t.end == st->timers[c].end && t.seq < st->timers[c].seq)) break;
        st->timers[i] = st->timers[c];
        i = c;
    }
    if (n) st->timers[i] = t;
    return top;
}

static void list_release(const WinState *st, SessionList *l)
{
    if (!l) return;
    for (int i = 0; i < l->n; i++) acc_release(st, &sess_at(st, l, i)->acc, st->naggs);
    free(l);
}

static void session_release(OpState *s, KeyedEntry *e)
{
    const WinState *st = s->priv;
    if (st->spec.kind == WIN_SESSION) list_release(st, *list_of(e));
    else acc_release(st, acc_of(e), st->naggs);
}

static int session_add(OpState *s, const Value *row, int64_t t)
{
    WinState *st = s->priv;
    int64_t gap = st->spec.size, start = t, end = t + gap;
    st->kbuf.len = 0;
    rowkey_encode(&st->kbuf, st->key_types, row, st->keycols, st->ngroup);
    uint64_t h = keyed_hash(st->kbuf.s, st->kbuf.len);
    KeyedEntry *e = keyed_find(&st->k, st->kbuf.s, st->kbuf.len, h);
    SessionList *l = e ? *list_of(e) : NULL;
    /* the sessions the row touches (Flink: windows that intersect, ends included) */
    int into = -1;
    for (int i = 0; l && i < l->n; i++) {
        Session *x = sess_at(st, l, i);
        if (x->start <= t + gap && x->end >= t) {
            if (x->start < start) start = x->start;
            if (x->end > end) end = x->end;
            if (into < 0) into = i;
        }
    }
    if (fired(st, end)) return late_row(s, row, win_utc(st, t), false);
    if (!e) {
        e = keyed_insert(&st->k, st->kbuf.s, st->kbuf.len, h, sizeof(SessionList *));
        *list_of(e) = NULL;
    }
    keyed_touch(&st->k, e);
    if (into < 0) {
        if (!l || l->n == l->cap) {
            int cap = l ? l->cap * 2 : 1;
            SessionList *nl = realloc(l, sizeof *nl + (size_t)cap * st->sess_size);
            if (!nl) abort();
            if (!l) nl->n = 0;
            nl->cap = cap;
            *list_of(e) = l = nl;
        }
        into = l->n++;
        Session *x = sess_at(st, l, into);
        x->start = t;
        x->end = t + gap;
        acc_init(st, &x->acc);
        timer_push(st, x->end, st->kbuf.s, st->kbuf.len);
        s->stats.state_bytes += (int64_t)st->sess_size;
        return acc_add(s, &x->acc, row);
    }
    Session *x = sess_at(st, l, into);
    for (int i = l->n - 1; i > into; i--) {
        Session *y = sess_at(st, l, i);
        if (!(y->start <= t + gap && y->end >= t)) continue;
        if (acc_merge(s, &x->acc, &y->acc)) return -1;
        acc_release(st, &y->acc, st->naggs);
        memmove(y, (char *)y + st->sess_size, (size_t)(l->n - 1 - i) * st->sess_size);
        l->n--;
        s->stats.state_bytes -= (int64_t)st->sess_size;
    }
    x->start = start;
    x->end = end;
    return acc_add(s, &x->acc, row);
}

/* Fires the sessions that ended by st->wm, key by key as their timers come due. */
static int sessions_advance(OpState *s, Batch *out)
{
    WinState *st = s->priv;
    while (st->ntimers && fired(st, st->timers[0].end)) {
        Timer tm = timer_pop(st);
        uint64_t h = keyed_hash(tm.key, tm.klen);
        KeyedEntry *e = keyed_find(&st->k, tm.key, tm.klen, h);
        SessionList *l = e ? *list_of(e) : NULL;
        int rc = 0, keep = 0;
        int64_t next = INT64_MAX;
        for (int i = 0; l && i < l->n; i++) {
            Session *x = sess_at(st, l, i);
            if (!rc && fired(st, x->end)) {
                rc = st->rows ? emit_session_rows(s, out, x->start, x->end, &x->acc)
                              : emit_row(s, out, tm.key, tm.klen, x->start, x->end, &x->acc);
                acc_release(st, &x->acc, st->naggs);
                s->stats.state_bytes -= (int64_t)st->sess_size;
                continue;
            }
            if (keep != i) memmove(sess_at(st, l, keep), x, st->sess_size);
            if (x->end < next) next = x->end;
            keep++;
        }
        if (l && keep != l->n) {
            l->n = keep;
            keyed_touch(&st->k, e);
            if (!keep) keyed_remove(&st->k, e, h);
        }
        if (keep && next != INT64_MAX && next != tm.end) timer_push(st, next, tm.key, tm.klen);
        free(tm.key);
        if (rc) return rc;
    }
    return 0;
}

/* ---- checkpoint and restore ---- */

/* Slices: value = the Acc; texts: key columns + slice_end, {rows, results…}.
 * Sessions: value = count, then per session start, end, Acc; texts: key
 * columns, {sessions}. */
static int win_save(OpState *s, const KeyedEntry *e, StrBuf *val, Value *row)
{
    WinState *st = s->priv;
    unsigned char v[ROWKEY_VARINT_MAX];
    const char *key = keyed_key(e);
    size_t klen = e->klen;
    if (st->spec.kind == WIN_SESSION) {
        SessionList *l = *list_of(e);
        if (!l || !l->n) return 1;
        sb_putn(val, (const char *)v, rowkey_put_varint(v, (uint64_t)l->n));
        for (int i = 0; i < l->n; i++) {
            Session *x = sess_at(st, l, i);
            sb_putn(val, (const char *)v, rowkey_put_varint(v, rowkey_zigzag(x->start)));
            sb_putn(val, (const char *)v, rowkey_put_varint(v, rowkey_zigzag(x->end)));
            acc_save(st, &x->acc, val);
        }
        rowkey_decode(key, klen, st->key_types, row, st->ngroup, NULL);
        row[st->ngroup] = (Value){.i = l->n};
        return 0;
    }
    const Acc *a = acc_of(e);
    if (a->nrows <= 0) return 1;
    acc_save(st, a, val);
    rowkey_decode(key + 8, klen - 8, st->key_types, row, st->ngroup, NULL);
    row[st->ngroup] = (Value){.i = get_be64((const unsigned char *)key)};
    row[st->ngroup + 1] = (Value){.i = a->nrows};
    for (int i = 0; i < st->naggs; i++) {
        if (st->countstar[i]) row[st->ngroup + 2 + i] = (Value){.i = a->nrows};
        else agg_result(&st->specs[i], a->slots + st->slot[i], &row[st->ngroup + 2 + i]);
    }
    return 0;
}

static int win_load(OpState *s, KeyedEntry *e, const void *val, size_t vlen)
{
    WinState *st = s->priv;
    const unsigned char *p = val, *end = p + vlen;
    const char *key = keyed_key(e);
    Value kv[64];
    if (st->spec.kind == WIN_SESSION) {
        uint64_t n;
        *list_of(e) = NULL;
        if (st->ngroup > 64 || rowkey_decode(key, e->klen, st->key_types, kv, st->ngroup, NULL) || rowkey_get_varint(&p, end, &n) ||
            n < 1 || n > 1000000)
            return job_fail(s->job, "state file: a session key of %s is unreadable (is the file damaged?)", st->name);
        SessionList *l = xmalloc(sizeof *l + (size_t)n * st->sess_size);
        l->n = 0;
        l->cap = (int)n;
        for (uint64_t i = 0; i < n; i++) {
            Session *x = sess_at(st, l, (int)i);
            uint64_t a, b;
            if (rowkey_get_varint(&p, end, &a) || rowkey_get_varint(&p, end, &b) || acc_load(st, &x->acc, &p, end)) {
                list_release(st, l);
                return job_fail(s->job, "state file: a session of %s is unreadable (is the file damaged?)", st->name);
            }
            x->start = rowkey_unzigzag(a);
            x->end = rowkey_unzigzag(b);
            l->n++;
        }
        *list_of(e) = l;
        if (p != end) return job_fail(s->job, "state file: a session key of %s has trailing bytes (is the file damaged?)", st->name);
        int64_t next = INT64_MAX;
        for (int i = 0; i < l->n; i++)
            if (sess_at(st, l, i)->end < next) next = sess_at(st, l, i)->end;
        timer_push(st, next, key, e->klen);
        s->stats.state_bytes += (int64_t)(st->sess_size * (size_t)l->n);
        return 0;
    }
    if (e->klen < 8 || st->ngroup > 64 || rowkey_decode(key + 8, e->klen - 8, st->key_types, kv, st->ngroup, NULL))
        return job_fail(s->job, "state file: a window key of %s is unreadable (is the file damaged?)", st->name);
    Acc *a = acc_of(e);
    if (acc_load(st, a, &p, end))
        return job_fail(s->job, "state file: a window of %s has unreadable accumulators (is the file damaged?)", st->name);
    if (p != end) {
        acc_release(st, a, st->naggs);
        return job_fail(s->job, "state file: a window of %s has trailing bytes (is the file damaged?)", st->name);
    }
    int64_t se = get_be64((const unsigned char *)key);
    slice_push(slice_get(st, se), e);
    if (se < st->next_end) st->next_end = se;
    return 0;
}

static int win_checkpoint(OpState *s, StateBatch *b, int op)
{
    WinState *st = s->priv;
    return keyed_checkpoint_wm(&st->k, b, op, st->wm);
}

static int win_restore(OpState *s, StateStore *store, int op)
{
    WinState *st = s->priv;
    if (keyed_restore_wm(&st->k, store, op, &st->wm)) return -1;
    if (st->wm != INT64_MIN && st->spec.time == TA_ROWTIME) s->stats.watermark = st->wm;
    return 0;
}

/* ---- lifecycle ---- */

static void win_end(OpState *s)
{
    WinState *st = s->priv;
    if (!st) return;
    keyed_free(&st->k);
    for (int i = 0; i < st->nslices; i++) free(st->slices[i].ents);
    free(st->slices);
    for (int i = 0; i < st->ntimers; i++) free(st->timers[i].key);
    free(st->timers);
    sb_free(&st->kbuf);
    sb_free(&st->late_buf);
    free(st->late_fields);
    free(st->in_types);
    free(st->keycols);
    free(st->key_types);
    free(st->out_types);
    free(st->argcol);
    free(st->countstar);
    free(st->specs);
    free(st->slot);
    free(st);
}

static int win_init_common(OpState *s, const WindowSpec *spec, const char *late_topic)
{
    const PlanNode *n = s->node, *in = n->inputs[0];
    WinState *st = calloc(1, sizeof *st);
    if (!st) abort();
    s->priv = st;
    st->name = plan_ops[n->kind].name;
    st->spec = *spec;
    st->wm = INT64_MIN;
    st->next_end = INT64_MAX;
    st->in_ncols = in->ncols;
    st->late_topic = late_topic;
    st->unit = spec->kind == WIN_TUMBLE ? spec->size : spec->slide;
    st->spec.offset = spec->kind == WIN_SESSION ? 0 : spec->offset % st->unit;
    if (spec->ltz || spec->time == TA_PROCTIME) st->tz = s->job->plan->config.local_tz;
    st->out_types = xcalloc((size_t)n->ncols, sizeof *st->out_types);
    for (int c = 0; c < n->ncols; c++) st->out_types[c] = n->cols[c].type;
    st->late_fields = xcalloc((size_t)in->ncols, sizeof *st->late_fields);
    st->in_types = xcalloc((size_t)in->ncols, sizeof *st->in_types);
    for (int c = 0; c < in->ncols; c++) {
        st->late_fields[c] = (JsonField){in->cols[c].name, in->cols[c].type, c};
        st->in_types[c] = in->cols[c].type;
    }
    st->nlate = in->ncols;
    return 0;
}

static int window_agg_init(OpState *s)
{
    const WindowAggPlan *wp = plan_window_agg(s->node);
    const PlanNode *n = &wp->node, *in = n->inputs[0];
    win_init_common(s, &wp->spec, wp->late_topic);
    WinState *st = s->priv;
    st->ngroup = wp->ngroup;
    st->naggs = wp->naggs;
    /* late rows: the windowed row's columns (those the plan kept), not the operator's input layout */
    st->nlate = wp->nlate;
    for (int c = 0; c < wp->nlate; c++) st->late_fields[c] = (JsonField){wp->late_names[c], in->cols[wp->late_cols[c]].type, wp->late_cols[c]};
    st->key_types = xcalloc((size_t)wp->ngroup, sizeof *st->key_types);
    st->argcol = xcalloc((size_t)wp->naggs, sizeof *st->argcol);
    st->specs = xcalloc((size_t)wp->naggs, sizeof *st->specs);
    st->slot = xcalloc((size_t)wp->naggs, sizeof *st->slot);
    st->countstar = xcalloc((size_t)wp->naggs, sizeof *st->countstar);
    for (int i = 0; i < wp->ngroup; i++) st->key_types[i] = in->cols[i].type;
    for (int a = 0; a < wp->naggs; a++) {
        const BExpr *call = wp->aggs[a];
        if (agg_spec_init(&st->specs[a], call, false)) return job_fail(s->job, "%s: no accumulator for %s", st->name, call->fn->name);
        st->argcol[a] = call->a ? call->a->col : -1;
        st->countstar[a] = call->fn->id == FN_COUNT && !call->a && !call->distinct && !call->b;
        st->slot[a] = st->slots;
        if (!st->countstar[a]) st->slots += ALIGN8(agg_state_size(&st->specs[a]));
    }
    st->acc_size = sizeof(Acc) + st->slots;
    st->sess_size = ALIGN8(sizeof(Session) + st->slots);
    bool sess = wp->spec.kind == WIN_SESSION;
    /* the state file's texts */
    int nk = wp->ngroup + (sess ? 0 : 1), nv = sess ? 1 : 1 + wp->naggs;
    JsonField *kf = xcalloc((size_t)nk, sizeof *kf), *vf = xcalloc((size_t)nv, sizeof *vf);
    for (int i = 0; i < wp->ngroup; i++) kf[i] = (JsonField){n->cols[i].name, n->cols[i].type, i};
    if (sess) {
        vf[0] = (JsonField){"sessions", type_make(TY_BIGINT, false), wp->ngroup};
    } else {
        kf[wp->ngroup] = (JsonField){"slice_end", type_make(TY_TIMESTAMP, false), wp->ngroup};
        vf[0] = (JsonField){"rows", type_make(TY_BIGINT, false), wp->ngroup + 1};
        for (int a = 0; a < wp->naggs; a++)
            vf[1 + a] = (JsonField){n->cols[wp->ngroup + 3 + a].name, n->cols[wp->ngroup + 3 + a].type, wp->ngroup + 2 + a};
    }
    KeyedConfig cfg = {
        .vsize = sess ? sizeof(SessionList *) : st->acc_size, .key_text = kf, .nkey_text = nk, .val_text = vf, .nval_text = nv,
        .row_width = wp->ngroup + 2 + wp->naggs, .save = win_save, .load = win_load, .release = session_release,
    };
    keyed_init(&st->k, s, &cfg);
    return 0;
}

/* The row's time (local), or false when it has none. */
static bool row_time(OpState *s, const Value *row, int64_t *t)
{
    WinState *st = s->priv;
    if (st->spec.time == TA_PROCTIME) {
        *t = win_local(st, s->job->clock_ms);
        return true;
    }
    const Value *v = &row[st->spec.timecol];
    /* NULL, or beyond any calendar (|t| > 300,000 years): no window holds it */
    if (v->null || v->i > 10000000000000000LL || v->i < -10000000000000000LL) return false;
    *t = st->spec.ltz ? win_local(st, v->i) : v->i;
    return true;
}

static int window_agg_process(OpState *s, int port, Batch *in, Batch *out)
{
    (void)port;
    (void)out;
    WinState *st = s->priv;
    for (int i = 0; i < in->n; i++) {
        const Value *row = batch_row(in, i);
        int64_t t;
        int rc;
        if (!row_time(s, row, &t)) rc = late_row(s, row, 0, true);
        else rc = st->spec.kind == WIN_SESSION ? session_add(s, row, t) : slice_add(s, row, t);
        if (rc) return rc;
    }
    return 0;
}

static int window_agg_time(OpState *s, int64_t now, Batch *out)
{
    WinState *st = s->priv;
    if (now <= st->wm) return 0;
    int64_t from = st->wm;
    st->wm = now;
    return st->spec.kind == WIN_SESSION ? sessions_advance(s, out) : slices_advance(s, from, out);
}

static int window_agg_advance(OpState *s, int64_t wm, Batch *out)
{
    return ((WinState *)s->priv)->spec.time == TA_ROWTIME ? window_agg_time(s, wm, out) : 0;
}

static int window_agg_clock(OpState *s, int64_t now, Batch *out)
{
    return ((WinState *)s->priv)->spec.time == TA_PROCTIME ? window_agg_time(s, now, out) : 0;
}

static void window_fingerprint(const WindowSpec *w, StrBuf *out)
{
    static const char *const kinds[] = {"TUMBLE", "HOP", "CUMULATE", "SESSION"};
    sb_printf(out, " window=%s/%s size=%lld slide=%lld offset=%lld ltz=%d", kinds[w->kind], w->time == TA_PROCTIME ? "proctime" : "rowtime",
              (long long)w->size, (long long)w->slide, (long long)w->offset, w->ltz);
}

static void window_agg_fingerprint(const PlanNode *n, StrBuf *out)
{
    const WindowAggPlan *wp = plan_window_agg(n);
    const PlanNode *in = n->inputs[0];
    sb_puts(out, "WindowAggregate/1");
    window_fingerprint(&wp->spec, out);
    sb_puts(out, " keys=");
    for (int i = 0; i < wp->ngroup; i++) {
        Type t = in->cols[i].type;
        t.timeattr = TA_NONE;
        type_print(out, t);
        sb_putc(out, ';');
    }
    sb_puts(out, " aggs=");
    for (int a = 0; a < wp->naggs; a++) {
        const BExpr *e = wp->aggs[a];
        sb_printf(out, "%s%s(", e->fn->name, e->distinct ? " DISTINCT" : "");
        if (e->a) {
            Type t = e->a->type;
            t.timeattr = TA_NONE;
            sb_printf(out, "$%d:", e->a->col);
            type_print(out, t);
        } else {
            sb_putc(out, '*');
        }
        agg_fingerprint_extra(out, e);   /* nothing for a call of eddy before FILTER and LISTAGG */
        sb_puts(out, ");");
    }
    sb_puts(out, " input=");
    explain_lineage(in, out);
}

const OpVTable op_window_agg_vt = {
    .init = window_agg_init, .process = window_agg_process, .advance = window_agg_advance, .clock = window_agg_clock,
    .checkpoint = win_checkpoint, .restore = win_restore, .end = win_end, .fingerprint = window_agg_fingerprint,
};

/* ---- the window table function: rows tagged with their windows, at once ---- */

static int window_tvf_init(OpState *s)
{
    const WindowTvfPlan *wp = plan_window_tvf(s->node);
    const PlanNode *n = &wp->node, *in = n->inputs[0];
    win_init_common(s, &wp->spec, wp->late_topic);
    WinState *st = s->priv;
    KeyedConfig cfg = {.vsize = sizeof(SessionList *), .save = win_save, .load = win_load, .release = session_release};
    if (wp->spec.kind == WIN_SESSION) {
        /* sessions per PARTITION BY key, holding their rows until they fire */
        st->rows = true;
        st->ngroup = wp->npartition;
        st->keycols = xcalloc((size_t)wp->npartition, sizeof *st->keycols);
        st->key_types = xcalloc((size_t)wp->npartition, sizeof *st->key_types);
        for (int i = 0; i < wp->npartition; i++) {
            st->keycols[i] = wp->partition[i];
            st->key_types[i] = in->cols[wp->partition[i]].type;
        }
        st->slots = ALIGN8(sizeof(StrBuf));
        st->acc_size = sizeof(Acc) + st->slots;
        st->sess_size = ALIGN8(sizeof(Session) + st->slots);
        JsonField *kf = xcalloc((size_t)wp->npartition, sizeof *kf), *vf = xcalloc(1, sizeof *vf);
        for (int i = 0; i < wp->npartition; i++) kf[i] = (JsonField){in->cols[wp->partition[i]].name, st->key_types[i], i};
        vf[0] = (JsonField){"sessions", type_make(TY_BIGINT, false), wp->npartition};
        cfg.key_text = kf;
        cfg.nkey_text = wp->npartition;
        cfg.val_text = vf;
        cfg.nval_text = 1;
        cfg.row_width = wp->npartition + 1;
    }
    keyed_init(&st->k, s, &cfg);   /* empty but for SESSION: the watermark is checkpointed beside it */
    return 0;
}

static int window_tvf_process(OpState *s, int port, Batch *in, Batch *out)
{
    (void)port;
    WinState *st = s->priv;
    int w = st->in_ncols;
    for (int i = 0; i < in->n; i++) {
        const Value *row = batch_row(in, i);
        int64_t t;
        if (!row_time(s, row, &t)) {
            if (late_row(s, row, 0, true)) return -1;
            continue;
        }
        if (st->rows) {
            if (session_add(s, row, t)) return -1;
            continue;
        }
        int64_t first, step = st->unit, last;
        switch (st->spec.kind) {
        case WIN_HOP:
            first = floor_to(t, st->unit, st->spec.offset) + st->unit;
            last = first + st->spec.size - st->unit;
            break;
        case WIN_CUMULATE:
            first = floor_to(t, st->unit, st->spec.offset) + st->unit;
            last = floor_to(t, st->spec.size, st->spec.offset) + st->spec.size;
            break;
        default: first = last = floor_to(t, st->unit, st->spec.offset) + st->unit; break;
        }
        int emitted = 0;
        for (int64_t e = first; e <= last; e += step) {
            if (fired(st, e)) continue;
            Value *r = batch_add(out, RK_INSERT, in->ts ? in->ts[i] : 0);
            memcpy(r, row, sizeof(Value) * (size_t)w);
            int64_t we = e, ws = window_start(st, e);
            r[w] = (Value){.i = ws};
            r[w + 1] = (Value){.i = we};
            r[w + 2] = (Value){.i = st->spec.ltz || st->spec.time == TA_PROCTIME ? win_utc(st, we) - 1 : we - 1};
            emitted++;
        }
        if (!emitted && late_row(s, row, win_utc(st, t), false)) return -1;
    }
    return 0;
}

static int window_tvf_advance(OpState *s, int64_t wm, Batch *out)
{
    WinState *st = s->priv;
    if (st->spec.time != TA_ROWTIME || wm <= st->wm) return 0;
    st->wm = wm;
    return st->rows ? sessions_advance(s, out) : 0;
}

static int window_tvf_clock(OpState *s, int64_t now, Batch *out)
{
    WinState *st = s->priv;
    if (st->spec.time != TA_PROCTIME || now <= st->wm) return 0;
    st->wm = now;
    return st->rows ? sessions_advance(s, out) : 0;
}

static void window_tvf_fingerprint(const PlanNode *n, StrBuf *out)
{
    const WindowTvfPlan *wp = plan_window_tvf(n);
    sb_puts(out, "WindowTableFunction/1");
    window_fingerprint(&wp->spec, out);
    sb_puts(out, " rows=");
    for (int i = 0; i < n->inputs[0]->ncols; i++) {
        Type t = n->inputs[0]->cols[i].type;
        t.timeattr = TA_NONE;
        type_print(out, t);
        sb_putc(out, ';');
    }
    sb_puts(out, " partition=");
    for (int i = 0; i < wp->npartition; i++) sb_printf(out, "$%d;", wp->partition[i]);
    sb_puts(out, " input=");
    explain_lineage(n->inputs[0], out);
}

const OpVTable op_window_tvf_vt = {
    .init = window_tvf_init, .process = window_tvf_process, .advance = window_tvf_advance, .clock = window_tvf_clock,
    .checkpoint = win_checkpoint, .restore = win_restore, .end = win_end, .fingerprint = window_tvf_fingerprint,
};
