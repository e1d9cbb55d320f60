/*
 * state.h — a job's state file: operator state and source offsets in
 * SQLite, written by checkpoints and read back on restart.
 *
 * One checkpoint is one transaction (WAL mode): the rows of every keyed
 * state entry that changed since the previous checkpoint (put or delete),
 * every source partition's next offset, and the checkpoint's number and
 * time.  A crash at any moment leaves the previous checkpoint intact.
 * Besides the bytes eddy restores from, each row carries a readable text
 * form (key and value as JSON), so `sqlite3 job.db` shows what is there.
 *
 * Schema (also in the README):
 *   eddy_meta(key PRIMARY KEY, value)                 format, job, plan fingerprint, sql, checkpoint id/time
 *   eddy_operators(op PRIMARY KEY, kind, fingerprint, description)
 *   eddy_offsets(topic, partition, next_offset)       PRIMARY KEY (topic, partition)
 *   eddy_state(op, key BLOB, value BLOB, key_text, value_text)  PRIMARY KEY (op, key), WITHOUT ROWID
 *   eddy_log(seq PRIMARY KEY, op, key, value, key_text, value_text)  changes since the last compaction
 *   eddy_current (a view)                             eddy_state with the log applied: the state now
 * A checkpoint appends its changed rows to eddy_log (value NULL = deleted);
 * when the log outgrows eddy_state it is folded into it.
 * `op` numbers the plan's stateful operators in plan order (0, 1, …).
 */
#ifndef EDDY_STATE_H
#define EDDY_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

typedef struct StateStore StateStore;

/* Opens (creating if needed) the state file.  A file that is locked by
 * another job, not a SQLite database, or not writable is an error naming
 * the path and the reason. */
int  state_open(const char *path, StateStore **out, char *err, size_t errlen);
void state_close(StateStore *s);
/* Empties the file (eddy run --reset-state). */
int  state_reset(StateStore *s, char *err, size_t errlen);

/* Meta values; state_get_meta returns NULL when absent (the string is the
 * store's until the next call). */
const char *state_get_meta(StateStore *s, const char *key);
int  state_set_meta(StateStore *s, const char *key, const char *value);

/* Stateful operators as recorded: count, and the kind/fingerprint/description of op i. */
int  state_operator_count(StateStore *s);
int  state_get_operator(StateStore *s, int op, char *kind, size_t kcap, char *fp, size_t fcap, char *desc, size_t dcap);
int  state_set_operator(StateStore *s, int op, const char *kind, const char *fp, const char *desc);

/* Next offset of a partition: 0 and *next set, or 1 when none is stored. */
int  state_get_offset(StateStore *s, const char *topic, int partition, int64_t *next);
/* Whether any offset of the topic is stored. */
bool state_has_offsets(StateStore *s, const char *topic);

/* A checkpoint is collected in memory (a StateBatch: fast, on the job's
 * thread) and then written in one transaction (state_write: may run on
 * another thread while the job goes on).  The batch copies what it is given. */
typedef struct StateBatch StateBatch;
StateBatch *state_batch_new(void);
void state_batch_free(StateBatch *b);
void state_batch_clear(StateBatch *b);
void state_batch_put(StateBatch *b, int op, const void *key, size_t klen, const void *val, size_t vlen,
                     const char *key_text, const char *val_text);
void state_batch_del(StateBatch *b, int op, const void *key, size_t klen);
/* An operator with two kinds of state keeps the second under another
 * number: state_subspace(op, 1).  Operators are numbered below it. */
#define STATE_SUBSPACE (1 << 20)
static inline int state_subspace(int op, int n) { return op + n * STATE_SUBSPACE; }

/* Deletes every row operator op has in the file (a change of its layout);
 * put it before the operator's new rows. */
void state_batch_drop_op(StateBatch *b, int op);
void state_batch_offset(StateBatch *b, const char *topic, int partition, int64_t next);
void state_batch_meta(StateBatch *b, const char *key, const char *value);
size_t state_batch_rows(const StateBatch *b);
/* Key and value bytes of its operator rows (the checkpoint's size). */
size_t state_batch_bytes(const StateBatch *b);
/* Writes the batch in one transaction; on failure nothing of it is kept.
 * When the log has outgrown the table it is then folded in, unless the
 * batch is a job's last (a stopping job leaves that to its next start). */
int  state_write(StateStore *s, const StateBatch *b);
void state_batch_set_last(StateBatch *b, bool last);

/* Calls fn for every stored row of an operator, oldest first: a key may
 * come again (the later row replaces it) or with val NULL (it is deleted).
 * fn returns 0 to go on. */
int  state_scan(StateStore *s, int op, int (*fn)(void *ctx, const void *key, size_t klen, const void *val, size_t vlen), void *ctx);
/* ---- A state file as records (a task's state changelog topic) ----
 *
 * A checkpoint's batch, or the whole file, as bytes another process turns
 * back into the same file: a task that moves to another process restores
 * its state from them (docs/scaling.md).  Format: "eddyST1\n", then one
 * entry after another — a type byte, then varint-prefixed fields:
 *   1 put (op, key, value, key text, value text)   2 delete (op, key)
 *   3 offset (topic, partition, next)               4 meta (key, value)
 *   5 drop an operator's rows (op)                  6 operator (op, kind, fingerprint, description)
 *   7 reset: everything before is gone (a snapshot follows)
 * (op is zigzag: subspaces and negative numbers fit.)  Decoding
 * checks every length against the input: a malformed or truncated entry is
 * an error naming its byte offset, never a crash. */
int  state_batch_encode(const StateBatch *b, StrBuf *out);
int  state_batch_decode(StateBatch *b, const void *buf, size_t len, char *err, size_t errlen);
/* The whole file as one batch: a reset, then the operators, meta values,
 * offsets and every operator's rows (state_write of it into any file makes
 * that file hold the same state). */
int  state_export(StateStore *s, StateBatch *out);
/* A reset entry (state_write empties the file there, in its transaction). */
void state_batch_reset(StateBatch *b);
/* An operator's recorded kind, fingerprint and description. */
void state_batch_operator(StateBatch *b, int op, const char *kind, const char *fp, const char *desc);

/* The last error message. */
const char *state_errmsg(const StateStore *s);

#endif
