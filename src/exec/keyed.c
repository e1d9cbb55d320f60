/*
 * keyed.c — keyed operator state (keyed.h): the table of entries, the
 * list of entries changed since the last checkpoint, the checkpoint walk,
 * restore, and the operator's state_keys / state_bytes.
 *
 * What is specific to an operator (what its payload means, how it is
 * stored and shown) comes in through KeyedConfig; nothing here knows an
 * operator kind.
 */
#include "keyed.h"
#include "rowkey.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALIGN8(n) (((n) + 7) & ~(size_t)7)

static const void *entry_key(const void *entry, size_t *len)
{
    const KeyedEntry *e = entry;
    *len = e->klen;
    return e->data;
}

static size_t entry_size(size_t klen, size_t vlen) { return sizeof(KeyedEntry) + ALIGN8(klen) + vlen; }

static void entry_free(Keyed *k, KeyedEntry *e)
{
    size_t size = entry_size(e->klen, e->vlen);
    if (size > SLAB_MAX) k->nbig--;
    slab_release(&k->slab, e, size);
}

void keyed_init(Keyed *k, OpState *s, const KeyedConfig *cfg)
{
    memset(k, 0, sizeof *k);
    htab_init(&k->table, entry_key);
    slab_init(&k->slab);
    k->op = s;
    k->cfg = *cfg;
    k->row = calloc((size_t)cfg->row_width + 1, sizeof *k->row);
    if (!k->row) abort();
}

/* Frees an entry's memory at keyed_free: slab_free_all frees the slab's
 * blocks, but entries larger than SLAB_MAX were malloc'd one by one. */
static void entry_drop(Keyed *k, KeyedEntry *e)
{
    if (entry_size(e->klen, e->vlen) > SLAB_MAX) entry_free(k, e);
}

/* keyed_free's visit of a live entry (through the table or cfg.walk_loose). */
static void free_live(Keyed *k, KeyedEntry *e, void *ctx)
{
    (void)ctx;
    if (k->cfg.release) k->cfg.release(k->op, e);
    entry_drop(k, e);
}

void keyed_free(Keyed *k)
{
    if (!k || !k->op) return;
    /* Dead entries are only in the changed list (with live ones), their
     * payloads released already: the table's entries are exactly those
     * with a payload. */
    for (int i = 0; i < k->nchanged; i++)
        if (k->changed[i]->dead) entry_drop(k, k->changed[i]);
    /* Every live entry is visited only when there is something to do for
     * it: a payload to release, or its own malloc'd block (a join's
     * million rows would otherwise cost a cache miss each, for nothing). */
    if (k->cfg.release || k->nbig) {
        HtabIter it;
        htab_iter_init(&k->table, &it);
        for (KeyedEntry *e; (e = htab_iter_next(&k->table, &it));) free_live(k, e, NULL);
        if (k->nloose && k->cfg.walk_loose) k->cfg.walk_loose(k->op, free_live, NULL);
    }
    k->op->stats.state_keys = 0;
    k->op->stats.state_bytes = 0;
    slab_free_all(&k->slab);   /* every other entry */
    htab_free(&k->table);
    free(k->changed);
    free(k->cfg.key_text);
    free(k->cfg.val_text);
    free(k->row);
    sb_free(&k->val);
    sb_free(&k->ktext);
    sb_free(&k->vtext);
    memset(k, 0, sizeof *k);
}

/* ---- entries ------------------------------------------------------------- */

static KeyedEntry *entry_new(Keyed *k, const void *key, size_t len, size_t vlen)
{
    if (len > KEYED_KEY_MAX) {
        job_fail(k->op->job, "%s: a state key of %zu bytes, more than the %u bytes eddy keeps per key (a row too large to key)",
                 k->op->node ? plan_ops[k->op->node->kind].name : "an operator", len, KEYED_KEY_MAX);
        len = 0;
    }
    size_t size = entry_size(len, vlen);
    KeyedEntry *e = slab_alloc(&k->slab, size);
    if (size > SLAB_MAX) k->nbig++;
    e->klen = (uint32_t)len;
    e->loose = 0;
    e->stored = 0;
    e->changed = 0;
    e->dead = 0;
    e->moved = 0;
    e->mark = 0;
    e->vlen = (uint32_t)vlen;
    memcpy(e->data, key, len);
    return e;
}

/* The table and the operator's counters move together. */
static void table_add(Keyed *k, KeyedEntry *e, uint64_t h)
{
    if (e->loose) k->nloose++;
    else htab_insert(&k->table, e, h);
    k->op->stats.state_keys++;
    k->op->stats.state_bytes += (int64_t)e->klen + e->vlen;
}

static void table_del(Keyed *k, KeyedEntry *e, uint64_t h)
{
    if (e->loose) k->nloose--;
    else htab_remove(&k->table, e->data, e->klen, h);
    k->op->stats.state_keys--;
    k->op->stats.state_bytes -= (int64_t)e->klen + e->vlen;
}

void keyed_note(Keyed *k, KeyedEntry *e)
{
    if (k->nchanged == k->capchanged) {
        k->capchanged = k->capchanged ? k->capchanged * 2 : 1024;
        k->changed = realloc(k->changed, sizeof *k->changed * (size_t)k->capchanged);
        if (!k->changed) abort();
    }
    k->changed[k->nchanged++] = e;
    e->changed = 1;
    if (k->op->job) {
        k->op->job->dirty_bytes += (int64_t)e->klen + e->vlen;
        if (!e->stored) k->op->job->fresh_bytes += (int64_t)e->klen + e->vlen;
    }
}

KeyedEntry *keyed_insert(Keyed *k, const void *key, size_t len, uint64_t h, size_t vlen)
{
    KeyedEntry *e = entry_new(k, key, len, vlen);
    table_add(k, e, h);
    keyed_touch(k, e);
    return e;
}

KeyedEntry *keyed_insert_loose(Keyed *k, const void *key, size_t len, size_t vlen)
{
    KeyedEntry *e = entry_new(k, key, len, vlen);
    e->loose = 1;
    table_add(k, e, 0);
    keyed_touch(k, e);
    return e;
}

/* An entry out of the table: freed now, or kept for the checkpoint that
 * writes it (which frees it).  A key the state file never held needs no
 * delete. */
static void retire(Keyed *k, KeyedEntry *e, bool write_delete)
{
    write_delete = write_delete && e->stored;
    if (!e->changed && write_delete) keyed_touch(k, e);
    if (!e->changed) {
        entry_free(k, e);
        return;
    }
    e->dead = 1;
    e->moved = !write_delete;
}

KeyedEntry *keyed_resize(Keyed *k, KeyedEntry *e, uint64_t h, size_t vlen)
{
    if (k->cfg.release) k->cfg.release(k->op, e);
    if (ALIGN8(entry_size(e->klen, vlen)) == ALIGN8(entry_size(e->klen, e->vlen))) {
        k->op->stats.state_bytes += (int64_t)vlen - e->vlen;
        e->vlen = (uint32_t)vlen;
        keyed_touch(k, e);
        return e;
    }
    KeyedEntry *n = entry_new(k, e->data, e->klen, vlen);
    n->stored = e->stored;
    n->loose = e->loose;
    table_del(k, e, h);
    retire(k, e, false);   /* the new entry's put replaces it */
    table_add(k, n, h);
    keyed_touch(k, n);
    return n;
}

void keyed_remove(Keyed *k, KeyedEntry *e, uint64_t h)
{
    table_del(k, e, h);
    if (k->cfg.release) k->cfg.release(k->op, e);
    retire(k, e, true);
}

/* ---- packed checkpoints ---------------------------------------------------
 *
 * A chunk is one state row of the operator: key = its number (8 bytes, big
 * endian, so the table returns chunks in order), value = a format byte (1),
 * a flags byte (1 = a snapshot starts here: what came before is replaced),
 * then records, each
 *     varint klen, key bytes, varint 0 (a delete) or vlen + 1, value bytes
 * in the order the entries changed.  Replaying every chunk in order gives
 * the state of the last checkpoint; key_text / value_text say which chunk
 * and how many records.  A chunk is never rewritten: a snapshot deletes the
 * old ones (in the same transaction as its own chunks). */

static void be64(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8) p[i] = (unsigned char)v;
}

/* Starts the chunk being filled (k->val) with its header. */
static void chunk_begin(Keyed *k)
{
    k->val.len = 0;
    sb_putn(&k->val, "\1\0", 2);
    k->chunk_n = 0;
}

/* Writes the chunk being filled into b (an empty one only when it starts a
 * snapshot: the replay must see the reset) and begins the next. */
static void chunk_flush(Keyed *k, StateBatch *b, int op)
{
    if (!k->chunk_n && !k->chunk_reset) return;
    unsigned char key[8];
    be64(key, k->chunk_next);
    k->val.s[1] = k->chunk_reset ? 1 : 0;
    char kt[48], vt[80];
    snprintf(kt, sizeof kt, "{\"chunk\":%llu}", (unsigned long long)k->chunk_next);
    snprintf(vt, sizeof vt, "{\"records\":%lld,\"snapshot\":%s}", (long long)k->chunk_n, k->chunk_reset ? "true" : "false");
    state_batch_put(b, op, key, sizeof key, k->val.s, k->val.len, kt, vt);
    k->chunk_next++;
    k->chunk_records += k->chunk_n;
    k->chunk_reset = false;
    chunk_begin(k);
}

/* Appends one record (val NULL: a delete) to the chunk being filled. */
static void chunk_record(Keyed *k, StateBatch *b, int op, const KeyedEntry *e, const StrBuf *val)
{
    unsigned char v[2 * ROWKEY_VARINT_MAX];
    size_t n = rowkey_put_varint(v, e->klen);
    sb_putn(&k->val, (const char *)v, n);
    sb_putn(&k->val, (const char *)e->data, e->klen);
    n = rowkey_put_varint(v, val ? (uint64_t)val->len + 1 : 0);
    sb_putn(&k->val, (const char *)v, n);
    if (val && val->len) sb_putn(&k->val, val->s, val->len);
    k->chunk_n++;
    if (k->val.len >= KEYED_CHUNK) chunk_flush(k, b, op);
}

/* Saves live entry e as a record (or, when save says it holds nothing, a
 * delete if the file has it). */
static void chunk_save(Keyed *k, StateBatch *b, int op, KeyedEntry *e)
{
    k->ktext.len = 0;
    if (k->cfg.save(k->op, e, &k->ktext, NULL)) {
        if (e->stored) chunk_record(k, b, op, e, NULL);
        e->stored = 0;
        return;
    }
    e->stored = 1;
    chunk_record(k, b, op, e, &k->ktext);
    k->op->job->ckpt_written++;
}

/* A snapshot's visit of a loose entry (cfg.walk_loose). */
static void snapshot_loose(Keyed *k, KeyedEntry *e, void *ctx)
{
    chunk_save(k, ctx, k->snapshot_op, e);
}

static int checkpoint_packed(Keyed *k, StateBatch *b, int op)
{
    int64_t live = (int64_t)keyed_count(k);
    bool snapshot = k->rows_stored || k->chunk_records > 2 * live + KEYED_SNAPSHOT_SLACK;   /* judged on what earlier checkpoints wrote */
    if (!k->marked) {
        char mk[40];
        snprintf(mk, sizeof mk, "op.%d.layout", op);
        state_batch_meta(b, mk, "packed");
        k->marked = true;
    }
    if (k->rows_stored) {   /* the rows an earlier version wrote go, before the first chunk is put */
        state_batch_drop_op(b, op);
        k->rows_stored = false;
    }
    chunk_begin(k);
    if (snapshot) {
        unsigned char key[8];
        for (uint64_t c = k->chunk_first; c < k->chunk_next; c++) {
            be64(key, c);
            state_batch_del(b, op, key, sizeof key);
        }
        for (int i = 0; i < k->nchanged; i++) {
            KeyedEntry *e = k->changed[i];
            e->changed = 0;
            if (e->dead) entry_free(k, e);
        }
        k->nchanged = 0;
        k->chunk_first = k->chunk_next;
        k->chunk_records = 0;
        k->chunk_reset = true;
        k->snapshot_op = op;
        HtabIter it;
        htab_iter_init(&k->table, &it);
        for (KeyedEntry *e; (e = htab_iter_next(&k->table, &it));) chunk_save(k, b, op, e);
        if (k->nloose) k->cfg.walk_loose(k->op, snapshot_loose, b);
        chunk_flush(k, b, op);
        return 0;
    }
    for (int i = 0; i < k->nchanged; i++) {
        KeyedEntry *e = k->changed[i];
        if (i + KEYED_AHEAD < k->nchanged) keyed_pf(k->changed[i + KEYED_AHEAD]);
        e->changed = 0;
        if (e->dead) {
            if (!e->moved) chunk_record(k, b, op, e, NULL);
            entry_free(k, e);
            continue;
        }
        chunk_save(k, b, op, e);
    }
    k->nchanged = 0;
    chunk_flush(k, b, op);
    return 0;
}

/* ---- checkpoint and restore ---------------------------------------------- */

int keyed_checkpoint(Keyed *k, StateBatch *b, int op)
{
    if (k->cfg.packed || k->marked) return checkpoint_packed(k, b, op);
    if (k->cfg.pack_above > 0 && (int64_t)keyed_count(k) > k->cfg.pack_above) {
        k->rows_stored = true;   /* the rows earlier checkpoints wrote go: a snapshot replaces them */
        return checkpoint_packed(k, b, op);
    }
    for (int i = 0; i < k->nchanged; i++) {
        KeyedEntry *e = k->changed[i];
        if (i + KEYED_AHEAD < k->nchanged) keyed_pf(k->changed[i + KEYED_AHEAD]);
        e->changed = 0;
        if (e->dead) {
            if (!e->moved) state_batch_del(b, op, e->data, e->klen);
            entry_free(k, e);
            continue;
        }
        k->val.len = k->ktext.len = k->vtext.len = 0;
        if (k->cfg.save(k->op, e, &k->val, k->row)) {
            if (e->stored) state_batch_del(b, op, e->data, e->klen);
            e->stored = 0;
            continue;
        }
        e->stored = 1;
        json_encode(&k->ktext, k->cfg.key_text, k->cfg.nkey_text, k->row);
        json_encode(&k->vtext, k->cfg.val_text, k->cfg.nval_text, k->row);
        state_batch_put(b, op, e->data, e->klen, k->val.s ? k->val.s : "", k->val.len, k->ktext.s, k->vtext.s);
        k->op->job->ckpt_written++;
    }
    k->nchanged = 0;
    return 0;
}

/* One stored row: an entry to (re)load, or with val NULL one deleted. */
static int restore_row(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
    Keyed *k = ctx;
    uint64_t h = keyed_hash(key, klen);
    KeyedEntry *old = keyed_find(k, key, klen, h);
    if (old) {
        /* a later row of the same key (the state log): it replaces this one */
        table_del(k, old, h);
        if (k->cfg.release) k->cfg.release(k->op, old);
        entry_free(k, old);
        k->loaded--;
    }
    if (!val) return 0;
    size_t size = k->cfg.vsize ? k->cfg.vsize : k->cfg.load_size ? k->cfg.load_size(k->op, key, klen, val, vlen) : vlen;
    KeyedEntry *e = entry_new(k, key, klen, size);
    if (!k->cfg.vsize && !k->cfg.load_size && vlen) memcpy(keyed_payload(e), val, vlen);
    if (k->cfg.load(k->op, e, val, vlen)) {
        entry_free(k, e);
        return -1;
    }
    e->stored = 1;
    table_add(k, e, h);
    k->loaded++;
    return 0;
}

/* Drops every entry (a snapshot chunk replaces what was loaded before it). */
static void drop_all(Keyed *k)
{
    HtabIter it;
    htab_iter_init(&k->table, &it);
    for (KeyedEntry *e; (e = htab_iter_next(&k->table, &it));) {
        if (k->cfg.release) k->cfg.release(k->op, e);
        k->op->stats.state_keys--;
        k->op->stats.state_bytes -= (int64_t)e->klen + e->vlen;
        entry_free(k, e);
    }
    htab_free(&k->table);
    htab_init(&k->table, entry_key);
    k->loaded = 0;
}

static int chunk_bad(Keyed *k)
{
    return job_fail(k->op->job, "state file: a chunk of %s's state is unreadable (is the file damaged?)", plan_ops[k->op->node->kind].name);
}

/* One stored chunk (packed): its records replayed in order. */
static int restore_chunk(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
    Keyed *k = ctx;
    if (klen != 8) return chunk_bad(k);
    uint64_t seq = 0;
    for (int i = 0; i < 8; i++) seq = seq << 8 | ((const unsigned char *)key)[i];
    if (seq + 1 > k->chunk_next) k->chunk_next = seq + 1;
    if (!val) return 0;   /* deleted by a snapshot, which follows */
    const unsigned char *p = val, *end = p + vlen;
    if (vlen < 2 || p[0] != 1 || p[1] > 1) return chunk_bad(k);
    if (p[1] == 1) {
        drop_all(k);
        k->chunk_records = 0;
        k->chunk_first = seq;
    } else if (seq < k->chunk_first) {
        k->chunk_first = seq;
    }
    p += 2;
    while (p < end) {
        uint64_t kl, tag;
        if (rowkey_get_varint(&p, end, &kl) || kl > (uint64_t)(end - p)) return chunk_bad(k);
        const unsigned char *rk = p;
        p += kl;
        if (rowkey_get_varint(&p, end, &tag) || (tag && tag - 1 > (uint64_t)(end - p))) return chunk_bad(k);
        const unsigned char *rv = tag ? p : NULL;
        if (tag) p += tag - 1;
        if (restore_row(k, rk, (size_t)kl, rv, tag ? (size_t)(tag - 1) : 0)) return -1;
        k->chunk_records++;
    }
    return 0;
}

int keyed_restore(Keyed *k, StateStore *store, int op)
{
    Job *j = k->op->job;
    k->loaded = 0;
    k->chunk_first = UINT64_MAX;
    k->chunk_next = 0;
    k->chunk_records = 0;
    bool packed = k->cfg.packed || k->cfg.pack_above > 0;
    if (packed) {
        char mk[40];
        snprintf(mk, sizeof mk, "op.%d.layout", op);
        const char *layout = state_get_meta(store, mk);
        k->marked = layout && strcmp(layout, "packed") == 0;
        packed = k->marked || (!k->cfg.legacy_rows && k->cfg.pack_above <= 0);
    }
    if (state_scan(store, op, packed ? restore_chunk : restore_row, k))
        return j->err[0] ? -1 : job_fail(j, "%s", state_errmsg(store));
    if (k->chunk_first > k->chunk_next) k->chunk_first = k->chunk_next;   /* no chunk */
    k->rows_stored = !packed && k->loaded > 0;
    j->stats.restored_keys += k->loaded;
    return 0;
}

int keyed_op_checkpoint(OpState *s, StateBatch *b, int op) { return keyed_checkpoint(s->priv, b, op); }

int keyed_op_restore(OpState *s, StateStore *store, int op) { return keyed_restore(s->priv, store, op); }

int keyed_checkpoint_wm(Keyed *k, StateBatch *b, int op, int64_t wm)
{
    char key[48], val[32];
    if (keyed_checkpoint(k, b, op)) return -1;
    snprintf(key, sizeof key, "op.%d.watermark", op);
    snprintf(val, sizeof val, "%lld", (long long)wm);
    state_batch_meta(b, key, val);
    return 0;
}

int keyed_restore_wm(Keyed *k, StateStore *store, int op, int64_t *wm)
{
    char key[48];
    if (keyed_restore(k, store, op)) return -1;
    snprintf(key, sizeof key, "op.%d.watermark", op);
    const char *v = state_get_meta(store, key);
    if (!v) return 0;
    char *end;
    errno = 0;
    long long w = strtoll(v, &end, 10);
    if (errno || end == v || *end)
        return job_fail(k->op->job, "state file: the watermark of %s is unreadable (is the file damaged?)", plan_ops[k->op->node->kind].name);
    *wm = w;
    return 0;
}
