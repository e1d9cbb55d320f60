/*
 * keyed.h — keyed operator state: what every stateful operator keeps per
 * key (a group of an aggregate, the last row of a key, later a window, a
 * join side, a Top-N list), with what checkpoints, restarts and the
 * operator's statistics need of it.
 *
 * A Keyed is a hash table from encoded keys (rowkey.h bytes) to entries
 * it allocates from a slab: one block per key holding the key bytes and
 * the operator's payload, a fixed size (an aggregate's row count and
 * accumulators) or a size per entry (a stored row).  It remembers which
 * entries changed since the last checkpoint as pointers, not key copies:
 * an entry removed meanwhile stays allocated, key only, until the
 * checkpoint has written its delete — unless no checkpoint ever wrote it
 * (a row that came and went between two checkpoints, as most of an
 * interval join's do): then there is nothing to delete.  keyed_checkpoint writes the changed
 * entries (puts and deletes) into the checkpoint's StateBatch,
 * keyed_restore loads the operator's rows back from the StateStore, and
 * the operator's OpStats are kept current on every insert, resize and
 * remove: state_keys = live keys, state_bytes = their key and payload
 * bytes (not the 8-byte entry headers, the table's slots, nor what a
 * payload owns elsewhere, e.g. a DISTINCT multiset).
 *
 * Ownership and lifetimes:
 *   - The Keyed owns every entry.  An entry's address is stable until the
 *     operator calls keyed_remove or keyed_resize on it, or keyed_free: then
 *     that pointer is invalid (keyed_resize returns the one to use).
 *   - The payload is the operator's: the Keyed never reads it, except
 *     through the KeyedConfig callbacks; `release` frees what a payload owns
 *     outside the entry (multisets, strings) and is called once per
 *     payload: when its entry is removed, resized or replaced by a restore,
 *     or at keyed_free.
 *   - Changes are tracked only while the job has a state file
 *     (job->state); without one a removed entry is freed at once.
 *   - keyed_checkpoint and keyed_restore touch the job's counters
 *     (ckpt_written, stats.restored_keys) and fail it (job_fail) on error.
 * One owner (the operator's thread); not thread-safe.
 */
#ifndef EDDY_KEYED_H
#define EDDY_KEYED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "exec.h"
#include "htab.h"
#include "slab.h"
#include "state.h"

typedef struct Keyed Keyed;

/* The longest key an entry holds (KeyedEntry.klen's 26 bits).  A longer
 * one (a row key of an enormous row) fails the job, naming the operator,
 * and is kept empty meanwhile: never cut off in silence. */
#define KEYED_KEY_MAX ((1u << 26) - 1)

/* One key's state. */
typedef struct KeyedEntry {
    uint32_t klen : 26;   /* key bytes (up to KEYED_KEY_MAX; was 128 MiB before the loose bit) */
    uint32_t loose : 1;   /* not in the table: the operator finds it through its own index (keyed_insert_loose) */
    uint32_t stored : 1;  /* the state file holds this key (a checkpoint wrote it, or it was restored) */
    uint32_t changed : 1; /* in the changed list (written by the next checkpoint) */
    uint32_t dead : 1;    /* removed: out of the table, kept (key only) until the checkpoint deletes it */
    uint32_t moved : 1;   /* dead with no delete to write: keyed_resize moved the key to a new entry, or the file never held it */
    uint32_t mark : 1;    /* the operator's own flag (0 in a new entry; the Keyed never reads it) */
    uint32_t vlen;        /* payload bytes */
    _Alignas(8) unsigned char data[]; /* key bytes, padded to 8, then the payload */
} KeyedEntry;

static inline const void *keyed_key(const KeyedEntry *e) { return e->data; }
/* The payload, 8-byte aligned. */
static inline void *keyed_payload(const KeyedEntry *e)
{
    return (void *)(e->data + (((size_t)e->klen + 7) & ~(size_t)7));
}

/* What an operator tells its Keyed (keyed_init copies it, and takes over
 * the two field arrays). */
typedef struct KeyedConfig {
    size_t vsize;         /* payload bytes of every entry; 0 = each its own: a restored entry's payload is the stored value */
    /* The readable key_text / value_text columns of the state file: JSON
     * objects of these fields of the row `save` fills (JsonField.slot
     * indexes it).  The arrays are malloc'd by the operator and freed by
     * keyed_free; the names they point to must outlive the Keyed (the plan's). */
    JsonField       *key_text;  /* fields of key_text */
    int              nkey_text; /* count */
    JsonField       *val_text;  /* fields of value_text */
    int              nval_text; /* count */
    int              row_width; /* width of that row */
    /* Checkpoint: appends entry e's stored value to val and fills row for
     * the texts.  Returns 0 to store it, 1 to store a delete instead (the
     * entry holds nothing to keep, e.g. a group emptied in a mini-batch
     * that is not flushed yet). */
    int  (*save)(OpState *s, const KeyedEntry *e, StrBuf *val, Value *row);
    /* Restore: makes new entry e (key set; payload: vsize bytes, not
     * initialised, or with vsize 0 a copy of val) from a stored value.
     * Returns 0, or -1 after job_fail, having freed what it allocated. */
    int  (*load)(OpState *s, KeyedEntry *e, const void *val, size_t vlen);
    /* Frees what e's payload owns outside the entry; NULL = nothing. */
    void (*release)(OpState *s, KeyedEntry *e);
    /* With vsize 0: the payload bytes of an entry restored from key and
     * val (then its payload is not a copy of val: load fills it); NULL =
     * vlen.  For payloads larger than what their checkpoint stores. */
    size_t (*load_size)(OpState *s, const void *key, size_t klen, const void *val, size_t vlen);
    /* Packed checkpoints: the changed entries go into the state file as
     * chunks of binary records (a state row per up to KEYED_CHUNK bytes of
     * changes, see keyed.c) instead of one state row per entry with its
     * JSON texts.  For operators with a state entry per kept input row
     * (joins), where a SQLite row and two JSON texts per entry cost more
     * than the operator's own work.  The fields above for the texts are
     * then unused (save gets row NULL); the chunk rows' texts say what the
     * chunk holds. */
    bool packed;
    /* With packed: earlier versions of this operator wrote one state row
     * per entry.  A state file without the packed marker (meta
     * `op.N.layout` = `packed`, written with every packed checkpoint) is
     * then read row by row, and its first checkpoint deletes those rows and
     * writes a snapshot. */
    bool legacy_rows;
    /* Rows while small, packed when large: > 0 writes one state row per
     * entry with its texts (readable in sqlite3) while the operator holds
     * at most this many live entries, and switches to packed chunks the
     * first time a checkpoint finds more (its rows replaced by a snapshot,
     * the packed marker written); from then on it stays packed.  A restore
     * reads whichever layout the file holds.  For operators whose entry
     * count depends on the data (aggregates: a few regions or a million
     * users). */
    int64_t pack_above;
    /* With loose entries (keyed_insert_loose): calls fn(k, e, ctx) on every
     * live loose entry, which fn may not free or move.  A snapshot
     * checkpoint and keyed_free reach them only through it. */
    void (*walk_loose)(OpState *s, void (*fn)(Keyed *k, KeyedEntry *e, void *ctx), void *ctx);
} KeyedConfig;

struct Keyed {
    Htab         table;   /* key bytes → KeyedEntry, live entries only (loose ones excepted) */
    size_t       nloose;  /* live loose entries (keyed_insert_loose) */
    size_t       nbig;    /* live entries larger than SLAB_MAX (malloc'd one by one: keyed_free must visit them) */
    Slab         slab;    /* where entries live (exact sizes, no malloc header) */
    OpState     *op;      /* the operator: its job (state file, counters) and stats */
    KeyedConfig  cfg;     /* as given (it owns the field arrays) */
    KeyedEntry **changed; /* entries changed since the last checkpoint, dead ones included */
    int          nchanged;/* count */
    int          capchanged; /* capacity */
    StrBuf       val, ktext, vtext; /* checkpoint scratch */
    Value       *row;     /* checkpoint scratch row (cfg.row_width) */
    int64_t      loaded;  /* restore: rows loaded */
    /* packed checkpoints (cfg.packed): the state file holds chunks
     * [chunk_first, chunk_next) of this operator, chunk_records records in all */
    uint64_t     chunk_first; /* oldest chunk the file holds */
    uint64_t     chunk_next;  /* number of the next chunk */
    int64_t      chunk_records; /* records in those chunks (puts and deletes, live or replaced) */
    int64_t      chunk_n;     /* checkpoint scratch: records in the chunk being filled */
    bool         chunk_reset; /* checkpoint scratch: the chunk being filled starts a snapshot */
    int          snapshot_op; /* checkpoint scratch: the operator number a snapshot writes (for cfg.walk_loose's visits) */
    bool         rows_stored; /* cfg.legacy_rows: the file holds this operator's state as rows (restored from them) */
    bool         marked;      /* the file carries the packed marker */
};

/* pack_above for operators whose state is per group: up to this many
 * groups the state file stays readable row by row. */
#define KEYED_READABLE_MAX 10000
/* Packed chunks are closed at this size (bytes of records). */
#define KEYED_CHUNK (256 * 1024)
/* Records the chunks may hold beyond twice the live entries before a
 * checkpoint rewrites them as one snapshot. */
#define KEYED_SNAPSHOT_SLACK 65536

void keyed_init(Keyed *k, OpState *s, const KeyedConfig *cfg);
/* Releases every payload and frees all memory.  NULL-safe; k may be
 * initialised again. */
void keyed_free(Keyed *k);

static inline uint64_t keyed_hash(const void *key, size_t len) { return htab_hash(key, len); }
/* Live entries, loose ones included. */
static inline size_t keyed_count(const Keyed *k) { return htab_count(&k->table) + k->nloose; }

/* The live entry of key[0..len) (h = keyed_hash of it), or NULL. */
static inline KeyedEntry *keyed_find(const Keyed *k, const void *key, size_t len, uint64_t h)
{
    return htab_find(&k->table, key, len, h);
}

/* A new entry for an absent key, in the table and marked changed; its
 * payload (vlen bytes) is not initialised. */
KeyedEntry *keyed_insert(Keyed *k, const void *key, size_t len, uint64_t h, size_t vlen);
/* The same for a key the operator knows to be absent and finds again
 * through an index of its own, so that the Keyed's table need not hold it
 * (a join side that only ever inserts: its rows are found through their
 * join key).  keyed_find does not return it; keyed_remove, keyed_resize,
 * checkpoints (cfg.walk_loose, required) and keyed_free treat it as any
 * other entry.  A restore puts every entry in the table. */
KeyedEntry *keyed_insert_loose(Keyed *k, const void *key, size_t len, size_t vlen);
/* Marks e changed, so that the next checkpoint writes it (nothing when
 * the job keeps no state file).  Call it whenever the payload changes;
 * keyed_note is its slow path. */
void keyed_note(Keyed *k, KeyedEntry *e);
static inline void keyed_touch(Keyed *k, KeyedEntry *e)
{
    if (!e->changed && k->op->job->state) keyed_note(k, e);
}
/* Gives e a new payload of vlen bytes and marks it changed: the old
 * payload is released (cfg.release) and the new one's bytes are
 * unspecified (the caller writes them).  Returns the entry to use from now
 * on: e itself when the size allows, else a new one with the same key (then
 * e is invalid). */
KeyedEntry *keyed_resize(Keyed *k, KeyedEntry *e, uint64_t h, size_t vlen);
/* Removes e from the state (h = keyed_hash of its key): its payload is
 * released now and the next checkpoint deletes its key.  e is invalid
 * afterwards. */
void keyed_remove(Keyed *k, KeyedEntry *e, uint64_t h);

/* Writes the entries changed since the last checkpoint into b as operator
 * `op`'s rows, in the order they first changed (puts via cfg.save, deletes),
 * frees the dead ones, and starts a new changed list.  Packed: the same as
 * chunks; when the chunks hold more than twice the live entries (plus
 * KEYED_SNAPSHOT_SLACK records), the checkpoint instead deletes them all and writes
 * every live entry anew, so the file stays proportional to the state. */
int  keyed_checkpoint(Keyed *k, StateBatch *b, int op);
/* Loads operator `op`'s rows from the state file (a later row of a key
 * replaces the earlier one; a NULL value deletes it).  0, or -1 with the
 * job failed. */
int  keyed_restore(Keyed *k, StateStore *store, int op);

/* Time operators (windows, interval, temporal and window joins) keep their
 * watermark beside their keyed state, so that a restarted job judges late
 * rows as the uninterrupted one did: keyed_checkpoint and this watermark
 * (a checkpoint meta row "op.<op>.watermark"), and back. */
int  keyed_checkpoint_wm(Keyed *k, StateBatch *b, int op, int64_t wm);
/* Sets *wm from the state file (unchanged when the file has none); 0, or
 * -1 with the job failed naming the operator when it is unreadable. */
int  keyed_restore_wm(Keyed *k, StateStore *store, int op, int64_t *wm);

/* The same as OpVTable entries, for an operator whose state (OpState.priv)
 * begins with its Keyed. */
int  keyed_op_checkpoint(OpState *s, StateBatch *b, int op);
int  keyed_op_restore(OpState *s, StateStore *store, int op);

/* Prefetch hints for a batch of look-ups (a hint only: never changes a
 * result).  With many keys each look-up costs three dependent cache
 * misses (the tag array, the entry pointer, the entry), so an operator
 * hashes its whole batch first, then, while it works on row i, calls
 * keyed_prefetch_slot for row i + 2·KEYED_AHEAD and keyed_prefetch_entry
 * for row i + KEYED_AHEAD (whose slot is in cache by then). */
#define KEYED_AHEAD 8

static inline void keyed_pf(const void *p) { htab_pf(p); }

static inline void keyed_prefetch_slot(const Keyed *k, uint64_t h) { htab_prefetch_slot(&k->table, h); }

static inline void keyed_prefetch_entry(const Keyed *k, uint64_t h) { htab_prefetch_entry(&k->table, h); }

#endif
